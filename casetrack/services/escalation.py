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
from flask import current_app

from casetrack import audit
from casetrack.access import is_assigned_investigator, unit_ids_for
from casetrack.domain import escalation as rules
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.domain.roles import Permission, Role, roles_with
from casetrack.extensions import db
from casetrack.models import (
    Case,
    Escalation,
    EscalationInvestigator,
    EscalationStep,
    OrgUnit,
    RoleAssignment,
    User,
    utcnow,
)
from casetrack.services import cases as case_service
from casetrack.services.checks import check_date, check_version, clean_text, touch
from casetrack.services.mail import queue_mail
from casetrack.services.messages import compose

MAX_TEXT = 20_000
DECIDE_PERMISSION = {
    rules.LEX_SARAH: Permission.LEX_SARAH_DECIDE,
    rules.LEX_MARIA: Permission.LEX_MARIA_DECIDE,
}


def current_investigator(case: Case) -> EscalationInvestigator | None:
    """The independent lex Sarah-utredare now assigned to ``case``'s lex Sarah track, if
    any (issue 19). While there is one, the utredning is closed to the unit: see
    ``may_read_investigation``."""
    return db.session.scalars(
        sa.select(EscalationInvestigator).where(
            EscalationInvestigator.case_id == case.id,
            EscalationInvestigator.ended_at.is_(None),
        )
    ).first()


def supervises(user: User, case: Case) -> bool:
    """True when ``user`` holds LEX_SARAH_SUPERVISE (SAS) on ``case``'s unit."""
    return case.org_unit_id in unit_ids_for(user, Permission.LEX_SARAH_SUPERVISE)


def may_read_investigation(user: User, case: Case) -> bool:
    """True when ``user`` may read ``case``'s utredning: its texts, causes, the lex steps'
    texts and the attachments. With an independent utredare assigned only that utredare
    and SAS may (the enhetschef and the unit's handlers see that the track exists, its
    dates, its steps' names and who investigates); otherwise the unit's case readers."""
    if current_investigator(case) is not None:
        return is_assigned_investigator(user, case) or supervises(user, case)
    return case.org_unit_id in unit_ids_for(user, Permission.CASE_READ)


def may_record(user: User, case: Case, track: str | None = None) -> bool:
    """True when ``user`` may record the utredning, causes and attachments of ``case``
    (``track`` None) or the ordinary steps of its ``track``; ``may_start`` for a new one.

    While an independent lex Sarah-utredare is assigned, the utredning and the lex Sarah
    steps are recorded by that utredare and SAS only (issue 19)."""
    if track in (None, rules.LEX_SARAH) and current_investigator(case) is not None:
        return is_assigned_investigator(user, case) or supervises(user, case)
    return case.org_unit_id in unit_ids_for(user, Permission.ESCALATION_RECORD)


def may_start(user: User, case: Case) -> bool:
    """True when ``user`` may start a lex Sarah or lex Maria track on ``case``: those who
    record in its unit (an independent utredare reaches only the track they are given)."""
    return case.org_unit_id in unit_ids_for(user, Permission.ESCALATION_RECORD)


def may_decide(user: User, case: Case, track: str) -> bool:
    """True when ``user`` may record the ställningstagande and the anmälan of ``track``.

    With an independent utredare on the lex Sarah track, SAS decides (LEX_SARAH_SUPERVISE):
    the utredare proposes in the utredning, the enhetschef is informed (issue 19)."""
    if track == rules.LEX_SARAH and current_investigator(case) is not None:
        return supervises(user, case)
    return case.org_unit_id in unit_ids_for(user, DECIDE_PERMISSION[track])


def may_assign_investigator(user: User, case: Case, track: Escalation) -> bool:
    """True when ``user`` may name, change or remove the independent utredare of ``track``:
    a lex Sarah track, by those who decide it in the unit (enhetschef, SAS). Once one is
    assigned only SAS may change it: an enhetschef who could remove the utredare could
    read the utredning again."""
    if track.track != rules.LEX_SARAH:
        return False
    if current_investigator(case) is not None:
        return supervises(user, case)
    return case.org_unit_id in unit_ids_for(user, Permission.LEX_SARAH_DECIDE)


def _check(actor: User, case: Case, expected_version: int | None, track: str | None = None) -> None:
    if not may_record(actor, case, track):
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
    if not may_start(actor, case):
        raise NotPermitted("Du kan inte starta lex Sarah eller lex Maria för ärendet.")
    check_version(case, expected_version)
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
    _check(actor, case, expected_version, track.track)
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
    _check(actor, case, expected_version, track.track)
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
    _check(actor, case, expected_version, track.track)
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
    _check(actor, case, expected_version, track.track)
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


