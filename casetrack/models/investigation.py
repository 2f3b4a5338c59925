"""The utredning of a case and its causes (DESIGN §5), with the händelseanalys parts an
avvikelse needs (issue 19): the händelseförlopp, the cause areas, who took part and when
the result was reported back."""

from __future__ import annotations

from datetime import date, datetime, time

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
    # Händelseanalys: when (and how) the result was reported back to the staff who filed
    # the avvikelse.
    reported_back_on: Mapped[date | None]
    reported_back_how: Mapped[str | None] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    causes: Mapped[list[InvestigationCause]] = relationship(
        back_populates="investigation",
        order_by="InvestigationCause.id",
        cascade="all, delete-orphan",
    )
    events: Mapped[list[InvestigationEvent]] = relationship(
        back_populates="investigation",
        order_by="InvestigationEvent.id",
        cascade="all, delete-orphan",
    )
    participants: Mapped[list[InvestigationParticipant]] = relationship(
        back_populates="investigation",
        order_by="InvestigationParticipant.id",
        cascade="all, delete-orphan",
    )


class InvestigationCause(Base):
    """A contributing cause; åtgärder can point at the cause they address."""

    __tablename__ = "investigation_cause"
    __table_args__ = (
        sa.CheckConstraint(
            "area IN ('kommunikation', 'kunskap', 'teknik', 'rutiner', 'organisation', "
            "'omgivning', 'brukare')",
            name="area",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(sa.Text)
    # One of casetrack.domain.event_analysis.CAUSE_AREAS (a stable code); None: "ej
    # angivet orsaksområde" (causes recorded before the areas existed).
    area: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    investigation: Mapped[Investigation] = relationship(back_populates="causes")


class InvestigationEvent(Base):
    """One entry of the händelseförlopp: when (a date, a time if known) and what happened.
    The timeline shows the entries ordered by date and time."""

    __tablename__ = "investigation_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    occurred_on: Mapped[date]
    occurred_time: Mapped[time | None]
    description: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    investigation: Mapped[Investigation] = relationship(back_populates="events")


class InvestigationParticipant(Base):
    """Someone who took part in the händelseanalys: a name and their function, as free text
    ("Undersköterska, nattpersonal"); not necessarily a casetrack user."""

    __tablename__ = "investigation_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    investigation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investigation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    investigation: Mapped[Investigation] = relationship(back_populates="participants")
