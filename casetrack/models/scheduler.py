"""What the scheduler has run: one row per job occurrence (claimed once)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casetrack.models.base import Base, utcnow


class JobOccurrence(Base):
    """One thing a job has handled: (job, object, occasion) happens at most once.

    Inserted in the same transaction as the message it queues, before the message, so a
    second scheduler, a restart or a crash mid-run can never send it a second time.
    """

    __tablename__ = "job_occurrence"
    __table_args__ = (sa.UniqueConstraint("job", "object_key", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(40))
    # e.g. "case:17", "action:4", "user:9"
    object_key: Mapped[str] = mapped_column(sa.String(60))
    # e.g. a due date, an ISO week, a tertial end date
    occasion: Mapped[str] = mapped_column(sa.String(40))
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)
