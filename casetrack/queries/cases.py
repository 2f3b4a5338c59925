"""The case list: filters, full-text search and the overdue rules (the "Mina ärenden"
counts are counted with this list's statement: queries/start_pages.py).

Every statement here starts from ``case_scope`` (casetrack.access), so a list, a search, a
count or an export can never show a case that the case page would refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from casetrack.access import case_scope, in_units, subtree_ids, unit_ids_for
from casetrack.domain.case_numbers import REFERENCE_PATTERN
from casetrack.domain.deadlines import (
    Deadline,
    due_date,
    latest_overdue_received_on,
)
from casetrack.domain.roles import Permission
from casetrack.domain.workdays import add_working_days
from casetrack.extensions import db
from casetrack.models import (
    Action,
    Case,
    CaseSearchDocument,
    Feedback,
    RoleAssignment,
    User,
)
from casetrack.queries import indicators
from casetrack.queries.escalation import late_step_case_ids, step_deadlines
from casetrack.queries.lookups import open_status_codes
from casetrack.queries.patient_safety import figure_condition
from casetrack.queries.report import report_segments, row_condition, segments_condition
from casetrack.queries.settings import deadline_days

SORTS = {
    "inkom_desc": (Case.received_on.desc(), Case.id.desc()),
    "inkom_asc": (Case.received_on.asc(), Case.id.asc()),
    "diarienummer": (Case.reference.asc(),),
    "status": (Case.status_code.asc(), Case.received_on.desc(), Case.id.desc()),
}


@dataclass
class CaseFilter:
    """What the user filtered on; every field optional."""

    unit_id: int | None = None
    kind: str | None = None
    status: str | None = None  # a status code, or "open" / "closed"
    category: str | None = None
    source: str | None = None
    handler: str | None = None  # a user id, "none", or "me_or_none" (mine or unassigned)
    received_from: date | None = None
    received_to: date | None = None
    overdue: bool = False
    # A deadline today or within the reminder lead time, not yet overdue ("Frist snart").
    due_soon: bool = False
    # Only the units the user handles (a start page's "i mina enheter").
    handled_units: bool = False
    text: str | None = None
    # A row of the tertial report (drill-down), e.g. "source:brukare".
    report_row: str | None = None
    # A figure of the patientsäkerhetsberättelse (drill-down), e.g. "risk:hog" (issue 19).
    figure: str | None = None
    # A figure of the quality indicators (drill-down), e.g. "kvitto:inom" (issue 23).
    indicator: str | None = None
    sort: str = "inkom_desc"
    extra: dict = field(default_factory=dict)


# How likely a case is to be open, told to SQLite's planner: its statistics (no STAT4 in
# the Debian build) give only the average rows per status, a third of all cases, where
# at city scale 1-2 % are open; it then read "Klagomål, öppna" through the kind index,
# every complaint of ten years, instead of the status index (docs/BENCHMARKS.md).
# PostgreSQL's histograms know the real share.
OPEN_LIKELIHOOD = 0.05


def _open_status():
    condition = Case.status_code.in_(open_status_codes())
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.likelihood(condition, sa.literal_column(str(OPEN_LIKELIHOOD)))
    return condition


def has_feedback():
    return sa.exists().where(Feedback.case_id == Case.id)


def feedback_overdue(today: date):
    """Open cases that want återkoppling, have none, and are past the deadline."""
    cutoff = latest_overdue_received_on(today, deadline_days("feedback"))
    return sa.and_(
        _open_status(),
        Case.kind_code != "praise",
        Case.wants_feedback.is_(True),
        ~has_feedback(),
        Case.received_on <= cutoff,
    )


def acknowledgement_overdue(today: date):
    """Open cases with contact details whose mottagningsbekräftelse is late."""
    cutoff = latest_overdue_received_on(today, deadline_days("acknowledgement"))
    return sa.and_(
        _open_status(),
        Case.kind_code != "deviation",
        Case.is_anonymous.is_(False),
        sa.or_(Case.submitter_email.is_not(None), Case.submitter_phone.is_not(None)),
        Case.acknowledged_on.is_(None),
        Case.received_on <= cutoff,
    )


def action_overdue(today: date):
    """Open cases with an åtgärd not done by its due date."""
    return sa.and_(
        _open_status(),
        sa.exists().where(
            Action.case_id == Case.id, Action.done_on.is_(None), Action.due_on < today
        ),
    )


def open_action():
    """An åtgärd not done, or done without its effect followed up (or waived).

    The same predicate as the partial index ``ix_case_action_open``, so it is used.
    """
    return sa.or_(
        Action.done_on.is_(None),
        sa.and_(Action.effect_verdict.is_(None), Action.effect_waived_reason.is_(None)),
    )


def any_overdue(today: date, within: tuple = ()):
    """Cases with any deadline past: återkoppling, mottagningsbekräftelse, åtgärd, or a
    lex Sarah / lex Maria step (issue #4).

    Rendered as ``id IN (open cases breaking a rule UNION cases with a late step)`` so each
    half can use its own index: the open cases of the units in ``within`` (conditions on
    Case narrowing the first half, e.g. the handler's units) through the status index, the
    few uncompleted tracks through the escalation table. An OR of all rules per case would
    make the database read every case of the units, closed ones included.
    """
    open_rules = sa.select(Case.id).where(
        *within,
        sa.or_(feedback_overdue(today), acknowledgement_overdue(today), action_overdue(today)),
    )
    late_steps = sa.select(Case.id).where(*within, Case.id.in_(late_step_case_ids(today)))
    return Case.id.in_(sa.union(open_rules, late_steps))


def due_soon(today: date, within: tuple = ()):
    """Open cases with a deadline today or within the reminder lead time, not yet overdue:
    what the scheduler's reminders are about (issue #7)."""
    return sa.and_(_due_by_horizon(today), ~any_overdue(today, within))


def _due_by_horizon(today: date):
    """Open cases with a deadline before the reminder horizon (overdue ones included)."""
    lead = int(current_app.config["CASETRACK"].get("FEEDBACK_REMINDER_DAYS_BEFORE", 2))
    horizon = add_working_days(today, lead) + timedelta(days=1)
    return sa.or_(
        feedback_overdue(horizon),
        acknowledgement_overdue(today + timedelta(days=1)),
        action_overdue(today + timedelta(days=1)),
    )


# Above this many matches a search reads the cases newest first and tests each one;
# at or below it, it looks each match up and sorts them (docs/BENCHMARKS.md).
MANY_MATCHES = 5_000


def _text_matches(text: str, dialect: str, internal: bool):
    """SELECT of the ids of the cases whose shared (or internal) search text matches."""
    if dialect == "postgresql":
        # The stored generated columns (migrations 0950 and 1020), indexed by GIN.
        column = "case_search_fts_internal_vector" if internal else "case_search_fts_vector"
        vector = sa.literal_column(f"case_search.{column}")
        query = sa.func.websearch_to_tsquery(sa.literal_column("'swedish'::regconfig"), text)
        return sa.select(CaseSearchDocument.case_id).where(vector.op("@@")(query))
    terms = re.findall(r"\w+", text)
    if not terms:
        return None
    match = " ".join('"' + term.replace('"', "") + '"*' for term in terms)
    table = "case_search_fts_internal" if internal else "case_search_fts"
    return (
        sa.select(sa.literal_column(f"{table}.rowid"))
        .select_from(sa.table(table))
        .where(sa.literal_column(table).op("MATCH")(match))
    )


def _search_clause(user: User, text: str, dialect: str):
    """Full-text match: PostgreSQL's swedish configuration, SQLite's FTS5.

    Only what the searcher may read on the case page is searched (issue 16): the shared
    text of every case, and the internal notes only of the cases in the units the searcher
    handles (``case_scope`` for CASE_HANDLE), the ones whose page shows them.

    Which plan is fast depends on how many cases match, which neither planner can know:
    looking up each match and sorting them by date is quick for a street address and
    slow for a common word with 90,000 matches at 1M cases; reading the cases newest
    first until a page is full is the reverse, and worse when the matches are old (a
    place name of a closed unit: PostgreSQL read 400,000 cases for "Kista larmet"). So
    the matches are counted first, up to ``MANY_MATCHES`` (3-10 ms), and the plan is
    chosen: below it the matches are fenced in a subquery with a LIMIT (PostgreSQL then
    starts from them) and SQLite looks them up as it does by default; above it
    PostgreSQL chooses freely and SQLite is kept from the lookups with ``id + 0``.
    """
    matches = _text_matches(text, dialect, internal=False)
    if matches is None:
        return sa.false()
    if unit_ids_for(user, Permission.CASE_HANDLE):
        internal = _text_matches(text, dialect, internal=True)
        handled = sa.select(Case.id).where(case_scope(user, Permission.CASE_HANDLE))
        internal = internal.where(internal.selected_columns[0].in_(handled))
        matches = sa.union(matches, internal)
    capped = db.session.scalar(
        sa.select(sa.func.count()).select_from(matches.limit(MANY_MATCHES + 1).subquery())
    )
    if capped > MANY_MATCHES:
        return ((Case.id + 0) if dialect == "sqlite" else Case.id).in_(matches)
    if dialect == "postgresql":
        fenced = matches.limit(MANY_MATCHES + 1).subquery("matches")
        return Case.id.in_(sa.select(fenced.c[0]))
    return Case.id.in_(matches)


def filtered(user: User, flt: CaseFilter, today: date) -> sa.Select:
    """SELECT of the cases ``user`` may read that match ``flt``, sorted."""
    as_then = None
    drill = flt.report_row or flt.figure or flt.indicator
    if drill and flt.unit_id is not None and flt.received_from and flt.received_to:
        # A report figure's list: the unit's subtree as it was on each case's received
        # date, as the report counts it (issue 18); access still follows today's tree.
        as_then = report_segments(flt.unit_id, flt.received_from, flt.received_to)
        within = frozenset().union(*(ids for _, _, ids in as_then))
    else:
        within = subtree_ids({flt.unit_id}) if flt.unit_id is not None else None
    if flt.handled_units:
        handled = unit_ids_for(user, Permission.CASE_HANDLE)
        within = handled if within is None else frozenset(within) & handled
    scope = case_scope(user, Permission.CASE_READ, within)
    stmt = sa.select(Case).where(scope)
    if as_then is not None and len(as_then) > 1:
        stmt = stmt.where(segments_condition(as_then))
    if flt.kind:
        stmt = stmt.where(Case.kind_code == flt.kind)
    if flt.status == "open":
        stmt = stmt.where(_open_status())
    elif flt.status == "closed":
        stmt = stmt.where(~_open_status())
    elif flt.status:
        stmt = stmt.where(Case.status_code == flt.status)
    if flt.category:
        stmt = stmt.where(Case.in_category(flt.category))
    if flt.source:
        stmt = stmt.where(Case.source_code == flt.source)
    if flt.handler == "none":
        stmt = stmt.where(Case.assigned_handler_id.is_(None))
    elif flt.handler == "me_or_none":
        stmt = stmt.where(
            sa.or_(Case.assigned_handler_id == user.id, Case.assigned_handler_id.is_(None))
        )
    elif flt.handler:
        stmt = stmt.where(Case.assigned_handler_id == int(flt.handler))
    if flt.received_from:
        stmt = stmt.where(Case.received_on >= flt.received_from)
    if flt.received_to:
        stmt = stmt.where(Case.received_on <= flt.received_to)
    if flt.overdue:
        stmt = stmt.where(any_overdue(today, (scope,)))
    if flt.due_soon:
        stmt = stmt.where(due_soon(today, (scope,)))
    if flt.text:
        reference = flt.text.strip().upper()
        if REFERENCE_PATTERN.match(reference):  # a diarienummer: that case, if in scope
            stmt = stmt.where(Case.reference == reference)
        else:
            stmt = stmt.where(_search_clause(user, flt.text, db.session.get_bind().dialect.name))
    if flt.report_row:
        stmt = stmt.where(row_condition(flt.report_row))
    if flt.figure:
        stmt = stmt.where(figure_condition(flt.figure))
    if flt.indicator:
        # The working-day figures are computed over the list's own cases (unit subtree
        # as it was, dates, access scope), then matched by id.
        bounds = [scope]
        if as_then is not None:
            bounds.append(segments_condition(as_then))
        if flt.received_from:
            bounds.append(Case.received_on >= flt.received_from)
        if flt.received_to:
            bounds.append(Case.received_on <= flt.received_to)
        stmt = stmt.where(indicators.figure_condition(flt.indicator, sa.and_(*bounds), today))
    return stmt.order_by(*SORTS.get(flt.sort, SORTS["inkom_desc"]))


def handler_choices(user: User) -> list[tuple[int, str]]:
    """Handlers of the units ``user`` may read, for the handler filter and assignment."""
    units = unit_ids_for(user, Permission.CASE_READ)
    if not units:
        return []
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role.in_(["handler", "manager"]),
            in_units(RoleAssignment.org_unit_id, units),
            User.active.is_(True),
        )
        .distinct()
        .order_by(User.name)
    ).all()
    return [(row.id, row.name) for row in rows]


