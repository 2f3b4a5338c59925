"""One spreadsheet-safe writer for every export (OWASP "CSV injection").

Excel and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, after
trimming, a tab or carriage return) as a formula, so a summary text such as
``=HYPERLINK("https://…"&A1, "Klicka här")`` typed on the report page, or a unit or user
name starting with ``=``, must reach the spreadsheet as text.

- CSV has no types: such text gets a leading apostrophe (OWASP's recommendation), which a
  spreadsheet shows as text. Numbers stay numbers.
- XLSX has types: every string is written as a string cell (openpyxl would otherwise turn
  a string starting with ``=`` into a formula) and formula-like text also gets Excel's
  "quote prefix", so editing the cell does not turn it into a formula either. The text is
  shown exactly as written.

Every export — the case list, the tertial report (page and ``casetrack report``) and the
loggkontroll export — writes through this module; tests/web/test_export_formulas.py holds
each of them to it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

# The ASCII starts OWASP lists, and their full-width forms, which some spreadsheets
# (LibreOffice with East Asian input, Google Sheets) also accept as a formula start.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


def safe_text(value: Any) -> str:
    """``value`` as text that no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if is_formula_like(text) else text


def safe_cell(value: Any) -> Any:
    """A CSV cell: numbers unchanged, everything else as :func:`safe_text`."""
    if isinstance(value, bool):
        return safe_text(value)
    if isinstance(value, int | float):
        return value
    return safe_text(value)


class CsvExport:
    """Semicolon-separated UTF-8 with a BOM (what Swedish Excel opens), every cell guarded."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._buffer.write("\ufeff")
        self._writer = csv.writer(self._buffer, delimiter=";")

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in values])

    def text(self) -> str:
        return self._buffer.getvalue()


def append_row(sheet, values: Iterable[Any]) -> None:
    """Append ``values`` to an openpyxl worksheet with every string kept as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if is_formula_like(cell.value):
                cell.quotePrefix = True
