"""Read the tertial tables units kept in Excel, for ``casetrack import tallies`` (issue 22).

One sheet per unit and tertial, laid out like "Redovisning av synpunkter och klagomål"
(``write_template`` writes an empty one):

- above the table, a label in column A and its value in column B: ``Enhet`` (the unit
  code), ``År`` (e.g. 2024) and ``Tertial`` (T1, T2 or VB; T3 is read as VB): the table
  as it was handed in after that tertial;
- the table's heading row: ``Uppdelning Klagomål/synpunkter/kategorier`` in column A and
  the columns ``Utfall T1``, ``Utfall T2``, ``Utfall VB``, ``Totalt ack. Utfall`` and
  ``Sammanfattning och planerade åtgärder`` in any order to its right;
- below it, the report's row labels in column A (every row once; the group headings and
  empty rows may stand between them) and the counts in the columns.

Labels are compared without case and whitespace (a label wrapped over two lines in a
cell still matches). An empty cell is 0 in a tertial column that has any figure; a
tertial column with no figure at all was not reported and gives no figures. Columns after
the sheet's tertial must be empty. ``Totalt ack. Utfall``, where filled in, must be the
sum of the tertial columns. The summary texts are not read.

Nothing here touches the database: every problem found in the file is returned with its
sheet, row and column; the unit codes and the database's own figures are checked by
``services/tallies.py``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from casetrack.domain.report_rows import (
    FIRST_COLUMN,
    GROUPS,
    ROWS,
    SUMMARY_COLUMN,
    TERTIAL_COLUMNS,
    TITLE,
    TOTAL_COLUMN,
    row_key,
)

HEADER_LABELS = {"enhet": "unit", "år": "year", "tertial": "tertial"}
TERTIALS = {"T1": 1, "T2": 2, "T3": 3, "VB": 3}
HEADING_ROW = 6  # in the template


class TallyFileError(Exception):
    """The file cannot be read as a workbook at all."""


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"blad {self.sheet!r}"]
        if self.row is not None:
            where.append(f"rad {self.row}")
        if self.column is not None:
            where.append(f"kolumn {self.column}")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class Sheet:
    """One unit's table after one tertial: {(tertial, row key): (count, "Blad!C12")}."""

    name: str
    unit_code: str | None = None
    year: int | None = None
    up_to: int | None = None
    cells: dict[str, tuple[int, str]] = field(default_factory=dict)  # header cells
    figures: dict[tuple[int, str], tuple[int, str]] = field(default_factory=dict)


def _key(text) -> str:
    return re.sub(r"\s+", "", str(text)).casefold()


ROW_BY_LABEL = {_key(row.label): row for row in ROWS}
GROUP_LABELS = {_key(group.label) for group in GROUPS}
COLUMN_BY_LABEL = {_key(label): tertial for tertial, label in enumerate(TERTIAL_COLUMNS, 1)}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _count(value) -> tuple[int | None, str | None]:
    """(count, None) or (None, the problem in Swedish)."""
    if isinstance(value, bool):
        return None, f"{value!s} är inte ett antal. Skriv ett heltal, 0 eller större."
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        text = re.sub(r"\s*st\.?$", "", text)
        if re.fullmatch(r"-?\d+", text):
            value = int(text)
    if not isinstance(value, int):
        return None, f"”{value}” är inte ett heltal. Skriv ett antal, 0 eller större."
    if value < 0:
        return None, f"{value} är negativt. Ett antal är 0 eller större."
    return value, None


