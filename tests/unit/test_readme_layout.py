"""The README's layout section names exactly the packages casetrack/ has (issue 17).

A newcomer reads the layout before the code; a package added, renamed or removed without
the README following would send them to a folder that is not there.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _layout_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return section.split("```", 2)[1]


def _listed_packages() -> set[str]:
    names = set()
    for line in _layout_block().splitlines():
        match = re.match(r"^  ([a-z_]+)/\s", line)  # two spaces: inside casetrack/
        if match:
            names.add(match.group(1))
    return names


def _listed_top_level() -> set[str]:
    return {m.group(1) for m in re.finditer(r"^([a-z_.]+)/\s", _layout_block(), re.M)}


def test_the_layout_lists_every_package_of_casetrack_and_no_other():
    on_disk = {
        path.name
        for path in (ROOT / "casetrack").iterdir()
        if path.is_dir() and not path.name.startswith(("_", "."))
    }
    assert _listed_packages() == on_disk


def test_the_top_level_folders_of_the_layout_exist():
    listed = _listed_top_level()
    assert {"casetrack", "templates", "migrations", "tests", "docs"} <= listed
    assert [name for name in listed if not (ROOT / name).is_dir()] == []


def test_the_web_line_names_every_blueprint_package():
    block = _layout_block()
    web = block.split("  web/", 1)[1].split("\n  jobs/", 1)[0]
    packages = {
        path.name
        for path in (ROOT / "casetrack" / "web").iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    }
    missing = [name for name in sorted(packages) if not re.search(rf"\b{name}\b", web)]
    assert missing == []
