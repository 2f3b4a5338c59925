"""Issue 19 in a browser: a handler classifies an avvikelse, assesses its risk and sees it
on the case page; the classification page has no accessibility violations at desktop and
phone width."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import assert_accessible, no_horizontal_scroll

pytestmark = pytest.mark.slow  # a browser and a server process per session

TEXT = "Nyckeln till brukarens dörr saknades"  # the avvikelse the browser tests' data has


def _open_the_avvikelse(page) -> None:
    page.goto("/arenden/")
    row = page.locator("main table tbody tr").filter(has_text=TEXT[:20]).first
    row.locator("a").first.click()
    page.wait_for_load_state()


def test_a_handler_classifies_an_avvikelse_and_assesses_its_risk(new_context):
    visited: list[str] = []
    page = new_context(1280, 900).new_page()
    log_in(page, "handler")
    _open_the_avvikelse(page)
    case_url = page.url
    page.get_by_role("link", name="Klassificera och bedöm risk").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Klassificera avvikelse")
    assert_accessible(page, visited)

    page.get_by_label("Socialtjänst (SoL)").check()
    page.get_by_label("Händelsetyp").select_option(label="Brister i omvårdnad")
    page.get_by_label("Ingen skada").check()
    page.locator("#probability").get_by_label("2 Liten", exact=False).check()
    page.locator("#consequence_level").get_by_label("2 Måttlig", exact=False).check()
    page.get_by_role("button", name="Spara klassificeringen").click()
    page.wait_for_load_state()
    assert page.url.split("#")[0] == case_url.split("#")[0]
    summary = page.locator(".case-summary").inner_text()
    assert "Socialtjänst (SoL)" in summary and "Brister i omvårdnad" in summary
    assert "4 – Måttlig risk" in summary
    screenshot(page, "issue19-classified-case-1280")
    assert_accessible(page, visited)

    # The classification page with its matrix and history, on a phone.
    phone = new_context(390, 844, is_mobile=True, has_touch=True).new_page()
    log_in(phone, "handler")
    phone.goto(case_url.split("#")[0].replace("/arenden/", "/avvikelser/") + "/klassificering")
    assert "Bedömt riskvärde: 4 – Måttlig risk" in " ".join(
        phone.locator("main").inner_text().split()
    )
    assert "Händelsetyp: Ej angivet → Brister i omvårdnad" in phone.locator("main").inner_text()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "issue19-classification-390")
    assert_accessible(phone, visited)
    print("\nissue 19 journey scanned:", ", ".join(visited))
