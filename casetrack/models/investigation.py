"""The utredning of a case and its causes (DESIGN §5)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.models.base import Base, utcnow
from casetrack.models.case import Case


class Investigation(Base):
    """Utredning of a case: what happened, why (causes), assessment and conclusion."""

    __tablename__ = "investigation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), unique=True
    )
    started_on: Mapped[date | None]
    what_happened: Mapped[str | None] = mapped_column(sa.Text)
    assessment: Mapped[str | None] = mapped_column(sa.Text)
    conclusion: Mapped[str | None] = mapped_column(sa.Text)
    completed_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    causes: Mapped[list[InvestigationCause]] = relationship(
        back_populates="investigation",
        order_by="InvestigationCause.id",
        cascade="all, delete-orphan",
    )


class InvestigationCause(Base):
    """A contributing cause; åtgärder can point at the cause they address."""

    __tablename__ = "investigation_cause"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    investigation: Mapped[Investigation] = relationship(back_populates="causes")
