"""docs/SECURITY.md names the tests behind each security requirement: every one it names
exists, so the table cannot drift from the suite unnoticed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "SECURITY.md"
# `tests/x.py::test_name`, `tests/x.py` (a whole file) and `::test_name` (the file before it).
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::(test_\w+))?[^`]*`")


def _references(table: Path = TABLE) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for line in table.read_text("utf-8").splitlines():
        current: str | None = None
        for match in REFERENCE.finditer(line):
            path, test = match.groups()
            if path:
                current = path
            if current and (path or test):
                found.append((current, test))
    return found


def _missing(references: list[tuple[str, str | None]]) -> list[str]:
    missing = []
    for path, test in references:
        source = ROOT / path
        if not source.is_file():
            missing.append(path)
        elif test and not re.search(rf"^(async )?def {test}\(", source.read_text("utf-8"), re.M):
            missing.append(f"{path}::{test}")
    return missing


def test_every_test_the_security_table_names_exists():
    references = _references()
    assert len(references) > 80  # the table names tests on every row
    assert _missing(references) == []


def test_the_check_would_notice_a_missing_test(tmp_path):
    fake = tmp_path / "SECURITY.md"
    fake.write_text(
        "| 1 | x | `tests/unit/test_security_table.py::test_that_is_not_there`, "
        "`::test_every_test_the_security_table_names_exists`, `tests/nowhere.py` |\n"
    )
    assert _missing(_references(fake)) == [
        "tests/unit/test_security_table.py::test_that_is_not_there",
        "tests/nowhere.py",
    ]
