"""The patientsäkerhetsberättelse's figures (PSL 3 kap. 10 §, issue 19).

One year's figures for a unit subtree, each beside the year before: avvikelser by lagrum ×
händelsetyp × skada, risk levels, händelseanalyser, åtgärder and their effect, lex Sarah
and lex Maria by assessment level and IVO anmälan, klagomål and synpunkter.

Every figure has a key made of codes only (``avv:hsl:fall:alla``, ``risk:hog``,
``atg:genomforda``, ``lex:lex_maria:ivo`` …). ``figure_condition`` gives the key's cases as
a WHERE clause for the case list (drill-down), and the counts come from five grouped
statements over both years at once, so the number of queries does not grow with the
cases. A test follows every linked figure and checks that its list has exactly the cases
counted (for åtgärder: the avvikelser the counted åtgärder belong to).

Counting rules (stated on the page, ``COUNTING_RULES``): a case belongs to the year it was
received (inkom-datum), in the unit subtree as it was on that day (like the tertial
table), and everything about it is counted as recorded today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import g, has_request_context

from casetrack.domain.deviations import HARM_LEVELS, LAGRUM, LAGRUM_BY_CODE, RISK_LEVELS
from casetrack.domain.escalation import ASSESSMENTS, SERIOUS_ASSESSMENTS
from casetrack.extensions import db
from casetrack.models import (
    Action,
    Case,
    DeviationClassification,
    Escalation,
    EventType,
    Investigation,
    InvestigationCause,
    InvestigationEvent,
    InvestigationParticipant,
    OrgUnit,
)
from casetrack.queries.deviations import analysis_threshold
from casetrack.queries.report import _period_columns, report_segments, segments_condition

ALL = "alla"
NOT_GIVEN = "ej"
SERIOUS = "allvarliga"  # the levels that require the anmälan to IVO
TITLE = "Patientsäkerhetsberättelse"
TRACKS = (("lex_maria", "Lex Maria"), ("lex_sarah", "Lex Sarah"))
TRACK_LABELS = dict(TRACKS)
KINDS = (("complaint", "Klagomål"), ("suggestion", "Synpunkter"))

COUNTING_RULES = (
    "Ett ärende räknas det år det kom in (inkom-datum, svensk tid), på den enhet det hörde "
    "till då. En enhet räknas med allt som låg under den det året, även om "
    "organisationen har ändrats sedan dess.",
    "Allt annat räknas som det är registrerat i dag: klassificering, riskbedömning, "
    "händelseanalys, åtgärder och lex Sarah/lex Maria. Siffrorna för ett år kan därför "
    "ändras om ett ärende kompletteras i efterhand.",
    "Avvikelser: varje avvikelse räknas en gång, under sitt lagrum, sin händelsetyp och sin "
    "skada. En undertyp (till exempel utebliven dos) räknas också i sin huvudtyp (läkemedel). "
    "Saknas en uppgift räknas avvikelsen som Ej angivet, aldrig som en annan typ.",
    "Risknivå: sannolikhet × konsekvens. Låg risk 1–3, måttlig 4–6, hög 8–9, mycket hög "
    "12–16. Ej riskbedömd: avvikelser utan sannolikhet och konsekvens.",
    "Händelseanalys krävs: avvikelser med ett riskvärde på minst organisationens gräns "
    "(i dag {threshold}). Händelseanalys gjord: händelseanalysen har ett händelseförlopp, "
    "minst en orsak med orsaksområde och minst en deltagare, och utredningen är avslutad.",
    "Åtgärder: åtgärder som registrerats på årets avvikelser. Genomförda: åtgärder med ett "
    "genomfört-datum. Effekten räknas för genomförda åtgärder: uppnådd, delvis, inte "
    "uppnådd, ingen uppföljning (med skäl) eller inte följd upp ännu. En länk visar "
    "avvikelserna som åtgärderna hör till, så listan kan ha färre ärenden än åtgärder.",
    "Lex Sarah och lex Maria: ärenden från året med en rapport (lex Sarah) eller "
    "utredning (lex Maria), oavsett ärendetyp, efter ställningstagandet som är registrerat "
    "i dag (Socialstyrelsens skala, från den minst allvarliga nivån). Allvarlig nivå: de "
    "två nivåer som kräver anmälan till IVO. Anmälda till IVO: ärenden där en anmälan "
    "till IVO är registrerad, oavsett när den gjordes.",
    "Klagomål och synpunkter: ärenden av de typerna, som i tertialrapporten (beröm och "
    "avvikelser räknas inte här).",
    "Förändring: årets siffra minus föregående års. Pågår året visas siffrorna hittills.",
)

HARM_COLUMNS = (*((h.code, h.label) for h in HARM_LEVELS), (NOT_GIVEN, "Ej angivet"))
RISK_ROWS = (
    *((code, label) for _, code, label in reversed(RISK_LEVELS)),
    (NOT_GIVEN, "Ej riskbedömd"),
)
ANALYSIS_ROWS = (
    ("kravs", "Avvikelser där händelseanalys krävs"),
    ("kravs_gjord", "varav händelseanalys gjord"),
    ("kravs_saknas", "varav händelseanalys saknas"),
    ("gjord", "Alla avvikelser med händelseanalys"),
)
ACTION_ROWS = (
    ("beslutade", "Beslutade åtgärder"),
    ("genomforda", "Genomförda åtgärder"),
    ("effekt_achieved", "Effekt uppnådd"),
    ("effekt_partial", "Effekt delvis uppnådd"),
    ("effekt_none", "Effekt inte uppnådd"),
    ("effekt_waived", "Ingen effektuppföljning (med skäl)"),
    ("effekt_open", "Effekt inte följd upp ännu"),
)
COMPLAINT_ROWS = (
    ("complaint", "Klagomål"),
    ("suggestion", "Synpunkter"),
    (ALL, "Klagomål och synpunkter totalt"),
    ("aterkoppling", "varav återkoppling lämnad"),
    ("atgardade", "varav minst en åtgärd genomförd"),
)


# --- the händelseanalys ------------------------------------------------------------------


def has_event_analysis() -> sa.ColumnElement[bool]:
    """The case's händelseanalys is recorded, as a WHERE clause on ``Case``.

    The one place this report asks "got a händelseanalys": the rule of
    ``casetrack.queries.deviations.analysis_recorded`` (``domain.event_analysis``
    ``missing_for_analysis``) in SQL: a completed utredning with at least one
    händelseförlopp entry, one cause with its cause area and one participant. The counts
    and the drill-down both use it."""
    return sa.exists().where(
        Investigation.case_id == Case.id,
        Investigation.completed_on.is_not(None),
        sa.exists().where(InvestigationEvent.investigation_id == Investigation.id),
        sa.exists().where(
            InvestigationCause.investigation_id == Investigation.id,
            InvestigationCause.area.is_not(None),
        ),
        sa.exists().where(InvestigationParticipant.investigation_id == Investigation.id),
    )


# --- the händelsetyp tree ----------------------------------------------------------------


@dataclass(frozen=True)
class EventTree:
    order: tuple[str, ...]  # every code, roots each followed by their subtypes
    labels: dict[str, str]
    parent: dict[str, str | None]

    def root(self, code: str | None) -> str | None:
        seen = set()
        while code is not None and self.parent.get(code) and code not in seen:
            seen.add(code)
            code = self.parent[code]
        return code

    def subtree(self, code: str) -> set[str]:
        """``code`` and every type under it."""
        found = {code}
        changed = True
        while changed:
            more = {c for c, p in self.parent.items() if p in found and c not in found}
            changed = bool(more)
            found |= more
        return found

    def depth(self, code: str) -> int:
        return 0 if self.root(code) == code else 1


def event_tree() -> EventTree:
    """The händelsetyp tree, inactive types included (old avvikelser keep theirs); read
    once per request."""
    if has_request_context() and "_psb_event_tree" in g:
        return g._psb_event_tree
    tree = _read_event_tree()
    if has_request_context():
        g._psb_event_tree = tree
    return tree


def _read_event_tree() -> EventTree:
    rows = db.session.execute(
        sa.select(EventType.code, EventType.label, EventType.parent_code).order_by(
            EventType.lagrum_group, EventType.sort_order, EventType.code
        )
    ).all()
    parent = {code: parent_code for code, _, parent_code in rows}
    labels = {code: label for code, label, _ in rows}
    children: dict[str | None, list[str]] = defaultdict(list)
    for code, _, parent_code in rows:
        children[parent_code if parent_code in parent else None].append(code)
    order: list[str] = []

    def walk(code: str) -> None:
        order.append(code)
        for child in children.get(code, ()):
            walk(child)

    for code in children[None]:
        walk(code)
    return EventTree(tuple(order), labels, parent)


# --- figure keys -------------------------------------------------------------------------


def _classified(*conditions) -> sa.ColumnElement[bool]:
    return sa.exists().where(DeviationClassification.case_id == Case.id, *conditions)


def _risk_bounds(level: str) -> tuple[int, int]:
    """[lowest, highest] risk value of a level code."""
    ordered = list(RISK_LEVELS)  # highest first
    for index, (lowest, code, _) in enumerate(ordered):
        if code == level:
            highest = ordered[index - 1][0] - 1 if index else 16
            return lowest, highest
    raise KeyError(level)


def _risk_value():
    return DeviationClassification.probability * DeviationClassification.consequence_level


def _is_deviation():
    return Case.kind_code == "deviation"


def _deviation_condition(lagrum: str, event_type: str, harm: str, tree: EventTree):
    conditions = [_is_deviation()]
    dc = DeviationClassification
    if lagrum == NOT_GIVEN:
        conditions.append(~_classified(dc.lagrum.is_not(None)))
    elif lagrum != ALL:
        conditions.append(_classified(dc.lagrum == lagrum))
    if event_type == NOT_GIVEN:
        conditions.append(~_classified(dc.event_type_code.is_not(None)))
    elif event_type != ALL:
        conditions.append(_classified(dc.event_type_code.in_(sorted(tree.subtree(event_type)))))
    if harm == NOT_GIVEN:
        conditions.append(~_classified(dc.harm.is_not(None)))
    elif harm != ALL:
        conditions.append(_classified(dc.harm == harm))
    return sa.and_(*conditions)


def _risk_condition(level: str):
    dc = DeviationClassification
    if level == NOT_GIVEN:
        assessed = _classified(dc.probability.is_not(None), dc.consequence_level.is_not(None))
        return sa.and_(_is_deviation(), ~assessed)
    lowest, highest = _risk_bounds(level)
    return sa.and_(_is_deviation(), _classified(_risk_value().between(lowest, highest)))


def _analysis_condition(code: str, threshold: int):
    required = sa.and_(_is_deviation(), _classified(_risk_value() >= threshold))
    if code == "kravs":
        return required
    if code == "kravs_gjord":
        return sa.and_(required, has_event_analysis())
    if code == "kravs_saknas":
        return sa.and_(required, ~has_event_analysis())
    return sa.and_(_is_deviation(), has_event_analysis())


def _action_filter(code: str):
    """The åtgärder a row counts, as conditions on ``Action``."""
    done = Action.done_on.is_not(None)
    if code == "beslutade":
        return sa.true()
    if code == "genomforda":
        return done
    if code == "effekt_waived":
        return sa.and_(done, Action.effect_waived_reason.is_not(None))
    if code == "effekt_open":
        return sa.and_(done, Action.effect_verdict.is_(None), Action.effect_waived_reason.is_(None))
    verdict = code.removeprefix("effekt_")
    return sa.and_(done, Action.effect_verdict == verdict)


def _action_condition(code: str):
    return sa.and_(
        _is_deviation(), sa.exists().where(Action.case_id == Case.id, _action_filter(code))
    )


def _lex_condition(track: str, code: str):
    conditions = [Escalation.case_id == Case.id, Escalation.track == track]
    if code == "ivo":
        conditions.append(Escalation.ivo_reported_on.is_not(None))
    elif code == SERIOUS:
        conditions.append(Escalation.assessment.in_(sorted(SERIOUS_ASSESSMENTS)))
    elif code == NOT_GIVEN:
        conditions.append(Escalation.assessment.is_(None))
    elif code != ALL:
        conditions.append(Escalation.assessment == code)
    return sa.exists().where(*conditions)


def _complaint_condition(code: str):
    both = Case.kind_code.in_([kind for kind, _ in KINDS])
    if code == ALL:
        return both
    if code == "aterkoppling":
        return sa.and_(both, Case.has_feedback.is_(True))
    if code == "atgardade":
        return sa.and_(both, Case.has_done_action.is_(True))
    return Case.kind_code == code


def _lex_codes(track: str) -> set[str]:
    return {code for code, _ in ASSESSMENTS.get(track, ())} | {ALL, NOT_GIVEN, SERIOUS, "ivo"}


def _valid(key: str, tree: EventTree) -> bool:
    parts = key.split(":")
    section, rest = parts[0], parts[1:]
    if section == "avv" and len(rest) == 3:
        lagrum, event_type, harm = rest
        return (
            lagrum in {ALL, NOT_GIVEN, *LAGRUM_BY_CODE}
            and event_type in {ALL, NOT_GIVEN, *tree.labels}
            and harm in {ALL, *(code for code, _ in HARM_COLUMNS)}
        )
    if len(rest) == 1:
        allowed = {
            "risk": {code for code, _ in RISK_ROWS},
            "analys": {code for code, _ in ANALYSIS_ROWS},
            "atg": {code for code, _ in ACTION_ROWS},
            "kom": {code for code, _ in COMPLAINT_ROWS},
        }
        return rest[0] in allowed.get(section, ())
    if section == "lex" and len(rest) == 2:
        return rest[0] in TRACK_LABELS and rest[1] in _lex_codes(rest[0])
    return False


def is_figure_key(key: str | None) -> bool:
    return bool(key) and len(key) <= 120 and _valid(key, event_tree())


def figure_condition(key: str) -> sa.ColumnElement[bool]:
    """WHERE clause on ``Case`` for the cases behind the figure ``key`` (drill-down);
    the unit subtree and the year come from the list's own filters."""
    tree = event_tree()
    if not _valid(key, tree):
        raise ValueError(f"unknown patientsäkerhetsberättelse figure {key!r}")
    section, *rest = key.split(":")
    if section == "avv":
        return _deviation_condition(*rest, tree)
    if section == "risk":
        return _risk_condition(rest[0])
    if section == "analys":
        return _analysis_condition(rest[0], analysis_threshold())
    if section == "atg":
        return _action_condition(rest[0])
    if section == "lex":
        return _lex_condition(*rest)
    return _complaint_condition(rest[0])


