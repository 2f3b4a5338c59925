"""Issue 19 in a browser: the åtgärd plan of an avvikelse goes from the handler to the
enhetschef, who approves it with a motivation; the sections pass axe at desktop width and
the enhetschef's decision works on a phone."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import assert_accessible, no_horizontal_scroll

pytestmark = pytest.mark.slow  # a browser and a server process per session

WHAT = "Brukaren fick inte sitt kvällsmål; besöket var inte inlagt i planeringen."


def test_a_handler_sends_the_plan_and_the_enhetschef_approves_it(new_context):
    visited: list[str] = []
    staff = new_context(390, 844, is_mobile=True, has_touch=True).new_page()
    log_in(staff, "staff")
    staff.goto("/avvikelser/ny")
    staff.get_by_label("Vad hände?").fill(WHAT)
    staff.get_by_label("Vad gjorde du direkt?").fill("Ringde kollegan som åkte dit.")
    with staff.expect_navigation():
        staff.get_by_role("button", name="Skicka avvikelsen").click()
    text = staff.locator("main").inner_text()
    found = re.search(r"[A-Z]{2}-\d{4}-\d{5}", text)
    assert found, text[:600]
    reference = found.group(0)

    handler = new_context(1280, 900).new_page()
    log_in(handler, "handler")
    handler.goto("/arenden/")
    handler.locator("main table tbody tr").filter(has_text=reference).locator("a").first.click()
    handler.wait_for_load_state()
    case_url = handler.url.split("#")[0]
    handler.get_by_text("Lägg till åtgärd", exact=True).first.click()
    action = handler.locator("form[action$='/atgarder']")
    action.get_by_label("Åtgärd", exact=True).fill("Kvällsbesök läggs in i planen.")
    action.get_by_label("Ansvarig").fill("Lena Berg")
    with handler.expect_navigation():
        action.get_by_role("button", name="Lägg till åtgärd").click()
    assert "Inte skickad för godkännande" in handler.locator("#atgardsplan ~ dl").first.inner_text()
    with handler.expect_navigation():
        handler.get_by_role("button", name="Skicka åtgärdsplanen för godkännande").click()
    assert "Planen väntar på beslut" in handler.locator("main").inner_text()
    assert_accessible(handler, visited)

    manager = new_context(390, 844, is_mobile=True, has_touch=True).new_page()
    log_in(manager, "manager")
    manager.goto("/arenden/mina")
    todo = (
        manager.locator("tr.todo")
        .filter(has_text=reference)
        .filter(has_text="Åtgärdsplan att godkänna")
    )
    assert todo.count() == 1
    todo.locator("a").first.click()
    manager.wait_for_load_state()
    assert "Godkänn åtgärdsplanen" in manager.locator("#nasta-steg").inner_text()
    decision = manager.locator("form[action$='/atgardsplan/beslut']")
    with manager.expect_navigation():
        decision.get_by_role("button", name="Godkänn").click()
    # The motivation is required: refused at the field, nothing decided.
    assert decision.get_by_label("Motivering").is_visible()
    assert manager.locator(".field-error").count() >= 1
    assert_accessible(manager, visited)
    decision = manager.locator("form[action$='/atgardsplan/beslut']")
    decision.get_by_label("Motivering").fill("Åtgärden svarar mot orsaken och följs upp på APT.")
    with manager.expect_navigation():
        decision.get_by_role("button", name="Godkänn").click()
    assert "Godkänd" in manager.locator("main").inner_text()
    assert no_horizontal_scroll(manager)
    screenshot(manager, "issue19-plan-approved-390")
    assert_accessible(manager, visited)
    assert manager.url.split("#")[0] == case_url
    print("\nissue 19 åtgärdsplan scanned:", ", ".join(visited))
