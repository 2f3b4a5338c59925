"""Allocation of case references, safe under concurrent registrations.

The counter row for (prefix, year) is incremented with one ``UPDATE ... RETURNING``; the
database serialises concurrent increments (a row lock on PostgreSQL, the write lock on
SQLite), so two cases can never get the same number, and a number is never reused
because the counter never goes down.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from casetrack.domain.case_numbers import format_reference
from casetrack.extensions import db
from casetrack.models import OrgUnit, ReferenceCounter

_counter = ReferenceCounter.__table__


def prefix_for_unit(unit: OrgUnit) -> str:
    """The nearest reference prefix at or above ``unit``, or the configured default."""
    node: OrgUnit | None = unit
    while node is not None:
        if node.reference_prefix:
            return node.reference_prefix
        node = node.parent
    return current_app.config["CASETRACK"]["REFERENCE_PREFIX"]


def _increment(prefix: str, year: int) -> int | None:
    return db.session.execute(
        sa.update(_counter)
        .where(_counter.c.prefix == prefix, _counter.c.year == year)
        .values(last_value=_counter.c.last_value + 1)
        .returning(_counter.c.last_value)
    ).scalar_one_or_none()


def next_reference(prefix: str, year: int) -> str:
    """Reserve and return the next reference for ``prefix`` and ``year``."""
    number = _increment(prefix, year)
    if number is None:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(
            insert(_counter)
            .values(prefix=prefix, year=year, last_value=0)
            .on_conflict_do_nothing(index_elements=["prefix", "year"])
        )
        number = _increment(prefix, year)
    return format_reference(prefix, year, number)