def figure_label(key: str) -> str:
    """The figure's name in words, for the drill-down list's heading and filter chip."""
    tree = event_tree()
    if not _valid(key, tree):
        return key
    section, *rest = key.split(":")
    if section == "avv":
        lagrum, event_type, harm = rest
        parts = ["Avvikelser"]
        if lagrum != ALL:
            parts.append(
                "lagrum ej angivet" if lagrum == NOT_GIVEN else LAGRUM_BY_CODE[lagrum].label
            )
        if event_type != ALL:
            parts.append(
                "händelsetyp ej angivet"
                if event_type == NOT_GIVEN
                else tree.labels[event_type].lower()
            )
        if harm != ALL:
            parts.append(
                "skada ej angiven" if harm == NOT_GIVEN else dict(HARM_COLUMNS)[harm].lower()
            )
        return ", ".join(parts)
    if section == "risk":
        return f"Avvikelser, {dict(RISK_ROWS)[rest[0]].lower()}"
    if section == "analys":
        label = dict(ANALYSIS_ROWS)[rest[0]]
        return label if not label.startswith("varav") else f"Händelseanalys krävs, {label}"
    if section == "atg":
        return f"Avvikelser med åtgärder: {dict(ACTION_ROWS)[rest[0]].lower()}"
    if section == "lex":
        track, code = rest
        name = TRACK_LABELS[track]
        if code == ALL:
            return name
        if code == "ivo":
            return f"{name}, anmäld till IVO"
        if code == SERIOUS:
            return f"{name}, allvarlig nivå (anmälan till IVO krävs)"
        if code == NOT_GIVEN:
            return f"{name}, inget ställningstagande ännu"
        return f"{name}, {dict(ASSESSMENTS[track])[code].lower()}"
    return dict(COMPLAINT_ROWS)[rest[0]]


