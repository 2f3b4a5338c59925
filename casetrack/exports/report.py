"""The tertial table as XLSX (openpyxl) and CSV, with the exact labels of DESIGN §5."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from casetrack.domain.dates import local_datetime
from casetrack.domain.report_rows import (
    COUNTING_RULES,
    FIRST_COLUMN,
    SUMMARY_COLUMN,
    TERTIAL_COLUMNS,
    TERTIAL_NAMES,
    TITLE,
    TOTAL_COLUMN,
    UNIT,
)
from casetrack.exports.spreadsheet import CsvExport, append_row
from casetrack.queries.report import Report


def _header() -> list[str]:
    return [FIRST_COLUMN, *TERTIAL_COLUMNS, TOTAL_COLUMN, "", SUMMARY_COLUMN]


def _values(report: Report, row) -> list:
    cells = [row.cells[t].shown if t in row.cells else None for t in (1, 2, 3)]
    return [row.row.label, *cells, row.total, UNIT, row.text]


def to_rows(report: Report) -> list[list]:
    """Group heading lines followed by their rows, as in the units' table."""
    lines: list[list] = [_header()]
    for _, label, rows in report.groups:
        lines.append([label, None, None, None, None, None, None])
        lines.extend(_values(report, row) for row in rows)
    return lines


def to_csv(report: Report) -> str:
    """Semicolon-separated UTF-8 with BOM, numbers as plain integers, text formula-safe."""
    out = CsvExport()
    out.row([f"{TITLE} – {report.unit.name} {report.year}, t.o.m. {TERTIAL_NAMES[report.up_to]}"])
    for line in to_rows(report):
        out.row(line)
    return out.text()


def to_xlsx(report: Report, exported_at: datetime) -> bytes:
    """Workbook with the table (numbers as numbers) and a sheet with the counting rules."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"{TERTIAL_NAMES[report.up_to]} {report.year}"
    append_row(sheet, [TITLE])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, [f"{report.unit.name}, {report.year}, t.o.m. {TERTIAL_NAMES[report.up_to]}"])
    sheet.append([])
    header_row = sheet.max_row + 1
    group_fill = PatternFill("solid", fgColor="DDE4EE")
    for index, line in enumerate(to_rows(report)):
        append_row(sheet, line)
        current = sheet.max_row
        if index == 0:
            for cell in sheet[current]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        elif all(value is None for value in line[1:]):
            for cell in sheet[current]:
                cell.font = Font(bold=True)
                cell.fill = group_fill
        else:
            sheet.cell(current, 7).alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFG", (62, 11, 11, 11, 12, 5, 60), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 2)
    rules = book.create_sheet("Så räknas tabellen")
    append_row(rules, ["Så räknas tabellen"])
    rules["A1"].font = Font(bold=True, size=14)
    for rule in COUNTING_RULES:
        append_row(rules, [rule])
    rules.append([])
    append_row(rules, ["Exporterad", local_datetime(exported_at).strftime("%Y-%m-%d %H:%M")])
    append_row(rules, ["Enhet", report.unit.name])
    frozen = ", ".join(TERTIAL_NAMES[t] for t in sorted(report.snapshots)) or "ingen"
    append_row(rules, ["Fastställda tertialer", frozen])
    rules.column_dimensions[get_column_letter(1)].width = 110
    for row in rules.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
