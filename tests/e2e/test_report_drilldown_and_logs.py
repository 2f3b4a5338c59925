"""Issue 20, the report side in Chromium: a report number opens a list named after its
cell, a filter is removed and the way back leads to the same report; the print view
prints whole sections; and the report, loggkontroll and the outbox pass axe on a phone
(390 × 844) with their wide tables reachable by keyboard."""

from __future__ import annotations

import re

import pytest

from tests.e2e.axe import violations
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import assert_accessible, focused, tab_to

pytestmark = pytest.mark.slow  # a browser and a server process per session

PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True}


def _report(page) -> str:
    page.goto("/rapport/")
    page.get_by_label("Enhet").select_option(label="Aspudden hemtjänst")
    page.get_by_label("År").fill("2026")
    page.get_by_label("Till och med").select_option(value="2")
    with page.expect_navigation():
        page.get_by_role("button", name="Visa rapporten").click()
    return page.url


def test_a_report_number_leads_to_a_named_list_and_back(new_context):
    visited: list[str] = []
    page = new_context().new_page()
    log_in(page, "quality")
    report_url = _report(page)

    number = page.locator("a[aria-label^='Närstående (anhörig, god man, etc.), T2']")
    assert number.inner_text() == "3"
    with page.expect_navigation():
        number.click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Närstående (anhörig, god man, etc.), T2 2026: 3 ärenden"
    assert page.locator("main table tbody tr").count() == 3
    chips = page.locator(".chip-list a > span:first-child")
    assert sorted(chips.all_inner_texts()) == [
        "Enhet: Aspudden hemtjänst",
        "Inkom från och med: 2026-05-01",
        "Inkom till och med: 2026-08-31",
        "Rad i tertialrapporten: Närstående (anhörig, god man, etc.)",
    ]
    screenshot(page, "issue20-report-1-drill-down")
    assert_accessible(page, visited)

    # Remove the row filter with the keyboard: the plain list of the same period remains.
    tab_to(page, lambda e: e["text"].startswith("Rad i tertialrapporten"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Ärenden"
    assert "Rad i tertialrapporten" not in page.locator(".chip-list").inner_text()
    assert "3 ärenden" in page.locator("main").inner_text()
    screenshot(page, "issue20-report-2-filter-removed")
    assert_accessible(page, visited)

    back = page.get_by_role("link", name="Tillbaka till rapporten")
    assert back.inner_text() == (
        "Tillbaka till rapporten: Aspudden hemtjänst, 2026 till och med T2"
    )
    with page.expect_navigation():
        back.click()
    assert page.url.split("#")[0] == report_url
    assert "Aspudden hemtjänst, 2026, till och med T2" in page.locator("main").inner_text()

    # A case opened from the list is one row in loggkontroll, in Swedish.
    page.go_back()
    page.go_back()
    first = page.locator("main table tbody a").first
    reference = first.inner_text()
    with page.expect_navigation():
        first.click()
    page.reload()
    page.goto("/loggkontroll/")
    row = page.locator("main table tbody tr", has_text=reference).filter(has_text="Karin Holm")
    assert re.search(r"Öppnade ärendet \((\d+) gånger\)", row.first.inner_text())
    assert "case.view" not in page.locator("main").inner_text()
    screenshot(page, "issue20-report-3-loggkontroll")
    assert_accessible(page, visited)


def _shown(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def test_print_shows_whole_sections_or_none(new_context):
    page = new_context().new_page()
    log_in(page, "quality")
    _report(page)
    page.emulate_media(media="print")
    assert _shown(page, ".report-table")
    for section in ("jamforelse", "fordelning", "trend"):
        assert not _shown(page, f"#{section}"), section  # the heading …
        assert not _shown(page, f"#{section}-avsnitt table"), section  # … and its table
    assert not _shown(page, "#utskrift-diagram")

    page.emulate_media(media="screen")
    page.get_by_label("Ta med jämförelse, fördelning och trend i utskriften").check()
    page.emulate_media(media="print")
    for section in ("jamforelse", "fordelning", "trend"):
        assert _shown(page, f"#{section}"), section
        assert _shown(page, f"#{section}-avsnitt table"), section
        assert _shown(page, f"#{section}-avsnitt svg") or section == "jamforelse"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    screenshot(page, "issue20-report-4-print-with-charts")


def test_report_loggkontroll_and_outbox_pass_axe_on_a_phone(new_context):
    problems: list[str] = []
    quality = new_context(PHONE["width"], PHONE["height"], is_mobile=True, has_touch=True)
    page = quality.new_page()
    log_in(page, "quality")
    page.goto("/rapport/")
    problems += violations(page)
    _report(page)
    problems += violations(page)
    screenshot(page, "issue20-phone-report")
    # The wide report table scrolls sideways and is reached with the keyboard.
    page.locator("h1").click()
    tab_to(page, lambda e: e["tag"] == "div", limit=80)
    box = focused(page)
    assert box["tag"] == "div"
    assert page.evaluate("document.activeElement.scrollWidth > document.activeElement.clientWidth")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)  # smooth scrolling
    assert page.evaluate("document.activeElement.scrollLeft") > 0
    page.goto("/arenden/")
    with page.expect_navigation():
        page.locator("main table tbody a").first.click()  # a read for loggkontroll to show
    page.goto("/loggkontroll/")
    assert page.locator("main table").count() == 1
    problems += violations(page)
    screenshot(page, "issue20-phone-loggkontroll")

    admin = new_context(PHONE["width"], PHONE["height"], is_mobile=True, has_touch=True)
    page = admin.new_page()
    log_in(page, "admin")
    # A message in the outbox, so that its table is on the page.
    page.goto("/admin/anvandare")
    with page.expect_navigation():
        page.get_by_role("link", name="Anders Nyström").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Skicka länk för nytt lösenord").click()
    page.goto("/admin/utkorg")
    assert page.locator("main table").count() == 1
    problems += violations(page)
    screenshot(page, "issue20-phone-outbox")
    assert not problems, "\n".join(problems)
