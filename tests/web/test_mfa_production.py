"""The second factor in production (SECURITY.md K3-13, K3-14) and TOTP secrets encrypted
at rest: every account enrols before it sees a page, admin always, and the database never
holds the secret in clear."""

from __future__ import annotations

import re
import secrets

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from casetrack import create_app
from casetrack.config import load_settings
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, User
from casetrack.services import mfa
from tests.conftest import Auth, Factory, RequestClient, csrf_from, totp_code

ENROL = "/logga-in/aktivera-tvastegsverifiering"


@pytest.fixture
def production_app(database_url):
    """casetrack with production settings (as `casetrack serve`), on the test database."""
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "ATTACHMENT_KEY": Fernet.generate_key().decode(),
            # The test client speaks plain http; everything else as in production.
            "SESSION_COOKIE_SECURE": False,
        }
    )
    app.test_client_class = RequestClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def world(production_app):
    make = Factory()
    root = make.unit("Förvaltningen", level="forvaltning", code="ROOT", reference_prefix="HA")
    unit = make.unit("Enhet A", parent=root, code="A")
    people = {
        role: make.user([(role, root if role == Role.ADMIN else unit)], email=f"{role}@t.example")
        for role in (Role.STAFF, Role.HANDLER, Role.MANAGER, Role.QUALITY, Role.ADMIN)
    }
    people["none"] = make.user([], email="utan-roll@t.example")
    case = make.case(unit, by=people[Role.HANDLER])
    db.session.commit()
    return people, case


def _raw_secret(user_id: int) -> str | None:
    return db.session.execute(
        sa.text("SELECT mfa_secret FROM user_account WHERE id = :id"), {"id": user_id}
    ).scalar_one()


def _secret_on_page(html: str) -> str:
    return re.search(r"otpauth://totp/[^\"<]*secret=([A-Z2-7]+)", html).group(1)


def test_production_requires_a_second_factor_for_every_role_by_default():
    assert mfa.configured_roles(load_settings({})) == "all"
    assert mfa.configured_roles(load_settings({"CASETRACK_ENV": "development"})) == "admin"
    assert mfa.configured_roles(load_settings({"CASETRACK_ENV": "testing"})) == "admin"
    explicit = load_settings({"CASETRACK_MFA_ROLES": "admin,manager"})
    assert mfa.configured_roles(explicit) == "admin,manager"


