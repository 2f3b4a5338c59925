"""Information the public adds on "Följ ditt ärende" reopens the question for the
handlers: an e-mail notice without its content, and "Markera som läst" on Mina ärenden.

The notice carries the diarienummer, the unit and a link, never what was written (OSL
26 kap.; the same rule as every e-mail, casetrack/domain/messages.py). Whether the
information is still unread is read from the audit trail (queries/start_pages.py): it is
unread until a handler marks it as read or reopens the case.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.models import Case, User, utcnow
from casetrack.queries.start_pages import (
    INFORMATION_READ,
    has_unread_information,
    notice_recipients,
)
from casetrack.services.handling import require_handler
from casetrack.services.mail import queue_mail

NOTICE_SUBJECT = "Ny information i ärende {reference}"
NOTICE_BODY = """Hej {name}!

Den som lämnade ärendet {reference} ({unit}) har lagt till information via e-tjänsten.
Läs den i casetrack och markera den som läst under Mina ärenden:

{link}

Det här mejlet går inte att svara på.
"""


def queue_notice(case: Case, *, actor_label: str, now: datetime) -> list[User]:
    """E-mail the case's handler (or its unit's enhetschefer) that new information has
    come, without the information itself. Audited with who was told."""
    people = notice_recipients(case)
    link = current_app.config["CASETRACK"]["BASE_URL"].rstrip("/") + f"/arenden/{case.id}"
    for person in people:
        queue_mail(
            person.email,
            NOTICE_SUBJECT.format(reference=case.reference),
            NOTICE_BODY.format(
                name=person.name, reference=case.reference, unit=case.org_unit.name, link=link
            ),
            purpose="new_information",
            case=case,
        )
    audit.record(
        "case.information_notice",
        entity_type="case",
        entity_id=case.id,
        case=case,
        actor=None,
        actor_label=actor_label,
        after={"recipients": [person.id for person in people]},
        occurred_at=now,
    )
    return people


def mark_read(actor: User, case: Case, *, now: datetime | None = None) -> None:
    """A handler has read what the public added: the row leaves Mina ärenden. Audited."""
    now = now or utcnow()
    require_handler(actor, case)
    if not has_unread_information(case):
        raise DomainError("Det finns ingen oläst information i ärendet.")
    audit.record(
        INFORMATION_READ,
        entity_type="case",
        entity_id=case.id,
        case=case,
        actor=actor,
        occurred_at=now,
    )
