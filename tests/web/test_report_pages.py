"""The report page: scope, drill-down, texts, fastställa, exports and the CLI."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, ReportSnapshot
from tests.conftest import csrf_from


@pytest.fixture
def people(org, make):
    # A second avdelning beside org["dept"], with its own quality lead.
    other_dept = make.unit("Funktionsnedsättning", parent=org["root"], level="avdelning",
                           code="FN", reference_prefix="FN")  # fmt: skip
    other_unit = make.unit("Gruppbostaden", parent=other_dept, code="GB")
    handler = make.user([(Role.HANDLER, org["dept"]), (Role.HANDLER, other_dept)], name="H")
    people = {
        "quality": make.user([(Role.QUALITY, org["dept"])], email="q@test.example"),
        "quality_fn": make.user([(Role.QUALITY, other_dept)], email="qfn@test.example"),
        "manager": make.user([(Role.MANAGER, org["a"])], email="m@test.example"),
        "handler": handler,
        "other_unit": other_unit,
    }
    for day, unit, categories in (
        (date(2025, 2, 3), org["a"], ["mat"]),
        (date(2025, 6, 3), org["a"], ["mat", "bemotande"]),
        (date(2025, 10, 3), org["a1"], ["bemotande"]),
        (date(2025, 10, 4), org["b"], []),
        (date(2025, 3, 4), other_unit, ["mat"]),
    ):
        make.case(
            unit, by=handler, received_on=day, source_code="brukare", category_codes=categories
        )
    db.session.commit()
    return people


def _login(auth, email):
    assert auth.login(email).status_code == 302


def _numbers(html: str) -> dict[str, str]:
    """{drill-down URL: number} for every linked figure in the table."""
    return dict(re.findall(r'<a href="(/arenden/\?[^"]+)" aria-label="[^"]*">(\d+)</a>', html))


def test_every_number_links_to_exactly_that_many_cases(client, auth, org, people):
    _login(auth, "q@test.example")
    page = client.get(f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3")
    assert page.status_code == 200
    numbers = _numbers(page.text)
    assert len(numbers) == 4 * 25  # 25 rows × (T1, T2, VB, total)
    checked = 0
    for url, number in numbers.items():
        if number == "0" and checked > 40:
            continue
        listing = client.get(url.replace("&amp;", "&"))
        assert listing.status_code == 200, url
        found = re.search(r"(\d+) ärenden?\. Sida", listing.text)
        assert (int(found.group(1)) if found else 0) == int(number), url
        checked += 1
    assert "Så räknas tabellen" in page.text
    assert "1 ärende saknar kategori" in page.text


def test_a_quality_lead_never_sees_another_avdelnings_numbers(client, auth, org, people):
    _login(auth, "qfn@test.example")
    assert client.get(f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3").status_code == 404
    own = client.get(f"/rapport/?enhet={people['other_unit'].id}&ar=2025&tertial=3")
    assert own.status_code == 200
    options = re.findall(r"<option[^>]*>([^<]+)</option>", client.get("/rapport/").text)
    assert not any("Äldreomsorg" in option or "Enhet A" in option for option in options)
    assert (
        client.get(f"/rapport/export.xlsx?enhet={org['a'].id}&ar=2025&tertial=3").status_code == 404
    )


@pytest.mark.parametrize("email", ["q@test.example", "m@test.example"])
def test_summary_texts_are_saved_with_history(client, auth, org, people, email):
    _login(auth, email)
    url = f"/rapport/?enhet={org['a'].id}&ar=2025&tertial=3"
    for text in ("Första versionen", "Mat tas upp på APT"):
        page = client.get(url).text
        response = client.post("/rapport/sammanfattning", data={
            "csrf_token": csrf_from(page), "unit_id": org["a"].id, "year": 2025, "tertial": 3,
            "row_key": "category:mat", "text": text})  # fmt: skip
        assert response.status_code == 302
    page = client.get(url).text
    assert "Mat tas upp på APT" in page
    assert "Tidigare versioner" in page and "Första versionen" in page
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "report.summary_saved")
        )
        == 2
    )


def test_freezing_and_unfreezing_through_the_page(client, auth, org, people, make):
    _login(auth, "m@test.example")
    url = f"/rapport/?enhet={org['a'].id}&ar=2025&tertial=3"
    page = client.get(url).text
    period = {"unit_id": org["a"].id, "year": 2025, "tertial": 3}
    response = client.post("/rapport/faststall", data={"csrf_token": csrf_from(page), **period})
    assert response.status_code == 302
    page = client.get(url).text
    assert "VB 2025 fastställdes" in page
    assert "Häv fastställandet" not in page  # managers may not undo it
    data = {"csrf_token": csrf_from(page), "reason": "x", **period}
    response = client.post("/rapport/hav-faststallande", data=data)
    assert response.status_code == 404
    # A late case in T3 shows as drift beside the frozen figure.
    make.case(org["a"], by=people["handler"], received_on=date(2025, 11, 30),
              source_code="brukare", category_codes=["mat"])  # fmt: skip
    page = client.get(url).text
    assert "fastställd 1, i dag 2" in page

    client.post("/logga-ut", data={"csrf_token": csrf_from(page)})
    _login(auth, "q@test.example")
    page = client.get(url).text
    data = {"csrf_token": csrf_from(page), "reason": "Fel enhet", **period}
    response = client.post("/rapport/hav-faststallande", data=data)
    assert response.status_code == 302
    snapshot = db.session.scalars(sa.select(ReportSnapshot)).one()
    assert snapshot.revoked_at is not None and snapshot.revoke_reason == "Fel enhet"
    assert "VB 2025 fastställdes" not in client.get(url).text


def test_exports_have_the_units_labels_and_numbers(client, auth, org, people):
    _login(auth, "q@test.example")
    args = f"enhet={org['dept'].id}&ar=2025&tertial=3"
    xlsx = client.get(f"/rapport/export.xlsx?{args}")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    rows = {
        row[0].value: [c.value for c in row]
        for row in book.worksheets[0].iter_rows()
        if row[0].value
    }
    assert rows["Mat och måltider"][1:5] == [1, 1, 0, 2]
    assert rows["Bemötande"][1:5] == [0, 1, 1, 2]
    assert book.sheetnames == ["VB 2025", "Så räknas tabellen"]
    text = client.get(f"/rapport/export.csv?{args}").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert ["Mat och måltider", "1", "1", "0", "2", "st", ""] in lines


def test_the_report_command_writes_xlsx_and_csv(runner, org, people, tmp_path):
    target = tmp_path / "rapport.xlsx"
    result = runner.invoke(args=["report", "--unit", "AO", "--year", "2025", "--tertial", "T3",
                                 "--format", "xlsx", "--output", str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {r[0].value: r for r in load_workbook(target).worksheets[0].iter_rows() if r[0].value}
    assert rows["Mat och måltider"][4].value == 2
    csv_target = tmp_path / "rapport.csv"
    result = runner.invoke(args=["report", "--year", "2025", "--format", "csv",
                                 "--output", str(csv_target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Mat och måltider;2;1;0;3;st;" in csv_target.read_text("utf-8-sig")
    result = runner.invoke(args=["report", "--unit", "NOPE", "--output", str(csv_target)])
    assert result.exit_code != 0 and "Ingen enhet" in result.output


def test_the_unit_choice_lists_the_tree_in_order_with_each_level_indented(
    client, auth, org, make, people
):
    make.user([(Role.QUALITY, org["root"])], email="qroot@test.example")
    db.session.commit()
    _login(auth, "qroot@test.example")
    page = client.get("/rapport/").text
    select = page.split('name="enhet"')[1].split("</select>")[0]
    options = [
        (len(indent) // 2, name)
        for indent, name in re.findall(r"<option[^>]*>((?:\xa0|&nbsp;)*)([^<]+)</option>", select)
    ]
    assert options == [
        (0, "Förvaltningen"),
        (1, "Funktionsnedsättning"),
        (2, "Gruppbostaden"),
        (1, "Äldreomsorg"),
        (2, "Enhet A"),
        (3, "Arbetsgrupp A1"),
        (2, "Enhet B"),
    ]


def test_a_link_with_only_the_year_shows_that_year_for_the_first_unit(client, auth, people):
    _login(auth, "q@test.example")
    page = client.get("/rapport/?ar=2025&tertial=3")
    assert page.status_code == 200
    assert "Äldreomsorg, 2025, till och med" in page.text
    assert "Inte ett giltigt val" not in page.text
    # A wrong year still gets its own message, and only that one.
    page = client.get("/rapport/?ar=1999")
    assert "Ange ett år mellan 2000 och 2100." in page.text
    assert "Inte ett giltigt val" not in page.text
