"""Issue 19 in a browser: a handler runs a händelseanalys on an avvikelse (händelseförlopp,
a cause with its cause area, a participant, återrapportering); the page has no
accessibility violations at desktop and phone width and fits a phone."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import assert_accessible, no_horizontal_scroll

pytestmark = pytest.mark.slow  # a browser and a server process per session

TEXT = "Nyckeln till brukarens dörr saknades"  # the avvikelse the browser tests' data has


def test_a_handler_records_a_handelseanalys(new_context):
    visited: list[str] = []
    page = new_context(1280, 900).new_page()
    log_in(page, "handler")
    page.goto("/arenden/")
    row = page.locator("main table tbody tr").filter(has_text=TEXT[:20]).first
    row.locator("a").first.click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Händelseanalys", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Händelseanalys")
    assert_accessible(page, visited)
    analysis_url = page.url

    event = page.locator("form[action$='/handelser']")
    event.get_by_label("Datum").fill("2026-03-01")
    event.get_by_label("Klockslag").fill("7.45")
    event.get_by_label("Vad hände").fill("Morgonpasset kom och nyckeln fanns inte i skåpet.")
    with page.expect_navigation():
        event.get_by_role("button", name="Lägg till händelsen").click()
    assert "kl. 07:45" in page.locator("ol.timeline").inner_text()

    cause = page.locator("form[action$='/orsaker']")
    cause.get_by_label("Orsak", exact=True).fill("Nyckelkvittensen fördes inte vid passbytet.")
    with page.expect_navigation():
        cause.get_by_role("button", name="Lägg till orsak").click()
    # No area chosen: refused at the field, the text kept, nothing saved.
    assert "Välj ett orsaksområde." in page.locator("main").inner_text()
    assert_accessible(page, visited)
    cause = page.locator("form[action$='/orsaker']")
    assert "Nyckelkvittensen" in cause.get_by_label("Orsak", exact=True).input_value()
    cause.get_by_label("Rutiner/procedurer").check()
    with page.expect_navigation():
        cause.get_by_role("button", name="Lägg till orsak").click()
    causes = page.locator("section[aria-labelledby='omrade-rutiner']").inner_text()
    assert "Nyckelkvittensen fördes inte vid passbytet." in causes
    assert "Ingen åtgärd kopplad" in causes

    participant = page.locator("form[action$='/deltagare']")
    participant.get_by_label("Namn").fill("Anna Ek")
    participant.get_by_label("Funktion eller yrkesroll").fill("Undersköterska, dagpersonal")
    with page.expect_navigation():
        participant.get_by_role("button", name="Lägg till deltagaren").click()
    assert "Anna Ek" in page.locator("main").inner_text()
    screenshot(page, "issue19-event-analysis-1280")
    assert_accessible(page, visited)

    phone = new_context(390, 844, is_mobile=True, has_touch=True).new_page()
    log_in(phone, "handler")
    phone.goto(analysis_url)
    text = phone.locator("main").inner_text()
    assert "Morgonpasset kom" in text and "Anna Ek" in text
    assert no_horizontal_scroll(phone)
    screenshot(phone, "issue19-event-analysis-390")
    assert_accessible(phone, visited)
    print("\nissue 19 händelseanalys scanned:", ", ".join(visited))
