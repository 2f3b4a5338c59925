"""House rules of the layout that import-linter cannot see (issue 17, docs/architecture.md)."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "casetrack"


def _sources(*, outside: tuple[str, ...]):
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not relative.startswith(outside):
            yield relative, path.read_text(encoding="utf-8")


def test_audit_entries_are_written_only_by_services():
    writers = [
        relative
        for relative, source in _sources(outside=("services/", "audit/"))
        if re.search(
            r"\baudit\.record\(|\bfrom casetrack\.audit(\.trail)? import [^\n]*\brecord\b", source
        )
    ]
    assert writers == []


def test_services_never_commit():
    committing = [
        relative
        for relative, source in _sources(outside=("web/", "cli/", "jobs/", "infra/", "audit/"))
        if re.search(r"\.commit\(\)", source)
    ]
    assert committing == []


def test_no_module_sits_loose_at_the_package_root():
    loose = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "config.py", "extensions.py"]
