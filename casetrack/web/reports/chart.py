"""Small, script-free SVG bar charts for the report page (issue 20).

Honest by construction: every bar of one chart is drawn on the scale the caller passes
(the largest value of the whole group, so 4 is a sixth as tall as 26), every bar carries
its number, and a tertial that has not ended is drawn as an open, dashed bar and named
"pågår" in the text alternative. The page shows the same numbers in a table beside each
chart. No script, no inline ``style`` attribute and no ``<style>`` element: the strict CSP
(``style-src 'self'``) applies, so the look comes from classes in casetrack.css and prints
without colour (outline and dash, not fill colour alone, mark an open tertial).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, GAP = 168, 52, 4
LABEL_SPACE = 13  # room above the bars for the numbers
HBAR_WIDTH, HBAR_HEIGHT = 200, 16


def scale_top(series: Iterable[Sequence[int]]) -> int:
    """The shared scale for the charts of ``series`` (one list of numbers per chart):
    their largest value, at least 1."""
    return max((max(values, default=0) for values in series), default=0) or 1


def trend_bars(
    values: Sequence[int],
    top: int,
    label: str,
    periods: Sequence[str],
    open_periods: Mapping[int, str] | None = None,
) -> Markup:
    """One bar per tertial on the shared scale ``top``, each with its number above it.

    ``periods`` names each bar ("T1 2026"); ``open_periods`` maps the index of a tertial
    that has not ended to its note ("pågår", "har inte börjat"): such a bar is drawn as a
    dashed outline and its note is part of the text alternative.
    """
    open_periods = open_periods or {}
    count = max(len(values), 1)
    bar = (WIDTH - GAP * (count - 1)) / count
    room = HEIGHT - LABEL_SPACE - 1
    parts = []
    for index, value in enumerate(values):
        height = 0.0 if value == 0 else max(1.5, room * value / max(top, 1))
        x = index * (bar + GAP)
        kind = "spark-bar spark-bar--open" if index in open_periods else "spark-bar"
        if height:
            parts.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - 1 - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" class="{kind}"></rect>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 3 - height:.1f}" '
            f'class="spark-value" text-anchor="middle">{int(value)}</text>'
        )
    spoken = ", ".join(
        f"{name}{f' ({open_periods[index]})' if index in open_periods else ''}: {value}"
        for index, (name, value) in enumerate(zip(periods, values, strict=False))
    )
    description = escape(f"{label}. {spoken}. Skala 0–{top}.")
    axis = (
        f'<line x1="0" y1="{HEIGHT - 0.5}" x2="{WIDTH}" y2="{HEIGHT - 0.5}" '
        'class="spark-axis"></line>'
    )
    svg = (
        f'<svg class="sparkbars" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        f"<title>{description}</title>{''.join(parts)}{axis}</svg>"
    )
    # The <title> is the chart's accessible name (no aria-label: the page's "År" field
    # must stay the only thing labelled with that word, and "pågår" contains it).
    # Safe: the only text (label, period names, numbers) is escaped above; the rest are
    # numbers and fixed class names.
    return Markup(svg)  # noqa: S704


def hbar(value: int, top: int, label: str, is_open: bool = False) -> Markup:
    """One horizontal bar, ``value`` on the shared scale ``top``; the number is in the
    table cell beside it, so the bar is hidden from screen readers."""
    width = 0.0 if value == 0 else max(1.0, HBAR_WIDTH * value / max(top, 1))
    kind = "hbar-bar hbar-bar--open" if is_open else "hbar-bar"
    rect = (
        f'<rect x="0" y="2" width="{width:.1f}" height="{HBAR_HEIGHT - 4}" class="{kind}"></rect>'
        if width
        else ""
    )
    svg = (
        f'<svg class="hbar" width="{HBAR_WIDTH}" height="{HBAR_HEIGHT}" '
        f'viewBox="0 0 {HBAR_WIDTH} {HBAR_HEIGHT}" aria-hidden="true" focusable="false">'
        f"<title>{escape(label)}: {int(value)}</title>{rect}</svg>"
    )
    return Markup(svg)  # noqa: S704
