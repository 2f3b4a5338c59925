"""Utredning of a case: what happened, causes, assessment, conclusion (DESIGN §4 step 3).

Recorded by those who may record escalation steps (handler, manager, SAS, MAS) on the
case's unit. Audited without the free text; never commits.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from casetrack import audit
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.extensions import db
from casetrack.models import Case, Investigation, InvestigationCause, User, utcnow
from casetrack.services.checks import check_date, check_version, clean_text, touch
from casetrack.services.escalation import may_record

MAX_TEXT = 20_000
TEXT_FIELDS = ("what_happened", "assessment", "conclusion")


def investigation_of(case: Case) -> Investigation | None:
    return db.session.scalar(sa.select(Investigation).where(Investigation.case_id == case.id))


def _check(actor: User, case: Case, expected_version: int | None) -> None:
    if not may_record(actor, case):
        raise NotPermitted("Du kan inte utreda det här ärendet.")
    check_version(case, expected_version)


def save_investigation(
    actor: User,
    case: Case,
    *,
    started_on: date | None,
    what_happened: str | None,
    assessment: str | None,
    conclusion: str | None,
    completed_on: date | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Investigation:
    """Create or update the utredning. Completing it needs a conclusion. Audited."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    texts = {}
    for name, value in (
        ("what_happened", what_happened),
        ("assessment", assessment),
        ("conclusion", conclusion),
    ):
        texts[name] = clean_text(value, name, max_length=MAX_TEXT)
    for name, value in (("started_on", started_on), ("completed_on", completed_on)):
        if value is not None:
            check_date(value, name, now, case.received_on)
    if completed_on is not None:
        if started_on is None:
            raise DomainError("Ange när utredningen påbörjades.", "started_on")
        if completed_on < started_on:
            raise DomainError("Utredningen kan inte avslutas före den påbörjades.", "completed_on")
        if not texts["conclusion"]:
            raise DomainError("Skriv en slutsats innan utredningen avslutas.", "conclusion")
    investigation = investigation_of(case)
    created = investigation is None
    if created:
        investigation = Investigation(case=case)
        db.session.add(investigation)

    def snapshot() -> dict:
        values = {
            "started_on": investigation.started_on,
            "completed_on": investigation.completed_on,
        }
        for name in TEXT_FIELDS:
            values[name] = "(text)" if getattr(investigation, name) else None
        return values

    before = snapshot() if not created else {}
    changed_text = [name for name in TEXT_FIELDS if getattr(investigation, name) != texts[name]]
    investigation.started_on = started_on
    investigation.completed_on = completed_on
    for name, value in texts.items():
        setattr(investigation, name, value)
    touch(investigation, actor, now)
    touch(case, actor, now)
    db.session.flush()
    old, new = audit.diff(before, snapshot())
    for name in changed_text:  # "(text)" → "(text)" is still a change worth recording
        old.setdefault(name, before.get(name))
        new.setdefault(name, "(text)" if texts[name] else None)
    if new or created:
        audit.record(
            "investigation.created" if created else "investigation.updated",
            entity_type="investigation",
            entity_id=investigation.id,
            case=case,
            actor=actor,
            before=old or None,
            after=new,
            occurred_at=now,
        )
    return investigation


def investigation_for(actor: User, case: Case, now: datetime) -> Investigation:
    """The case's utredning, created (empty) when there is none yet."""
    investigation = investigation_of(case)
    if investigation is None:
        investigation = Investigation(case=case, updated_at=now, updated_by_id=actor.id)
        db.session.add(investigation)
    return investigation


def record_cause(
    actor: User, case: Case, description: str, area: str | None, now: datetime
) -> InvestigationCause:
    """Add a checked cause (and its cause area, if any) to the utredning; audited without
    the text. The callers check permission and input: the case page's "Lägg till orsak"
    (no area) and the händelseanalys (an area required)."""
    investigation = investigation_for(actor, case, now)
    cause = InvestigationCause(
        investigation=investigation,
        description=description,
        area=area,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(cause)
    touch(investigation, actor, now)
    touch(case, actor, now)
    db.session.flush()
    audit.record(
        "cause.added",
        entity_type="investigation_cause",
        entity_id=cause.id,
        case=case,
        actor=actor,
        after={"description": "(text)", **({"area": area} if area else {})},
        occurred_at=now,
    )
    return cause


def add_cause(
    actor: User,
    case: Case,
    description: str,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> InvestigationCause:
    """Add a contributing cause to the utredning (created if there is none). Audited."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    description = clean_text(
        description, "description", max_length=MAX_TEXT, required="Beskriv orsaken."
    )
    return record_cause(actor, case, description, None, now)


def causes_of(case: Case) -> list[InvestigationCause]:
    investigation = investigation_of(case)
    return list(investigation.causes) if investigation else []
