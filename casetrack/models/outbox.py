"""E-mail waiting to be sent (DESIGN §6): written in the request's transaction, sent after."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casetrack.models.base import Base, utcnow


class OutboxMessage(Base):
    """One e-mail. Nothing is lost: without SMTP it stays here, visible, until sent."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        sa.Index("ix_outbox_message_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # What the message is about, for the admin page and idempotency (e.g. "receipt").
    purpose: Mapped[str] = mapped_column(sa.String(40))
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None]
    # Set by the one sender that took the message (casetrack.infra.mailer), so that two senders
    # never send it twice; a claim older than the mailer's timeout is taken over.
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