def _read_sheet(ws) -> tuple[Sheet, list[Problem]]:
    sheet = Sheet(ws.title)
    problems: list[Problem] = []

    def problem(row, column, message):
        problems.append(Problem(ws.title, row, column, message))

    rows = list(ws.iter_rows(values_only=True))
    heading = next(
        (
            i
            for i, values in enumerate(rows, 1)
            if values and _key(values[0] or "") == _key(FIRST_COLUMN)
        ),
        None,
    )
    if heading is None:
        problem(None, "A", f"Rubrikraden ”{FIRST_COLUMN}” saknas i kolumn A.")
        return sheet, problems
    header: dict[str, object] = {}
    for number, values in enumerate(rows[: heading - 1], 1):
        if values and not _blank(values[0]) and _key(values[0]) in HEADER_LABELS:
            header[HEADER_LABELS[_key(values[0])]] = (
                values[1] if len(values) > 1 else None,
                number,
            )
    for field_name, label in (("unit", "Enhet"), ("year", "År"), ("tertial", "Tertial")):
        if field_name not in header or _blank(header[field_name][0]):
            row = header[field_name][1] if field_name in header else None
            problem(row, "B" if row else "A", f"”{label}” saknas ovanför tabellen.")
    if "unit" in header and not _blank(header["unit"][0]):
        sheet.unit_code = str(header["unit"][0]).strip().upper()
        sheet.cells["unit"] = header["unit"][1]
    if "year" in header and not _blank(header["year"][0]):
        value, row = header["year"]
        year, _error = _count(value)
        if year is None or not 2000 <= year <= 2100:
            problem(row, "B", f"”{value}” är inte ett år. Skriv året med fyra siffror, t.ex. 2024.")
        else:
            sheet.year = year
        sheet.cells["year"] = row
    if "tertial" in header and not _blank(header["tertial"][0]):
        value, row = header["tertial"]
        up_to = TERTIALS.get(str(value).strip().upper())
        if up_to is None:
            problem(row, "B", f"”{value}” är ingen tertial. Skriv T1, T2 eller VB.")
        sheet.up_to = up_to
        sheet.cells["tertial"] = row

    columns: dict[int, int] = {}  # tertial → 0-based column index
    total_column = None
    for index, value in enumerate(rows[heading - 1]):
        if _blank(value):
            continue
        if _key(value) in COLUMN_BY_LABEL:
            columns[COLUMN_BY_LABEL[_key(value)]] = index
        elif _key(value) == _key(TOTAL_COLUMN):
            total_column = index
    for tertial, label in enumerate(TERTIAL_COLUMNS, 1):
        if tertial not in columns:
            problem(heading, None, f"Kolumnen ”{label}” saknas i rubrikraden.")
    if problems:
        return sheet, problems

    seen: dict[str, int] = {}
    read: dict[str, tuple[int, dict[int, object], object]] = {}
    for number, values in enumerate(rows[heading:], heading + 1):
        values = tuple(values) + (None,) * (max(columns.values(), default=0) + 2)
        label = values[0]
        numbers = {t: values[i] for t, i in columns.items()}
        total = values[total_column] if total_column is not None else None
        if _blank(label):
            if not all(_blank(v) for v in (*numbers.values(), total)):
                problem(number, "A", "Raden har siffror men ingen radrubrik i kolumn A.")
            continue
        key = _key(label)
        if key in GROUP_LABELS or key == _key(TITLE):
            continue
        row = ROW_BY_LABEL.get(key)
        if row is None:
            problem(number, "A", f"”{label}” är ingen rad i rapporten.")
            continue
        if row_key(row) in seen:
            problem(number, "A", f"Raden ”{row.label}” finns redan på rad {seen[row_key(row)]}.")
            continue
        seen[row_key(row)] = number
        read[row_key(row)] = (number, numbers, total)

    for row in ROWS:
        if row_key(row) not in seen:
            problem(None, "A", f"Raden ”{row.label}” saknas.")

    up_to = sheet.up_to or 3
    reported = {
        t for t in columns if any(not _blank(numbers[t]) for _n, numbers, _t in read.values())
    }
    for key, (number, numbers, total) in read.items():
        counted: dict[int, int] = {}
        before = len(problems)
        for tertial, value in numbers.items():
            letter = get_column_letter(columns[tertial] + 1)
            if _blank(value):
                counted[tertial] = 0
                continue
            if tertial > up_to:
                problem(
                    number,
                    letter,
                    f"Bladet gäller {TERTIAL_COLUMNS[up_to - 1]}, men "
                    f"{TERTIAL_COLUMNS[tertial - 1]} har en siffra. Ta bort den eller "
                    "ändra tertialen ovanför tabellen.",
                )
                continue
            count, error = _count(value)
            if error:
                problem(number, letter, error)
                continue
            counted[tertial] = count
        if not _blank(total) and total_column is not None and len(problems) == before:
            letter = get_column_letter(total_column + 1)
            count, error = _count(total)
            if error:
                problem(number, letter, error)
            else:
                summed = sum(counted.get(t, 0) for t in range(1, up_to + 1))
                if count != summed:
                    problem(
                        number,
                        letter,
                        f"{TOTAL_COLUMN} är {count}, men tertialerna summerar till {summed}.",
                    )
        for tertial in reported:
            if tertial <= up_to and tertial in counted:
                letter = get_column_letter(columns[tertial] + 1)
                sheet.figures[(tertial, key)] = (counted[tertial], f"{ws.title}!{letter}{number}")
    if not problems and not any(t <= up_to for t in reported):
        problem(heading, None, "Bladet har inga siffror.")
    return sheet, problems


def read(path: Path | str) -> tuple[list[Sheet], list[Problem]]:
    """Every sheet of the workbook at ``path`` and every problem found in it."""
    try:
        workbook = load_workbook(path, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not XLSX
        raise TallyFileError(
            f"Filen kan inte läsas som en Excel-fil (.xlsx): {type(error).__name__}."
        ) from error
    sheets: list[Sheet] = []
    problems: list[Problem] = []
    try:
        for ws in workbook.worksheets:
            sheet, found = _read_sheet(ws)
            sheets.append(sheet)
            problems.extend(found)
    finally:
        workbook.close()
    return sheets, problems


def template(unit_code: str = "", year: int | None = None, tertial: str = "VB") -> Workbook:
    """An empty sheet in the layout ``read`` expects (``casetrack import tallies --template``)."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = f"{unit_code or 'ENHET'} {year or 'ÅR'} {tertial}"
    ws["A1"] = TITLE
    ws["A2"], ws["B2"] = "Enhet", unit_code
    ws["A3"], ws["B3"] = "År", year
    ws["A4"], ws["B4"] = "Tertial", tertial
    ws.append([])
    ws.append([FIRST_COLUMN, *TERTIAL_COLUMNS, TOTAL_COLUMN, SUMMARY_COLUMN])
    for group in GROUPS:
        ws.append([group.label])
        for row in group.rows:
            ws.append([row.label])
    ws.column_dimensions["A"].width = 60
    for letter in "BCDE":
        ws.column_dimensions[letter].width = 12
    ws.column_dimensions["F"].width = 50
    return workbook


def template_bytes(**kwargs) -> bytes:
    buffer = io.BytesIO()
    template(**kwargs).save(buffer)
    return buffer.getvalue()
