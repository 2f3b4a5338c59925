"""The organisation tree, cached per process and checked against the database per request.

Every page scopes by org unit: it expands the user's units into their subtrees, and a
quality lead's list names all ~1,650 units of the förvaltning in its filter. Reading and
walking the tree on every request cost such a page about a third of its time at city
scale (docs/BENCHMARKS.md). The tree changes a few times a year.

So each process keeps the tree it last read, with the token of ``org_tree_version``.
Database triggers give that row a new random token on every write to ``org_unit``
(migration 0980), whatever code makes the write, in the same transaction. A request reads
the token (one single-row statement) and uses the cached tree only when the tokens are
equal; otherwise it reads the units and caches them under the token it read.

Why this stays correct:
- The token is read *before* the units. A write committed between the two reads gives
  newer units under the older token; the next request sees the new token and reloads.
  The other order could cache old units under the new token for good.
- Tokens are random, never counters: a transaction that changes the tree and rolls back
  leaves the old token, which no longer matches a tree cached inside that transaction.
- The cache is keyed by database URL as well, so two databases (tests, a benchmark
  beside the server) never share a tree.
- Within one request the tree is kept in ``g`` and dropped when the session flushes a
  change to an ``OrgUnit`` (or an ``OrgUnitPeriod``) or rolls back.

History (issue 18): reports for a past tertial use the tree as it was then. The ended
periods of ``org_unit_period`` (where a unit sat before a reorganisation) are read only
when a report first asks for them, and kept with the tree under the same token (the
triggers of migration 1050 bump it on every write to ``org_unit_period``), so access
scoping, which always uses today's tree, reads and walks nothing more than before.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from casetrack.extensions import db
from casetrack.models import OrgTreeVersion, OrgUnit, OrgUnitPeriod

_G_KEY = "_org_tree"
_MAX_DATABASES = 8  # trees kept per process (one per database URL)
# Option lists kept per tree (one per distinct set of units asked for; the web layer keeps
# their <option> HTML per tree version, web/common/rendered_options.py).
MAX_MEMOISED_CHOICES = 64


class UnitIds(frozenset):
    """A set of unit ids that knows whether it holds every unit there is."""

    all_units: bool = False


@dataclass(frozen=True)
class Unit:
    id: int
    parent_id: int | None
    name: str
    level: str
    active: bool


@dataclass
class OrgTree:
    """An immutable snapshot of ``org_unit`` (shared by the threads of a process)."""

    token: str | None
    units: dict[int, Unit]
    children: dict[int | None, tuple[int, ...]]
    _choices: dict[frozenset[int], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    _history: OrgHistory | None = None

    @classmethod
    def load(cls, token: str | None) -> OrgTree:
        rows = db.session.execute(
            sa.select(
                OrgUnit.id, OrgUnit.parent_id, OrgUnit.name, OrgUnit.level, OrgUnit.active
            ).order_by(OrgUnit.name, OrgUnit.id)
        ).all()
        units = {row.id: Unit(*row) for row in rows}
        children: dict[int | None, list[int]] = {}
        for unit in units.values():  # in name order, so children are too
            children.setdefault(unit.parent_id, []).append(unit.id)
        return cls(token, units, {key: tuple(ids) for key, ids in children.items()})

    def subtree(self, roots: Iterable[int]) -> UnitIds:
        """The ids at or below ``roots`` (unknown ids are ignored)."""
        found: set[int] = set()
        stack = [root for root in roots if root in self.units]
        while stack:
            unit_id = stack.pop()
            if unit_id not in found:
                found.add(unit_id)
                stack.extend(self.children.get(unit_id, ()))
        ids = UnitIds(found)
        ids.all_units = bool(found) and len(found) == len(self.units)
        return ids

    def history(self) -> OrgHistory:
        """The tree's past (ended periods), read once per tree on first use."""
        if self._history is None:
            self._history = OrgHistory.load(self)
        return self._history

    def tree_choices(self, ids: frozenset[int]) -> tuple[tuple[str, str], ...]:
        """(id, name indented by depth) of ``ids`` in tree order: each unit after its
        parent, siblings by name; a unit whose parent is not in ``ids`` starts a tree.
        Memoised per set of ids."""
        key = frozenset(ids)
        if key not in self._choices:
            if len(self._choices) >= MAX_MEMOISED_CHOICES:
                self._choices.clear()
            self._choices[key] = tuple(self._in_tree_order(key))
        return self._choices[key]

    def _in_tree_order(self, ids: frozenset[int]):
        roots = [u.id for u in self.units.values() if u.id in ids and u.parent_id not in ids]
        stack = [(unit_id, 0) for unit_id in reversed(roots)]
        while stack:
            unit_id, depth = stack.pop()
            yield str(unit_id), "\u00a0\u00a0" * depth + self.units[unit_id].name
            below = [child for child in self.children.get(unit_id, ()) if child in ids]
            stack.extend((child, depth + 1) for child in reversed(below))


Segment = tuple[date, date, UnitIds]  # first day, last day, the units under the root then


def _walk(children: dict[int | None, list[int]] | dict[int | None, tuple[int, ...]], roots, known):
    found: set[int] = set()
    stack = [root for root in roots if root in known]
    while stack:
        unit_id = stack.pop()
        if unit_id not in found:
            found.add(unit_id)
            stack.extend(children.get(unit_id, ()))
    return found