def reminder_count(user: User, today: date) -> int:
    """Cases of "Mina ärenden" that are overdue or due soon: the count in the header."""
    handle_units = sorted(unit_ids_for(user, Permission.CASE_HANDLE))
    if not handle_units:
        return 0
    mine = (
        case_scope(user, Permission.CASE_READ, frozenset(handle_units)),
        sa.or_(Case.assigned_handler_id == user.id, Case.assigned_handler_id.is_(None)),
    )
    # overdue OR (not overdue AND due soon) is overdue OR due by the horizon: the same
    # cases without evaluating every overdue rule twice per case. Every open-case rule of
    # "overdue" is implied by the same rule at the (later) horizon.
    if db.session.get_bind().dialect.name == "sqlite":
        # Every rule of the horizon is about open cases. Spelled per arm of "mine or
        # unassigned", each arm matches the (handler, status) index; otherwise SQLite
        # reads every case of the units from the table to test them (18 ms at 1M).
        # PostgreSQL does better as it is: it ANDs the unit and handler indexes.
        mine_due = (
            mine[0],
            sa.or_(
                sa.and_(Case.assigned_handler_id == user.id, _open_status()),
                sa.and_(Case.assigned_handler_id.is_(None), _open_status()),
            ),
        )
    else:
        mine_due = mine
    due = sa.select(Case.id).where(*mine_due, _due_by_horizon(today))
    late = late_step_case_ids(today, frozenset(handle_units))
    late_steps = sa.select(Case.id).where(*mine, Case.id.in_(late))
    stmt = sa.select(sa.func.count()).select_from(sa.union(due, late_steps).subquery())
    return db.session.scalar(stmt) or 0


def deadlines_for(case: Case, today: date, is_closed: bool) -> list[Deadline]:
    """The deadlines shown on the case page, with whether each is met or overdue."""
    result = []
    has_contact = not case.is_anonymous and (case.submitter_email or case.submitter_phone)
    if case.kind_code != "deviation" and has_contact:
        due = due_date(case.received_on, deadline_days("acknowledgement"))
        met = case.acknowledged_on
        result.append(
            Deadline(
                "Mottagningsbekräftelse", due, met, not met and not is_closed and due < today,
                closed=is_closed,
            )
        )  # fmt: skip
    if case.kind_code != "praise" and case.wants_feedback:
        due = due_date(case.received_on, deadline_days("feedback"))
        met = min((f.given_on for f in case.feedback), default=None)
        result.append(
            Deadline(
                "Återkoppling", due, met, not met and not is_closed and due < today,
                closed=is_closed,
            )
        )  # fmt: skip
    for action in case.actions:
        if action.due_on and not action.done_on:
            result.append(
                Deadline(f"Åtgärd: {action.description[:60]}", action.due_on, None,
                         not is_closed and action.due_on < today)
            )  # fmt: skip
    result.extend(step_deadlines(case, today))
    return result
