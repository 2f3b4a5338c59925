"""Queueing e-mail in the outbox, in the caller's transaction (sent by casetrack.infra.mailer)."""

from __future__ import annotations

from datetime import datetime

from casetrack import audit
from casetrack.extensions import db
from casetrack.models import Case, OutboxMessage, User

# Who the audit trail names for what the scheduler does (casetrack scheduler, jobs/).
SCHEDULER_ACTOR = "schemaläggare"


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


NOT_YOU = "Om det inte var du, kontakta din chef och systemförvaltningen (IT-säkerhet) direkt."


def record_scheduled_mail(
    action: str,
    after: dict,
    now: datetime,
    *,
    case: Case | None = None,
    user_id: int | None = None,
) -> None:
    """Audit what the scheduler queued: about ``case``, to or about the user ``user_id``,
    or (neither) a job's own round."""
    if case is not None:
        entity_type, entity_id = "case", case.id
    elif user_id is not None:
        entity_type, entity_id = "user", user_id
    else:
        entity_type, entity_id = "job", None
    audit.record(
        action,
        entity_type=entity_type,
        entity_id=entity_id,
        case=case,
        actor=None,
        actor_label=SCHEDULER_ACTOR,
        after=after,
        occurred_at=now,
    )


def notify_person(user: User, purpose: str, subject: str, text: str) -> None:
    """Queue a message about ``user``'s own account to the person, signed by casetrack."""
    body = f"Hej {user.name}!\n\n{text}\n\nHälsningar\ncasetrack\n"
    queue_mail(user.email, subject, body, purpose=purpose)


def notify_second_factor_changed(user: User, what: str) -> None:
    """Tell the person that their second factor changed (``what`` says how)."""
    notify_person(
        user,
        "mfa_changed",
        "Tvåstegsverifieringen för ditt konto i casetrack är ändrad",
        f"{what} " + NOT_YOU,
    )