def _unit_and_above(case: Case) -> list[int]:
    """``case``'s unit and every unit above it, nearest first."""
    unit_ids = []
    unit = db.session.get(OrgUnit, case.org_unit_id)
    while unit is not None:
        unit_ids.append(unit.id)
        unit = db.session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    return unit_ids


def _holders(unit_ids: list[int], roles: list[str]) -> list[User]:
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


def deciders_for(case: Case, track: str) -> list[User]:
    """Active users who may decide ``track`` for ``case`` (the "who sent it" choices)."""
    permission = DECIDE_PERMISSION[track]
    if track == rules.LEX_SARAH and current_investigator(case) is not None:
        permission = Permission.LEX_SARAH_SUPERVISE
    roles = [role.value for role in roles_with(permission)]
    return _holders(_unit_and_above(case), roles)


def investigator_choices(case: Case) -> list[User]:
    """Active lex Sarah-utredare whose role covers ``case``'s unit: those who may be
    named its independent utredare."""
    roles = [role.value for role in roles_with(Permission.LEX_SARAH_INVESTIGATE)]
    return _holders(_unit_and_above(case), roles)


def _managers_of(case: Case) -> list[User]:
    """The enhetschef(er) of ``case``'s unit: active managers on the nearest unit at or
    above it that has any."""
    for unit_id in _unit_and_above(case):
        managers = _holders([unit_id], [Role.MANAGER.value])
        if managers:
            return managers
    return []


def assign_investigator(
    actor: User,
    track: Escalation,
    investigator: User | None,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> EscalationInvestigator | None:
    """Name (or change) the independent lex Sarah-utredare of ``track``; None removes the
    independent utredare, and the utredning is the unit's again (issue 19).

    The earlier assignment is ended, not deleted: the page lists who investigated when.
    The enhetschef(er) of the case's unit are told by e-mail who investigates (no case
    text, a link). Audited; bumps the case version.
    """
    now = now or utcnow()
    case = track.case
    if not may_assign_investigator(actor, case, track):
        raise NotPermitted("Du kan inte utse utredare för ärendet.")
    check_version(case, expected_version)
    current = current_investigator(case)
    if investigator is None and current is None:
        raise DomainError("Välj en lex Sarah-utredare.", "investigator_id")
    if investigator is not None:
        if investigator.id not in {user.id for user in investigator_choices(case)}:
            raise DomainError(
                "Välj en lex Sarah-utredare vars behörighet omfattar ärendets enhet.",
                "investigator_id",
            )
        if current is not None and current.investigator_id == investigator.id:
            raise DomainError(f"{investigator.name} är redan utredare.", "investigator_id")
    before = {"investigator_id": current.investigator_id if current else None}
    if current is not None:
        current.ended_at = now
        current.ended_by_id = actor.id
        db.session.flush()  # one current row per track (a partial unique index)
    assignment = None
    if investigator is not None:
        assignment = EscalationInvestigator(
            escalation_id=track.id,
            case_id=case.id,
            investigator_id=investigator.id,
            assigned_by_id=actor.id,
            assigned_at=now,
        )
        db.session.add(assignment)
    touch(case, actor, now)
    db.session.flush()
    audit.record(
        "escalation.investigator_assigned"
        if investigator is not None
        else "escalation.investigator_removed",
        entity_type="escalation",
        entity_id=track.id,
        case=case,
        actor=actor,
        before=before,
        after={"investigator_id": investigator.id if investigator else None},
        occurred_at=now,
    )
    if investigator is not None:
        _inform_managers(case, investigator)
    return assignment


def _inform_managers(case: Case, investigator: User) -> None:
    """Tell the enhetschef(er) that an independent utredare does the utredning: the
    reference, the unit, the utredare's name and a link; never case text."""
    link = current_app.config["CASETRACK"]["BASE_URL"].rstrip("/") + f"/arenden/{case.id}"
    for manager in _managers_of(case):
        if not manager.email or manager.id == investigator.id:
            continue
        subject, body = compose(
            "investigator_assigned",
            {
                "diarienummer": case.reference,
                "enhet": case.org_unit.name,
                "mottagare": manager.name,
                "utredare": investigator.name,
                "lank": link,
            },
        )
        queue_mail(manager.email, subject, body, purpose="investigator_assigned", case=case)


def investigator_history(case: Case) -> list[EscalationInvestigator]:
    """Every independent utredare ``case`` has had, oldest first."""
    return list(
        db.session.scalars(
            sa.select(EscalationInvestigator)
            .where(EscalationInvestigator.case_id == case.id)
            .order_by(EscalationInvestigator.assigned_at, EscalationInvestigator.id)
        )
    )
