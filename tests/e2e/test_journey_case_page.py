"""Issue 20, the case page, at desktop (1280 px) and phone (390 px) width: a new case from
the public form is taken from near the top, acknowledged, answered with a preview of what
the person will read, and closed with the source and category the report needs; after
each action the confirmation is in the viewport. axe on every state at both widths."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import assert_accessible, no_horizontal_scroll, tab_to

pytestmark = pytest.mark.slow  # a browser and a server process per session

ANSWER = "Vi har talat med personalen om morgonbesöken och lagt om schemat från måndag."
INTERNAL = "Schemaläggaren hade missat att Eva behöver besök före klockan åtta."

SIZES = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844, "is_mobile": True, "has_touch": True},
}


def _in_viewport(page, locator) -> bool:
    locator.wait_for()
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    # A pixel of tolerance: an element scrolled to the top may sit a fraction above it.
    return box is not None and box["y"] >= -1 and box["y"] + box["height"] <= height + 1


def _page_height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def _top_of(page, locator) -> int:
    return round(
        page.evaluate(
            "e => e.getBoundingClientRect().top + window.scrollY", locator.element_handle()
        )
    )


@pytest.mark.parametrize("size", SIZES)
def test_a_new_case_is_taken_acknowledged_answered_and_closed_from_its_page(
    new_context, live_server, size
):
    visited: list[str] = []
    public = new_context(390, 844, is_mobile=True, has_touch=True).new_page()
    public.goto("/lamna-synpunkt")
    public.get_by_label("Verksamhet").select_option(label="Aspudden hemtjänst")
    public.get_by_label("Klagomål").check()
    public.get_by_label("Beskriv vad det gäller").fill(
        "Hemtjänsten kommer för sent på morgonen, min mamma får vänta på frukost."
    )
    public.get_by_label("Ja, jag vill ha svar").check()
    public.get_by_label("Namn").fill("Eva Ek")
    public.get_by_label("E-post").fill("eva.ek@example.org")
    with public.expect_navigation():
        public.get_by_role("button", name="Skicka").click()
    values = public.locator(".receipt__value")
    reference, code = values.nth(0).inner_text(), values.nth(1).inner_text()

    settings = SIZES[size]
    page = new_context(**settings).new_page()
    log_in(page, "handler")
    page.goto("/arenden/")
    with page.expect_navigation():
        page.get_by_role("link", name=reference).click()
    assert reference in page.get_by_role("heading", level=1).inner_text()

    # The next step is beside the summary, near the top.
    take = page.get_by_role("button", name="Ta ärendet", exact=True)
    height, take_at = _page_height(page), _top_of(page, take)
    print(f"\n{size}: case page {height} px high, 'Ta ärendet' at {take_at} px")
    screenshot(page, f"casepage-{size}-1-new")
    assert take_at < settings["height"], "Ta ärendet is not on the first screen"
    assert no_horizontal_scroll(page)
    assert_accessible(page, visited)

    # By keyboard: from the top of the page, a few Tabs past the menu reach it.
    page.locator("h1").click()
    tab_to(page, lambda element: element["text"] == "Ta ärendet", limit=30)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    notice = page.locator(".flash", has_text="Du är nu handläggare för ärendet.")
    assert _in_viewport(page, notice)
    assert page.get_by_role("button", name="Ta ärendet", exact=True).count() == 0
    assert_accessible(page, visited)

    step = page.locator("#nasta-steg")
    assert "Skicka mottagningsbekräftelse" in step.inner_text()
    with page.expect_navigation():
        step.get_by_role("button", name="Registrera mottagningsbekräftelsen").click()
    assert _in_viewport(
        page, page.locator(".flash", has_text="Mottagningsbekräftelsen är registrerad.")
    )
    screenshot(page, f"casepage-{size}-2-acknowledged")

    # Återkoppling: the answer to the person and the internal note, previewed first.
    page.locator("#nasta-steg").get_by_role("link", name="Ge återkoppling").click()
    feedback = page.locator("form[action*='/aterkoppling']")
    assert feedback.is_visible()
    feedback.get_by_label("Hur").select_option(label="E-post")
    feedback.get_by_label("Svar till den som lämnade ärendet").fill(ANSWER)
    feedback.get_by_label("Intern anteckning").fill(INTERNAL)
    feedback.get_by_label("Skicka som e-post till eva.ek@example.org").check()
    with page.expect_navigation():
        feedback.get_by_role("button", name="Förhandsgranska").click()
    preview = page.locator(".preview")
    assert _in_viewport(page, page.locator("#forhandsgranskning"))
    assert ANSWER in preview.inner_text() and INTERNAL not in preview.inner_text()
    assert "Återkoppling på ditt ärende" in preview.inner_text()
    screenshot(page, f"casepage-{size}-3-preview")
    assert_accessible(page, visited)
    with page.expect_navigation():
        page.locator("form[action*='/aterkoppling']").get_by_role(
            "button", name="Spara återkoppling"
        ).click()
    assert _in_viewport(page, page.locator(".flash", has_text="Återkopplingen är registrerad."))
    assert_accessible(page, visited)

    # Closing asks for what the report needs.
    page.locator("#nasta-steg").get_by_role("link", name="Avsluta ärendet", exact=True).click()
    close = page.locator("form[action$='/avsluta']")
    with page.expect_navigation():
        close.get_by_role("button", name="Avsluta ärendet", exact=True).click()
    assert page.get_by_text("Ange från vem ärendet kom.").first.is_visible()
    assert_accessible(page, visited)
    close = page.locator("form[action$='/avsluta']")
    close.get_by_label("Från vem").select_option(label="Annan (t.ex. okänd)")
    close.get_by_label("Utebliven/försenad insats eller aktivitet").check()
    with page.expect_navigation():
        close.get_by_role("button", name="Avsluta ärendet", exact=True).click()
    assert _in_viewport(page, page.locator(".flash", has_text="Ärendet är avslutat."))
    text = page.locator("main").inner_text()
    assert "Avslutad" in text and "Saknas för redovisningen" not in text
    print(f"{size}: the closed case page is {_page_height(page)} px high")
    screenshot(page, f"casepage-{size}-4-closed")
    assert_accessible(page, visited)

    # The person reads the answer, never the internal note.
    public.goto("/folj-arende")
    public.get_by_label("Diarienummer").fill(reference)
    public.get_by_label("Kvittenskod").fill(code)
    with public.expect_navigation():
        public.get_by_role("button", name="Visa ärendet").click()
    shown = public.locator("main").inner_text()
    assert ANSWER in shown and INTERNAL not in shown
    print(f"{size}: scanned", ", ".join(visited))
