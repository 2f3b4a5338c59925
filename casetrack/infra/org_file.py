"""Read an organisation file for ``casetrack org import`` (issue 18): CSV, XLSX or JSON.

Columns (CSV header, the first row of the XLSX sheet, the keys of each JSON object; case
and surrounding spaces do not matter, the Swedish names in brackets work too):
``code`` (kod), ``name`` (namn), ``parent_code`` (overordnad, överordnad), ``level``
(niva, nivå; optional), ``closed`` (stangd, stängd; optional: ja/nej, yes/no, true/false,
1/0, x), ``valid_from`` (giltig_fran, giltig_från; optional, YYYY-MM-DD).

CSV: UTF-8 (with or without a byte-order mark; Windows-1252 is accepted too, as Excel on
Windows saves it), separated by commas, semicolons or tabs. JSON: a list of objects, or
an object with a ``units`` list. Values that cannot be read (a date, a yes/no) are
problems with their line; a file that cannot be read at all raises ``OrgFileError``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from casetrack.domain.org_diff import FileRow, Problem, clean_code, level_code

COLUMNS = {
    "code": ("code", "kod", "enhetskod"),
    "name": ("name", "namn", "enhetsnamn"),
    "parent_code": (
        "parent_code",
        "parent",
        "overordnad",
        "överordnad",
        "overordnad_kod",
        "överordnad_kod",
    ),
    "level": ("level", "niva", "nivå"),
    "closed": ("closed", "stangd", "stängd"),
    "valid_from": ("valid_from", "giltig_fran", "giltig_från", "from"),
}
REQUIRED = ("code", "name", "parent_code")
TRUE = {"ja", "j", "yes", "y", "true", "1", "x", "stängd", "stangd"}
FALSE = {"", "nej", "n", "no", "false", "0", "öppen", "oppen"}
LEVELS_TEXT = "forvaltning, avdelning, enhet, verksamhet eller arbetsgrupp"


class OrgFileError(Exception):
    """The file cannot be read as an organisation file (the message says why, in Swedish)."""


@dataclass
class OrgFile:
    rows: list[FileRow]
    problems: list[Problem] = field(default_factory=list)


def _column_map(header: list[str]) -> dict[str, int]:
    names = [str(h or "").strip().lower().replace(" ", "_") for h in header]
    found: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                found[key] = index
                break
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        raise OrgFileError(
            "Filen saknar kolumnen "
            + " och ".join(missing)
            + ". Första raden ska namnge kolumnerna: code, name, parent_code "
            "(och om du vill level, closed, valid_from)."
        )
    return found


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a numeric code in a spreadsheet: 4711.0 → 4711
    return str(value).strip()


def _row(where: str, values: dict[str, object], problems: list[Problem]) -> FileRow:
    code = clean_code(_text(values.get("code")))
    try:
        level = level_code(_text(values.get("level")))
    except ValueError as error:
        problems.append(Problem(where, f"okänd nivå {error} (ska vara {LEVELS_TEXT})"))
        level = None
    closed_value = values.get("closed")
    closed = closed_value is True
    if not isinstance(closed_value, bool):
        closed_text = _text(closed_value).lower()
        if closed_text in TRUE:
            closed = True
        elif closed_text not in FALSE:
            problems.append(Problem(where, f"stängd ska vara ja eller nej, inte {closed_text}"))
    valid_from = values.get("valid_from")
    if isinstance(valid_from, datetime):
        valid_from = valid_from.date()
    elif not isinstance(valid_from, date):
        text = _text(valid_from)
        valid_from = None
        if text:
            try:
                valid_from = date.fromisoformat(text)
            except ValueError:
                problems.append(Problem(where, f"datumet {text} ska skrivas ÅÅÅÅ-MM-DD"))
    return FileRow(
        where=where,
        code=code,
        name=_text(values.get("name")),
        parent_code=clean_code(_text(values.get("parent_code"))) or None,
        level=level,
        closed=closed,
        valid_from=valid_from,
    )


def _table(table: list[tuple[int, list]]) -> OrgFile:
    """Rows of (line number, cells), the first being the header."""
    if not table:
        raise OrgFileError("Filen är tom.")
    columns = _column_map(table[0][1])
    result = OrgFile(rows=[])
    for line, cells in table[1:]:
        if not any(_text(cell) for cell in cells):
            continue  # an empty line
        values = {
            key: cells[index] if index < len(cells) else None for key, index in columns.items()
        }
        result.rows.append(_row(f"rad {line}", values, result.problems))
    return result


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def parse_csv(data: bytes) -> OrgFile:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        return _table([(reader.line_num, row) for row in reader])
    except csv.Error as error:
        raise OrgFileError(f"CSV-filen kan inte läsas: {error}") from error


def parse_xlsx(data: bytes) -> OrgFile:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is no workbook
        raise OrgFileError("XLSX-filen kan inte läsas (är det en Excel-arbetsbok?).") from error
    sheet = book.worksheets[0]
    table = [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    book.close()
    return _table(table)


def parse_json(data: bytes) -> OrgFile:
    try:
        document = json.loads(_decode(data))
    except ValueError as error:
        raise OrgFileError(f"JSON-filen kan inte läsas: {error}") from error
    items = document.get("units") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise OrgFileError('JSON-filen ska vara en lista av enheter (eller {"units": [...]}).')
    result = OrgFile(rows=[])
    for number, item in enumerate(items, start=1):
        where = f"post {number}"
        if not isinstance(item, dict):
            result.problems.append(Problem(where, "ska vara ett objekt med code, name, …"))
            continue
        keys = {str(k).strip().lower().replace(" ", "_"): v for k, v in item.items()}
        values = {
            key: next((keys[a] for a in aliases if a in keys), None)
            for key, aliases in COLUMNS.items()
        }
        result.rows.append(_row(where, values, result.problems))
    return result


PARSERS = {".csv": parse_csv, ".txt": parse_csv, ".xlsx": parse_xlsx, ".json": parse_json}


def read(path: str | Path) -> OrgFile:
    """The rows of the organisation file at ``path``, by its extension."""
    path = Path(path)
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise OrgFileError(
            f"Filen {path.name} har ett okänt format. Använd .csv, .xlsx eller .json."
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OrgFileError(f"Filen {path} kan inte läsas: {error.strerror}.") from error
    return parser(data)
