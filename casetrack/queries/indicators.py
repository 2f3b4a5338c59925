"""Quality indicators: the follow-up of the work itself (issue 23, first section).

For a unit subtree, per tertial over the last three years (by received date, in the
subtree as it was on that day, like the tertial report), and compared across the units
directly under it: time to mottagningsbekräftelse and to återkoppling in working days,
klagomål with återkoppling, cases closed with a reason instead of återkoppling, åtgärder
and their effect, lex Sarah / lex Maria step times against their deadlines, and cases
reopened.

Every figure has a key of codes only (``kvitto:inom``, ``atg:itid``,
``lex:lex_sarah:decision:inom`` …); ``figure_condition`` gives its cases as a WHERE clause
for the case list (drill-down). Counts without working days come from grouped
statements; the working-day figures read only the dates they need per case and count
them in Python with the Swedish calendar (``domain.workdays``), as the brief allows.
Every statement carries the tertial and the child unit (a CASE over each child's
subtree as it was), so the page costs the same few statements however many children.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from statistics import median
from types import SimpleNamespace

import sqlalchemy as sa

from casetrack.domain import escalation as rules
from casetrack.domain.deadlines import due_date, latest_overdue_received_on
from casetrack.domain.tertials import tertial_bounds, tertial_of
from casetrack.domain.workdays import working_days_between
from casetrack.extensions import db
from casetrack.models import Action, AuditEntry, Case, Escalation, EscalationStep, Feedback, OrgUnit
from casetrack.queries.escalation import step_deadline_settings, track_step_spans
from casetrack.queries.report import _period_columns, report_segments, segments_condition
from casetrack.queries.settings import deadline_days

TITLE = "Kvalitetsindikatorer"
YEARS = 3  # this year and the two before
FEW = 5  # fewer cases than this: too few to compare
FEW_TEXT = "för få ärenden för att jämföra"
REOPENED = "case.reopened"
VERDICTS = (("achieved", "hade effekt"), ("partial", "delvis effekt"), ("none", "ingen effekt"))

COUNTING_RULES = (
    "Ett ärende räknas i den tertial det kom in (inkom-datum, svensk tid), på den enhet "
    "det hörde till då, som i tertialrapporten. Allt annat räknas som det är registrerat "
    "i dag, så en tertials siffror kan ändras om ett ärende kompletteras i efterhand.",
    "Tider räknas i arbetsdagar efter svensk kalender (helgdagar, midsommarafton, "
    "julafton och nyårsafton är inte arbetsdagar), från inkom-datum till dagen det "
    "gjordes; inkom-dagen räknas inte. Medianen räknas på ärenden där det är gjort.",
    "Inom fristen: gjort senast sista dagen enligt organisationens frister (i dag "
    "mottagningsbekräftelse {ack} och återkoppling {feedback} arbetsdagar). Andelen "
    "räknas på ärenden där det är gjort eller fristen har gått ut; ärenden som ännu "
    "ligger inom fristen räknas inte.",
    "Mottagningsbekräftelse: ärenden som inte är avvikelser, med kontaktuppgift och inte "
    "anonyma. Återkoppling: ärenden som inte är beröm, där personen vill ha återkoppling "
    "och som inte avslutats med skäl till att återkoppling inte lämnades.",
    "Klagomål med återkoppling: klagomål med minst en registrerad återkoppling. "
    "Avslutade med skäl i stället för återkoppling: avslutade ärenden (inte beröm) med "
    "ett skäl till att återkoppling inte lämnades.",
    "Åtgärder: åtgärder registrerade på tertialens ärenden. I tid: genomförd senast sitt "
    "sista datum, räknat på åtgärder med sista datum som är genomförda eller vars datum "
    "har passerat. Effekt: på genomförda åtgärder; följd upp betyder att en effekt är "
    "bedömd. En länk visar ärendena som åtgärderna hör till.",
    "Lex Sarah och lex Maria: varje steg med en frist (dokumentation, utredning påbörjad, "
    "ställningstagande, anmälan till IVO) räknas från rapporten eller det allvarliga "
    "ställningstagandet, enligt organisationens frister.",
    "Öppnade igen: ärenden som har öppnats igen efter att ha avslutats.",
    "Jämförelsen mellan enheterna gäller den senaste avslutade tertialen. En enhet med "
    "färre än 5 ärenden bakom en siffra markeras med ”för få ärenden för att jämföra” "
    "och sorteras sist.",
)


# --- the indicators ----------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One row of the page: a share (``part`` of ``whole``), a median or a count."""

    code: str  # e.g. "kvitto"
    label: str
    kind: str  # "share", "median", "count"
    part: str = ""  # key suffix of the numerator (share) or the cases (median, count)
    whole: str = ""  # key suffix of the denominator (share)
    higher_is_better: bool = True


