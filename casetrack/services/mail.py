"""Queueing e-mail in the outbox, in the caller's transaction (sent by casetrack.infra.mailer)."""

from __future__ import annotations

from casetrack.extensions import db
from casetrack.models import Case, OutboxMessage


def queue_mail(
    to_address: str, subject: str, body: str, *, purpose: str, case: Case | None = None
) -> OutboxMessage:
    """Put a message in the outbox. It is sent after the transaction commits."""
    message = OutboxMessage(
        to_address=to_address,
        subject=subject,
        body=body,
        purpose=purpose,
        case_id=case.id if case is not None else None,
    )
    db.session.add(message)
    return message
