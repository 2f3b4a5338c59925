"""Start pages in a browser (issue 20): the enhetschef clicks a count on Mina ärenden and
gets a list of exactly that many cases; a medarbetare on a phone lands on Mina avvikelser
with "Ny avvikelse" in view and nothing to scroll sideways."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.helpers import assert_accessible, focused, no_horizontal_scroll, tab_to

pytestmark = pytest.mark.slow  # a browser and a server process per session

COUNT = re.compile(r"^(.*): (\d+)$")


def _counts(page) -> dict[str, tuple[int, str]]:
    """Every count on Mina ärenden: label -> (number, link)."""
    links = page.locator("nav.summary-counts a")
    found = {}
    for i in range(links.count()):
        text = " ".join(links.nth(i).inner_text().split())
        label, number = COUNT.match(text).groups()
        found[label] = (int(number), links.nth(i).get_attribute("href"))
    return found


def _listed(page) -> int:
    """How many cases the case list shows (one page)."""
    if page.get_by_text("Inga ärenden matchar.").count():
        return 0
    rows = page.locator("main table tbody tr").count()
    stated = re.search(r"(\d+) ärenden?\. Sida 1 av 1", page.locator("main").inner_text())
    assert stated and int(stated.group(1)) == rows
    return rows


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_enhetschef_clicks_a_count_and_sees_as_many_cases(new_context, width, height):
    page = new_context(width, height).new_page()
    log_in(page, "manager")
    page.goto("/")
    page.wait_for_url("**/arenden/mina")
    visited: list[str] = []
    assert_accessible(page, visited)
    assert no_horizontal_scroll(page)
    screenshot(page, f"start-manager-{width}")
    counts = _counts(page)
    # Her units' overdue and soon-due cases, whoever handles them, beside her own.
    assert {"Försenade i mina enheter", "Frist snart i mina enheter"} <= set(counts)
    assert counts["Försenade i mina enheter"][0] > 0  # the seeded cases from June
    # The rows fit a phone: the table does not scroll sideways.
    table = page.locator("section[aria-labelledby='att-gora'] .table-wrap")
    assert table.evaluate("e => e.scrollWidth <= e.clientWidth"), table.inner_text()
    # "Att göra" opens its section on the page: as many rows as it says.
    todo = counts.pop("Att göra")
    assert todo[1] == "#att-gora"
    assert page.locator("section[aria-labelledby='att-gora'] tbody tr").count() == todo[0]

    # With the keyboard: Tab to the count and open it.
    total, href = counts["Försenade i mina enheter"]
    tab_to(page, lambda e: e["href"] == href)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _listed(page) == total
    screenshot(page, f"start-manager-{width}-forsenade")
    if width == 1280:  # the list's wide table at phone width is another slice of issue 20
        assert_accessible(page, visited)

    # Every other count too, each to a list of exactly that many cases.
    for label, (number, link) in counts.items():
        page.goto(link)
        assert _listed(page) == number, label


def test_a_medarbetare_on_a_phone_starts_on_mina_avvikelser(new_context):
    page = new_context(390, 844, is_mobile=True, has_touch=True).new_page()
    log_in(page, "staff")
    page.goto("/")
    page.wait_for_url("**/avvikelser/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mina avvikelser"
    visited: list[str] = []
    assert_accessible(page, visited)
    assert no_horizontal_scroll(page)
    assert page.locator("main table").count() == 0  # cards, not the seven-column table
    screenshot(page, "start-staff-390")

    # "Ny avvikelse" is in view without scrolling, and the keyboard reaches it.
    button = page.locator("main").get_by_role("link", name="Ny avvikelse")
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844 and box["width"] > 300
    # The avvikelse she filed is there, with its status and whether återkoppling has come.
    card = page.locator(".card").first
    assert "Status" in card.inner_text() and "Återkoppling" in card.inner_text()
    page.locator("#innehall").focus()
    tab_to(page, lambda e: e["text"] == "Ny avvikelse" and "avvikelser/ny" in e["href"])
    assert focused(page)["tag"] == "a"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/avvikelser/ny")

    # At desktop width the same page passes axe too.
    desktop = new_context(1280, 900).new_page()
    log_in(desktop, "staff")
    desktop.goto("/")
    desktop.wait_for_url("**/avvikelser/")
    assert_accessible(desktop, visited)
    screenshot(desktop, "start-staff-1280")
