"""Scheduled work (DESIGN §6): what each job has handled, and the editable message texts."""

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


class MessageTemplate(Base):
    """An e-mail text the organisation can edit, with {placeholders}."""

    __tablename__ = "message_template"

    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Optimistic locking (migration 1030): bumped on every update; an edit form carries
    # the version it was opened at, and a save from an older one is refused.
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