def _lex_measures() -> list[Measure]:
    found = []
    for track, entries in rules.DEFAULT_STEP_DEADLINES.items():
        name = rules.TRACK_LABELS[track]
        for step, _start, _days in entries:
            step_name = rules.step_label(track, step).lower()
            code = f"lex:{track}:{step}"
            found.append(
                Measure(code, f"{name}: {step_name} inom fristen", "share", "inom", "alla")
            )
            found.append(
                Measure(code, f"{name}: {step_name}, arbetsdagar (median)", "median", "gjord",
                        higher_is_better=False)
            )  # fmt: skip
    return found


def measures() -> list[Measure]:
    return [
        Measure("kvitto", "Mottagningsbekräftelse inom fristen", "share", "inom", "alla"),
        Measure("kvitto", "Mottagningsbekräftelse, arbetsdagar (median)", "median", "gjord",
                higher_is_better=False),
        Measure("aterk", "Återkoppling inom fristen", "share", "inom", "alla"),
        Measure("aterk", "Återkoppling, arbetsdagar (median)", "median", "gjord",
                higher_is_better=False),
        Measure("kom", "Klagomål med återkoppling", "share", "med", "alla"),
        Measure("skal", "Avslutade med skäl i stället för återkoppling", "share", "med", "alla",
                higher_is_better=False),
        Measure("atg", "Beslutade åtgärder", "count", "beslutade"),
        Measure("atg", "Åtgärder genomförda senast sista datum", "share", "itid", "frist"),
        Measure("atg", "Genomförda åtgärder med uppföljd effekt", "share", "foljd", "genomforda"),
        *(
            Measure("atg", f"Genomförda åtgärder som {label}", "share", verdict, "genomforda",
                    higher_is_better=verdict != "none")
            for verdict, label in VERDICTS
        ),
        *_lex_measures(),
        Measure("ater", "Ärenden som öppnats igen", "share", "med", "alla",
                higher_is_better=False),
    ]  # fmt: skip


@functools.cache
def figure_labels() -> dict[str, str]:
    labels = {
        "kvitto:alla": "Ärenden med frist för mottagningsbekräftelse",
        "kvitto:inom": "Mottagningsbekräftelse inom fristen",
        "kvitto:gjord": "Ärenden med mottagningsbekräftelse",
        "aterk:alla": "Ärenden med frist för återkoppling",
        "aterk:inom": "Återkoppling inom fristen",
        "aterk:gjord": "Ärenden med återkoppling",
        "kom:alla": "Klagomål",
        "kom:med": "Klagomål med återkoppling",
        "skal:alla": "Avslutade ärenden (inte beröm)",
        "skal:med": "Avslutade med skäl i stället för återkoppling",
        "atg:beslutade": "Ärenden med beslutade åtgärder",
        "atg:frist": "Ärenden med åtgärder vars sista datum har passerat eller som är genomförda",
        "atg:itid": "Ärenden med åtgärder genomförda senast sista datum",
        "atg:genomforda": "Ärenden med genomförda åtgärder",
        "atg:foljd": "Ärenden med åtgärder med uppföljd effekt",
        "ater:alla": "Alla ärenden",
        "ater:med": "Ärenden som öppnats igen",
    }
    for verdict, label in VERDICTS:
        labels[f"atg:{verdict}"] = f"Ärenden med åtgärder som {label}"
    for track, entries in rules.DEFAULT_STEP_DEADLINES.items():
        name = rules.TRACK_LABELS[track]
        for step, _start, _days in entries:
            step_name = rules.step_label(track, step).lower()
            base = f"lex:{track}:{step}"
            labels[f"{base}:alla"] = f"{name}: {step_name}, med frist"
            labels[f"{base}:inom"] = f"{name}: {step_name} inom fristen"
            labels[f"{base}:gjord"] = f"{name}: {step_name} gjord"
    return labels


def is_figure_key(key: str | None) -> bool:
    return bool(key) and len(key) <= 80 and key in figure_labels()


def figure_label(key: str) -> str:
    return figure_labels().get(key, key)


# --- the rows behind the figures ---------------------------------------------------------


def _has_contact():
    return sa.and_(
        Case.kind_code != "deviation",
        Case.is_anonymous.is_(False),
        sa.or_(Case.submitter_email.is_not(None), Case.submitter_phone.is_not(None)),
    )


