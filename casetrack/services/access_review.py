"""Loggkontroll: the access log as seen by quality leads and managers (K3-72, K3-79).

A reviewer sees entries for the units where they hold ``ACCESS_LOG_READ`` (via the one
scoping function), plus entries without a case (a registerutdrag search, an export) made
by people who hold a role in those units. Two kinds of access are flagged as unusual:

- *outside their units*: the user opened a case in a unit where none of their current
  roles lets them read cases (e.g. a role removed since, or reached through a bug);
- *many cases quickly*: more than ``ACCESS_BURST_CASES`` different cases opened within
  ``ACCESS_BURST_MINUTES`` minutes.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from casetrack.access import unit_ids_for
from casetrack.domain.dates import STOCKHOLM
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import AccessLogEntry, Case, RoleAssignment, User

MAX_ROWS = 1000

FLAG_OUTSIDE = "Utanför personens enheter"
FLAG_BURST = "Många ärenden på kort tid"
# Stable codes for the flags (alarm e-mails, job keys, the security stream).
FLAG_CODES = {FLAG_OUTSIDE: "outside_units", FLAG_BURST: "many_cases"}
FLAG_TEXTS_BY_CODE = {code: text for text, code in FLAG_CODES.items()}


@dataclass
class Filters:
    user_id: int | None = None
    unit_id: int | None = None
    reference: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class Row:
    entry: AccessLogEntry
    reference: str | None
    flags: list[str] = field(default_factory=list)


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=STOCKHOLM)


def review_scope(reviewer: User):
    """WHERE clause: the entries ``reviewer`` may review."""
    units = sorted(unit_ids_for(reviewer, Permission.ACCESS_LOG_READ))
    if not units:
        return sa.false()
    people = sa.select(RoleAssignment.user_id).where(RoleAssignment.org_unit_id.in_(units))
    return sa.or_(
        AccessLogEntry.org_unit_id.in_(units),
        sa.and_(AccessLogEntry.org_unit_id.is_(None), AccessLogEntry.user_id.in_(people)),
    )


def find(reviewer: User, filters: Filters) -> list[Row]:
    """Entries matching ``filters`` in the reviewer's scope, newest first, with flags."""
    stmt = (
        sa.select(AccessLogEntry, Case.reference)
        .outerjoin(Case, Case.id == AccessLogEntry.case_id)
        .where(review_scope(reviewer))
        .options(joinedload(AccessLogEntry.user))
        .order_by(AccessLogEntry.occurred_at.desc(), AccessLogEntry.id.desc())
        .limit(MAX_ROWS)
    )
    if filters.user_id:
        stmt = stmt.where(AccessLogEntry.user_id == filters.user_id)
    if filters.unit_id:
        stmt = stmt.where(AccessLogEntry.org_unit_id == filters.unit_id)
    if filters.reference:
        stmt = stmt.where(Case.reference == filters.reference.strip().upper())
    if filters.date_from:
        stmt = stmt.where(AccessLogEntry.occurred_at >= _local_start(filters.date_from))
    if filters.date_to:
        end = _local_start(filters.date_to + timedelta(days=1))
        stmt = stmt.where(AccessLogEntry.occurred_at < end)
    rows = [Row(entry, reference) for entry, reference in db.session.execute(stmt)]
    flag_rows(rows)
    return rows


def flag_rows(rows: list[Row]) -> None:
    """Add the unusual-access flags to ``rows`` (their entries' users must be loaded).

    A burst is only seen among the given rows: pass the entries of the burst window too.
    """
    settings = current_app.config["CASETRACK"]
    burst_cases = settings["ACCESS_BURST_CASES"]
    window = timedelta(minutes=settings["ACCESS_BURST_MINUTES"])
    reach: dict[int, frozenset[int]] = {}
    by_user: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        entry = row.entry
        if entry.user_id is None or entry.case_id is None:
            continue
        if entry.user_id not in reach:
            user = entry.user
            # A lex Sarah-utredare reaches the cases they are assigned in their units
            # (issue 19): reading one is not a read outside their reach.
            reach[entry.user_id] = (
                unit_ids_for(user, Permission.CASE_READ)
                | unit_ids_for(user, Permission.CASE_READ_OWN)
                | unit_ids_for(user, Permission.LEX_SARAH_INVESTIGATE)
            )
        if entry.org_unit_id not in reach[entry.user_id]:
            row.flags.append(FLAG_OUTSIDE)
        if entry.what == "case.view":
            by_user[entry.user_id].append(row)
    for user_rows in by_user.values():
        recent: deque[Row] = deque()
        for row in sorted(user_rows, key=lambda r: r.entry.occurred_at):
            recent.append(row)
            while row.entry.occurred_at - recent[0].entry.occurred_at > window:
                recent.popleft()
            if len({r.entry.case_id for r in recent}) > burst_cases:
                for flagged in recent:
                    if FLAG_BURST not in flagged.flags:
                        flagged.flags.append(FLAG_BURST)


def people_in_scope(reviewer: User) -> list[User]:
    """Users who appear in the reviewer's part of the log (for the filter list)."""
    ids = sa.select(AccessLogEntry.user_id).where(review_scope(reviewer)).distinct()
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.name)))
