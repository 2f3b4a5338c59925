"""The patientsäkerhetsberättelse's figures as XLSX: one sheet per section, numbers as
numbers, every text cell formula-safe (``exports.spreadsheet``), and the counting rules."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from casetrack.domain.dates import local_datetime
from casetrack.exports.spreadsheet import append_row
from casetrack.queries.patient_safety import COUNTING_RULES, TITLE, Figure, PatientSafetyReport


def _header(sheet, report: PatientSafetyReport, title: str, first: list[str], period: str) -> None:
    append_row(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=14)
    append_row(sheet, [f"{report.unit.name}, {period}"])
    sheet.append([])
    append_row(sheet, [*first, str(report.year), str(report.year - 1), "Förändring"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = f"A{sheet.max_row + 1}"


def _figure_row(figure: Figure) -> list:
    indent = "  " * figure.level
    return [indent + figure.label, figure.current, figure.previous, figure.change]


def _simple_sheet(book, report, title: str, figures: list[Figure], period: str) -> None:
    sheet = book.create_sheet(title[:31])
    _header(sheet, report, title, ["Rad"], period)
    for figure in figures:
        append_row(sheet, _figure_row(figure))
    sheet.column_dimensions["A"].width = 48


def to_rows(report: PatientSafetyReport) -> dict[str, list[list]]:
    """{sheet title: rows under its header} — what the workbook holds, for tests too."""
    deviations = []
    for table in report.by_lagrum:
        for row in (*table.rows, table.total):
            for figure in row.cells:
                if figure.current or figure.previous:
                    harm = figure.label.rpartition(", ")[2]
                    deviations.append(
                        [table.label, row.label, harm, figure.current, figure.previous,
                         figure.change]
                    )  # fmt: skip
    lex = [[label, *_figure_row(figure)] for _, label, figures in report.lex for figure in figures]
    return {
        "Avvikelser": deviations,
        "Risknivå": [_figure_row(f) for f in report.risk],
        "Händelseanalys": [_figure_row(f) for f in report.analysis],
        "Åtgärder": [_figure_row(f) for f in report.actions],
        "Lex Sarah och lex Maria": lex,
        "Klagomål och synpunkter": [_figure_row(f) for f in report.complaints],
    }


def to_xlsx(report: PatientSafetyReport, exported_at: datetime) -> bytes:
    book = Workbook()
    rows = to_rows(report)
    today = local_datetime(exported_at).date()
    period = str(report.year)
    if today.year == report.year:  # the year is not over: say so on every sheet
        period += f" (pågår, till och med {today.isoformat()})"
    sheet = book.active
    sheet.title = "Avvikelser"
    _header(sheet, report, "Avvikelser per lagrum, händelsetyp och skada",
            ["Lagrum", "Händelsetyp", "Skada"], period)  # fmt: skip
    append_row(sheet, ["Alla lagrum", "Avvikelser totalt", "totalt", report.deviations.current,
                       report.deviations.previous, report.deviations.change])  # fmt: skip
    for line in rows["Avvikelser"]:
        append_row(sheet, line)
    for column, width in zip("ABC", (30, 40, 18), strict=True):
        sheet.column_dimensions[column].width = width
    _simple_sheet(book, report, "Risknivå", report.risk, period)
    _simple_sheet(book, report, "Händelseanalys", report.analysis, period)
    _simple_sheet(book, report, "Åtgärder", report.actions, period)
    lex = book.create_sheet("Lex Sarah och lex Maria")
    _header(lex, report, "Lex Sarah och lex Maria", ["Lex", "Ställningstagande"], period)
    for line in rows["Lex Sarah och lex Maria"]:
        append_row(lex, line)
    lex.column_dimensions["A"].width = 14
    lex.column_dimensions["B"].width = 52
    _simple_sheet(book, report, "Klagomål och synpunkter", report.complaints, period)

    rules = book.create_sheet("Så räknas siffrorna")
    append_row(rules, [f"{TITLE}: så räknas siffrorna"])
    rules["A1"].font = Font(bold=True, size=14)
    for rule in COUNTING_RULES:
        append_row(rules, [rule.format(threshold=report.threshold)])
    rules.append([])
    append_row(rules, ["Exporterad", local_datetime(exported_at).strftime("%Y-%m-%d %H:%M")])
    append_row(rules, ["Enhet", report.unit.name])
    append_row(rules, ["År", period])
    rules.column_dimensions["A"].width = 110
    for row in rules.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