def _wants_feedback():
    return sa.and_(
        Case.kind_code != "praise",
        Case.wants_feedback.is_(True),
        Case.no_feedback_reason.is_(None),
    )


def _first_feedback():
    return (
        sa.select(sa.func.min(Feedback.given_on))
        .where(Feedback.case_id == Case.id)
        .scalar_subquery()
    )


def _reopened():
    return sa.exists().where(AuditEntry.case_id == Case.id, AuditEntry.action == REOPENED)


def _action_where(code: str, today: date):
    done = Action.done_on.is_not(None)
    if code == "beslutade":
        return sa.true()
    if code == "frist":
        return sa.and_(Action.due_on.is_not(None), sa.or_(done, Action.due_on < today))
    if code == "itid":
        return sa.and_(done, Action.due_on.is_not(None), Action.done_on <= Action.due_on)
    if code == "genomforda":
        return done
    if code == "foljd":
        return sa.and_(done, Action.effect_verdict.is_not(None))
    return sa.and_(done, Action.effect_verdict == code)


def _timed(rows: Iterable, days: int, today: date) -> Iterable[tuple[int, str, int | None]]:
    """(case id, part, working days or None) for rows (id, received, met): ``gjord`` with
    the days when met; ``alla`` when met or past due; ``inom`` when met by the deadline."""
    for case_id, received, met in rows:
        due = due_date(received, days)
        if met is not None:
            yield case_id, "gjord", working_days_between(received, met)
        if met is not None or due < today:
            yield case_id, "alla", None
            if met is not None and met <= due:
                yield case_id, "inom", None


def _lex_rows(where, extra_columns=()) -> list[SimpleNamespace]:
    """The lex tracks of the cases matching ``where``, each with its steps."""
    tracks = {
        row.id: SimpleNamespace(**row._asdict(), steps=[])
        for row in db.session.execute(
            sa.select(
                Escalation.id,
                Escalation.case_id,
                Escalation.track,
                Escalation.reported_on,
                Escalation.is_serious,
                *extra_columns,
            )
            .join(Case, Case.id == Escalation.case_id)
            .where(where)
        )
    }
    if tracks:
        for row in db.session.execute(
            sa.select(EscalationStep.escalation_id, EscalationStep.step, EscalationStep.occurred_on)
            .where(EscalationStep.escalation_id.in_(sorted(tracks)))
            .order_by(EscalationStep.occurred_on, EscalationStep.id)
        ):
            tracks[row.escalation_id].steps.append(row)
    return list(tracks.values())


def _lex_parts(track, deadlines: list, today: date) -> Iterable[tuple[str, str, int | None]]:
    """(figure key base, part, working days or None) of each step deadline of ``track``,
    by the rule of ``queries.escalation.track_step_spans``."""
    for step, start_on, due, met in track_step_spans(track, deadlines):
        base = f"lex:{track.track}:{step}"
        if met is not None:
            yield base, "gjord", working_days_between(start_on, met)
        if met is not None or due < today:
            yield base, "alla", None
            if met is not None and met <= due:
                yield base, "inom", None


def figure_condition(key: str, where, today: date) -> sa.ColumnElement[bool]:
    """WHERE clause on ``Case`` for the cases behind figure ``key``; ``where`` bounds the
    cases the working-day figures are computed over (the list's unit and dates)."""
    if not is_figure_key(key):
        raise ValueError(f"unknown indicator {key!r}")
    code, *rest = key.split(":")
    part = rest[-1]
    if code == "kom":
        kind = Case.kind_code == "complaint"
        return sa.and_(kind, Case.has_feedback.is_(True)) if part == "med" else kind
    if code == "skal":
        closed = sa.and_(Case.closed_at.is_not(None), Case.kind_code != "praise")
        return sa.and_(closed, Case.no_feedback_reason.is_not(None)) if part == "med" else closed
    if code == "ater":
        return _reopened() if part == "med" else sa.true()
    if code == "atg":
        return sa.exists().where(Action.case_id == Case.id, _action_where(part, today))
    if code in ("kvitto", "aterk"):
        _met, population, days = _timed_columns(code)
        done = (
            Case.acknowledged_on.is_not(None)
            if code == "kvitto"
            else sa.exists().where(Feedback.case_id == Case.id)
        )
        if part == "gjord":
            return sa.and_(population, done)
        if part == "alla":  # done, or the deadline has passed (as ``_timed``)
            past_due = Case.received_on <= latest_overdue_received_on(today, days)
            return sa.and_(population, sa.or_(done, past_due))
        # "inom" needs the calendar per case: its ids, within the list's bounds.
        ids = {case_id for case_id, p, _ in _timed_rows(code, where, today) if p == part}
        return Case.id.in_(sorted(ids))
    base = key.rsplit(":", 1)[0]
    deadlines = list(step_deadline_settings())
    ids = {
        track.case_id
        for track in _lex_rows(where)
        for b, p, _ in _lex_parts(track, deadlines, today)
        if b == base and p == part
    }
    return Case.id.in_(sorted(ids))


