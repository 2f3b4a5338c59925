"""The lex Sarah and lex Maria tracks (DESIGN §4 step 6, issue #4).

A track is started from a case (or with a new avvikelse, ``start_lex_sarah_report``) and
then records its steps, each with a date, the person who recorded it and a text. The order
is checked by ``casetrack.domain.escalation.refusal``; the ställningstagande and the anmälan
to IVO need the track's decide permission (lex Sarah: manager, SAS; lex Maria: MAS).
Every change is audited and bumps the case version; nothing commits here.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from casetrack import audit
from casetrack.access import unit_ids_for
from casetrack.domain import escalation as rules
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.domain.roles import Permission, roles_with
from casetrack.extensions import db
from casetrack.models import (
    Case,
    Escalation,
    EscalationStep,
    OrgUnit,
    RoleAssignment,
    User,
    utcnow,
)
from casetrack.services import cases as case_service
from casetrack.services.checks import check_date, check_version, clean_text, touch

MAX_TEXT = 20_000
DECIDE_PERMISSION = {
    rules.LEX_SARAH: Permission.LEX_SARAH_DECIDE,
    rules.LEX_MARIA: Permission.LEX_MARIA_DECIDE,
}


def may_record(user: User, case: Case) -> bool:
    """True when ``user`` may start a track and record its ordinary steps on ``case``."""
    return case.org_unit_id in unit_ids_for(user, Permission.ESCALATION_RECORD)


def may_decide(user: User, case: Case, track: str) -> bool:
    """True when ``user`` may record the ställningstagande and the anmälan of ``track``."""
    return case.org_unit_id in unit_ids_for(user, DECIDE_PERMISSION[track])


def _check(actor: User, case: Case, expected_version: int | None) -> None:
    if not may_record(actor, case):
        raise NotPermitted("Du kan inte registrera lex Sarah eller lex Maria för ärendet.")
    check_version(case, expected_version)


def _check_date(value: date | None, field: str, now: datetime, earliest: date | None) -> None:
    check_date(value, field, now, earliest, too_early="Datumet kan inte vara före {earliest}.")


def _add_step(
    actor: User, track: Escalation, code: str, occurred_on: date, text: str | None, now
) -> EscalationStep:
    step = EscalationStep(
        escalation=track,
        step=code,
        occurred_on=occurred_on,
        text=text,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(step)
    db.session.flush()
    audit.record(
        "escalation.step_recorded",
        entity_type="escalation",
        entity_id=track.id,
        case=track.case,
        actor=actor,
        # The text itself stays in the step; the trail records that it was written.
        after={
            "track": track.track,
            "step": code,
            "occurred_on": occurred_on,
            "text": "(text)" if text else None,
        },
        occurred_at=now,
    )
    return step


def _earliest(track: Escalation, code: str) -> date:
    """A step may not be dated before the rapport, nor before the steps it requires."""
    earliest = track.reported_on
    kind = rules.STEPS[track.track][code]
    for alternatives in kind.requires:
        dates = [s.occurred_on for s in track.steps if s.step in alternatives]
        if dates:
            earliest = max(earliest, min(dates))
    return earliest


def start_track(
    actor: User,
    case: Case,
    *,
    track: str,
    reported_on: date,
    reporter_name: str,
    text: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Escalation:
    """Start a lex Sarah or lex Maria track on ``case`` with its first step, the rapport.

    A named rapportör is required: a lex Sarah-rapport (or lex Maria report) cannot be
    anonymous. A case has at most one track of each kind. Audited.
    """
    now = now or utcnow()
    _check(actor, case, expected_version)
    if track not in rules.TRACKS:
        raise DomainError("Välj lex Sarah eller lex Maria.", "track")
    if any(existing.track == track for existing in tracks_of(case)):
        raise DomainError(f"Ärendet har redan en {rules.TRACK_LABELS[track]}-utredning.", "track")
    reporter_name = clean_text(
        reporter_name,
        "reporter_name",
        max_length=200,
        required=(
            "Ange vem som rapporterade. En lex Sarah-rapport kan inte vara anonym."
            if track == rules.LEX_SARAH
            else "Ange vem som rapporterade händelsen."
        ),
    )
    if reporter_name.casefold() in {"anonym", "anonymt", "okänd", "vet ej"}:
        raise DomainError(
            "Rapportören måste anges med namn. En rapport kan inte vara anonym.",
            "reporter_name",
        )
    _check_date(reported_on, "reported_on", now, None)
    text = clean_text(text, "text", max_length=MAX_TEXT, required="Beskriv vad rapporten gäller.")
    escalation = Escalation(
        case=case,
        track=track,
        reported_on=reported_on,
        reporter_name=reporter_name,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(escalation)
    touch(case, actor, now)
    db.session.flush()
    audit.record(
        "escalation.started",
        entity_type="escalation",
        entity_id=escalation.id,
        case=case,
        actor=actor,
        after={"track": track, "reported_on": reported_on, "reporter_name": "(text)"},
        occurred_at=now,
    )
    _add_step(actor, escalation, rules.REPORTED, reported_on, text, now)
    return escalation


def start_lex_sarah_report(
    actor: User,
    *,
    org_unit_id: int,
    reported_on: date,
    reporter_name: str,
    description: str,
    occurred_on: date | None = None,
    person_concerned: str | None = None,
    now: datetime | None = None,
) -> Case:
    """ "Ny lex Sarah-rapport": an avvikelse from medarbetare, with its lex Sarah track.

    The rapportör is named (never anonymous) and recorded both as the case's submitter and
    as the track's rapportör. Both the case and the track are audited.
    """
    now = now or utcnow()
    if not (reporter_name or "").strip():
        raise DomainError(
            "Ange vem som rapporterade. En lex Sarah-rapport kan inte vara anonym.",
            "reporter_name",
        )
    if org_unit_id not in unit_ids_for(actor, Permission.ESCALATION_RECORD):
        raise NotPermitted("Du kan inte registrera lex Sarah för den enheten.", "org_unit_id")
    # Registered with the escalation permission: SAS reaches units where it registers no
    # other cases.
    case = case_service.register_case(
        actor,
        case_service.NewCase(
            kind_code="deviation",
            org_unit_id=org_unit_id,
            received_on=reported_on,
            description=description,
            title="Lex Sarah-rapport",
            source_code="medarbetare",
            is_anonymous=False,
            wants_feedback=True,
            submitter_name=reporter_name,
            occurred_on=occurred_on,
            person_concerned=person_concerned,
        ),
        permission=Permission.ESCALATION_RECORD,
        now=now,
    )
    start_track(
        actor,
        case,
        track=rules.LEX_SARAH,
        reported_on=reported_on,
        reporter_name=reporter_name,
        text=description,
        now=now,
    )
    return case


def tracks_of(case: Case) -> list[Escalation]:
    return list(
        db.session.scalars(
            sa.select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id)
        )
    )


def _refuse(track: Escalation, code: str, field: str | None = "step") -> None:
    reason = rules.refusal(track.track, code, [s.step for s in track.steps], track.is_serious)
    if reason:
        raise DomainError(reason, field)


def record_step(
    actor: User,
    track: Escalation,
    *,
    step: str,
    occurred_on: date,
    text: str | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> EscalationStep:
    """Record an ordinary step (dokumenterad, utredning påbörjad, händelseanalys,
    åtgärder, utredning avslutad, den enskilde / patienten informerad). Audited."""
    now = now or utcnow()
    case = track.case
    _check(actor, case, expected_version)
    if step not in rules.PLAIN_STEPS or step not in rules.STEPS[track.track]:
        raise DomainError("Välj ett steg i listan.", "step")
    _refuse(track, step)
    _check_date(occurred_on, "occurred_on", now, _earliest(track, step))
    kind = rules.STEPS[track.track][step]
    text = clean_text(
        text,
        "text",
        max_length=MAX_TEXT,
        required="Skriv en text om steget." if kind.text_required else None,
    )
    if step == rules.COMPLETED:
        track.completed_on = occurred_on
    touch(case, actor, now)
    return _add_step(actor, track, step, occurred_on, text, now)


def record_decision(
    actor: User,
    track: Escalation,
    *,
    decided_on: date,
    assessment: str | None,
    text: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> EscalationStep:
    """Record the ställningstagande on the regulations' scale (``rules.ASSESSMENTS``).

    Only the track's deciders (lex Sarah: manager, SAS; lex Maria: MAS). The two serious
    levels make the anmälan to IVO required before the utredning can be closed. Audited
    with the level (the motivation stays in the step).
    """
    now = now or utcnow()
    case = track.case
    _check(actor, case, expected_version)
    if not may_decide(actor, case, track.track):
        raise NotPermitted("Du kan inte registrera ställningstagandet.")
    _refuse(track, rules.DECISION, None)
    _check_date(decided_on, "decided_on", now, _earliest(track, rules.DECISION))
    if assessment not in dict(rules.ASSESSMENTS[track.track]):
        raise DomainError("Välj ställningstagandet.", "assessment")
    text = clean_text(text, "text", max_length=MAX_TEXT, required="Motivera ställningstagandet.")
    track.assessment = assessment
    track.is_confirmed, track.is_risk, track.is_serious = rules.ASSESSMENT_ANSWERS[assessment]
    touch(case, actor, now)
    step = _add_step(actor, track, rules.DECISION, decided_on, text, now)
    audit.record(
        "escalation.decided",
        entity_type="escalation",
        entity_id=track.id,
        case=case,
        actor=actor,
        after={
            "track": track.track,
            "level": assessment,
            "ivo_required": assessment in rules.SERIOUS_ASSESSMENTS,
        },
        occurred_at=now,
    )
    return step


def record_ivo_report(
    actor: User,
    track: Escalation,
    *,
    reported_on: date,
    ivo_reference: str,
    reported_by: User,
    text: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> EscalationStep:
    """Record that the anmälan was sent to IVO (casetrack does not send it): date, IVO's
    diarienummer and who sent it. Needs a ställningstagande that says allvarligt."""
    now = now or utcnow()
    case = track.case
    _check(actor, case, expected_version)
    if not may_decide(actor, case, track.track):
        raise NotPermitted("Du kan inte registrera anmälan till IVO.")
    _refuse(track, rules.IVO_REPORT, None)
    _check_date(reported_on, "reported_on", now, _earliest(track, rules.IVO_REPORT))
    ivo_reference = clean_text(
        ivo_reference, "ivo_reference", max_length=60, required="Ange IVO:s diarienummer."
    )
    if reported_by is None or not may_decide(reported_by, case, track.track):
        raise DomainError("Välj vem som gjorde anmälan.", "reported_by_id")
    text = clean_text(text, "text", max_length=MAX_TEXT)
    track.ivo_reported_on = reported_on
    track.ivo_reference = ivo_reference
    track.ivo_reported_by_id = reported_by.id
    touch(case, actor, now)
    step = _add_step(actor, track, rules.IVO_REPORT, reported_on, text, now)
    audit.record(
        "escalation.ivo_reported",
        entity_type="escalation",
        entity_id=track.id,
        case=case,
        actor=actor,
        after={
            "ivo_reported_on": reported_on,
            "ivo_reference": ivo_reference,
            "ivo_reported_by_id": reported_by.id,
        },
        occurred_at=now,
    )
    return step


def record_no_ivo_report(
    actor: User,
    track: Escalation,
    *,
    decided_on: date,
    reason: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> EscalationStep:
    """Record that no anmälan is made to IVO, and why. Deciders only. Audited."""
    now = now or utcnow()
    case = track.case
    _check(actor, case, expected_version)
    if not may_decide(actor, case, track.track):
        raise NotPermitted("Du kan inte registrera beslut om anmälan till IVO.")
    _refuse(track, rules.NO_IVO_REPORT, None)
    _check_date(decided_on, "decided_on", now, _earliest(track, rules.NO_IVO_REPORT))
    reason = clean_text(
        reason, "reason", max_length=MAX_TEXT, required="Ange skälet till att ingen anmälan görs."
    )
    track.no_ivo_report_reason = reason
    touch(case, actor, now)
    return _add_step(actor, track, rules.NO_IVO_REPORT, decided_on, reason, now)


def deciders_for(case: Case, track: str) -> list[User]:
    """Active users who may decide ``track`` for ``case`` (the "who sent it" choices)."""
    unit_ids = []
    unit = db.session.get(OrgUnit, case.org_unit_id)
    while unit is not None:
        unit_ids.append(unit.id)
        unit = db.session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    roles = [role.value for role in roles_with(DECIDE_PERMISSION[track])]
    return list(
        db.session.scalars(
            sa.select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.org_unit_id.in_(unit_ids),
                RoleAssignment.role.in_(roles),
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.name)
        )
    )
