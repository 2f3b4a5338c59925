"""`casetrack init` on an empty database, and a fresh install with the documented
commands only (issue 18).

Each test starts from a brand-new, empty database (not migrated: `init` migrates it) and
types the commands through the CLI runner as an operator would.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import sqlalchemy as sa

from casetrack import create_app
from casetrack.extensions import db
from casetrack.models import AuditEntry, OrgUnit, OrgUnitPeriod, RoleAssignment, User
from tests.conftest import Auth, RequestClient, csrf_from, repo_root

LINK = re.compile(r"https?://[^/\s]+(/konto/nytt-losenord\?kod=[A-Za-z0-9_-]+)")
CHOSEN = "ljus-kanot-marmelad-fyrtorn"
DOCS = repo_root() / "docs" / "operations"


@pytest.fixture
def fresh(empty_database_url):
    """An app on an empty database (no schema), and its CLI runner."""
    app = create_app({"ENV": "testing", "DATABASE_URL": empty_database_url})
    app.test_client_class = RequestClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _init(app, *extra: str):
    return app.test_cli_runner().invoke(
        args=["init", "--org-name", "Hägersten-Älvsjö stadsdelsförvaltning",
              "--admin-email", "Anna.Admin@kommun.example", *extra]
    )  # fmt: skip


def _log_in_with_the_link(app, output: str, email: str) -> Auth:
    """Follow the printed link, choose a password, log in and enrol the second factor."""
    path = LINK.search(output).group(1)
    person = Auth(app.test_client())
    page = person.client.get(path)
    assert page.status_code == 200, page.text
    chosen = person.post(path, {"password": CHOSEN, "confirm": CHOSEN})
    assert chosen.status_code == 302, chosen.text
    page = person.client.get("/logga-in")
    first = person.client.post(
        "/logga-in", data={"email": email, "password": CHOSEN, "csrf_token": csrf_from(page.text)}
    )
    # An administrator enrols TOTP at the first login, as every administrator does.
    assert first.headers["Location"] == "/logga-in/aktivera-tvastegsverifiering"
    done = person.give_code(first.headers["Location"], email)
    assert done.status_code == 302
    return person


def test_init_sets_up_an_empty_database_and_the_admin_logs_in(fresh):
    result = _init(fresh)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Organisationen: Hägersten-Älvsjö stadsdelsförvaltning (kod HAS)" in out
    for step in ("CASETRACK_BASE_URL", "CASETRACK_SMTP_HOST", "CASETRACK_SSO_PROVIDERS_FILE",
                 "gruppmappningar", "casetrack serve"):  # fmt: skip
        assert step in out
    db.session.expire_all()
    (root,) = db.session.scalars(sa.select(OrgUnit)).all()
    assert (root.code, root.level, root.parent_id) == ("HAS", "forvaltning", None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnitPeriod)) == 1
    (admin,) = db.session.scalars(sa.select(User)).all()
    assert (admin.email, admin.name) == ("anna.admin@kommun.example", "Anna Admin")
    (role,) = db.session.scalars(sa.select(RoleAssignment)).all()
    assert (role.role, role.org_unit_id) == ("admin", root.id)
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"unit.created", "user.created", "user.password_link_sent"} <= actions
    # No password until the administrator chooses one through the link.
    assert Auth(fresh.test_client()).login(admin.email, CHOSEN).status_code == 422

    person = _log_in_with_the_link(fresh, out, admin.email)
    assert person.client.get("/admin/anvandare").status_code == 200
    # The link worked once.
    assert Auth(fresh.test_client()).client.get(LINK.search(out).group(1)).status_code == 410


def test_init_twice_is_refused_and_makes_no_second_admin(fresh):
    assert _init(fresh).exit_code == 0
    again = fresh.test_cli_runner().invoke(
        args=["init", "--org-name", "Annan", "--admin-email", "bertil@kommun.example"]
    )
    assert again.exit_code == 1
    assert "Databasen har redan enheter och konton" in again.output
    assert "har inte ändrat något" in again.output
    db.session.expire_all()
    assert db.session.scalars(sa.select(User.email)).all() == ["anna.admin@kommun.example"]
    assert db.session.scalars(sa.select(OrgUnit.code)).all() == ["HAS"]


def test_init_imports_the_tree_from_a_file(fresh, tmp_path):
    path = tmp_path / "org.csv"
    path.write_text(
        "kod;namn;overordnad\nSDF;Förvaltningen;\nAO;Äldreomsorg;SDF\nASP;Aspudden;AO\n",
        encoding="utf-8",
    )
    result = fresh.test_cli_runner().invoke(
        args=["init", "--org-file", str(path), "--admin-email", "anna@kommun.example"]
    )
    assert result.exit_code == 0, result.output
    assert "Nya enheter (3):" in result.output
    assert "(kod SDF)" in result.output
    db.session.expire_all()
    levels = dict(db.session.execute(sa.select(OrgUnit.code, OrgUnit.level)).all())
    assert levels == {"SDF": "forvaltning", "AO": "avdelning", "ASP": "enhet"}
    role = db.session.scalars(sa.select(RoleAssignment)).one()
    assert role.org_unit.code == "SDF"


def test_init_refuses_a_file_with_two_roots_and_creates_nothing(fresh, tmp_path):
    path = tmp_path / "org.csv"
    path.write_text("code,name,parent_code\nA,A,\nB,B,\n", encoding="utf-8")
    result = fresh.test_cli_runner().invoke(
        args=["init", "--org-file", str(path), "--admin-email", "anna@kommun.example"]
    )
    assert result.exit_code == 1
    assert "Ange med --org-code" in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


# --- a fresh install with the documented commands only ------------------------------------

# Commands of the documented block that this test does not run, and why.
NOT_RUN_HERE = {
    "check-deploy": "checks the production environment (secret key, PostgreSQL, SMTP …)",
    "scheduler": "runs until stopped",
    "serve": "starts gunicorn (tests/web/test_cli_and_packaging.py runs it)",
}


def _documented_commands() -> list[list[str]]:
    text = (DOCS / "first-install.md").read_text(encoding="utf-8")
    block = text.split("## The commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        line = line.split(" #", 1)[0].strip()
        if line.startswith("casetrack "):
            commands.append(shlex.split(line)[1:])
    return commands


def _example_csv() -> str:
    text = (DOCS / "org-import.md").read_text(encoding="utf-8")
    return text.split("```csv", 1)[1].split("```", 1)[0].lstrip("\n")


def test_a_fresh_install_with_the_documented_commands_only(fresh, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("organisation.csv").write_text(_example_csv(), encoding="utf-8")
    commands = _documented_commands()
    assert [c[0] for c in commands][:1] == ["init"]
    runner = fresh.test_cli_runner()
    outputs = {}
    for args in commands:
        if args[0] in NOT_RUN_HERE:
            continue
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
        outputs.setdefault(args[0], result.output)
    ran = {"init", "org", "create-user", "scim-token"}
    assert {c[0] for c in commands} - ran <= NOT_RUN_HERE.keys()
    assert "ctscim_" in outputs["scim-token"]  # the token, shown once
    db.session.expire_all()
    codes = set(db.session.scalars(sa.select(OrgUnit.code)))
    assert {"HAS", "AO", "ASP", "FUNK", "KLO"} <= codes
    quality = db.session.scalars(
        sa.select(User).where(User.email == "kerstin.kvalitet@kommun.se")
    ).one()
    assert [(a.role, a.org_unit.code) for a in quality.role_assignments] == [("quality", "HAS")]
    # The administrator that init made logs in through the printed link.
    _log_in_with_the_link(fresh, outputs["init"], "anna.admin@kommun.se")


def test_init_in_production_without_the_attachment_key_says_so_first(empty_database_url):
    """Without the key nobody can enrol a second factor: the administrator would be locked
    out at the first login (found by trying the documented first install)."""
    app = create_app(
        {"ENV": "production", "DATABASE_URL": empty_database_url, "SECRET_KEY": "k" * 40}
    )
    with app.app_context():
        result = _init(app)
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    # Before everything else init prints (Alembic's own log lines aside).
    printed = result.output[result.output.index("OBS:") :]
    assert printed.startswith("OBS: Ingen nyckel för kryptering av bilagor")
    assert printed.index("OBS:") < printed.index("casetrack är installerat.")
    assert "Sätt nyckeln innan administratören loggar in första gången" in result.output
