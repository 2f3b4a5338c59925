"""The rows of "Redovisning av synpunkter och klagomål" (DESIGN §5), in their order.

The labels are exactly those of the table the units hand in; tests compare this with
../shared/ils_report_rows.json (copied to tests/data/).
"""

from __future__ import annotations

from typing import NamedTuple

from casetrack.domain.codes import CATEGORIES, SOURCES

TITLE = "Redovisning av synpunkter och klagomål"
FIRST_COLUMN = "Uppdelning Klagomål/synpunkter/kategorier"
TERTIAL_COLUMNS = ("Utfall T1", "Utfall T2", "Utfall VB")
TOTAL_COLUMN = "Totalt ack. Utfall"
SUMMARY_COLUMN = "Sammanfattning och planerade åtgärder"
UNIT = "st"
TERTIAL_NAMES = {1: "T1", 2: "T2", 3: "VB"}


class Row(NamedTuple):
    group: str
    code: str
    label: str


class Group(NamedTuple):
    code: str
    label: str
    rows: tuple[Row, ...]


def _rows(group: str, items) -> tuple[Row, ...]:
    return tuple(Row(group, item.code, item.label) for item in items)


GROUPS: tuple[Group, ...] = (
    Group("praise", "Beröm", (Row("praise", "praise", "Antal beröm"),)),
    Group(
        "source",
        "Från vem har klagomål, synpunkt eller avvikelser inkommit?",
        _rows("source", SOURCES),
    ),
    Group(
        "category",
        "Vad gällde klagomålet, synpunkten eller avvikelsen?",
        _rows("category", CATEGORIES),
    ),
    Group(
        "escalation",
        "Varav antal avvikelser som lett till (ej incidenter som rapporteras i IA)",
        (Row("escalation", "lex_maria", "Lex Maria"), Row("escalation", "lex_sarah", "Lex Sarah")),
    ),
    Group(
        "feedback",
        "Återkoppling",
        (Row("feedback", "feedback_given", "Antal klagomål där återkoppling har lämnats"),),
    ),
    Group(
        "actions",
        "Åtgärder",
        (Row("actions", "actions_taken", "Antal klagomål där åtgärder vidtagits"),),
    ),
)

ROWS: tuple[Row, ...] = tuple(row for group in GROUPS for row in group.rows)


def row_key(row: Row) -> str:
    """A key unique across groups, e.g. ``source:brukare`` or ``category:annat``."""
    return f"{row.group}:{row.code}"


ROW_KEYS = {row_key(row): row for row in ROWS}

COUNTING_RULES = (
    "Ett ärende räknas i den tertial då det kom in (inkom-datum, svensk tid). "
    "T1 är januari–april, T2 maj–augusti och VB (T3) september–december.",
    "Antal beröm räknar ärenden av typen beröm. Alla andra rader räknar bara klagomål, "
    "synpunkter och avvikelser – inte beröm.",
    "Från vem: varje ärende räknas en gång, efter vem det kom ifrån.",
    "Vad gällde det: varje ärende räknas en gång per kategori det har. Raderna kan därför "
    "tillsammans bli fler än antalet ärenden.",
    "Ärenden som saknar uppgift om från vem eller kategori räknas inte som Annan/Annat. "
    "De visas som en varning om datakvalitet med en länk till ärendena.",
    "Lex Sarah och Lex Maria: ärenden som lett till en lex Sarah-rapport eller en lex "
    "Maria-utredning. Arbetsmiljöhändelser som rapporteras i IA räknas inte.",
    "Återkoppling: ärenden med minst en registrerad återkoppling.",
    "Åtgärder: ärenden med minst en åtgärd som är markerad som genomförd.",
    "Totalt ack. Utfall är summan av tertialerna till och med den valda.",
    "En fastställd tertial visar de siffror som fastställdes. Har ett ärende ändrats "
    "efteråt visas dagens siffra bredvid.",
)
