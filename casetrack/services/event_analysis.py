"""Händelseanalys of an avvikelse (issue 19): the händelseförlopp, the cause areas, who
took part and when the result was reported back.

Recorded by those who may record the utredning (services.escalation.may_record) on the
case's unit; the analysis is part of the case's utredning (created when the first part is
recorded). Every write is audited without its free text; nothing here commits.
"""

from __future__ import annotations

from datetime import date, datetime, time

from casetrack import audit
from casetrack.domain.dates import local_date, local_datetime
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.domain.event_analysis import CAUSE_AREA_BY_CODE
from casetrack.extensions import db
from casetrack.models import (
    Case,
    Investigation,
    InvestigationCause,
    InvestigationEvent,
    InvestigationParticipant,
    User,
    utcnow,
)
from casetrack.services.checks import check_date, check_version, clean_text, touch
from casetrack.services.escalation import may_record
from casetrack.services.investigation import (
    MAX_TEXT,
    investigation_for,
    investigation_of,
    record_cause,
)

MAX_NAME = 200
FUTURE_TIME = "Klockslaget har inte varit än."
NO_AREA_CHOSEN = "Välj ett orsaksområde."


def _check(actor: User, case: Case, expected_version: int | None) -> None:
    if not may_record(actor, case):
        raise NotPermitted("Du kan inte utreda det här ärendet.")
    check_version(case, expected_version)


def _changed(actor: User, case: Case, investigation: Investigation, now: datetime) -> None:
    touch(investigation, actor, now)
    touch(case, actor, now)
    db.session.flush()


def _event_values(
    occurred_on: date | None, occurred_time: time | None, description: str | None, now: datetime
) -> tuple[date, time | None, str]:
    check_date(occurred_on, "occurred_on", now)
    # Today: the time must have been (in Swedish time).
    if (
        occurred_time is not None
        and occurred_on == local_date(now)
        and occurred_time > local_datetime(now).time().replace(tzinfo=None)
    ):
        raise DomainError(FUTURE_TIME, "occurred_time")
    text = clean_text(
        description, "description", max_length=MAX_TEXT, required="Beskriv vad som hände."
    )
    return occurred_on, occurred_time, text


def _event_snapshot(event: InvestigationEvent) -> dict:
    return {
        "occurred_on": event.occurred_on.isoformat(),
        "occurred_time": event.occurred_time.strftime("%H:%M") if event.occurred_time else None,
        "description": "(text)",
    }


def _event_of(case: Case, event_id: int) -> InvestigationEvent:
    event = db.session.get(InvestigationEvent, event_id)
    investigation = investigation_of(case)
    if event is None or investigation is None or event.investigation_id != investigation.id:
        raise DomainError("Händelsen finns inte i den här analysen.")
    return event