# --- counting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    current: int
    previous: int
    level: int = 0  # 1: a "varav" row or a subtype, shown indented

    @property
    def change(self) -> int:
        return self.current - self.previous


@dataclass(frozen=True)
class MatrixRow:
    label: str
    level: int
    cells: tuple[Figure, ...]  # one per harm column, then the row's total


@dataclass(frozen=True)
class LagrumTable:
    code: str
    label: str
    rows: tuple[MatrixRow, ...]
    total: MatrixRow


@dataclass
class PatientSafetyReport:
    unit: OrgUnit
    year: int
    threshold: int
    deviations: Figure
    by_lagrum: list[LagrumTable]
    risk: list[Figure]
    analysis: list[Figure]
    actions: list[Figure]
    lex: list[tuple[str, str, list[Figure]]]  # (track, label, figures)
    complaints: list[Figure]
    # Avvikelser of the year without lagrum or händelsetyp: flagged like the tertial
    # table's, and drilled down with its row (``report.UNCLASSIFIED_DEVIATION``).
    unclassified: int = 0


def _year_column():
    return _period_columns(db.session.get_bind().dialect.name)[0]


class _Counts:
    """Grouped rows of one statement: ``count(year, predicate)`` sums the matching ones."""

    def __init__(self, rows: Iterable[tuple]) -> None:
        self.rows = [tuple(row) for row in rows]

    def count(self, year: int, predicate: Callable[[tuple], bool]) -> int:
        return sum(row[-1] for row in self.rows if row[0] == year and predicate(row))


