"""axe-core (bundled by axe-playwright-python) run against the page a test is on."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()


def violations(page) -> list[str]:
    """Every WCAG 2.1 A/AA violation on the page, one readable line per affected node."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]},
    )
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            lines.append(
                f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} "
                f"— {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')}"
            )
    return lines
