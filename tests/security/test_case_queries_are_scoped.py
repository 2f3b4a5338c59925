"""Code that queries cases goes through the scoping function (DESIGN §3, K3-51).

Any module under casetrack/ that selects from ``Case`` (``select(Case``, ``select_from(Case``,
``session.get(Case``, ``query(Case``) must also apply ``case_scope`` — or be on the short
allow-list below of system code that runs without a user, each with its reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import casetrack

CASE_QUERY = re.compile(r"(select|select_from|get|query)\(\s*Case\b")

# Modules that read cases without case_scope, on purpose.
SYSTEM_MODULES = {
    "queries/report.py": "counts only (no case data) over the subtree of a unit the "
    "viewer holds REPORT_READ on, checked by the caller (web/reports/views.py, the report "
    "command); its drill-down lists go through case_scope in queries/cases.py",
    "queries/patient_safety.py": "counts only, like queries/report.py, over the subtree of a "
    "unit the viewer holds REPORT_READ on, checked by the caller (web/reports/"
    "patient_safety.py, _unit_or_404); its drill-down lists go through case_scope",
    "queries/indicators.py": "counts only, like queries/report.py, over the subtree of a "
    "unit the viewer holds REPORT_READ on, checked by the caller (web/reports/"
    "indicators.py, _unit_or_404); its drill-down (figure_condition) reads only ids within "
    "the bounds queries/cases.py passes, which include case_scope",
    "services/retention.py": "the retention job anonymises every due case; no user involved",
    "cli/demo.py": "writes synthetic demo data into an empty database",
    "cli/synthetic.py": "bulk-loads synthetic benchmark data (casetrack generate); no user",
    "services/intake.py": "the public follow-your-case page: the receipt code is the "
    "authorisation for exactly one case (SECURITY.md K3-53)",
    "web/intake/views.py": "the same receipt-code path, reading the one case the code opened",
    "services/receipts.py": "the public form's receipt page (issue 20): the one-time grant "
    "made when this browser submitted the case shows that case's reference and unit",
    "services/org_import.py": "counts only (open and all cases per unit) for the org "
    "import's difference, which an operator runs on the server (casetrack org import)",
    "jobs/reminders.py": "the scheduler finds due cases in every unit; each recipient is "
    "checked with unit_ids_for (jobs/recipients.py) before anything is sent",
}


def _modules():
    root = Path(casetrack.__file__).parent
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if not relative.startswith("models/"):
            yield relative, path.read_text(encoding="utf-8")


def test_every_case_query_applies_the_scoping_function():
    unscoped = [
        relative
        for relative, source in _modules()
        if CASE_QUERY.search(source)
        and "case_scope(" not in source
        and relative not in SYSTEM_MODULES
    ]
    assert not unscoped, f"modules query Case without case_scope(): {unscoped}"


def test_the_check_would_notice_an_unscoped_query():
    assert CASE_QUERY.search("db.session.scalars(sa.select(Case).where(Case.id == 1))")
    assert CASE_QUERY.search("db.session.get(Case, case_id)")
    assert CASE_QUERY.search("sa.select(sa.func.count()).select_from(Case)")
    assert not CASE_QUERY.search("sa.select(CaseKind)")