def _matches(value, wanted: str, members: set[str] | None = None) -> bool:
    if wanted == ALL:
        return True
    if wanted == NOT_GIVEN:
        return value is None
    return value in members if members is not None else value == wanted


def build_report(unit: OrgUnit, year: int) -> PatientSafetyReport:
    """The figures of ``year`` and ``year - 1`` for ``unit`` and its subtree as it was
    (``report_segments``). The caller has checked that the viewer may read reports for
    ``unit``."""
    segments = report_segments(unit.id, date(year - 1, 1, 1), date(year, 12, 31))
    where = segments_condition(segments)
    year_col = _year_column()
    tree = event_tree()
    threshold = analysis_threshold()
    dc = DeviationClassification
    analysed = sa.case((has_event_analysis(), 1), else_=0)

    # 1. Avvikelser: classification, risk and händelseanalys in one grouped statement.
    dev_columns = (year_col, dc.lagrum, dc.event_type_code, dc.harm, _risk_value(), analysed)
    deviations = _Counts(
        db.session.execute(
            sa.select(*dev_columns, sa.func.count())
            .select_from(Case)
            .outerjoin(dc, dc.case_id == Case.id)
            .where(where, _is_deviation())
            .group_by(*dev_columns)
        )
    )
    # 2. Åtgärder on avvikelser (each åtgärd counted).
    waived = sa.case((Action.effect_waived_reason.is_not(None), 1), else_=0)
    action_columns = (year_col, Action.done_on.is_not(None), Action.effect_verdict, waived)
    actions = _Counts(
        db.session.execute(
            sa.select(*action_columns, sa.func.count(Action.id))
            .select_from(Case)
            .join(Action, Action.case_id == Case.id)
            .where(where, _is_deviation())
            .group_by(*action_columns)
        )
    )
    # 3. Lex tracks (one per case and track).
    ivo = sa.case((Escalation.ivo_reported_on.is_not(None), 1), else_=0)
    lex_columns = (year_col, Escalation.track, Escalation.assessment, ivo)
    lex = _Counts(
        db.session.execute(
            sa.select(*lex_columns, sa.func.count())
            .select_from(Case)
            .join(Escalation, Escalation.case_id == Case.id)
            .where(where)
            .group_by(*lex_columns)
        )
    )
    # 4. Klagomål and synpunkter.
    kind_columns = (year_col, Case.kind_code, Case.has_feedback, Case.has_done_action)
    kinds = _Counts(
        db.session.execute(
            sa.select(*kind_columns, sa.func.count())
            .where(where, Case.kind_code.in_([kind for kind, _ in KINDS]))
            .group_by(*kind_columns)
        )
    )

    def figure(key: str, label: str, counts: _Counts, predicate, level: int = 0) -> Figure:
        return Figure(
            key, label, counts.count(year, predicate), counts.count(year - 1, predicate), level
        )

    # -- avvikelser by lagrum × händelsetyp × skada
    def dev_predicate(lagrum: str, event_type: str, harm: str):
        members = tree.subtree(event_type) if event_type not in (ALL, NOT_GIVEN) else None
        return lambda row: (
            _matches(row[1], lagrum)
            and _matches(row[2], event_type, members)
            and _matches(row[3], harm)
        )

    def matrix_row(
        lagrum: str, lagrum_label: str, event_type: str, label: str, level: int
    ) -> MatrixRow:
        prefix = "" if event_type == ALL else f"{lagrum_label}: "
        cells = tuple(
            figure(
                f"avv:{lagrum}:{event_type}:{harm}",
                f"{prefix}{label}, {harm_label}",
                deviations,
                dev_predicate(lagrum, event_type, harm),
            )
            for harm, harm_label in (*HARM_COLUMNS, (ALL, "totalt"))
        )
        return MatrixRow(label, level, cells)

    by_lagrum = []
    for lagrum, lagrum_label in (
        *((item.code, item.label) for item in LAGRUM),
        (NOT_GIVEN, "Lagrum ej angivet"),
    ):
        total = matrix_row(lagrum, lagrum_label, ALL, f"{lagrum_label}, alla händelsetyper", 0)
        if not (total.cells[-1].current or total.cells[-1].previous):
            continue
        rows = []
        for code in (*tree.order, NOT_GIVEN):
            label = "Händelsetyp ej angiven" if code == NOT_GIVEN else tree.labels[code]
            level = 0 if code == NOT_GIVEN else tree.depth(code)
            row = matrix_row(lagrum, lagrum_label, code, label, level)
            if row.cells[-1].current or row.cells[-1].previous:
                rows.append(row)
        by_lagrum.append(LagrumTable(lagrum, lagrum_label, tuple(rows), total))

    all_deviations = figure("avv:alla:alla:alla", "Avvikelser totalt", deviations, lambda r: True)

    # -- risk
    def risk_predicate(code: str):
        if code == NOT_GIVEN:
            return lambda row: row[4] is None
        lowest, highest = _risk_bounds(code)
        return lambda row: row[4] is not None and lowest <= row[4] <= highest

    risk = [
        figure(f"risk:{code}", label, deviations, risk_predicate(code)) for code, label in RISK_ROWS
    ]

    # -- händelseanalys
    def analysis_predicate(code: str):
        def required(row):
            return row[4] is not None and row[4] >= threshold

        return {
            "kravs": required,
            "kravs_gjord": lambda row: required(row) and row[5] == 1,
            "kravs_saknas": lambda row: required(row) and row[5] != 1,
            "gjord": lambda row: row[5] == 1,
        }[code]

    analysis = [
        figure(f"analys:{code}", label, deviations, analysis_predicate(code),
               1 if label.startswith("varav") else 0)
        for code, label in ANALYSIS_ROWS
    ]  # fmt: skip

    # -- åtgärder
    def action_predicate(code: str):
        if code == "beslutade":
            return lambda row: True
        if code == "genomforda":
            return lambda row: bool(row[1])
        if code == "effekt_waived":
            return lambda row: bool(row[1]) and row[3] == 1
        if code == "effekt_open":
            return lambda row: bool(row[1]) and row[2] is None and row[3] != 1
        verdict = code.removeprefix("effekt_")
        return lambda row: bool(row[1]) and row[2] == verdict

    action_figures = [
        figure(f"atg:{code}", label, actions, action_predicate(code),
               1 if code.startswith("effekt_") else 0)
        for code, label in ACTION_ROWS
    ]  # fmt: skip

    # -- lex Sarah and lex Maria
    lex_sections = []
    for track, track_label in TRACKS:
        figures = [
            figure(f"lex:{track}:{ALL}", f"{track_label} totalt", lex, lambda r, t=track: r[1] == t)
        ]
        for code, label in ASSESSMENTS.get(track, ()):
            figures.append(
                figure(
                    f"lex:{track}:{code}",
                    label,
                    lex,
                    lambda r, t=track, c=code: r[1] == t and r[2] == c,
                    1,
                )
            )
        figures.append(
            figure(
                f"lex:{track}:{NOT_GIVEN}",
                "Inget ställningstagande ännu",
                lex,
                lambda r, t=track: r[1] == t and r[2] is None,
                1,
            )
        )
        figures.append(
            figure(
                f"lex:{track}:{SERIOUS}",
                "Allvarlig nivå, anmälan till IVO krävs",
                lex,
                lambda r, t=track: r[1] == t and r[2] in SERIOUS_ASSESSMENTS,
            )
        )
        figures.append(
            figure(
                f"lex:{track}:ivo",
                "Anmälda till IVO",
                lex,
                lambda r, t=track: r[1] == t and r[3] == 1,
            )
        )
        lex_sections.append((track, track_label, figures))

    # -- klagomål och synpunkter
    def complaint_predicate(code: str):
        return {
            ALL: lambda row: True,
            "aterkoppling": lambda row: bool(row[2]),
            "atgardade": lambda row: bool(row[3]),
        }.get(code, lambda row, c=code: row[1] == c)

    complaints = [
        figure(f"kom:{code}", label, kinds, complaint_predicate(code),
               1 if label.startswith("varav") else 0)
        for code, label in COMPLAINT_ROWS
    ]  # fmt: skip

    unclassified = deviations.count(year, lambda row: row[1] is None or row[2] is None)
    return PatientSafetyReport(
        unit=unit,
        year=year,
        threshold=threshold,
        deviations=all_deviations,
        by_lagrum=by_lagrum,
        risk=risk,
        analysis=analysis,
        actions=action_figures,
        lex=lex_sections,
        complaints=complaints,
        unclassified=unclassified,
    )


def default_year(today: date) -> int:
    """Last year until 1 March (the berättelse is due then), this year from 1 March."""
    return today.year - 1 if (today.month, today.day) < (3, 1) else today.year