def _timed_columns(code: str):
    """(the date it was done, the cases it applies to, the deadline in working days)."""
    if code == "kvitto":
        return Case.acknowledged_on, _has_contact(), deadline_days("acknowledgement")
    return _first_feedback(), _wants_feedback(), deadline_days("feedback")


def _timed_rows(code: str, where, today: date, extra_columns=()):
    """(case id, part, days, *extra) for the mottagningsbekräftelse or återkoppling."""
    met, population, days = _timed_columns(code)
    rows = db.session.execute(
        sa.select(Case.id, Case.received_on, met, *extra_columns).where(where, population)
    ).all()
    extra = {row[0]: tuple(row[3:]) for row in rows}
    for case_id, part, value in _timed(((row[0], row[1], row[2]) for row in rows), days, today):
        yield case_id, part, value, *extra[case_id]


# --- the page's figures ------------------------------------------------------------------


Period = tuple[int, int]  # (year, tertial)


@dataclass
class Cell:
    """One measure for one period (or one unit): its value and the keys to drill into."""

    value: float | None  # share in per cent, median in days, or the count
    part: int  # numerator (share), cases with a time (median), count
    whole: int  # denominator (share); for a median or count the same as part
    part_key: str
    whole_key: str

    @property
    def few(self) -> bool:
        return self.whole < FEW


@dataclass
class UnitRow:
    unit: OrgUnit
    cell: Cell


@dataclass
class IndicatorRow:
    measure: Measure
    cells: list[Cell]  # one per period
    comparison: list[UnitRow] = field(default_factory=list)  # sorted, "few" last


@dataclass
class IndicatorReport:
    unit: OrgUnit
    periods: list[Period]
    open_periods: dict[int, str]  # index -> "pågår"
    compare_period: Period | None
    children: list[OrgUnit]
    rows: list[IndicatorRow]
    deadlines: dict[str, int]


def counting_rules(report: IndicatorReport) -> list[str]:
    """The rules stated on the page and in the export, with today's deadline settings."""
    return [rule.format(**report.deadlines) for rule in COUNTING_RULES]


def periods_for(today: date) -> list[Period]:
    """Every tertial from January two years ago to the current one."""
    current = (today.year, tertial_of(today))
    return [
        (year, tertial)
        for year in range(today.year - YEARS + 1, today.year + 1)
        for tertial in (1, 2, 3)
        if (year, tertial) <= current
    ]


def _children(unit: OrgUnit) -> list[OrgUnit]:
    return list(
        db.session.scalars(
            sa.select(OrgUnit).where(OrgUnit.parent_id == unit.id).order_by(OrgUnit.name)
        )
    )


def _child_column(children: list[OrgUnit], start: date, end: date):
    """The index of the child whose subtree (as it was) holds the case, else -1."""
    whens = []
    for index, child in enumerate(children):
        segments = report_segments(child.id, start, end)
        if segments:
            whens.append((segments_condition(segments), index))
    if not whens:
        return sa.literal(-1)
    return sa.case(*whens, else_=-1)


