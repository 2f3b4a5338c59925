"""Pagination whose cost does not grow with the size of the scope.

A quality lead's list reaches every case of the förvaltning (a million at city scale);
an exact ``COUNT(*)`` over that reads the whole scope on every page view, and a filter of
middling selectivity (a category in a year, a common search word) must test every case
it counts. The list counts exactly up to ``COUNT_CAP`` and says "fler än 1 000" above it: a
list of more than a thousand cases is narrowed, not paged through, and the tertial report
gives the exact figures. Whether there is a next page is found by fetching one row more
than the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import sqlalchemy as sa

from casetrack.extensions import db

COUNT_CAP = 1_000
# No list has more pages than this (the count is capped far below it); a larger page
# number asked for in a URL is treated as past the end.
MAX_PAGE = 1_000_000


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int  # exact when not ``capped``; otherwise the cap
    capped: bool
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    @property
    def pages(self) -> int | None:
        """The number of pages, or None when the count is capped (unknown)."""
        return None if self.capped else max(1, ceil(self.total / self.per_page))


def capped_count(stmt: sa.Select, cap: int | None = None) -> tuple[int, bool]:
    """(count, capped): the number of rows ``stmt`` selects, counting at most cap + 1.

    The rows are counted without their columns, so that the database can count from an
    index without reading each row (``stmt`` must select one row per entity: no joins
    that multiply rows).
    """
    cap = COUNT_CAP if cap is None else cap
    limited = (
        stmt.order_by(None)
        .with_only_columns(sa.literal(1).label("one"), maintain_column_froms=True)
        .limit(cap + 1)
        .subquery()
    )
    count = db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0
    return (cap, True) if count > cap else (count, False)


def paginate(
    stmt: sa.Select, page: int, per_page: int, cap: int | None = None, options: tuple = ()
) -> Page:
    """One page of ``stmt`` (which must be ordered and select one entity with an ``id``)
    and a count capped at ``cap``.

    The page is found by its ids first and its rows loaded after: the ids of a unit's
    cases in date order come from the covering index without reading a row, where a
    statement asking for every column reads each candidate case from the table before it
    can sort them (thousands of scattered rows for a filter the planner cannot estimate,
    such as a category). ``options`` are loader options (eager loads) for the rows of the
    page; neither the ids nor the count need them.
    """
    page = max(1, page)
    entity = stmt.column_descriptions[0]["entity"]
    ids = list(
        db.session.scalars(
            stmt.with_only_columns(entity.id, maintain_column_froms=True)
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    loaded = {
        row.id: row
        for row in db.session.scalars(
            sa.select(entity).where(entity.id.in_(ids)).options(*options)
        ).unique()
    }
    rows = [loaded[id_] for id_ in ids if id_ in loaded]
    if page == 1 and not has_next:
        total, capped = len(rows), False  # the whole list is on this page: no COUNT needed
    else:
        total, capped = capped_count(stmt, cap)
    return Page(rows, page, per_page, total, capped, has_next)
