"""Journey 1: a care worker on a phone files an avvikelse with the keyboard only."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import (
    assert_accessible,
    focus_has_visible_outline,
    focused,
    no_horizontal_scroll,
    tab_to,
)

pytestmark = pytest.mark.slow  # a browser and a server process per session


def test_care_worker_files_an_avvikelse_on_a_phone_with_the_keyboard_only(new_context):
    page = new_context(390, 844, is_mobile=True, has_touch=True).new_page()
    log_in(page, "staff")
    visited: list[str] = []
    page.goto("/avvikelser/ny")
    assert no_horizontal_scroll(page)
    assert_accessible(page, visited)

    # The skip link is the first thing Tab reaches, it is visible when focused, and Enter
    # moves focus to the main content.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Hoppa till innehållet"
    assert page.get_by_role("link", name="Hoppa till innehållet").is_visible()
    assert focus_has_visible_outline(page)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "innehall"

    # Sending the empty form: the error summary gets focus and links to the fields.
    page.locator("#what_happened").evaluate("e => e.value = ''")  # nothing typed yet
    tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Skicka avvikelsen")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    assert summary.evaluate("e => e === document.activeElement")
    assert "Beskriv vad som hände." in summary.inner_text()
    screenshot(page, "journey1-1-error-summary")
    assert_accessible(page, visited)
    tab_to(page, lambda e: e["href"] == "#what_happened")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "what_happened"
    assert (
        page.locator("#what_happened")
        .get_attribute("aria-describedby")
        .endswith("what_happened-error")
    )

    # Fill in the form from the top, with Tab, arrow keys, Space and typing.
    page.keyboard.press("Shift+Tab")
    while focused(page)["id"] != "org_unit_id":
        page.keyboard.press("Shift+Tab")
    if page.locator("#org_unit_id").input_value() == "":
        page.keyboard.press("ArrowDown")
    assert page.locator("#org_unit_id").input_value() != ""
    # Issue 19: lagrum and händelsetyp are two taps (a radio button each), the most common
    # type first in each list.
    tab_to(page, lambda e: e["name"] == "lagrum")
    for _ in range(3):  # Shift+Tab above left focus on the group's last choice
        if focused(page)["id"] == "lagrum-hsl":
            break
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Space")
    assert page.locator("#lagrum-hsl").is_checked()
    tab_to(page, lambda e: e["name"] == "event_type_code")
    for _ in range(30):  # back up to the first, most common HSL type
        if focused(page)["id"] == "event-fall":
            break
        page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")  # Läkemedel
    page.keyboard.press("ArrowDown")  # Läkemedel: utebliven dos
    assert page.locator("#event-lakemedel_utebliven_dos").is_checked()
    tab_to(page, lambda e: e["id"] == "what_happened")
    page.keyboard.type("Brukaren fick inte sin medicin kl. 08, dosetten var tom.")
    tab_to(page, lambda e: e["id"] == "immediate_action")
    page.keyboard.type("Ringde sjuksköterskan som ordnade ny dos.")
    tab_to(page, lambda e: e["id"] == "person_concerned")
    page.keyboard.type("A. B.")
    screenshot(page, "journey1-2-filled-in")
    tab_to(page, lambda e: e["tag"] == "button" and e["text"] == "Skicka avvikelsen")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "Tack! Avvikelsen är registrerad" in page.locator(".flash").inner_text()
    assert "dosetten var tom" in page.locator("main").inner_text()
    screenshot(page, "journey1-3-registered")
    assert_accessible(page, visited)

    # On to Mina avvikelser through the menu, still by keyboard.
    tab_to(page, lambda e: e["text"] == "Mina avvikelser")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/avvikelser/")
    mine = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text() == "Mina avvikelser"
    assert "Brukaren fick inte sin medicin" in mine.inner_text()
    assert no_horizontal_scroll(page)
    screenshot(page, "journey1-4-mina-avvikelser")
    assert_accessible(page, visited)
    print("\njourney 1 scanned:", ", ".join(visited))
