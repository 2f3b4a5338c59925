"""The security event stream (SECURITY.md K3-74–77): JSON lines in CASETRACK_SECURITY_LOG,
written after the transaction commits, with refused access from the error handlers."""

from __future__ import annotations

import json
import stat
import sys
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from casetrack import audit, create_app
from casetrack.audit import security_log
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry
from tests.builders import lex_track
from tests.conftest import PASSWORD, csrf_from


@pytest.fixture
def app_settings(security_file):
    """The stream in a file and a low follow-page limit."""
    return {"SECURITY_LOG": str(security_file), "FOLLOW_RATE_LIMIT": "2 per minute"}


def events(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def named(path, name: str) -> list[dict]:
    return [e for e in events(path) if e["event"] == name]


def post(client, url: str, data: dict, token_page: str):
    """POST with a CSRF token taken from another page (the route has no GET)."""
    token = csrf_from(client.get(token_page).text)
    return client.post(url, data={**data, "csrf_token": token})


@pytest.fixture
def people(make, org):
    staff = make.user([(Role.STAFF, org["a"])], email="staff@test.example", name="Sam Staff")
    handler = make.user([(Role.HANDLER, org["a"])], email="handler@test.example")
    manager = make.user([(Role.MANAGER, org["a"])], email="chef@test.example")
    admin = make.user([(Role.ADMIN, org["root"])], email="admin@test.example")
    db.session.commit()
    return {"staff": staff, "handler": handler, "manager": manager, "admin": admin}


def test_logins_and_logout_are_json_lines_in_a_private_file(client, auth, people, security_file):
    auth.login("handler@test.example", password="fel-lösenord-123")  # pragma: allowlist secret
    auth.login("handler@test.example")
    auth.logout()

    assert stat.S_IMODE(security_file.stat().st_mode) == 0o600
    lines = security_file.read_text("utf-8").splitlines()
    assert all(line.startswith("{") and line.endswith("}") for line in lines)
    [failed] = named(security_file, "auth.login_failed")
    assert failed["outcome"] == "failure"
    assert failed["actor_id"] is None and failed["actor_roles"] is None
    assert failed["path"] == "/logga-in" and failed["method"] == "POST"
    assert failed["ip"] == "127.0.0.1" and len(failed["request_id"]) == 32
    ts = datetime.fromisoformat(failed["ts"])
    assert ts.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - ts).total_seconds()) < 600
    [login] = named(security_file, "auth.login")
    assert login["outcome"] == "success"
    assert login["actor_id"] == people["handler"].id
    assert login["actor_roles"] == ["handler"]
    assert (login["entity_type"], login["entity_id"]) == ("user", people["handler"].id)
    [logout] = named(security_file, "auth.logout")
    assert logout["actor_id"] == people["handler"].id
    assert "fel-lösenord" not in security_file.read_text("utf-8")
    assert "handler@test.example" not in security_file.read_text("utf-8")


def test_second_factor_enrolment_and_a_wrong_code_are_streamed(client, auth, people, security_file):
    page = client.get("/logga-in")
    response = client.post(
        "/logga-in",
        data={"email": "admin@test.example", "password": PASSWORD,
              "csrf_token": csrf_from(page.text)},
    )  # fmt: skip
    enrol = response.headers["Location"]
    page = client.get(enrol)
    client.post(enrol, data={"code": "000000", "csrf_token": csrf_from(page.text)})
    [wrong] = named(security_file, "auth.mfa_failed")
    assert wrong["outcome"] == "failure"
    assert wrong["details"] == {"step": "enrol"}
    auth.give_code(enrol, "admin@test.example")
    [enabled] = named(security_file, "user.mfa_enabled")
    assert enabled["actor_id"] == people["admin"].id
    assert named(security_file, "auth.login")[0]["actor_roles"] == ["admin"]


def test_admin_actions_are_streamed_with_ids_not_names(client, auth, people, org, security_file):
    auth.login("admin@test.example")
    response = auth.post(
        "/admin/anvandare/ny",
        {"email": "ny.person@test.example", "name": "Nora Nyanställd"},
    )
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rsplit("/", 1)[1])
    user_page = f"/admin/anvandare/{new_id}"
    post(client, f"{user_page}/roller", {"role": "handler", "org_unit_id": org["b"].id}, user_page)
    post(client, f"{user_page}/inaktivera", {}, user_page)
    auth.post("/admin/installningar/deadline.lex_sarah.dokumenterad", {"value": "2"})

    [created] = named(security_file, "user.created")
    assert (created["entity_type"], created["entity_id"]) == ("user", new_id)
    assert created["actor_roles"] == ["admin"]
    assert created["path"] == "/admin/anvandare/ny"
    [role] = named(security_file, "role.assigned")
    assert role["details"] == {"user_id": new_id, "role": "handler", "org_unit_id": org["b"].id}
    [deactivated] = named(security_file, "user.deactivated")
    assert deactivated["path"] == "/admin/anvandare/<int:user_id>/inaktivera"
    assert deactivated["details"] == {"active": False}
    [setting] = named(security_file, "setting.changed")
    assert setting["details"] == {"key": "deadline.lex_sarah.dokumenterad"}
    text = security_file.read_text("utf-8")
    for secret in ("Nora", "ny.person@", "startlösenord"):
        assert secret not in text


