"""The start page of those who handle cases ("Mina ärenden"): its counts, one row per
thing to do, and the information the public added that no handler has read yet.

Every count is the length of the list its link opens: each is counted with the case
list's own statement (``cases.filtered``) and the filter its link carries, so the two
cannot drift apart. Everything starts from ``case_scope`` (casetrack.access).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from casetrack.access import case_scope, in_units, roles_of, unit_ids_for
from casetrack.domain import escalation as rules
from casetrack.domain.dates import local_date
from casetrack.domain.deadlines import due_date
from casetrack.domain.roles import Permission, Role
from casetrack.domain.workdays import add_working_days, is_working_day
from casetrack.extensions import db
from casetrack.models import (
    Action,
    AuditEntry,
    Case,
    CaseNote,
    Escalation,
    EscalationInvestigator,
    RoleAssignment,
    User,
)
from casetrack.queries import action_plans
from casetrack.queries.cases import CaseFilter, deadline_days, filtered, open_action
from casetrack.queries.escalation import step_deadline_settings, track_step_dues
from casetrack.queries.lookups import open_status_codes

# Audit actions after which the public's information counts as seen by the handlers: a
# handler marked it as read on Mina ärenden, or reopened the (closed) case.
INFORMATION_READ = "case.information_read"
INFORMATION_SEEN_ACTIONS = (INFORMATION_READ, "case.reopened")
NEW_INFORMATION = "Ny information från den som lämnade ärendet"
PLAN_REVIEW = "Åtgärdsplan att godkänna"
PLAN_REWORK = "Arbeta om åtgärdsplanen"
# Who records a track's decision steps (ställningstagande, anmälan to IVO), in the words
# a handler who cannot record them is shown; the permission that records them.
DECIDERS = {rules.LEX_SARAH: "enhetschef eller SAS", rules.LEX_MARIA: "MAS"}
DECIDE_PERMISSION = {
    rules.LEX_SARAH: Permission.LEX_SARAH_DECIDE,
    rules.LEX_MARIA: Permission.LEX_MARIA_DECIDE,
}
# Working days a handler has to follow up an åtgärd's effect once its reminder is due
# (the same as the reminder's "senast" date, casetrack/jobs/reminders.py).
EFFECT_FOLLOWUP_WORKING_DAYS = 10


@dataclass(frozen=True)
class Count:
    """A number on the start page and the case list (GET parameters) that shows them."""

    key: str
    label: str
    total: int
    args: dict


@dataclass(frozen=True)
class Todo:
    """One thing to do on one case: what, and by when (None: no date)."""

    case: Case
    what: str
    when: date | None
    overdue: bool
    # acknowledgement, feedback, action, effect, lex, information, plan_review, plan_rework
    kind: str


@dataclass(frozen=True)
class StartPage:
    counts: list[Count]
    todos: list[Todo]
    # "Försenade" + "Frist snart" of my own and unassigned cases: the header's badge.
    reminder_count: int


def _count(user: User, flt: CaseFilter, today: date) -> int:
    stmt = filtered(user, flt, today).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def _count_definitions(user: User) -> list[tuple[str, str, CaseFilter, dict]]:
    me = str(user.id)
    mine = {"handlaggare": "me_or_none", "mina_enheter": "y"}
    definitions = [
        ("assigned", "Tilldelade mig", CaseFilter(handler=me, status="open"),
         {"handlaggare": me, "status": "open"}),
        ("unassigned", "Ej tilldelade i mina enheter",
         CaseFilter(handler="none", status="open", handled_units=True),
         {"handlaggare": "none", "status": "open", "mina_enheter": "y"}),
        ("overdue", "Försenade (mina och ej tilldelade)",
         CaseFilter(handler="me_or_none", overdue=True, handled_units=True),
         {**mine, "forsenade": "y"}),
        ("due_soon", "Frist snart (mina och ej tilldelade)",
         CaseFilter(handler="me_or_none", due_soon=True, handled_units=True),
         {**mine, "frist_snart": "y"}),
    ]  # fmt: skip
    if Role.MANAGER in roles_of(user):
        # An enhetschef answers for every case of her units, whoever handles it.
        definitions += [
            ("unit_overdue", "Försenade i mina enheter",
             CaseFilter(overdue=True, handled_units=True),
             {"forsenade": "y", "mina_enheter": "y"}),
            ("unit_due_soon", "Frist snart i mina enheter",
             CaseFilter(due_soon=True, handled_units=True),
             {"frist_snart": "y", "mina_enheter": "y"}),
        ]  # fmt: skip
    return definitions


def start_page(user: User, today: date) -> StartPage:
    """Mina ärenden for ``user`` (who handles cases in at least one unit)."""
    counts = [
        Count(key, label, _count(user, flt, today), args)
        for key, label, flt, args in _count_definitions(user)
    ]
    by_key = {count.key: count.total for count in counts}
    return StartPage(counts, todos(user, today), by_key["overdue"] + by_key["due_soon"])


def _working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _effect_followup_due(done_on: date) -> date:
    """The last day to follow up an åtgärd's effect: the reminder's "senast" date."""
    days = int(current_app.config["CASETRACK"]["EFFECT_FOLLOWUP_DAYS"])
    reminded = _working_day_on_or_after(done_on + timedelta(days=days))
    return add_working_days(reminded, EFFECT_FOLLOWUP_WORKING_DAYS)


def todos(user: User, today: date) -> list[Todo]:
    """One row per thing to do on my own and the unassigned cases of the units I handle,
    soonest first; plus one row per case of those units with information from the person
    who raised it that no handler has read yet.

    Closed cases come only with what is still open on them: an åtgärd not done, or one
    whose effect is not yet followed up (or waived), and a lex step still running.

    The decision steps of a lex track (ställningstagande, anmälan to IVO) are shown to
    those who record them: an enhetschef sees them on every lex Sarah track of the units
    she handles, whoever handles the case (unless an independent utredare works on it:
    then SAS decides); a handler who cannot record them sees who does.
    """
    handled = unit_ids_for(user, Permission.CASE_HANDLE)
    if not handled:
        return []
    decide_units = {
        track: unit_ids_for(user, permission) & handled
        for track, permission in DECIDE_PERMISSION.items()
    }
    in_my_units = case_scope(user, Permission.CASE_READ, handled)
    mine_or_free = sa.or_(Case.assigned_handler_id == user.id, Case.assigned_handler_id.is_(None))
    open_codes = open_status_codes()
    # The open cases, and the closed ones still with an open åtgärd or a running lex
    # track, as a union so that each part uses its own index (the status index, the
    # partial index of open åtgärder, the running tracks), as ``any_overdue`` does.
    mine = (in_my_units, mine_or_free)
    candidates = sa.union(
        sa.select(Case.id).where(*mine, Case.status_code.in_(open_codes)),
        sa.select(Action.case_id).join(Case, Case.id == Action.case_id).where(*mine, open_action()),
        sa.select(Escalation.case_id)
        .join(Case, Case.id == Escalation.case_id)
        .where(*mine, Escalation.completed_on.is_(None)),
        *(
            sa.select(Escalation.case_id)
            .join(Case, Case.id == Escalation.case_id)
            .where(
                in_my_units,
                Escalation.track == track,
                Escalation.completed_on.is_(None),
                in_units(Case.org_unit_id, units),
                ~_has_independent_investigator(track),
            )
            for track, units in decide_units.items()
            if units
        ),
    )
    cases = (
        db.session.scalars(
            sa.select(Case)
            .where(Case.id.in_(candidates))
            .options(
                joinedload(Case.org_unit),
                selectinload(Case.actions),
                selectinload(Case.feedback),
            )
        )
        .unique()
        .all()
    )
    tracks: dict[int, list[Escalation]] = {}
    if cases:
        for track in db.session.scalars(
            sa.select(Escalation)
            .where(
                Escalation.case_id.in_([case.id for case in cases]),
                Escalation.completed_on.is_(None),
            )
            .options(selectinload(Escalation.steps))
            .order_by(Escalation.id)
        ):
            tracks.setdefault(track.case_id, []).append(track)
    step_settings = list(step_deadline_settings()) if tracks else []
    rows: list[Todo] = []
    investigated = _independently_investigated([case.id for case in cases]) if tracks else set()
    for case in cases:
        decides = {
            track
            for track, units in decide_units.items()
            if case.org_unit_id in units and (track, case.id) not in investigated
        }
        if case.assigned_handler_id in (None, user.id):
            rows += _case_todos(case, case.status_code in open_codes, tracks.get(case.id, ()),
                                step_settings, today, decides)  # fmt: skip
        else:  # another handler's case: only the decisions that are mine to record
            rows += [
                row
                for row in _case_todos(
                    case, False, tracks.get(case.id, ()), step_settings, today, decides
                )
                if row.kind == "lex_decision"
            ]
    for case, latest in unread_information(user):
        rows.append(Todo(case, NEW_INFORMATION, local_date(latest), False, "information"))
    # Issue 19: åtgärd plans sent back to be reworked (my own and unassigned avvikelser),
    # and the plans that wait for my decision as holder of the approving role.
    returned = action_plans.returned_plans(
        [case.id for case in cases if case.status_code in open_codes]
    )
    for case in cases:
        if case.id in returned:
            when = local_date(returned[case.id].occurred_at)
            rows.append(Todo(case, PLAN_REWORK, when, False, "plan_rework"))
    for case, submitted_at in action_plans.awaiting_review(user):
        rows.append(Todo(case, PLAN_REVIEW, local_date(submitted_at), False, "plan_review"))
    rows.sort(key=lambda row: (row.when is None, row.when or today, row.case.id, row.what))
    return rows


def _has_independent_investigator(track: str) -> sa.ColumnElement[bool]:
    """The lex Sarah track has an independent utredare now (SAS decides it, not the
    unit's enhetschef); never true for lex Maria."""
    if track != rules.LEX_SARAH:
        return sa.false()
    return sa.exists().where(
        EscalationInvestigator.escalation_id == Escalation.id,
        EscalationInvestigator.ended_at.is_(None),
    )


def _independently_investigated(case_ids: list[int]) -> set[tuple[str, int]]:
    """(track, case id) of the tracks of ``case_ids`` with an independent utredare now."""
    if not case_ids:
        return set()
    rows = db.session.execute(
        sa.select(Escalation.track, Escalation.case_id).where(
            Escalation.case_id.in_(case_ids), _has_independent_investigator(rules.LEX_SARAH)
        )
    ).all()
    return {(track, case_id) for track, case_id in rows}


def _case_todos(
    case: Case, is_open: bool, tracks, step_settings, today: date, decides=frozenset()
) -> list[Todo]:
    """The rows of one case; ``decides``: the tracks whose decision steps the user records
    (the others name who records them)."""
    rows = []

    def add(what: str, when: date | None, kind: str) -> None:
        rows.append(Todo(case, what, when, when is not None and when < today, kind))

    has_contact = not case.is_anonymous and (case.submitter_email or case.submitter_phone)
    if is_open and case.kind_code != "deviation" and has_contact and not case.acknowledged_on:
        due = due_date(case.received_on, deadline_days("acknowledgement"))
        add("Skicka mottagningsbekräftelse", due, "acknowledgement")
    if is_open and case.kind_code != "praise" and case.wants_feedback and not case.feedback:
        add("Ge återkoppling", due_date(case.received_on, deadline_days("feedback")), "feedback")
    for action in sorted(case.actions, key=lambda a: a.id):
        if action.done_on is None:
            add(f"Åtgärd: {action.description}", action.due_on, "action")
        elif action.effect_verdict is None and action.effect_waived_reason is None:
            add(f"Följ upp effekten av åtgärden: {action.description}",
                _effect_followup_due(action.done_on), "effect")  # fmt: skip
    for track in tracks:
        label = rules.TRACK_LABELS[track.track]
        for step, due, met in track_step_dues(track, step_settings):
            if met is None and rules.STEPS[track.track][step].decision:
                what = f"{label}: {rules.step_label(track.track, step)}"
                if track.track in decides:
                    add(what, due, "lex_decision")
                else:
                    add(f"{what} (registreras av {DECIDERS[track.track]})", due, "lex")
            elif met is None:
                add(f"{label}: {rules.step_label(track.track, step)}", due, "lex")
    return rows


def _unread_information():
    """Information from the person who raised the case that no handler has seen since."""
    seen = sa.exists().where(
        AuditEntry.case_id == CaseNote.case_id,
        AuditEntry.action.in_(INFORMATION_SEEN_ACTIONS),
        AuditEntry.occurred_at >= CaseNote.created_at,
    )
    return sa.and_(CaseNote.kind == "submitter", ~seen)


def unread_information(user: User) -> list[tuple[Case, datetime]]:
    """The cases of the units ``user`` handles with unread information from the person who
    raised them, and when the latest came."""
    if not unit_ids_for(user, Permission.CASE_HANDLE):
        return []
    latest = (
        sa.select(CaseNote.case_id, sa.func.max(CaseNote.created_at).label("latest"))
        .join(Case, Case.id == CaseNote.case_id)
        .where(case_scope(user, Permission.CASE_HANDLE), _unread_information())
        .group_by(CaseNote.case_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Case, latest.c.latest)
        .join(latest, latest.c.case_id == Case.id)
        .options(joinedload(Case.org_unit))
    ).all()
    return [(row[0], row[1]) for row in rows]


def has_unread_information(case: Case) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.exists().where(CaseNote.case_id == case.id, _unread_information()))
        )
    )


def notice_recipients(case: Case) -> list[User]:
    """Who is told that the public added information: the assigned handler while they may
    still handle the case, otherwise the enhetschefer who handle its unit (the same rule as
    the scheduler's reminders, casetrack/jobs/recipients.py)."""
    handler = case.assigned_handler
    if (
        handler is not None
        and handler.active
        and case.org_unit_id in unit_ids_for(handler, Permission.CASE_HANDLE)
    ):
        return [handler]
    managers = db.session.scalars(
        sa.select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.MANAGER.value, User.active.is_(True))
        .distinct()
        .order_by(User.id)
    )
    return [
        user for user in managers if case.org_unit_id in unit_ids_for(user, Permission.CASE_HANDLE)
    ]
