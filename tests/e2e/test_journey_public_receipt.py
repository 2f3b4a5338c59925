"""Issue 20, public pages: a member of the public submits on a phone, reloads the receipt
page (one case, the code shown once), sends the same form again from a second tab (told
it was already received, with its diarienummer), follows the case and logs out of it with
"Logga ut från ärendet". The pages carry the organisation's name; axe at 390 and 1280 px.
"""

from __future__ import annotations

import secrets

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import assert_accessible, no_horizontal_scroll

pytestmark = pytest.mark.slow  # a browser and a server process per session

ORGANISATION = "Hägersten-Älvsjö stadsdelsförvaltning"  # the seeded top unit


def _cases_matching(page, word: str) -> str:
    """The handler's case list searched for ``word``: its count line."""
    page.goto("/arenden/")
    page.get_by_label("Sök i rubrik, beskrivning och anteckningar").fill(word)
    with page.expect_navigation():
        page.get_by_role("button", name="Sök", exact=True).click()
    return page.locator("main").inner_text()


def test_reloading_the_receipt_keeps_one_case_and_the_case_is_left_with_logga_ut(
    new_context, live_server
):
    visited: list[str] = []
    word = f"kvittensprov{secrets.randbelow(10**6)}"
    text = f"Hemtjänsten kom två timmar för sent i morse ({word})."

    public_context = new_context(390, 844, is_mobile=True, has_touch=True)
    public = public_context.new_page()
    public.goto("/lamna-synpunkt")
    assert public.locator(".site-header__name").inner_text() == ORGANISATION
    assert public.title().endswith(f"– {ORGANISATION}")
    public.get_by_label("Verksamhet").select_option(label="Aspudden hemtjänst")
    public.get_by_label("Klagomål").check()
    public.get_by_label("Beskriv vad det gäller").fill(text)
    public.get_by_label("Nej, jag behöver inget svar").check()
    with public.expect_navigation():
        public.get_by_role("button", name="Skicka").click()
    assert public.url.endswith("/lamna-synpunkt/kvittens")  # POST/redirect/GET
    assert public.get_by_role("heading", level=1).inner_text().startswith("Tack")
    values = public.locator(".receipt__value")
    reference, code = values.nth(0).inner_text(), values.nth(1).inner_text()
    assert reference.startswith("AO-") and len(code.replace("-", "")) == 16
    assert code not in public.url
    assert f"Aspudden hemtjänst, {ORGANISATION}" in public.locator("main").inner_text()
    assert no_horizontal_scroll(public)
    screenshot(public, "issue20-public-1-receipt-390")
    assert_accessible(public, visited)

    # The reload asks nothing and posts nothing: the same diarienummer, the code not again.
    public.reload()
    main = public.locator("main").inner_text()
    assert reference in main and code not in main
    assert "Kvittenskoden visades när du skickade meddelandet" in main
    screenshot(public, "issue20-public-2-receipt-reloaded-390")
    assert_accessible(public, visited)

    # A second tab still holding the filled-in form sends it again.
    tab = public_context.new_page()
    tab.goto("/lamna-synpunkt")
    tab.get_by_label("Verksamhet").select_option(label="Aspudden hemtjänst")
    tab.get_by_label("Klagomål").check()
    tab.get_by_label("Beskriv vad det gäller").fill(text)
    tab.get_by_label("Nej, jag behöver inget svar").check()
    with tab.expect_navigation():
        tab.get_by_role("button", name="Skicka").click()
    assert tab.get_by_role("heading", level=1).inner_text() == (
        "Vi har redan tagit emot ditt meddelande"
    )
    assert f"med diarienummer {reference}" in tab.locator("main").inner_text()
    screenshot(tab, "issue20-public-3-already-received-390")
    assert_accessible(tab, visited)

    # The handler finds exactly one case with the text.
    handler = new_context().new_page()
    log_in(handler, "handler")
    found = _cases_matching(handler, word)
    assert "1 ärende." in found and reference in found

    # The public follows the case and logs out of it.
    public.goto("/folj-arende")
    public.get_by_label("Diarienummer").fill(reference)
    public.get_by_label("Kvittenskod").fill(code)
    with public.expect_navigation():
        public.get_by_role("button", name="Visa ärendet").click()
    assert reference in public.get_by_role("heading", level=1).inner_text()
    assert public.locator(".site-header__name").inner_text() == ORGANISATION
    logout = public.get_by_role("button", name="Logga ut från ärendet")
    assert logout.is_visible()
    assert public.get_by_role("button", name="Stäng ärendet").count() == 0
    assert no_horizontal_scroll(public)
    screenshot(public, "issue20-public-4-followed-case-390")
    assert_accessible(public, visited)
    with public.expect_navigation():
        logout.click()
    assert public.url.endswith("/folj-arende")
    assert "Du är utloggad från ärendet" in public.locator("main").inner_text()
    screenshot(public, "issue20-public-5-logged-out-390")
    assert_accessible(public, visited)
    public.goto("/folj-arende/ditt-arende")
    assert public.url.endswith("/folj-arende")  # the case no longer opens in this browser

    # The same pages at desktop width.
    desktop = new_context(1280, 900).new_page()
    desktop.goto("/lamna-synpunkt")
    assert desktop.locator(".site-header__name").inner_text() == ORGANISATION
    assert_accessible(desktop, visited)
    desktop.goto("/lamna-synpunkt/kvittens")  # no receipt in this browser
    assert desktop.url.endswith("/folj-arende")
    assert "Kvittensen visas bara en kort stund" in desktop.locator("main").inner_text()
    screenshot(desktop, "issue20-public-6-no-receipt-1280")
    assert_accessible(desktop, visited)
    print("\nissue 20 public journey scanned:", ", ".join(visited))
