"""Lex Sarah and lex Maria tracks and their steps (DESIGN §5)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.models.base import Base, utcnow
from casetrack.models.case import Case
from casetrack.models.user import User


class Escalation(Base):
    """A lex Sarah (social services) or lex Maria (health care) track started from a case.

    The report's "Lex Sarah" / "Lex Maria" rows count cases with a track of that kind,
    except cases marked as IA incidents (``Case.ia_reported_on``).
    """

    __tablename__ = "escalation"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "track"),
        sa.CheckConstraint("track IN ('lex_sarah', 'lex_maria')", name="track"),
        sa.Index("ix_escalation_track_case", "track", "case_id"),
        # The tracks still running, read on every handler's page (migration 0970).
        sa.Index(
            "ix_escalation_running",
            "id",
            postgresql_where=sa.text("completed_on IS NULL"),
            sqlite_where=sa.text("completed_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_record.id", ondelete="CASCADE"))
    track: Mapped[str] = mapped_column(sa.String(20))
    # The rapport: when it was received and by whom (a named rapportör; never anonymous).
    reported_on: Mapped[date]
    reporter_name: Mapped[str] = mapped_column(sa.String(200))
    # Ställningstagande / beslut: missförhållande (lex Sarah) or vårdskada (lex Maria),
    # or a påtaglig risk for one; and whether it is allvarligt / allvarlig.
    is_confirmed: Mapped[bool | None]
    is_risk: Mapped[bool | None]
    is_serious: Mapped[bool | None]
    # The ställningstagande on the regulations' scale (domain.escalation.ASSESSMENTS);
    # NULL until it is recorded. The three answers above are kept in step with it.
    assessment: Mapped[str | None] = mapped_column(sa.String(40))
    # Anmälan to IVO (recorded here; IVO's own e-tjänst is used to send it).
    ivo_reported_on: Mapped[date | None]
    ivo_reference: Mapped[str | None] = mapped_column(sa.String(60))
    ivo_reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    no_ivo_report_reason: Mapped[str | None] = mapped_column(sa.Text)
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
    steps: Mapped[list[EscalationStep]] = relationship(
        back_populates="escalation",
        order_by="(EscalationStep.occurred_on, EscalationStep.id)",
        cascade="all, delete-orphan",
    )


class EscalationStep(Base):
    """One recorded step of a track: what, on which date, by whom, with a text."""

    __tablename__ = "escalation_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("escalation.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(sa.String(40))
    occurred_on: Mapped[date]
    text: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    escalation: Mapped[Escalation] = relationship(back_populates="steps")
    recorded_by: Mapped[User | None] = relationship()


class EscalationInvestigator(Base):
    """Who does a lex Sarah track's utredning as an independent lex Sarah-utredare (issue 19).

    One row per assignment; the current one has ``ended_at`` NULL (at most one per track).
    Changing the utredare ends the current row and adds a new one, and removing the
    independent utredare only ends it, so the history of who investigated stays. The
    case id is kept beside the track's so that ``access.case_scope`` reaches the cases a
    utredare is assigned with one indexed look-up.
    """

    __tablename__ = "escalation_investigator"
    __table_args__ = (
        sa.Index(
            "ux_escalation_investigator_current",
            "escalation_id",
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        ),
        sa.Index("ix_escalation_investigator_user", "investigator_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(sa.ForeignKey("escalation.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_record.id", ondelete="CASCADE"))
    investigator_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    escalation: Mapped[Escalation] = relationship()
    investigator: Mapped[User] = relationship(foreign_keys=[investigator_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