def build_report(unit: OrgUnit, today: date) -> IndicatorReport:
    """The indicators of ``unit``'s subtree. The caller has checked the viewer's access."""
    periods = periods_for(today)
    start, end = date(periods[0][0], 1, 1), tertial_bounds(*periods[-1])[1]
    where = segments_condition(report_segments(unit.id, start, end))
    year_col, tertial_col = _period_columns(db.session.get_bind().dialect.name)
    children = _children(unit)
    child_col = _child_column(children, start, end).label("child")
    prefix = (year_col, tertial_col, child_col)

    # (code, period, child) -> part -> count; and -> the working days of each done case
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    days: dict[tuple, list[int]] = defaultdict(list)

    def add(code, year, tertial, child, part, n=1):
        counts[(code, (year, tertial), child)][part] += n

    # 1. Grouped: klagomål, closed with a reason, reopened.
    is_complaint = (Case.kind_code == "complaint").label("complaint")
    closed = sa.and_(Case.closed_at.is_not(None), Case.kind_code != "praise")
    closed_col = sa.case((closed, 1), else_=0).label("closed")
    reason_col = sa.case((sa.and_(closed, Case.no_feedback_reason.is_not(None)), 1), else_=0).label(
        "reason"
    )
    reopened_col = sa.case((_reopened(), 1), else_=0).label("reopened")
    facts = (is_complaint, Case.has_feedback, closed_col, reason_col, reopened_col)
    for year, tertial, child, complaint, feedback, was_closed, reason, reopened, n in (
        db.session.execute(sa.select(*prefix, *facts, sa.func.count()).where(where)
                           .group_by(*prefix, *facts))
    ):  # fmt: skip
        add("ater", year, tertial, child, "alla", n)
        if reopened:
            add("ater", year, tertial, child, "med", n)
        if complaint:
            add("kom", year, tertial, child, "alla", n)
            if feedback:
                add("kom", year, tertial, child, "med", n)
        if was_closed:
            add("skal", year, tertial, child, "alla", n)
            if reason:
                add("skal", year, tertial, child, "med", n)

    # 2. Grouped: åtgärder, each åtgärd counted (the list shows the cases they belong to).
    action_parts = ("beslutade", "frist", "itid", "genomforda", "foljd", *dict(VERDICTS))
    flags = [
        sa.case((_action_where(part, today), 1), else_=0).label(part) for part in action_parts[1:]
    ]
    for year, tertial, child, *found, n in db.session.execute(
        sa.select(*prefix, *flags, sa.func.count(Action.id))
        .select_from(Case)
        .join(Action, Action.case_id == Case.id)
        .where(where)
        .group_by(*prefix, *flags)
    ):
        add("atg", year, tertial, child, "beslutade", n)
        for part, flag in zip(action_parts[1:], found, strict=True):
            if flag:
                add("atg", year, tertial, child, part, n)

    # 3. Working days: mottagningsbekräftelse and återkoppling (dates only, per case).
    for code in ("kvitto", "aterk"):
        for _case_id, part, value, year, tertial, child in _timed_rows(code, where, today, prefix):
            add(code, year, tertial, child, part)
            if part == "gjord":
                days[(code, (year, tertial), child)].append(value)

    # 4. Lex Sarah and lex Maria steps.
    deadlines = list(step_deadline_settings())
    for track in _lex_rows(where, prefix):
        for base, part, value in _lex_parts(track, deadlines, today):
            add(base, track.year, track.tertial, track.child, part)
            if part == "gjord":
                days[(base, (track.year, track.tertial), track.child)].append(value)

    def cell(measure: Measure, period_set: list[Period], child_set) -> Cell:
        def total(part):
            return sum(
                counts.get((measure.code, period, child), {}).get(part, 0)
                for period in period_set
                for child in child_set
            )

        part = total(measure.part)
        part_key = f"{measure.code}:{measure.part}"
        if measure.kind == "share":
            whole = total(measure.whole)
            value = round(100 * part / whole) if whole else None
            return Cell(value, part, whole, part_key, f"{measure.code}:{measure.whole}")
        if measure.kind == "median":
            values = [
                v for period in period_set for child in child_set
                for v in days.get((measure.code, period, child), ())
            ]  # fmt: skip
            value = median(values) if values else None
            return Cell(value, len(values), len(values), part_key, part_key)
        return Cell(part, part, part, part_key, part_key)

    every_child = (-1, *range(len(children)))
    ended = [p for p in periods if tertial_bounds(*p)[1] < today]
    compare_period = ended[-1] if ended else None
    rows = []
    for measure in measures():
        row = IndicatorRow(measure, [cell(measure, [p], every_child) for p in periods])
        if compare_period and children and measure.kind != "count":
            units = [UnitRow(child, cell(measure, [compare_period], (index,)))
                     for index, child in enumerate(children)]  # fmt: skip
            row.comparison = _sorted(units, measure.higher_is_better)
        rows.append(row)
    open_periods = {i: "pågår" for i, p in enumerate(periods) if tertial_bounds(*p)[1] >= today}
    return IndicatorReport(
        unit=unit,
        periods=periods,
        open_periods=open_periods,
        compare_period=compare_period,
        children=children,
        rows=rows,
        deadlines={
            "ack": deadline_days("acknowledgement"),
            "feedback": deadline_days("feedback"),
        },
    )


def _sorted(units: list[UnitRow], higher_is_better: bool) -> list[UnitRow]:
    """Best first by the indicator; units with too few cases (or none) last, by name."""

    def order(row: UnitRow):
        value = row.cell.value
        if row.cell.few or value is None:
            return (1, 0, row.unit.name)
        return (0, -value if higher_is_better else value, row.unit.name)

    return sorted(units, key=order)