def add_event(
    actor: User,
    case: Case,
    *,
    occurred_on: date | None,
    occurred_time: time | None,
    description: str | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> InvestigationEvent:
    """Add an entry to the händelseförlopp. Audited (date and time, not the text)."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    occurred_on, occurred_time, text = _event_values(occurred_on, occurred_time, description, now)
    investigation = investigation_for(actor, case, now)
    event = InvestigationEvent(
        investigation=investigation,
        occurred_on=occurred_on,
        occurred_time=occurred_time,
        description=text,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(event)
    _changed(actor, case, investigation, now)
    audit.record(
        "analysis.event_added",
        entity_type="investigation_event",
        entity_id=event.id,
        case=case,
        actor=actor,
        after=_event_snapshot(event),
        occurred_at=now,
    )
    return event


def update_event(
    actor: User,
    case: Case,
    event_id: int,
    *,
    occurred_on: date | None,
    occurred_time: time | None,
    description: str | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> InvestigationEvent:
    """Correct an entry of the händelseförlopp. Audited with before and after."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    event = _event_of(case, event_id)
    occurred_on, occurred_time, text = _event_values(occurred_on, occurred_time, description, now)
    before = _event_snapshot(event)
    text_changed = event.description != text
    event.occurred_on, event.occurred_time, event.description = occurred_on, occurred_time, text
    old, new = audit.diff(before, _event_snapshot(event))
    if text_changed:
        old["description"], new["description"] = "(text)", "(text)"
    if not new:
        return event
    _changed(actor, case, event.investigation, now)
    audit.record(
        "analysis.event_updated",
        entity_type="investigation_event",
        entity_id=event.id,
        case=case,
        actor=actor,
        before=old,
        after=new,
        occurred_at=now,
    )
    return event


def remove_event(
    actor: User,
    case: Case,
    event_id: int,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Remove an entry from the händelseförlopp. Audited."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    event = _event_of(case, event_id)
    investigation = event.investigation
    before = _event_snapshot(event)
    investigation.events.remove(event)
    _changed(actor, case, investigation, now)
    audit.record(
        "analysis.event_removed",
        entity_type="investigation_event",
        entity_id=event_id,
        case=case,
        actor=actor,
        before=before,
        occurred_at=now,
    )


def _area(code: str | None) -> str:
    if not code or code not in CAUSE_AREA_BY_CODE:
        raise DomainError(NO_AREA_CHOSEN, "area")
    return code


def add_cause(
    actor: User,
    case: Case,
    *,
    description: str | None,
    area: str | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> InvestigationCause:
    """Add a cause with its cause area (both required here). Audited."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    text = clean_text(description, "description", max_length=MAX_TEXT, required="Beskriv orsaken.")
    return record_cause(actor, case, text, _area(area), now)


def set_cause_area(
    actor: User,
    case: Case,
    cause_id: int,
    area: str | None,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> InvestigationCause:
    """Set (or correct) the cause area of a cause of this case's utredning. Audited."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    area = _area(area)
    cause = db.session.get(InvestigationCause, cause_id)
    investigation = investigation_of(case)
    if cause is None or investigation is None or cause.investigation_id != investigation.id:
        raise DomainError("Orsaken finns inte i den här utredningen.")
    if cause.area == area:
        return cause
    before = cause.area
    cause.area = area
    _changed(actor, case, investigation, now)
    audit.record(
        "cause.area_set",
        entity_type="investigation_cause",
        entity_id=cause.id,
        case=case,
        actor=actor,
        before={"area": before},
        after={"area": area},
        occurred_at=now,
    )
    return cause


def add_participant(
    actor: User,
    case: Case,
    *,
    name: str | None,
    role: str | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> InvestigationParticipant:
    """Add someone who took part in the analysis (name and function). Audited without
    the name."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    name = clean_text(name, "name", max_length=MAX_NAME, required="Ange namnet.")
    role = clean_text(role, "role", max_length=MAX_NAME, required="Ange funktion eller yrkesroll.")
    investigation = investigation_for(actor, case, now)
    participant = InvestigationParticipant(
        investigation=investigation, name=name, role=role, created_at=now, created_by_id=actor.id
    )
    db.session.add(participant)
    _changed(actor, case, investigation, now)
    audit.record(
        "analysis.participant_added",
        entity_type="investigation_participant",
        entity_id=participant.id,
        case=case,
        actor=actor,
        after={"name": "(text)", "role": "(text)"},
        occurred_at=now,
    )
    return participant


def remove_participant(
    actor: User,
    case: Case,
    participant_id: int,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Remove a participant. Audited."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    participant = db.session.get(InvestigationParticipant, participant_id)
    investigation = investigation_of(case)
    if (
        participant is None
        or investigation is None
        or participant.investigation_id != investigation.id
    ):
        raise DomainError("Deltagaren finns inte i den här analysen.")
    investigation.participants.remove(participant)
    _changed(actor, case, investigation, now)
    audit.record(
        "analysis.participant_removed",
        entity_type="investigation_participant",
        entity_id=participant_id,
        case=case,
        actor=actor,
        before={"name": "(text)", "role": "(text)"},
        occurred_at=now,
    )


def save_reported_back(
    actor: User,
    case: Case,
    *,
    reported_back_on: date | None,
    reported_back_how: str | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Investigation:
    """Record when (and optionally how) the result was reported back to the staff who
    filed the avvikelse: not in the future, not before the utredning started. Audited."""
    now = now or utcnow()
    _check(actor, case, expected_version)
    investigation = investigation_of(case)
    if investigation is None or investigation.started_on is None:
        raise DomainError(
            "Ange först när utredningen påbörjades (under Utredning på ärendet).",
            "reported_back_on",
        )
    check_date(
        reported_back_on,
        "reported_back_on",
        now,
        investigation.started_on,
        too_early="Återrapporteringen kan inte vara före analysen påbörjades ({earliest}).",
    )
    how = clean_text(reported_back_how, "reported_back_how", max_length=MAX_NAME)
    before = {
        "reported_back_on": investigation.reported_back_on,
        "reported_back_how": "(text)" if investigation.reported_back_how else None,
    }
    how_changed = investigation.reported_back_how != how
    investigation.reported_back_on = reported_back_on
    investigation.reported_back_how = how
    old, new = audit.diff(
        before,
        {"reported_back_on": reported_back_on, "reported_back_how": "(text)" if how else None},
    )
    if how_changed:
        old.setdefault("reported_back_how", before["reported_back_how"])
        new.setdefault("reported_back_how", "(text)" if how else None)
    if not new:
        return investigation
    _changed(actor, case, investigation, now)
    audit.record(
        "analysis.reported_back",
        entity_type="investigation",
        entity_id=investigation.id,
        case=case,
        actor=actor,
        before=old or None,
        after=new,
        occurred_at=now,
    )
    return investigation