def test_in_production_a_handler_enrols_before_reaching_any_case(production_app, world):
    _, case = world
    client = production_app.test_client()
    auth = Auth(client)
    response = auth.login("handler@t.example", second_factor=False)
    assert response.headers["Location"] == ENROL
    for url in ("/", "/arenden/", f"/arenden/{case.id}", "/arenden/mina"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/logga-in"), url
    page = client.get(ENROL)
    assert "Aktivera tvåstegsverifiering" in page.text
    response = auth.give_code(ENROL, "handler@t.example")
    assert response.status_code == 302
    assert client.get(f"/arenden/{case.id}").status_code == 200


@pytest.mark.parametrize("who", ["staff", "manager", "quality", "admin", "none"])
def test_in_production_every_account_goes_to_the_second_factor(production_app, world, who):
    client = production_app.test_client()
    email = "utan-roll@t.example" if who == "none" else f"{who}@t.example"
    response = Auth(client).login(email, second_factor=False)
    assert response.headers["Location"] == ENROL
    assert client.get("/").status_code == 302


def test_an_admin_needs_the_second_factor_even_when_the_setting_leaves_it_out(
    production_app, world
):
    production_app.config["CASETRACK"]["MFA_ROLES"] = ""
    client = production_app.test_client()
    auth = Auth(client)
    assert auth.login("admin@t.example", second_factor=False).headers["Location"] == ENROL
    client.get("/logga-in")  # the pending step is no login
    assert client.get("/admin/").status_code == 302
    # A role the (too short, check-deploy refuses it) setting leaves out: password only.
    assert auth.login("handler@t.example", second_factor=False).headers["Location"] == "/"
    production_app.config["CASETRACK"]["MFA_ROLES"] = "handler"
    auth.logout()
    assert auth.login("admin@t.example", second_factor=False).headers["Location"] == ENROL


def test_the_database_never_holds_the_totp_secret_in_clear(production_app, world):
    people, _ = world
    client = production_app.test_client()
    Auth(client).login("manager@t.example", second_factor=False)
    page = client.get(ENROL)
    secret = _secret_on_page(page.text)
    stored = _raw_secret(people[Role.MANAGER].id)
    assert stored.startswith("gAAAAA") and secret not in stored
    code = pyotp.TOTP(secret).now()
    response = client.post(ENROL, data={"code": code, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    stored = _raw_secret(people[Role.MANAGER].id)
    assert stored.startswith("gAAAAA") and secret not in stored
    # Logging in again with a code from the app still works.
    auth = Auth(client)
    auth.logout()
    assert auth.login("manager@t.example").headers["Location"] == "/"
    assert client.get("/arenden/").status_code == 200
    assert secret not in _raw_secret(people[Role.MANAGER].id)


def test_a_secret_stored_in_clear_still_works_and_is_encrypted_at_its_next_use(
    production_app, world
):
    people, _ = world
    admin = people[Role.ADMIN]
    legacy = pyotp.random_base32()
    db.session.execute(
        sa.text("UPDATE user_account SET mfa_secret = :s, mfa_enabled_at = :t WHERE id = :id"),
        {"s": legacy, "t": "2026-01-01 00:00:00", "id": admin.id},
    )
    db.session.commit()
    assert _raw_secret(admin.id) == legacy
    client = production_app.test_client()
    assert Auth(client).login("admin@t.example").headers["Location"] == "/"
    stored = _raw_secret(admin.id)
    assert stored.startswith("gAAAAA") and legacy not in stored
    db.session.expire_all()
    assert mfa.plain_secret(db.session.get(User, admin.id)) == legacy


def test_key_rotation_re_encrypts_the_secrets_and_logins_keep_working(production_app, world):
    people, _ = world
    settings = production_app.config["CASETRACK"]
    old, new = settings["ATTACHMENT_KEY"], Fernet.generate_key().decode()
    client = production_app.test_client()
    auth = Auth(client)
    auth.login("handler@t.example")  # enrols with the old key
    auth.logout()
    # Another account's secret is still in clear from before encryption.
    legacy = pyotp.random_base32()
    staff = db.session.get(User, people[Role.STAFF].id)
    staff.mfa_secret, staff.mfa_enabled_at = legacy, staff.created_at
    db.session.commit()

    settings["ATTACHMENT_KEY"] = f"{new},{old}"
    result = production_app.test_cli_runner().invoke(args=["rotate-attachment-key"])
    assert result.exit_code == 0, result.output
    assert "2 hemligheter för tvåstegsverifiering krypterades om" in result.output
    settings["ATTACHMENT_KEY"] = new  # the old key is gone
    for role in (Role.HANDLER, Role.STAFF):
        stored = _raw_secret(people[role].id)
        assert stored.startswith("gAAAAA")
        assert Fernet(new.encode()).decrypt(stored.encode())  # the new key opens it
    assert legacy not in _raw_secret(people[Role.STAFF].id)
    assert auth.login("handler@t.example").headers["Location"] == "/"
    auth.logout()
    assert auth.login("staff@t.example").headers["Location"] == "/"
    assert db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action == "user.mfa_secrets_rotated")
    ).all() == ["user.mfa_secrets_rotated"]


def test_without_the_right_key_the_login_says_so_instead_of_failing(production_app, world):
    settings = production_app.config["CASETRACK"]
    client = production_app.test_client()
    auth = Auth(client)
    auth.login("handler@t.example")
    auth.logout()
    settings["ATTACHMENT_KEY"] = Fernet.generate_key().decode()  # not the one used
    assert auth.login("handler@t.example", second_factor=False).headers["Location"] == (
        "/logga-in/kod"
    )
    page = auth.post("/logga-in/kod", {"code": "123456"}, follow_redirects=True)
    assert "krypteringsnyckeln saknas eller är fel" in page.text
    assert client.get("/arenden/").status_code == 302
    # Rotation with only the wrong key changes nothing and explains why.
    result = production_app.test_cli_runner().invoke(args=["rotate-attachment-key"])
    assert result.exit_code == 1
    assert "ingen inställd nyckel öppnar dem" in result.output


def test_the_user_row_has_room_for_the_encrypted_secret(production_app, world):
    people, _ = world
    user = db.session.get(User, people[Role.QUALITY].id)
    mfa.secret_for_enrolment(user)
    db.session.commit()
    assert 100 < len(_raw_secret(user.id)) <= User.__table__.c.mfa_secret.type.length
    assert totp_code(user)  # the test helper decrypts it too


def test_demo_accounts_with_their_known_password_are_never_loaded_in_production(
    production_app,
):
    """The demo password is documented; the demo is for development only (issue 16)."""
    result = production_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "Demodata laddas inte i produktion" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
