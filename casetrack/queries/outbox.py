"""Utkorg, the administrator's view of the outbox: what is waiting or failed, never what it says.

Administrators have no right to case content (SECURITY.md K3-22/23). A subject names the
case and, before issue 16, could carry the återkoppling text; the address of a member of
the public is personal data the admin does not need. So the page reads neither: it shows
which message it is (the template's name), when, how many attempts, the last error with
any e-mail address masked, and who it is for only when that is a member of staff (their
name, which the admin already sees on the user pages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from casetrack.domain.codes import PURPOSE_NAMES
from casetrack.extensions import db
from casetrack.models import MessageTemplate, OutboxMessage, User

# Who a message is for when the address belongs to an account (any role: staff, managers
# and administrators alike), by the name the admin already sees on the user pages.
STAFF_RECIPIENT = "Konto i casetrack: {name}"
PUBLIC_RECIPIENT = "Privatperson eller extern adress (visas inte)"
_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    created_at: datetime
    message: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


def mask_addresses(text: str | None) -> str | None:
    """``text`` with every e-mail address replaced (SMTP errors quote the recipient)."""
    return _ADDRESS.sub("[adress]", text) if text else text


def waiting_and_failed(limit: int = 200) -> list[OutboxRow]:
    """Pending and failed messages, failed first, newest first; no subject, body or
    address is read."""
    staff = sa.orm.aliased(User)
    rows = db.session.execute(
        sa.select(
            OutboxMessage.id,
            OutboxMessage.created_at,
            OutboxMessage.purpose,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.next_attempt_at,
            OutboxMessage.last_error,
            MessageTemplate.name.label("template_name"),
            staff.name.label("staff_name"),
        )
        .outerjoin(MessageTemplate, MessageTemplate.code == OutboxMessage.purpose)
        .outerjoin(staff, sa.func.lower(staff.email) == sa.func.lower(OutboxMessage.to_address))
        .where(OutboxMessage.status.in_(["pending", "failed"]))
        .order_by(
            sa.case((OutboxMessage.status == "failed", 0), else_=1),
            OutboxMessage.created_at.desc(),
            OutboxMessage.id.desc(),
        )
        .limit(limit)
    ).all()
    return [
        OutboxRow(
            id=row.id,
            created_at=row.created_at,
            message=row.template_name or PURPOSE_NAMES.get(row.purpose, row.purpose),
            recipient=(
                STAFF_RECIPIENT.format(name=row.staff_name) if row.staff_name else PUBLIC_RECIPIENT
            ),
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            last_error=mask_addresses(row.last_error),
        )
        for row in rows
    ]