@dataclass
class OrgHistory:
    """Where units sat before their latest move: for each unit with ended periods, the
    (valid_to, parent_id) of each, in order. On a day before a unit's first ``valid_to``
    it sits under that period's parent (a unit's first period reaches back to before it
    began); on or after its last ``valid_to`` it sits where ``org_unit`` says today."""

    tree: OrgTree
    ended: dict[int, tuple[tuple[date, int | None], ...]]
    cuts: tuple[date, ...]  # every day on which some unit moved, ascending
    _children: dict[int, dict[int | None, list[int]]] = field(default_factory=dict)

    @classmethod
    def load(cls, tree: OrgTree) -> OrgHistory:
        rows = db.session.execute(
            sa.select(OrgUnitPeriod.org_unit_id, OrgUnitPeriod.valid_to, OrgUnitPeriod.parent_id)
            .where(OrgUnitPeriod.valid_to.is_not(None))
            .order_by(OrgUnitPeriod.org_unit_id, OrgUnitPeriod.valid_to)
        ).all()
        ended: dict[int, list[tuple[date, int | None]]] = {}
        for unit_id, valid_to, parent_id in rows:
            if unit_id in tree.units:
                ended.setdefault(unit_id, []).append((valid_to, parent_id))
        cuts = sorted({valid_to for periods in ended.values() for valid_to, _ in periods})
        return cls(tree, {k: tuple(v) for k, v in ended.items()}, tuple(cuts))

    def parent_on(self, unit_id: int, day: date) -> int | None:
        for valid_to, parent_id in self.ended.get(unit_id, ()):
            if day < valid_to:
                return parent_id
        return self.tree.units[unit_id].parent_id

    def _children_on(
        self, day: date
    ) -> dict[int | None, list[int]] | dict[int | None, tuple[int, ...]]:
        index = bisect.bisect_right(self.cuts, day)
        if index == len(self.cuts):
            return self.tree.children  # on or after the last move: today's tree
        if index not in self._children:
            children: dict[int | None, list[int]] = {}
            for unit_id in self.tree.units:
                children.setdefault(self.parent_on(unit_id, day), []).append(unit_id)
            self._children[index] = children
        return self._children[index]

    def subtree_on(self, roots: Iterable[int], day: date) -> UnitIds:
        """The ids at or below ``roots`` in the tree as it was on ``day``."""
        ids = UnitIds(_walk(self._children_on(day), roots, self.tree.units))
        ids.all_units = bool(ids) and len(ids) == len(self.tree.units)
        return ids

    def segments(self, root: int, start: date, end: date) -> list[Segment]:
        """The units under ``root`` from ``start`` to ``end`` (inclusive), as runs of days
        over which they stayed the same: one segment unless the tree changed around
        ``root`` within the range."""
        days = [start] + [cut for cut in self.cuts if start < cut <= end]
        segments: list[Segment] = []
        for i, first in enumerate(days):
            last = days[i + 1] - timedelta(days=1) if i + 1 < len(days) else end
            ids = self.subtree_on({root}, first)
            if segments and segments[-1][2] == ids:
                segments[-1] = (segments[-1][0], last, segments[-1][2])
            else:
                segments.append((first, last, ids))
        return segments


_lock = threading.Lock()
_trees: dict[str, OrgTree] = {}


def _database_key() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def current() -> OrgTree:
    """The org tree as this transaction sees it (cached; see the module docstring)."""
    if has_app_context() and _G_KEY in g:
        return g.get(_G_KEY)
    token = db.session.scalar(sa.select(OrgTreeVersion.token).where(OrgTreeVersion.id == 1))
    key = _database_key()
    tree = _trees.get(key)
    if tree is None or token is None or tree.token != token:
        tree = OrgTree.load(token)
        if token is not None:  # no version row (a database not yet migrated): no caching
            with _lock:
                if len(_trees) >= _MAX_DATABASES and key not in _trees:
                    _trees.pop(next(iter(_trees)))
                _trees[key] = tree
    if has_app_context():
        g.setdefault(_G_KEY, tree)
    return tree


def forget_for_request() -> None:
    """Drop the request's tree and its scopes (the tree changed within the request)."""
    if has_app_context():
        g.pop(_G_KEY, None)
        g.pop("_unit_scope", None)


def mark_changed() -> None:
    """Give the tree a new token by hand: for bulk loads that run with triggers off
    (``casetrack generate`` on PostgreSQL as a superuser)."""
    db.session.execute(sa.text(MARK_CHANGED_SQL[db.session.get_bind().dialect.name]))
    forget_for_request()


# The statement the triggers run (migration 0980 has its own copy, as migrations must).
MARK_CHANGED_SQL = {
    "postgresql": "INSERT INTO org_tree_version (id, token) VALUES (1, gen_random_uuid()::text) "
    "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token",
    "sqlite": "INSERT INTO org_tree_version (id, token) VALUES (1, lower(hex(randomblob(16)))) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token",
}


@event.listens_for(Session, "after_flush")
def _org_units_flushed(session, flush_context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, OrgUnit | OrgUnitPeriod) for obj in changed):
        forget_for_request()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session) -> None:
    forget_for_request()
