"""The tertial table "Redovisning av synpunkter och klagomål" (DESIGN §5).

Three aggregate queries (GROUP BY over the cases of a unit subtree and a date range) give
every row for every tertial in the range; the page needs six tertials back for the trend
and the comparison with the year before, so the number of queries is constant whatever
the number of cases. ``row_condition`` gives the same rules as a WHERE clause for the
drill-down list, on the same per-case facts, and a test checks that each drill-down list
has exactly the number shown.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from casetrack.access import in_units_param, subtree_segments
from casetrack.access.org_tree import Segment
from casetrack.domain.report_rows import GROUPS, ROWS, Row, row_key
from casetrack.domain.tertials import tertial_bounds
from casetrack.extensions import db
from casetrack.models import (
    Case,
    DeviationClassification,
    Escalation,
    HistoricTally,
    OrgUnit,
    ReportSnapshot,
    ReportSummaryVersion,
)

# Data-quality counters shown as warnings, never folded into Annan/Annat.
MISSING_SOURCE = "quality:missing_source"
MISSING_CATEGORY = "quality:missing_category"
# Issue 19: avvikelser without lagrum or händelsetyp ("ej angivet" until classified).
UNCLASSIFIED_DEVIATION = "quality:unclassified_deviation"
QUALITY_KEYS = (MISSING_SOURCE, MISSING_CATEGORY, UNCLASSIFIED_DEVIATION)

Period = tuple[int, int]  # (year, tertial)


def previous_periods(year: int, tertial: int, count: int) -> list[Period]:
    """``count`` tertials ending with (year, tertial), oldest first."""
    periods = []
    for _ in range(count):
        periods.append((year, tertial))
        tertial -= 1
        if tertial == 0:
            year, tertial = year - 1, 3
    return list(reversed(periods))


def _not_praise():
    return Case.kind_code != "praise"


def _classified():
    """The avvikelse has both a lagrum and a händelsetyp."""
    return sa.exists().where(
        DeviationClassification.case_id == Case.id,
        DeviationClassification.lagrum.is_not(None),
        DeviationClassification.event_type_code.is_not(None),
    )


def _has_escalation(track: str):
    return sa.exists().where(Escalation.case_id == Case.id, Escalation.track == track)


def row_condition(key: str):
    """WHERE clause for the cases counted in the row ``key`` (drill-down)."""
    group, _, code = key.partition(":")
    if key == MISSING_SOURCE:
        return sa.and_(_not_praise(), Case.source_code.is_(None))
    if key == MISSING_CATEGORY:
        return sa.and_(_not_praise(), Case.category_codes == "")
    if key == UNCLASSIFIED_DEVIATION:
        return sa.and_(Case.kind_code == "deviation", ~_classified())
    if group == "praise":
        return Case.kind_code == "praise"
    if group == "source":
        return sa.and_(_not_praise(), Case.source_code == code)
    if group == "category":
        return sa.and_(_not_praise(), Case.in_category(code))
    if group == "escalation":
        return sa.and_(_not_praise(), Case.ia_reported_on.is_(None), _has_escalation(code))
    if key == "feedback:feedback_given":
        return sa.and_(_not_praise(), Case.has_feedback.is_(True))
    if key == "actions:actions_taken":
        return sa.and_(_not_praise(), Case.has_done_action.is_(True))
    raise ValueError(f"unknown report row {key!r}")


def _period_columns(dialect: str):
    if dialect == "postgresql":
        # date_part (double precision) rather than EXTRACT, which returns numeric since
        # PostgreSQL 14 and costs several times more per row over a förvaltning's cases.
        year = sa.cast(sa.func.date_part("year", Case.received_on), sa.Integer)
        month = sa.cast(sa.func.date_part("month", Case.received_on), sa.Integer)
    else:
        year = sa.cast(sa.extract("year", Case.received_on), sa.Integer)
        month = sa.cast(sa.extract("month", Case.received_on), sa.Integer)
    tertial = sa.case((month <= 4, 1), (month <= 8, 2), else_=3)
    return year.label("year"), tertial.label("tertial")


def _category_codes(dialect: str):
    """The category codes of each case, one row per code, from ``Case.category_codes``."""
    if dialect == "postgresql":
        return (
            sa.func.unnest(sa.func.string_to_array(Case.category_codes, ","))
            .table_valued("code")
            .render_derived(name="codes")
        )
    # Category codes are identifiers ([a-z_]), so "a,b" becomes the JSON array ["a","b"].
    as_json = '["' + sa.func.replace(Case.category_codes, ",", '","') + '"]'
    return sa.func.json_each(as_json).table_valued("value").alias("codes")


def _in_segment(suffix: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        in_units_param(Case.org_unit_id, f"units{suffix}"),
        Case.received_on.between(
            sa.bindparam(f"start{suffix}", type_=sa.Date),
            sa.bindparam(f"end{suffix}", type_=sa.Date),
        ),
    )


def _segments_where(count: int) -> tuple[sa.ColumnElement[bool], ...]:
    """The cases of ``count`` (units, date range) segments, bound at execution as
    ``units``/``start``/``end`` for one segment and ``units_0``, ``start_0``, … for more."""
    if count == 1:
        return tuple(_in_segment("").clauses)
    return (sa.or_(*(_in_segment(f"_{i}") for i in range(count))),)


def _segment_params(segments: list[Segment]) -> dict:
    if len(segments) == 1:
        start, end, ids = segments[0]
        return {"units": sorted(ids), "start": start, "end": end}
    params = {}
    for i, (start, end, ids) in enumerate(segments):
        params |= {f"units_{i}": sorted(ids), f"start_{i}": start, f"end_{i}": end}
    return params


def segments_condition(segments: list[Segment]) -> sa.ColumnElement[bool]:
    """A WHERE clause for the cases of ``segments`` with their values bound (drill-down)."""
    if not segments:
        return sa.false()
    return sa.or_(
        *(
            sa.and_(Case.org_unit_id.in_(sorted(ids)), Case.received_on.between(start, end))
            for start, end, ids in segments
        )
    )


def report_segments(unit_id: int, start: date, end: date) -> list[Segment]:
    """The unit's subtree from ``start`` to ``end`` as it was on each day (issue 18): a
    case counts under ``unit_id`` when its unit was under it on the case's received date,
    so a report for 2025 shows the 2025 tree after a reorganisation in 2026."""
    return [segment for segment in subtree_segments(unit_id, start, end) if segment[2]]


@functools.cache
def _count_statements(dialect: str, segments: int = 1) -> tuple[sa.Select, sa.Select, sa.Select]:
    """The report's three aggregates for ``dialect`` and a number of (units, date range)
    segments, built once: the units and the ranges are bound at execution. One segment
    (the tree did not change within the range) is the statement the report always ran."""
    year, tertial = _period_columns(dialect)
    where = _segments_where(segments)
    is_praise = sa.case((Case.kind_code == "praise", 1), else_=0).label("is_praise")
    no_category = sa.case((Case.category_codes == "", 1), else_=0).label("no_category")
    # 1. Beröm, the source rows, återkoppling, åtgärder and the cases without a category.
    facts = (is_praise, Case.source_code, Case.has_feedback, Case.has_done_action, no_category)
    cases = (
        sa.select(year, tertial, *facts, sa.func.count())
        .where(*where)
        .group_by(year, tertial, *facts)
    )
    # 2. Category rows: each case once per category.
    codes = _category_codes(dialect)
    code = codes.c[0]
    categories = (
        sa.select(year, tertial, code, sa.func.count())
        .select_from(Case)
        .join(codes, sa.true())
        .where(*where, _not_praise(), Case.category_codes != "")
        .group_by(year, tertial, code)
    )
    # 3. Lex Sarah / lex Maria, excluding IA incidents.
    tracks = (
        sa.select(year, tertial, Escalation.track, sa.func.count(sa.distinct(Case.id)))
        .join(Escalation, Escalation.case_id == Case.id)
        .where(*where, _not_praise(), Case.ia_reported_on.is_(None))
        .group_by(year, tertial, Escalation.track)
    )
    return cases, categories, tracks


def live_counts(segments: list[Segment]) -> dict[Period, dict[str, int]]:
    """{(year, tertial): {row key: count}} for the cases of each segment's units received
    within its days (``report_segments``).

    The per-case facts the report counts (återkoppling, a done åtgärd, the category codes)
    are kept on the case row by the database (migration 0960), so the statements read
    the cases and no other table but the lex tracks. ``row_condition`` reads the same
    facts, so a drill-down list has exactly the number counted here (tested); the
    triggers that keep the facts are tested against the child tables themselves.
    """
    counts: dict[Period, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not segments:
        return {}
    cases, categories, tracks = _count_statements(db.session.get_bind().dialect.name, len(segments))
    params = _segment_params(segments)
    for y, t, praise, source, feedback, actions, uncategorised, n in db.session.execute(
        cases, params
    ):
        period = counts[(y, t)]
        if praise:
            period["praise:praise"] += n
            continue
        period[MISSING_SOURCE if source is None else f"source:{source}"] += n
        if uncategorised:
            period[MISSING_CATEGORY] += n
        if feedback:
            period["feedback:feedback_given"] += n
        if actions:
            period["actions:actions_taken"] += n
    for y, t, category, n in db.session.execute(categories, params):
        counts[(y, t)][f"category:{category}"] += n
    for y, t, track, n in db.session.execute(tracks, params):
        counts[(y, t)][f"escalation:{track}"] += n
    return {period: dict(values) for period, values in counts.items()}


def unclassified_deviations(segments: list[Segment]) -> int:
    """How many avvikelser of the segments lack lagrum or händelsetyp: a data-quality
    warning beside the table (issue 19), drilled down with ``row_condition``."""
    if not segments:
        return 0
    where = _segments_where(len(segments))
    statement = (
        sa.select(sa.func.count())
        .select_from(Case)
        .where(*where, Case.kind_code == "deviation", ~_classified())
    )
    return db.session.scalar(statement, _segment_params(segments)) or 0


@dataclass
class Cell:
    """One figure: live, and frozen if the tertial is fastställd."""

    live: int | None
    frozen: int | None = None

    @property
    def shown(self) -> int | None:
        return self.frozen if self.frozen is not None else self.live

    @property
    def drifted(self) -> bool:
        return self.frozen is not None and self.live is not None and self.frozen != self.live


@dataclass
class ReportRow:
    row: Row
    key: str
    cells: dict[int, Cell]  # tertial → cell, only up to the chosen tertial
    total: int
    previous_year: int  # the same tertial the year before (live)
    trend: list[int]  # six tertials, oldest first (live)
    text: str = ""


@dataclass
class Report:
    unit: OrgUnit
    year: int
    up_to: int
    rows: list[ReportRow]
    groups: list[tuple[str, str, list[ReportRow]]]
    snapshots: dict[int, ReportSnapshot]
    quality: dict[str, int]  # missing source / category, up to the chosen tertial
    trend_periods: list[Period]
    texts_frozen: bool
    # Tertials whose trend and comparison figures are imported history (issue 22).
    imported_periods: set[Period] = field(default_factory=set)
    text_history: dict[str, list[ReportSummaryVersion]] = field(default_factory=dict)

    @property
    def drifted_rows(self) -> list[ReportRow]:
        return [row for row in self.rows if any(c.drifted for c in row.cells.values())]


def active_snapshots(unit_id: int, year: int) -> dict[int, ReportSnapshot]:
    """{tertial: snapshot} of the fastställda tertials of ``year`` for the unit."""
    return {
        snapshot.tertial: snapshot
        for snapshot in db.session.scalars(
            sa.select(ReportSnapshot).where(
                ReportSnapshot.org_unit_id == unit_id,
                ReportSnapshot.year == year,
                ReportSnapshot.revoked_at.is_(None),
            )
        )
    }


def current_texts(unit_id: int, year: int, tertial: int) -> dict[str, list[ReportSummaryVersion]]:
    """{row key: versions newest first} of the summary texts for one tertial."""
    versions: dict[str, list[ReportSummaryVersion]] = defaultdict(list)
    for version in db.session.scalars(
        sa.select(ReportSummaryVersion)
        .where(
            ReportSummaryVersion.org_unit_id == unit_id,
            ReportSummaryVersion.year == year,
            ReportSummaryVersion.tertial == tertial,
        )
        .order_by(ReportSummaryVersion.id.desc())
    ):
        versions[version.row_key].append(version)
    return dict(versions)


def imported_figures(unit_id: int, periods: list[Period]) -> dict[Period, dict[str, int]]:
    """{(year, tertial): {row key: count}} imported for exactly ``unit_id`` from the
    tables kept before casetrack (``casetrack import tallies``, issue 22)."""
    years = sorted({year for year, _ in periods})
    figures: dict[Period, dict[str, int]] = defaultdict(dict)
    for year, tertial, key, value in db.session.execute(
        sa.select(
            HistoricTally.year, HistoricTally.tertial, HistoricTally.row_key, HistoricTally.value
        ).where(HistoricTally.org_unit_id == unit_id, HistoricTally.year.in_(years))
    ):
        if (year, tertial) in periods:
            figures[(year, tertial)][key] = value
    return dict(figures)


def build_report(unit: OrgUnit, year: int, up_to: int) -> Report:
    """The table for ``unit`` and its subtree, ``year``, tertials 1..``up_to``; each
    tertial with the subtree as it was then (``report_segments``).

    The caller has checked that the viewer may see reports for ``unit`` (the subtree of a
    unit in scope is in scope: roles reach downwards).
    """
    trend_periods = previous_periods(year, up_to, 6)
    start = tertial_bounds(*trend_periods[0])[0]
    end = tertial_bounds(year, 3)[1]
    counts = live_counts(report_segments(unit.id, start, end))
    snapshots = active_snapshots(unit.id, year)
    history = current_texts(unit.id, year, up_to)
    frozen_now = snapshots.get(up_to)
    # Imported history stands in for a whole tertial, never added to casetrack's own
    # counts; the import refuses tertials with cases, so the two do not meet (issue 22).
    imported = imported_figures(unit.id, trend_periods)
    past_counts = {**counts, **imported}

    rows: list[ReportRow] = []
    for row in ROWS:
        key = row_key(row)
        cells = {}
        for tertial in range(1, up_to + 1):
            live = counts.get((year, tertial), {}).get(key, 0)
            snapshot = snapshots.get(tertial)
            frozen = snapshot.figures.get(key, 0) if snapshot is not None else None
            cells[tertial] = Cell(live=live, frozen=frozen)
        text = (
            frozen_now.texts.get(key, "")
            if frozen_now is not None
            else (history[key][0].text if key in history else "")
        )
        rows.append(
            ReportRow(
                row=row,
                key=key,
                cells=cells,
                total=sum(cell.shown or 0 for cell in cells.values()),
                previous_year=past_counts.get((year - 1, up_to), {}).get(key, 0),
                trend=[past_counts.get(period, {}).get(key, 0) for period in trend_periods],
                text=text,
            )
        )
    by_key = {r.key: r for r in rows}
    groups = [
        (group.code, group.label, [by_key[row_key(row)] for row in group.rows]) for group in GROUPS
    ]
    quality = {
        key: sum(counts.get((year, t), {}).get(key, 0) for t in range(1, up_to + 1))
        for key in (MISSING_SOURCE, MISSING_CATEGORY)
    }
    quality[UNCLASSIFIED_DEVIATION] = unclassified_deviations(
        report_segments(unit.id, tertial_bounds(year, 1)[0], tertial_bounds(year, up_to)[1])
    )
    return Report(
        unit=unit,
        year=year,
        up_to=up_to,
        rows=rows,
        groups=groups,
        snapshots=snapshots,
        quality=quality,
        trend_periods=trend_periods,
        texts_frozen=frozen_now is not None,
        text_history=history,
        imported_periods=set(imported),
    )


def frozen_figures(unit: OrgUnit, year: int, tertial: int) -> dict[str, int]:
    """Today's figures of one tertial, for freezing."""
    start, end = tertial_bounds(year, tertial)
    counts = live_counts(report_segments(unit.id, start, end)).get((year, tertial), {})
    return {row_key(row): counts.get(row_key(row), 0) for row in ROWS}
