"""Journey 4: a quality lead reads the tertial report, follows a number to its cases,
writes a sammanfattning, freezes the ended tertial and reads the XLSX export back."""

from __future__ import annotations

import openpyxl
import pytest

from tests.e2e.conftest import ARTIFACTS, log_in, screenshot
from tests.e2e.helpers import assert_accessible

pytestmark = pytest.mark.slow  # a browser and a server process per session

SUMMARY = "Två klagomål på bemötande under våren. Planerad åtgärd: bemötandeutbildning i höst."


def test_quality_lead_follows_a_number_writes_a_summary_freezes_and_exports(new_context):
    visited: list[str] = []
    page = new_context().new_page()
    log_in(page, "quality")
    page.goto("/rapport/")
    assert_accessible(page, visited)
    page.get_by_label("Enhet").select_option(label="Aspudden hemtjänst")
    page.get_by_label("År").fill("2026")
    page.get_by_label("Till och med").select_option(value="2")
    with page.expect_navigation():
        page.get_by_role("button", name="Visa rapporten").click()
    assert "Aspudden hemtjänst, 2026" in page.locator("main").inner_text()
    screenshot(page, "journey4-1-report")
    assert_accessible(page, visited)
    report_url = page.url

    # A number in the table leads to exactly the cases it counts.
    number = page.locator("a[aria-label^='Bemötande, T2']")
    assert number.inner_text() == "1"
    with page.expect_navigation():
        number.click()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1
    assert "Synpunkt nummer 1" in rows.first.inner_text()
    screenshot(page, "journey4-2-drill-down")
    assert_accessible(page, visited)

    page.goto(report_url)
    page.locator("summary", has_text="för Bemötande").click()
    page.get_by_label("Sammanfattning och planerade åtgärder, Bemötande").fill(SUMMARY)
    with page.expect_navigation():
        page.get_by_label("Sammanfattning och planerade åtgärder, Bemötande").locator(
            "xpath=ancestor::form"
        ).get_by_role("button", name="Spara text").click()
    assert SUMMARY in page.locator("main").inner_text()

    with page.expect_navigation():
        page.get_by_role("button", name="Fastställ T2 2026").click()
    assert "T2 2026 fastställdes" in page.locator("main").inner_text()
    screenshot(page, "journey4-3-frozen")
    assert_accessible(page, visited)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ner som Excel (XLSX)").click()
    path = ARTIFACTS / "journey4-report.xlsx"
    ARTIFACTS.mkdir(exist_ok=True)
    download_info.value.save_as(path)
    workbook = openpyxl.load_workbook(path)
    cells = [
        [cell for cell in row if cell is not None]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    bemotande = next(row for row in cells if "Bemötande" in row)
    assert 1 in bemotande
    assert any(SUMMARY in str(cell) for row in cells for cell in row)
    print("\njourney 4 scanned:", ", ".join(visited))
