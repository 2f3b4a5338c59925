"""Loggkontroll in Swedish, and one visit to a case as one row (issue 20)."""

from __future__ import annotations

import ast
import html
import re
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

import casetrack
from casetrack.domain.access_log import WHAT_TEXTS, describe
from casetrack.extensions import db
from casetrack.models import AccessLogEntry, utcnow
from tests.conftest import csrf_from
from tests.web.test_handling_pages import _form_fields


def _rows(page: str) -> list[list[str]]:
    """The loggkontroll table as text, one list of cells per row."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    assert body, "no table of accesses"
    return [
        [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]
        for cells in (
            re.findall(r"<td>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
        )
    ]


def _log(user, what, case=None, detail=None, minutes_ago=5):
    db.session.add(
        AccessLogEntry(
            user_id=user.id,
            what=what,
            case_id=case.id if case else None,
            org_unit_id=case.org_unit_id if case else None,
            detail=detail,
            occurred_at=utcnow() - timedelta(minutes=minutes_ago),
            remote_addr="10.0.0.7",
        )
    )


def _codes_written_by_the_app() -> set[str]:
    """Every ``what`` passed as a literal to ``log_access`` anywhere in casetrack/."""
    codes = set()
    for path in Path(casetrack.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name != "log_access":
                continue
            what = node.args[1] if len(node.args) > 1 else None
            what = what or next((k.value for k in node.keywords if k.arg == "what"), None)
            assert isinstance(what, ast.Constant), f"{path}: log_access with a computed code"
            codes.add(what.value)
    return codes


def test_every_code_the_app_writes_has_a_swedish_text():
    codes = _codes_written_by_the_app()
    assert {"case.view", "case.history", "cases.export", "report.export"} <= codes
    assert codes <= set(WHAT_TEXTS), f"no Swedish text for {codes - set(WHAT_TEXTS)}"
    for code in codes:
        text = describe(code, None)
        assert text != code and "." not in text and not text.startswith("Annan läsning")


def test_the_raw_codes_the_issue_found_read_as_swedish(client, auth, org, people, make):
    case = make.case(org["a"], by=people["handler"])
    _log(people["handler"], "case.history", case, minutes_ago=30)
    _log(people["manager"], "cases.export", detail="70 ärenden", minutes_ago=20)
    _log(people["manager"], "report.export", detail="csv HAS 2026 T3", minutes_ago=10)
    _log(people["manager"], "attachment.download", case, detail="12", minutes_ago=9)
    db.session.commit()
    auth.login("m@test.example")
    page = client.get("/loggkontroll/").text
    texts = [row[2] for row in _rows(page)]
    assert texts == [
        "Laddade ner en bilaga (bilaga nr 12)",
        "Laddade ner tertialrapporten som CSV: enhet HAS, 2026 till och med VB",
        "Laddade ner ärendelistan som CSV, 70 ärenden",
        "Läste ärendets historik",
    ]
    for raw in ("case.history", "cases.export", "report.export", "(csv HAS"):
        assert raw not in page

    token = csrf_from(page)
    export = client.post("/loggkontroll/export", data={"csrf_token": token})
    assert "Laddade ner ärendelistan som CSV, 70 ärenden" in export.text
    assert "cases.export" not in export.text


def test_one_visit_with_form_posts_is_one_row_and_every_read_is_kept(
    client, auth, org, people, make
):
    case = make.case(org["a"], by=people["handler"], received_on=date(2026, 3, 2))
    auth.login("h@test.example")
    url = f"/arenden/{case.id}/status"
    for status in ("under_utredning", "atgarder_pagar"):
        page = client.get(f"/arenden/{case.id}").text
        response = client.post(url, data={**_form_fields(page, url), "status_code": status})
        assert response.status_code == 302
        assert client.get(response.headers["Location"]).status_code == 200
    reads = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.case_id == case.id, AccessLogEntry.what == "case.view")
    )
    assert reads == 4  # every read is in the log

    # An opening the day before is a visit of its own.
    _log(people["handler"], "case.view", case, minutes_ago=24 * 60)
    db.session.commit()
    auth.logout()
    auth.login("m@test.example")
    page = client.get("/loggkontroll/").text
    rows = [row for row in _rows(page) if row[3] == case.reference]
    assert [row[2] for row in rows] == ["Öppnade ärendet (4 gånger)", "Öppnade ärendet"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d(–\d\d:\d\d)?", rows[0][0])
    assert "5 läsningar" in page

    # The export keeps one line per read.
    export = client.post("/loggkontroll/export", data={"csrf_token": csrf_from(page)})
    assert export.text.count(case.reference) == 5
