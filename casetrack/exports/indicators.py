"""The quality indicators as XLSX (issue 23): one row per indicator and tertial, the
comparison between units, and the counting rules; numbers as numbers, every text cell
formula-safe (``exports.spreadsheet``)."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from casetrack.domain.dates import local_datetime
from casetrack.domain.report_rows import TERTIAL_NAMES
from casetrack.exports.spreadsheet import append_row
from casetrack.queries.indicators import (
    FEW_TEXT,
    TITLE,
    Cell,
    IndicatorReport,
    counting_rules,
)

COLUMNS = ["Värde", "Enhet för värdet", "Antal", "Underlag"]


def _period(period: tuple[int, int]) -> str:
    return f"{TERTIAL_NAMES[period[1]]} {period[0]}"


def _values(kind: str, cell: Cell) -> list:
    if kind == "share":
        return [cell.value, "procent", cell.part, cell.whole]
    if kind == "median":
        return [cell.value, "arbetsdagar (median)", cell.part, cell.part]
    return [cell.value, "antal", cell.part, cell.part]


def to_rows(report: IndicatorReport) -> dict[str, list[list]]:
    """{sheet title: rows under its header}, for the workbook and for tests."""
    periods = [
        _period(p) + (" (pågår)" if i in report.open_periods else "")
        for i, p in enumerate(report.periods)
    ]
    per_tertial = [
        [row.measure.label, periods[i], *_values(row.measure.kind, cell)]
        for row in report.rows
        for i, cell in enumerate(row.cells)
    ]
    comparison = [
        [row.measure.label, item.unit.name, *_values(row.measure.kind, item.cell),
         FEW_TEXT if item.cell.few else ""]
        for row in report.rows
        for item in row.comparison
    ]  # fmt: skip
    return {"Per tertial": per_tertial, "Jämförelse": comparison}


def _sheet(sheet, report: IndicatorReport, title: str, header: list[str], rows) -> None:
    append_row(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, [report.unit.name])
    sheet.append([])
    append_row(sheet, header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = f"A{sheet.max_row + 1}"
    for line in rows:
        append_row(sheet, line)
    sheet.column_dimensions["A"].width = 56
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["D"].width = 22


def to_xlsx(report: IndicatorReport, exported_at: datetime) -> bytes:
    book = Workbook()
    rows = to_rows(report)
    sheet = book.active
    sheet.title = "Per tertial"
    _sheet(sheet, report, f"{TITLE} per tertial", ["Indikator", "Tertial", *COLUMNS],
           rows["Per tertial"])  # fmt: skip
    if report.compare_period and rows["Jämförelse"]:
        title = f"Jämförelse mellan enheterna, {_period(report.compare_period)}"
        _sheet(book.create_sheet("Jämförelse"), report, title,
               ["Indikator", "Enhet", *COLUMNS, "Anmärkning"], rows["Jämförelse"])  # fmt: skip
    sheet = book.create_sheet("Så räknas siffrorna")
    append_row(sheet, [f"{TITLE}: så räknas siffrorna"])
    sheet["A1"].font = Font(bold=True, size=14)
    for rule in counting_rules(report):
        append_row(sheet, [rule])
    sheet.append([])
    append_row(sheet, ["Exporterad", local_datetime(exported_at).strftime("%Y-%m-%d %H:%M")])
    append_row(sheet, ["Enhet", report.unit.name])
    sheet.column_dimensions["A"].width = 110
    for row in sheet.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
