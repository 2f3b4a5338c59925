"""Password policy, login throttling, the idle warning and the TOTP second factor."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, User
from casetrack.services import mfa, users
from tests.conftest import PASSWORD, csrf_from, totp_code


@pytest.fixture
def people(org, make):
    result = {
        "handler": make.user([(Role.HANDLER, org["a"])], email="lena@test.example"),
        "other": make.user([(Role.HANDLER, org["b"])], email="omar@test.example"),
        "manager": make.user([(Role.MANAGER, org["a"])], email="chef@test.example"),
        "admin": make.user([(Role.ADMIN, org["root"])], email="admin@test.example"),
    }
    db.session.commit()
    return result


def _actions() -> list[str]:
    return db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()


# --- password policy -------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,message",
    [
        ("kort-lösen", "minst 12 tecken"),
        ("password1234", "för vanligt"),
        ("Sommar2024!", "minst 12 tecken"),
        ("Stockholm2026", "för vanligt"),
        ("QWERTYUIOP123", "för vanligt"),
        ("123456789012", "för vanligt"),
    ],
)
def test_short_and_common_passwords_are_refused(app, password, message):
    with pytest.raises(DomainError, match=message) as error:
        users.check_password_policy(password)
    assert error.value.field == "password"


def test_a_long_passphrase_without_special_characters_is_accepted(app):
    users.check_password_policy("kaffe och kanelbullar på fredag")
    assert len(users.common_passwords()) > 2000


# --- throttling ------------------------------------------------------------------------


def test_after_five_wrong_passwords_the_account_is_locked_for_a_while(client, auth, people):
    for _ in range(5):
        assert auth.login("lena@test.example", "fel-lösenord-igen-och-igen").status_code == 422
    response = auth.login("lena@test.example")  # even the right password
    assert response.status_code == 429
    assert "För många misslyckade försök" in response.text
    assert "Vänta 15 minuter" in response.text
    assert 'id="password-error"' in response.text
    assert client.get("/arenden/").status_code == 302  # not logged in
    assert _actions().count("auth.login_throttled") == 1
    # Another account from the same address is not affected by the account limit.
    assert auth.login("omar@test.example").status_code == 302


def test_many_failures_from_one_address_block_that_address(app, client, auth, people):
    app.config["CASETRACK"]["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    for email in ("x1@test.example", "x2@test.example", "x3@test.example"):
        auth.login(email, "fel-lösenord-igen-och-igen")
    response = auth.login("omar@test.example")
    assert response.status_code == 429
    assert "För många misslyckade försök" in response.text


def test_a_successful_login_clears_the_account_failures(client, auth, people):
    for _ in range(4):
        auth.login("lena@test.example", "fel-lösenord-igen-och-igen")
    assert auth.login("lena@test.example").status_code == 302
    auth.logout()
    for _ in range(4):
        assert auth.login("lena@test.example", "fel-lösenord-igen-och-igen").status_code == 422


# --- idle warning and keep-alive -------------------------------------------------------


def test_pages_carry_the_idle_warning_with_a_continue_button(client, auth, people):
    auth.login("lena@test.example")
    page = client.get("/arenden/").text
    assert 'data-idle-seconds="1800"' in page
    assert "Du loggas snart ut" in page
    assert 'id="idle-warning-continue">Fortsätt</button>' in page
    assert "js/idle-warning.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script
    assert " style=" not in page


def test_continue_keeps_the_session_alive_with_post_and_csrf(client, auth, people):
    auth.login("lena@test.example")
    token = csrf_from(client.get("/arenden/").text)
    assert client.post("/session/fortsatt").status_code == 400  # no CSRF token
    response = client.post("/session/fortsatt", headers={"X-CSRFToken": token})
    assert response.status_code == 204
    assert "casetrack_session=" in response.headers["Set-Cookie"]
    assert client.get("/session/fortsatt").status_code == 405


def test_keep_alive_does_not_revive_a_logged_out_session(client, people):
    response = client.post("/session/fortsatt")
    assert response.status_code in (302, 400)
    assert client.get("/arenden/").status_code == 302


# --- second factor ---------------------------------------------------------------------


def test_an_admin_enrols_a_second_factor_at_first_login(client, auth, people):
    response = auth.login("admin@test.example", second_factor=False)
    assert response.headers["Location"] == "/logga-in/aktivera-tvastegsverifiering"
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get("/logga-in/aktivera-tvastegsverifiering")
    assert "Aktivera tvåstegsverifiering" in page.text
    assert "otpauth://totp/casetrack:admin%40test.example?secret=" in page.text
    assert 'src="data:image/svg+xml' in page.text
    token = csrf_from(page.text)
    wrong = client.post(
        "/logga-in/aktivera-tvastegsverifiering", data={"code": "000000", "csrf_token": token}
    )
    assert wrong.status_code == 422
    assert "Koden stämmer inte" in wrong.text
    admin = db.session.get(User, people["admin"].id)
    db.session.refresh(admin)
    assert admin.mfa_enabled_at is None
    ok = client.post(
        "/logga-in/aktivera-tvastegsverifiering",
        data={"code": totp_code(admin), "csrf_token": token},
    )
    assert ok.status_code == 302
    assert "Administration" in client.get("/").text
    db.session.refresh(admin)
    assert admin.mfa_enabled_at is not None
    assert _actions()[-2:] == ["user.mfa_enabled", "auth.login"]


def test_an_enrolled_account_needs_a_fresh_code_every_login(client, auth, people):
    auth.login("admin@test.example")
    auth.logout()
    response = auth.login("admin@test.example", second_factor=False)
    assert response.headers["Location"] == "/logga-in/kod"
    page = client.get("/logga-in/kod")
    admin = db.session.scalars(sa.select(User).where(User.email == "admin@test.example")).one()
    db.session.refresh(admin)
    used_step = admin.mfa_last_step
    replay = pyotp.TOTP(mfa.plain_secret(admin)).generate_otp(used_step)
    response = client.post(
        "/logga-in/kod", data={"code": replay, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 422
    assert "Koden stämmer inte, eller har redan använts" in response.text  # a replay
    assert "auth.mfa_failed" in _actions()
    assert auth.give_code("/logga-in/kod", "admin@test.example").status_code == 302
    assert "Administration" in client.get("/").text


def test_the_code_step_cannot_be_reached_without_the_password(client, people):
    response = client.get("/logga-in/kod")
    assert response.status_code == 302
    assert response.headers["Location"] == "/logga-in"


def test_other_roles_need_a_second_factor_only_when_configured(app, client, auth, people):
    assert auth.login("chef@test.example", second_factor=False).headers["Location"] == "/"
    auth.logout()
    app.config["CASETRACK"]["MFA_ROLES"] = "admin,manager"
    response = auth.login("chef@test.example", second_factor=False)
    assert response.headers["Location"] == "/logga-in/aktivera-tvastegsverifiering"
    client.get("/logga-in")  # a pending second step is not a login
    assert client.get("/arenden/").status_code == 302
    assert auth.login("lena@test.example", second_factor=False).headers["Location"] == "/"


def test_the_login_rotates_the_session(client, auth, people):
    client.get("/logga-in")
    before = client.get_cookie("casetrack_session")
    auth.login("lena@test.example")
    after = client.get_cookie("casetrack_session")
    assert before is None or before.value != after.value
    assert PASSWORD not in after.value
