"""An avvikelse's åtgärd plan reviews (issue 19): every time the plan was sent for
approval, approved or sent back for rework, by whom, when and with what motivation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.models.base import Base, utcnow
from casetrack.models.user import User


class ActionPlanReview(Base):
    """One event in the life of a case's åtgärd plan (append-only history).

    ``event``: submitted, approved or returned (casetrack.domain.action_plans).
    ``action_count``: how many åtgärder the plan had at the event; an åtgärd added after
    the approval makes the plan need a new one. ``role``: the role the decision was made
    in (the organisation's setting at the time). ``own_plan``: the approver also sent the
    plan (one person holding both roles): allowed, and recorded.
    """

    __tablename__ = "action_plan_review"
    __table_args__ = (
        sa.CheckConstraint("event IN ('submitted', 'approved', 'returned')", name="event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(sa.String(12))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    role: Mapped[str | None] = mapped_column(sa.String(20))
    action_count: Mapped[int]
    motivation: Mapped[str | None] = mapped_column(sa.Text)
    own_plan: Mapped[bool] = mapped_column(default=False)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()