def test_refused_access_is_streamed_and_audited(client, auth, people, org, make, security_file):
    case = make.case(org["a"], by=people["handler"])
    other = make.case(org["b"], by=None)
    db.session.commit()
    auth.login("staff@test.example")
    assert client.get("/admin/anvandare").status_code == 404
    assert client.get(f"/arenden/{other.id}").status_code == 404
    assert client.get("/finns-inte").status_code == 404  # not a protected page: no event
    assert client.post(f"/arenden/{case.id}/anteckningar", data={}).status_code == 400
    auth.logout()
    track = lex_track(case, "Rapportör")
    db.session.commit()
    auth.login("handler@test.example")
    decide = f"/arenden/{case.id}/lex/{track.id}/stallningstagande"
    assert post(client, decide, {}, f"/arenden/{case.id}").status_code == 403

    not_found = named(security_file, "access.not_found")
    assert [(e["path"], e["entity_type"], e["entity_id"]) for e in not_found] == [
        ("/admin/anvandare", "page", None),
        ("/arenden/<int:case_id>", "case", other.id),
    ]
    assert all(e["actor_id"] == people["staff"].id and e["outcome"] == "denied" for e in not_found)
    [csrf] = named(security_file, "access.csrf_failed")
    assert (csrf["entity_type"], csrf["entity_id"], csrf["details"]) == (
        "case",
        case.id,
        {"status": 400},
    )
    [forbidden] = named(security_file, "access.forbidden")
    assert forbidden["actor_roles"] == ["handler"]
    audited = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.action.like("access.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert audited == ["access.not_found", "access.not_found", "access.csrf_failed",
                       "access.forbidden"]  # fmt: skip


def test_anonymous_refusals_are_streamed_without_database_writes(client, security_file):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    assert client.post("/logga-in", data={"email": "x@test.example"}).status_code == 400
    for _ in range(3):
        page = client.get("/folj-arende")
        response = client.post(
            "/folj-arende",
            data={"reference": "HA-2026-00001", "code": "ABCD-EFGH",
                  "csrf_token": csrf_from(page.text)},
        )  # fmt: skip
    assert response.status_code == 429
    [csrf] = named(security_file, "access.csrf_failed")
    assert csrf["actor_id"] is None and csrf["path"] == "/logga-in"
    [limited] = named(security_file, "access.rate_limited")
    assert limited["path"] == "/folj-arende" and limited["outcome"] == "denied"
    assert "HA-2026-00001" not in security_file.read_text("utf-8")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before


def test_registerutdrag_and_exports_are_streamed_without_search_terms(
    client, auth, people, org, make, security_file
):
    make.case(org["a"], by=people["manager"], submitter_name="Karin Ek")
    db.session.commit()
    auth.login("chef@test.example")
    page = client.get("/registerutdrag/")
    client.post("/registerutdrag/", data={"name": "Karin Ek", "csrf_token": csrf_from(page.text)})
    assert client.get("/arenden/export.csv").status_code == 200
    [extract] = named(security_file, "read.registerutdrag")
    assert extract["details"] == {"detail": "träffar: 1"}
    assert extract["actor_id"] == people["manager"].id
    [export] = named(security_file, "read.cases.export")
    assert export["path"] == "/arenden/export.csv"
    assert "Karin" not in security_file.read_text("utf-8")


def test_events_of_a_rolled_back_transaction_are_never_written(people, security_file):
    admin = people["admin"]
    audit.record("user.blocked", entity_type="user", entity_id=admin.id, actor=admin)
    db.session.rollback()
    assert named(security_file, "user.blocked") == []

    audit.record("role.reviewed", entity_type="role_assignment", entity_id=1, actor=admin)
    with db.session.begin_nested():
        audit.record("user.deactivated", entity_type="user", entity_id=2, actor=admin)
    savepoint = db.session.begin_nested()
    audit.record("user.activated", entity_type="user", entity_id=3, actor=admin)
    savepoint.rollback()
    audit.record("case.registered", entity_type="case", entity_id=4, actor=admin)
    assert events(security_file) == []  # nothing before the commit
    db.session.commit()
    assert [e["event"] for e in events(security_file)] == ["role.reviewed", "user.deactivated"]


def test_the_stream_is_configurable_and_off_by_default(database_url, capsys):
    security_log.configure("stderr")
    security_log.emit(security_log.build("auth.login_failed"))
    assert json.loads(capsys.readouterr().err)["event"] == "auth.login_failed"
    create_app({"ENV": "testing", "DATABASE_URL": database_url})  # SECURITY_LOG "": off
    security_log.emit(security_log.build("auth.login_failed"))
    assert capsys.readouterr() == ("", "")
    handler = security_log.make_handler("stdout")
    assert handler.stream is sys.stdout


@pytest.mark.parametrize(
    ("action", "relevant"),
    [
        ("user.blocked", True),
        ("role.reviewed", True),
        ("auth.mfa_throttled", True),
        ("backup.restored", True),
        ("attachments.key_rotated", True),
        ("report.unfrozen", True),
        ("message_template.updated", True),
        ("unit.created", True),
        ("case.registered", False),
        ("note.added", False),
        ("report.frozen", False),
    ],
)
def test_which_audited_actions_are_security_events(action, relevant):
    assert security_log.is_security_action(action) is relevant
    assert security_log.is_security_action(action, blueprint="admin") is True
