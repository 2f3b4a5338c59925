"""A small, script-free SVG bar chart of one row's six-tertial trend.

The chart is decorative beside the numbers, which the page also shows in a table; the SVG
carries a text alternative with the same numbers.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, GAP = 132, 36, 4


def sparkbars(values: list[int], label: str) -> Markup:
    """An inline SVG with one bar per tertial, scaled to the largest value."""
    top = max(values) or 1
    bar = (WIDTH - GAP * (len(values) - 1)) / max(len(values), 1)
    parts = []
    for index, value in enumerate(values):
        height = 0 if value == 0 else max(2.0, (HEIGHT - 2) * value / top)
        x = index * (bar + GAP)
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - height:.1f}" width="{bar:.1f}" '
            f'height="{height:.1f}" class="spark-bar"></rect>'
        )
    description = escape(f"{label}: " + ", ".join(str(v) for v in values))
    axis = f'<line x1="0" y1="{HEIGHT - 0.5}" x2="{WIDTH}" y2="{HEIGHT - 0.5}" class="spark-axis">'
    svg = (
        f'<svg class="sparkbars" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{description}">'
        f"<title>{description}</title>{''.join(parts)}{axis}</line></svg>"
    )
    # Safe: the only text (label and numbers) is escaped above; the rest are numbers.
    return Markup(svg)  # noqa: S704
