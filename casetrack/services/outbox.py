"""The outbox admin page's action: send a failed message again (the list: queries/outbox.py)."""

from __future__ import annotations

from datetime import datetime

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.models import OutboxMessage, User, utcnow


def retry(actor: User, message_id: int, now: datetime | None = None) -> OutboxMessage:
    """Put a failed message back in the queue for a new round of attempts. Audited."""
    now = now or utcnow()
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "failed":
        raise DomainError("Meddelandet finns inte bland de misslyckade.")
    before = {"status": message.status, "attempts": message.attempts}
    message.status, message.attempts, message.next_attempt_at = "pending", 0, now
    message.claimed_at = message.claim_token = None
    audit.record(
        "outbox.retried",
        entity_type="outbox_message",
        entity_id=message.id,
        actor=actor,
        before=before,
        after={"status": "pending", "purpose": message.purpose},
        occurred_at=now,
    )
    return message
