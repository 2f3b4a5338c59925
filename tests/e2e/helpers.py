"""Keyboard and page helpers shared by the journeys."""

from __future__ import annotations

from tests.e2e.axe import violations


def focused(page) -> dict:
    """What has keyboard focus: tag, id, name, type and its text."""
    return page.evaluate(
        """() => { const e = document.activeElement; return {
            tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '',
            type: e.getAttribute('type') || '', text: (e.innerText || e.value || '').trim(),
            href: e.getAttribute('href') || '' }; }"""
    )


def tab_to(page, matches, limit: int = 60) -> dict:
    """Press Tab until the focused element matches; fails after ``limit`` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if matches(element):
            return element
    raise AssertionError(f"Tab never reached the element; last focus: {focused(page)}")


def focus_has_visible_outline(page) -> bool:
    """The focused element draws a focus indicator (outline or box-shadow)."""
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
            return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                || s.boxShadow !== 'none'; }"""
    )


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def assert_accessible(page, visited: list[str]) -> None:
    """axe on the current page (and record it as scanned)."""
    visited.append(page.url)
    problems = violations(page)
    assert not problems, "\n".join(problems)
    assert page.locator("h1").count() == 1, f"{page.url} has not exactly one h1"
