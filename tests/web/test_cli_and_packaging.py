"""The `casetrack` command and the built wheel, as an operator would use them."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from casetrack.cli.demo import DEMO_PASSWORD, load_demo
from casetrack.domain.deviations import DEFAULT_ANALYSIS_THRESHOLD
from casetrack.domain.escalation import SERIOUS_ASSESSMENTS
from casetrack.extensions import db
from casetrack.infra.passwords import verify_password
from casetrack.models import (
    AuditEntry,
    Case,
    DeviationClassification,
    OrgUnit,
    OutboxMessage,
    RoleAssignment,
    User,
)
from casetrack.queries import deviations as deviation_queries
from casetrack.services import users
from tests.conftest import repo_root


def test_a_new_installation_gets_its_first_unit_and_administrator(runner):
    """docs/operations/deploy.md: an empty, migrated database has no unit to put the first
    administrator on until `create-unit` adds one."""
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 0
    made = runner.invoke(args=["create-unit", "--code", "has", "--name", "Hägersten-Älvsjö"])
    assert made.exit_code == 0, made.output
    assert "Enheten Hägersten-Älvsjö (HAS, Förvaltning) skapades." in made.output
    below = runner.invoke(
        args=["create-unit", "--code", "AO", "--name", "Äldreomsorg", "--level", "avdelning",
              "--parent", "HAS", "--reference-prefix", "AO"]
    )  # fmt: skip
    assert below.exit_code == 0, below.output
    admin = runner.invoke(
        args=["create-user", "--email", "anna@kommun.example", "--name", "Anna Admin",
              "--role", "admin", "--unit", "HAS", "--password", "ett-långt-lösenord"]
    )  # fmt: skip
    assert admin.exit_code == 0, admin.output
    units = db.session.scalars(sa.select(OrgUnit).order_by(OrgUnit.id)).all()
    assert [(u.code, u.level, u.parent.code if u.parent else None) for u in units] == [
        ("HAS", "forvaltning", None),
        ("AO", "avdelning", "HAS"),
    ]
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "unit.created")
    ).all()
    assert [e.actor_label for e in entries] == ["cli", "cli"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code", "HAS", "--name", "Igen"], "Det finns redan en enhet med den koden."),
        (["--code", "NY", "--name", "Ny", "--parent", "FINNS-EJ"], "Ingen enhet har koden"),
        (["--code", "Å!", "--name", "Ny"], "Koden får bara innehålla bokstäver A–Z"),
        (["--code", "NY", "--name", "  "], "Ange enhetens namn."),
    ],
)
def test_create_unit_refuses_bad_input_and_saves_nothing(runner, args, message):
    assert runner.invoke(args=["create-unit", "--code", "HAS", "--name", "HAS"]).exit_code == 0
    result = runner.invoke(args=["create-unit", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 1


def test_create_user_creates_an_account_with_a_role(runner, org):
    """The person gets a one-time link by e-mail; the operator never sees it (issue 16)."""
    result = runner.invoke(
        args=[
            "create-user",
            "--email", "Ny.Chef@Test.Example",
            "--name", "Ny Chef",
            "--role", "manager",
            "--unit", "a",  # codes are capitals; what the operator types need not be
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "skapades" in result.output
    user = db.session.scalars(sa.select(User).where(User.email == "ny.chef@test.example")).one()
    assert not users.has_password(user)
    assert [(a.role, a.org_unit.code) for a in user.role_assignments] == [("manager", "A")]
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == ["user.created", "role.assigned", "user.password_link_sent"]
    letter = db.session.scalars(sa.select(OutboxMessage)).one()
    assert letter.to_address == "ny.chef@test.example"
    token = letter.body.split("/konto/nytt-losenord?kod=")[1].split()[0]
    assert token not in result.output


def test_only_an_admin_account_gets_a_password_from_the_command_line(runner, org):
    """The first administrator / break-glass path: the operator is the person."""
    base = ["create-user", "--name", "Ada Admin", "--unit", "ROOT"]
    refused = runner.invoke(
        args=[
            *base,
            "--email",
            "h@test.example",
            "--role",
            "handler",
            "--password",
            "ett-långt-lösenord",
        ]
    )
    assert refused.exit_code != 0
    assert "Ett lösenord kan bara anges för ett administratörskonto" in refused.output
    result = runner.invoke(
        args=[
            *base,
            "--email",
            "ada@test.example",
            "--role",
            "admin",
            "--password",
            "ett-långt-lösenord",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(sa.select(User)).one()
    assert verify_password(user.password_hash, "ett-långt-lösenord")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--role", "handler", "--unit", "FINNS-INTE"], "Ingen enhet"),
        (["--role", "admin", "--unit", "ROOT", "--password", "kort"], "minst 12 tecken"),
        (["--role", "admin", "--unit", "ROOT", "--password", "Sommar2026!!"], "lätt att gissa"),
    ],
)
def test_create_user_refuses_bad_input_and_saves_nothing(runner, org, extra, message):
    args = ["create-user", "--email", "x@test.example", "--name", "X"]
    result = runner.invoke(args=args + extra)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_break_glass_links_go_only_to_the_person(runner, org, make):
    from casetrack.domain.roles import Role

    admin = make.user([(Role.ADMIN, org["root"])], email="ensam.admin@test.example")
    admin_secret = "JBSWY3DPEHPK3PXP"  # pragma: allowlist secret
    admin.mfa_secret = admin_secret
    db.session.commit()
    for command in ("password-link", "request-second-factor-reset"):
        result = runner.invoke(args=[command, "--email", "Ensam.Admin@test.example"])
        assert result.exit_code == 0, result.output
        assert "Länken visas inte här" in result.output
    letters = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.purpose for m in letters] == ["password_link", "mfa_reset_link"]
    assert {m.to_address for m in letters} == {"ensam.admin@test.example"}
    db.session.expire_all()
    secret = db.session.get(User, admin.id).mfa_secret
    assert secret == admin_secret  # not reset yet: the person has not confirmed
    unknown = runner.invoke(args=["password-link", "--email", "ingen@test.example"])
    assert unknown.exit_code != 0 and "Det finns inget konto" in unknown.output


def test_an_admin_account_cannot_also_hold_a_case_role(runner, org):
    base = ["create-user", "--name", "Admin", "--unit", "ROOT", "--password", "ett-långt-lösenord"]
    assert (
        runner.invoke(args=[*base, "--email", "a@test.example", "--role", "admin"]).exit_code == 0
    )
    from casetrack.domain.errors import DomainError
    from casetrack.domain.roles import Role
    from casetrack.services.users import assign_role

    admin = db.session.scalars(sa.select(User)).one()
    with pytest.raises(DomainError, match="administratörskonto"):
        assign_role(None, admin, Role.HANDLER, org["a"])


@pytest.mark.slow  # ~12 s; the demo also loads on PostgreSQL in test_backup_roundtrip
def test_demo_data_is_shaped_like_the_seeds_and_deterministic(app):
    summary = load_demo(seed=7, today=date(2026, 11, 23))
    db.session.commit()
    assert summary.cases > 300
    names = set(db.session.scalars(sa.select(OrgUnit.name)))
    assert {
        "Hägersten-Älvsjö stadsdelsförvaltning",
        "Aspudden hemtjänst",
        "Hägersten-Älvsjö grupp- och servicebostäder",
        "Enheten för utveckling och förebyggande arbete",
    } <= names
    roles = set(db.session.scalars(sa.select(RoleAssignment.role)))
    assert roles == {
        "staff", "handler", "manager", "quality", "mas", "sas", "investigator", "admin",
    }  # fmt: skip
    # K3-16 holds for the demo too: its administrator has no case role (no exception).
    admin_ids = set(
        db.session.scalars(sa.select(RoleAssignment.user_id).where(RoleAssignment.role == "admin"))
    )
    assert admin_ids
    assert set(
        db.session.scalars(
            sa.select(RoleAssignment.role).where(RoleAssignment.user_id.in_(admin_ids))
        )
    ) == {"admin"}
    kinds = dict(
        db.session.execute(
            sa.select(Case.kind_code, sa.func.count()).group_by(Case.kind_code)
        ).all()
    )
    assert set(kinds) == {"complaint", "suggestion", "praise", "deviation"}
    sources = set(db.session.scalars(sa.select(Case.source_code).distinct()))
    assert {
        "annan",
        "brukare",
        "medarbetare",
        "narstaende",
        "patientnamnden",
        "samverkanspart",
    } <= sources
    multi = db.session.scalar(
        sa.text(
            "SELECT count(*) FROM (SELECT case_id FROM case_category GROUP BY case_id "
            "HAVING count(*) > 1) AS multi"
        )
    )
    assert multi > 20
    with_feedback = db.session.scalar(sa.text("SELECT count(DISTINCT case_id) FROM feedback"))
    with_actions = db.session.scalar(sa.text("SELECT count(DISTINCT case_id) FROM case_action"))
    assert with_feedback > summary.cases / 3
    assert with_actions > summary.cases / 5
    tracks = set(db.session.scalars(sa.text("SELECT DISTINCT track FROM escalation")))
    assert tracks == {"lex_sarah", "lex_maria"}
    # Issue 19: every ställningstagande on the scale, some of them serious and anmälda;
    # a central utredare investigates some lex Sarah tracks.
    levels = db.session.execute(
        sa.text("SELECT assessment, ivo_reported_on FROM escalation WHERE is_serious IS NOT NULL")
    ).all()
    assert levels and all(level for level, _ in levels)
    assert all(reported for level, reported in levels if level in SERIOUS_ASSESSMENTS)
    assert db.session.scalar(sa.text("SELECT count(*) FROM escalation_investigator"))
    # Avvikelser are risk-assessed; those at or above the threshold have a händelseanalys,
    # complete (events, a cause with its area, participants, completed) when closed.
    risky = db.session.scalars(
        sa.select(Case)
        .join(DeviationClassification, DeviationClassification.case_id == Case.id)
        .where(
            DeviationClassification.probability * DeviationClassification.consequence_level
            >= DEFAULT_ANALYSIS_THRESHOLD
        )
    ).all()
    assert len(risky) >= 5
    closed = [case for case in risky if case.status_code == "avslutad"]
    assert closed and all(deviation_queries.analysis_recorded(case) for case in closed)
    assert (
        db.session.scalar(
            sa.text("SELECT count(*) FROM deviation_classification WHERE probability IS NOT NULL")
        )
        > kinds["deviation"] / 2
    )
    assert db.session.scalar(
        sa.text("SELECT count(*) FROM case_record WHERE ia_reported_on IS NOT NULL")
    )
    first_refs = db.session.scalars(sa.select(Case.reference).order_by(Case.id).limit(5)).all()
    assert all(ref.split("-")[0] in {"AO", "FN", "FA"} for ref in first_refs)
    # The demo logins work.
    handler = db.session.scalars(
        sa.select(User).where(User.email == "handlaggare@demo.example")
    ).one()
    assert verify_password(handler.password_hash, DEMO_PASSWORD)


def test_demo_refuses_a_database_that_has_data(runner, org):
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "redan data" in result.output
    assert runner.invoke(args=["demo", "--if-empty"]).exit_code == 0


@pytest.mark.slow
def test_the_built_wheel_installs_and_renders_a_page(tmp_path):
    """Build the wheel, install it in a fresh virtualenv, migrate and render the login page."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=repo_root(),
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("casetrack-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Dependencies come from this test environment (the machine may be offline); the
    # casetrack package itself only from the wheel: a path listed in a .pth file is added
    # to sys.path, but that folder's own .pth files (our editable install) are not run.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(site, "test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    script = f"""
import casetrack, pathlib
assert pathlib.Path(casetrack.__file__).is_relative_to({str(env_dir)!r}), casetrack.__file__
from casetrack import create_app
from flask_migrate import upgrade
app = create_app({{"ENV": "testing", "DATABASE_URL": "sqlite:///{tmp_path / "wheel.sqlite"}"}})
with app.app_context():
    upgrade()
page = app.test_client().get("/logga-in")
assert page.status_code == 200, page.status_code
assert "Logga in" in page.text
css = app.test_client().get("/static/css/casetrack.css")
assert css.status_code == 200
print("rendered", casetrack.__file__)
"""
    result = subprocess.run(
        [str(python), "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "rendered" in result.stdout
    console = subprocess.run(
        [str(env_dir / "bin" / "casetrack"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "CASETRACK_ENV": "testing"},
    )
    assert console.returncode == 0, console.stderr
    assert "create-user" in console.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_casetrack_serve_runs_gunicorn_and_answers(tmp_path, template_database):
    """`casetrack serve` in production mode answers the login page over loopback."""
    import shutil
    import time
    import urllib.request

    from tests.conftest import PG_URL

    db_url = PG_URL
    if not PG_URL:
        shutil.copy(template_database, tmp_path / "serve.sqlite")
        db_url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    port = _free_port()
    env = {
        **os.environ,
        "CASETRACK_ENV": "production",
        "CASETRACK_SECRET_KEY": "s" * 48,
        "CASETRACK_DATABASE_URL": db_url,
        "CASETRACK_INSTANCE_PATH": str(tmp_path),
    }
    # One worker with threads: the memory:// limiter storage is shared by threads only.
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "casetrack"), "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/logga-in") as response:
                    body = response.read().decode()
                    headers = response.headers
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert "Logga in" in body
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
    assert "Booting worker" in output
    # Only paths are logged, never query strings.
    assert '"GET /logga-in" 200' in output


def test_serve_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRACK_")}
    env.update({"CASETRACK_INSTANCE_PATH": str(tmp_path), "CASETRACK_ENV": "production"})
    result = subprocess.run(
        [str(Path(sys.executable).parent / "casetrack"), "serve"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode != 0
    assert "CASETRACK_SECRET_KEY is not set" in result.stderr


def test_help_works_before_anything_is_configured(tmp_path):
    """A new user reads `casetrack --help` before setting a secret key (production is the
    default): the commands are listed, without a traceback; running one still refuses."""
    import os
    import sys
    from pathlib import Path

    casetrack = Path(sys.executable).with_name("casetrack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRACK_")}
    listing = subprocess.run(
        [str(casetrack), "--help"], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120, check=False,
    )  # fmt: skip
    assert listing.returncode == 0
    assert "Traceback" not in listing.stderr
    for command in ("backup", "check-deploy", "generate", "restore", "scheduler", "serve"):
        assert command in listing.stdout
    refused = subprocess.run(
        [str(casetrack), "db", "upgrade"], capture_output=True, text=True, env=env,
        cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "CASETRACK_SECRET_KEY is not set" in refused.stderr


def test_the_demo_logins_list_each_account_once_with_all_its_roles(app, org, make, capsys):
    """Issue 20: the printed logins showed an account with three roles three times, and did
    not say which ask for a second factor."""
    from casetrack.cli.demo import print_demo_logins
    from casetrack.domain.roles import Role

    make.user(
        [(Role.HANDLER, org["a1"]), (Role.HANDLER, org["a"]), (Role.STAFF, org["dept"])],
        name="Johan Ek",
        email="handlaggare.gsb@demo.example",
    )
    make.user([(Role.ADMIN, org["root"])], name="Per Ström", email="admin@demo.example")
    make.user([(Role.HANDLER, org["a"])], name="Not Demo", email="someone@test.example")
    db.session.commit()
    print_demo_logins()
    lines = capsys.readouterr().out.splitlines()
    account_lines = [line for line in lines if "@" in line]
    assert [line.split()[0] for line in account_lines] == [
        "handlaggare.gsb@demo.example",
        "admin@demo.example",
    ]
    johan = lines.index(account_lines[0])
    assert "[kräver andra faktor]" not in lines[johan]
    assert [line.strip() for line in lines[johan + 1 : johan + 4]] == [
        f"Biträdande enhetschef / handläggare ({org['a1'].name})",
        f"Biträdande enhetschef / handläggare ({org['a'].name})",
        f"Medarbetare ({org['dept'].name})",
    ]
    assert "[kräver andra faktor]" in account_lines[1]
