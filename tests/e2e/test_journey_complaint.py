"""Journeys 2 and 3: a member of the public submits an anonymous klagomål and gets a
receipt code; a handler assigns it, gives återkoppling, records an åtgärd with effect
follow-up and closes it; the public reads the återkoppling with the code.
"""

from __future__ import annotations

import pytest

from casetrack.domain.dates import stockholm_today
from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import assert_accessible, no_horizontal_scroll

pytestmark = pytest.mark.slow  # a browser and a server process per session

FEEDBACK = "Vi har pratat med personalen om bemötandet och ändrat rutinen för morgonbesök."


def test_anonymous_klagomal_is_handled_and_its_aterkoppling_read_with_the_receipt_code(
    new_context, live_server
):
    visited: list[str] = []
    today = stockholm_today().isoformat()

    # 2. The public, on a small phone.
    public = new_context(360, 780, is_mobile=True, has_touch=True).new_page()
    public.goto("/lamna-synpunkt")
    assert no_horizontal_scroll(public)
    assert_accessible(public, visited)
    public.get_by_label("Verksamhet").select_option(label="Aspudden hemtjänst")
    public.get_by_label("Klagomål").check()
    public.get_by_label("Beskriv vad det gäller").fill(
        "Personalen var otrevlig mot min pappa vid morgonbesöket i tisdags."
    )
    public.get_by_label("Jag vill vara anonym").check()
    public.get_by_label("Ja, jag vill ha svar").check()
    screenshot(public, "journey2-1-form")
    with public.expect_navigation():
        public.get_by_role("button", name="Skicka").click()
    assert public.get_by_role("heading", level=1).inner_text().startswith("Tack")
    values = public.locator(".receipt__value")
    reference, code = values.nth(0).inner_text(), values.nth(1).inner_text()
    assert reference.startswith("AO-") and len(code.replace("-", "")) == 16
    assert no_horizontal_scroll(public)
    screenshot(public, "journey2-2-receipt")
    assert_accessible(public, visited)

    # 3. The handler takes the case from assignment to closing.
    page = new_context().new_page()
    log_in(page, "handler")
    page.goto("/arenden/")
    page.get_by_role("link", name=reference).click()
    assert reference in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page, visited)
    case_url = page.url

    assign = page.locator("form[action$='/tilldela']")
    assign.get_by_label("Handläggare").select_option(label="Lena Berg")
    with page.expect_navigation():
        assign.get_by_role("button", name="Tilldela").click()
    assert "Lena Berg" in page.locator("main").inner_text()

    # The case's next step now: återkoppling (anonymous: no mottagningsbekräftelse).
    page.locator("#nasta-steg").get_by_role("link", name="Ge återkoppling").click()
    feedback = page.locator("form[action*='/aterkoppling']")
    feedback.get_by_label("Datum").fill(today)
    feedback.get_by_label("Till vem").fill("Anonym inlämnare (via kvittenskoden)")
    feedback.get_by_label("Hur").select_option(index=1)
    feedback.get_by_label("Svar till den som lämnade ärendet").fill(FEEDBACK)
    with page.expect_navigation():
        feedback.get_by_role("button", name="Spara återkoppling").click()
    assert FEEDBACK in page.locator("main").inner_text()
    assert_accessible(page, visited)

    page.get_by_text("Lägg till åtgärd", exact=True).first.click()
    action = page.locator("form[action$='/atgarder']")
    action.get_by_label("Åtgärd").fill("Genomgång av bemötande på arbetsplatsträffen.")
    action.get_by_label("Ansvarig").fill("Lena Berg")
    with page.expect_navigation():
        action.get_by_role("button", name="Lägg till åtgärd").click()
    assert "Genomgång av bemötande" in page.locator("main").inner_text()

    page.get_by_text("Markera genomförd och följ upp effekten").click()
    done = page.locator("form[action*='/atgarder/']")
    done.get_by_label("Genomförd datum").fill(today)
    done.get_by_label("Effekten följdes upp").fill(today)
    done.get_by_label("Effekt", exact=True).select_option(index=1)
    with page.expect_navigation():
        done.get_by_role("button", name="Spara").click()
    assert "Effekt (" in page.locator("main").inner_text()
    screenshot(page, "journey3-1-case-with-action")
    assert_accessible(page, visited)

    close = page.locator("form[action$='/avsluta']")
    # The public form asks neither from whom nor what about: closing asks for them.
    close.get_by_label("Från vem").select_option(label="Brukare/patient")
    close.get_by_label("Bemötande", exact=True).check()
    with page.expect_navigation():
        close.get_by_role("button", name="Avsluta ärendet").click()
    assert page.url.split("#")[0] == case_url
    assert "Avslutad" in page.locator("main").inner_text()
    screenshot(page, "journey3-2-closed")
    assert_accessible(page, visited)

    # 2, continued: the public reads the återkoppling with the receipt code.
    public.goto("/folj-arende")
    assert_accessible(public, visited)
    public.get_by_label("Diarienummer").fill(reference)
    public.get_by_label("Kvittenskod").fill(code.lower())
    with public.expect_navigation():
        public.get_by_role("button", name="Visa ärendet").click()
    text = public.locator("main").inner_text()
    assert reference in text and FEEDBACK in text
    assert no_horizontal_scroll(public)
    screenshot(public, "journey2-3-aterkoppling")
    assert_accessible(public, visited)
    print("\njourneys 2 and 3 scanned:", ", ".join(visited))
