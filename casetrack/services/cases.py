"""Registering cases (DESIGN §4 step 1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from casetrack import audit
from casetrack.access import unit_ids_for
from casetrack.domain.codes import INITIAL_STATUS, OTHER_CATEGORY
from casetrack.domain.dates import EARLIEST_CASE_DATE, local_date
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Case, Category, OrgUnit, User, utcnow
from casetrack.queries import lookups
from casetrack.services.case_numbers import next_reference, prefix_for_unit
from casetrack.services.checks import check_date, clean_text
from casetrack.services.search import add_search_document

MAX_TITLE = 200
MAX_TEXT = 20_000
BEFORE_2000 = "Datumet kan inte vara före år 2000."
TITLE_FROM_DESCRIPTION = 80

# Free text and personal data are not copied into the audit trail: the trail records that
# they changed, so that retention can anonymise a case without rewriting its history.
REDACTED = "(text)"
_REDACTED_FIELDS = frozenset(
    {
        "title",
        "description",
        "category_other_note",
        "submitter_name",
        "submitter_email",
        "submitter_phone",
        "person_concerned",
        "immediate_action",
    }
)
_SNAPSHOT_FIELDS = (
    "reference",
    "kind_code",
    "org_unit_id",
    "received_on",
    "channel_code",
    "source_code",
    "status_code",
    "assigned_handler_id",
    "is_anonymous",
    "wants_feedback",
    "occurred_on",
    "acknowledged_on",
    "no_feedback_reason",
    *sorted(_REDACTED_FIELDS),
)


def case_snapshot(case: Case) -> dict[str, Any]:
    """The audited view of a case: structured values, and markers for free text."""
    values: dict[str, Any] = {}
    for name in _SNAPSHOT_FIELDS:
        value = getattr(case, name)
        if name in _REDACTED_FIELDS and value:
            value = REDACTED
        values[name] = value
    values["categories"] = sorted(category.code for category in case.categories)
    return values


@dataclass
class NewCase:
    """What is needed to register a case; optional fields can be completed later."""

    kind_code: str
    org_unit_id: int
    received_on: date
    description: str
    title: str | None = None
    channel_code: str | None = None
    source_code: str | None = None
    category_codes: list[str] = field(default_factory=list)
    category_other_note: str | None = None
    is_anonymous: bool = False
    wants_feedback: bool = True
    submitter_name: str | None = None
    submitter_email: str | None = None
    submitter_phone: str | None = None
    person_concerned: str | None = None
    occurred_on: date | None = None
    immediate_action: str | None = None


def _checked_codes(data: NewCase) -> list[Category]:
    """Check the reference codes of ``data``; return its categories.

    A new case takes only codes in use (the form offers no others, and a code taken out
    of use is refused as if unknown). The active codes come from ``lookups``, which the
    form has already read in this request. Raises ``DomainError`` at the first code at
    fault, in the order of the form's fields.
    """
    checks = (
        ("kind", data.kind_code, "kind_code", "Välj en ärendetyp i listan."),
        ("channel", data.channel_code, "channel_code", "Välj en kanal i listan."),
        ("source", data.source_code, "source_code", "Välj från vem ärendet kom."),
    )
    for table, code, name, message in checks:
        if code is not None and code not in dict(lookups.options(table)):
            raise DomainError(message, name)
    codes = list(dict.fromkeys(data.category_codes))
    if not codes:
        return []
    by_code = {
        category.code: category
        for category in db.session.scalars(sa.select(Category).where(Category.code.in_(codes)))
    }
    active = dict(lookups.options("category"))
    if any(code not in by_code or code not in active for code in codes):
        raise DomainError("Välj kategorier i listan.", "category_codes")
    return [by_code[code] for code in codes]


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text or None


def register_case(
    actor: User | None,
    data: NewCase,
    *,
    permission: Permission = Permission.CASE_REGISTER,
    actor_label: str | None = None,
    receipt_code_hash: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Register a case and audit it; returns the flushed case with its reference.

    ``actor`` must hold ``permission`` on the unit (None for the public e-tjänst, which
    passes ``actor_label``). Raises ``DomainError`` naming the field at fault.
    """
    now = now or utcnow()
    unit = db.session.get(OrgUnit, data.org_unit_id) if data.org_unit_id is not None else None
    if unit is None or not unit.active:
        raise DomainError("Välj en enhet som finns i listan.", "org_unit_id")
    if actor is not None and unit.id not in unit_ids_for(actor, permission):
        raise NotPermitted("Du kan inte registrera ärenden för den enheten.", "org_unit_id")
    categories = _checked_codes(data)
    check_date(data.received_on, "received_on", now, EARLIEST_CASE_DATE, too_early=BEFORE_2000)
    if data.occurred_on is not None:
        check_date(data.occurred_on, "occurred_on", now, EARLIEST_CASE_DATE, too_early=BEFORE_2000)
    immediate_action = clean_text(
        data.immediate_action,
        "immediate_action",
        max_length=MAX_TEXT,
        too_long=f"Texten får vara högst {MAX_TEXT} tecken.",
    )
    description = clean_text(
        data.description,
        "description",
        max_length=MAX_TEXT,
        required="Beskriv vad ärendet gäller.",
        too_long=f"Beskrivningen får vara högst {MAX_TEXT} tecken.",
    )
    title = clean_text(
        data.title,
        "title",
        max_length=MAX_TITLE,
        too_long=f"Rubriken får vara högst {MAX_TITLE} tecken.",
    ) or _title_from(description)
    other_note = _clean(data.category_other_note)
    if other_note and OTHER_CATEGORY not in {c.code for c in categories}:
        other_note = None

    case = Case(
        reference=next_reference(prefix_for_unit(unit), local_date(now).year),
        kind_code=data.kind_code,
        org_unit_id=unit.id,
        received_on=data.received_on,
        channel_code=data.channel_code,
        source_code=data.source_code,
        category_other_note=other_note,
        title=title,
        description=description,
        is_anonymous=data.is_anonymous,
        # An anonymous person can still read återkoppling with a receipt code.
        wants_feedback=data.wants_feedback
        and (not data.is_anonymous or receipt_code_hash is not None),
        submitter_name=None if data.is_anonymous else _clean(data.submitter_name),
        submitter_email=None if data.is_anonymous else _clean(data.submitter_email),
        submitter_phone=None if data.is_anonymous else _clean(data.submitter_phone),
        person_concerned=_clean(data.person_concerned),
        occurred_on=data.occurred_on,
        immediate_action=immediate_action,
        receipt_code_hash=receipt_code_hash,
        status_code=INITIAL_STATUS,
        created_at=now,
        updated_at=now,
        created_by_id=actor.id if actor else None,
        updated_by_id=actor.id if actor else None,
    )
    case.categories = categories
    db.session.add(case)
    db.session.flush()
    add_search_document(case)
    audit.record(
        "case.registered",
        entity_type="case",
        entity_id=case.id,
        case=case,
        actor=actor,
        actor_label=actor_label,
        after=case_snapshot(case),
        occurred_at=now,
    )
    return case


def _title_from(description: str) -> str:
    first_line = description.splitlines()[0].strip()
    if len(first_line) <= TITLE_FROM_DESCRIPTION:
        return first_line
    return first_line[: TITLE_FROM_DESCRIPTION - 1].rstrip() + "…"


def units_for_registration(actor: User, permission: Permission) -> list[OrgUnit]:
    """Active units where ``actor`` may register cases, in tree order by name."""
    ids = unit_ids_for(actor, permission)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(OrgUnit)
            .where(OrgUnit.id.in_(sorted(ids)), OrgUnit.active.is_(True))
            .order_by(OrgUnit.name)
        )
    )
