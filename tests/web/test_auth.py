"""Logging in and out through the real pages, with CSRF on."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, User
from tests.conftest import PASSWORD, csrf_from


@pytest.fixture
def handler(org, make):
    user = make.user([(Role.HANDLER, org["a"])], email="lena@test.example", name="Lena Berg")
    db.session.commit()
    return user


def test_login_page_is_swedish_and_accessible(client):
    page = client.get("/logga-in")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert '<label class="field__label" for="email">E-postadress</label>' in page.text
    assert "Hoppa till innehållet" in page.text


def test_a_handler_logs_in_and_lands_on_the_case_list(client, auth, handler):
    response = auth.login("lena@test.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/", follow_redirects=True)
    assert "Ärenden" in page.text
    assert "Lena Berg" in page.text
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "auth.login" in actions


def test_e_mail_is_matched_without_regard_to_case(client, auth, handler):
    assert auth.login("LENA@Test.Example").status_code == 302


@pytest.mark.parametrize(
    "email,password",
    [("lena@test.example", "fel-lösenord-helt-och-hållet"), ("okand@test.example", PASSWORD)],
)
def test_wrong_password_and_unknown_user_get_the_same_message(auth, handler, email, password):
    response = auth.login(email, password)
    assert response.status_code == 422
    assert "Fel e-postadress eller lösenord." in response.text
    assert "Det finns fel i formuläret" in response.text


@pytest.mark.parametrize(
    "email,password,message",
    [
        ("", PASSWORD, "Ange din e-postadress."),
        ("lena@test.example", "", "Ange ditt lösenord."),
        ("a" * 250 + "@x.se", PASSWORD, "E-postadressen får vara högst 254 tecken."),
        ("lena@test.example", "x" * 1025, "Lösenordet får vara högst 1024 tecken."),
    ],
)
def test_empty_and_over_long_fields_get_a_message_at_the_field(
    auth, handler, email, password, message
):
    response = auth.login(email, password)
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text


def test_an_inactive_account_cannot_log_in(auth, handler):
    handler.active = False
    db.session.commit()
    assert "Fel e-postadress eller lösenord." in auth.login("lena@test.example").text


def test_a_cookie_captured_before_logout_is_refused_after_it(app, client, auth, handler):
    auth.login("lena@test.example")
    assert client.get("/arenden/").status_code == 200
    captured = client.get_cookie("casetrack_session").value
    auth.logout()
    assert client.get("/arenden/").status_code == 302  # logged out

    replay = app.test_client()
    replay.set_cookie("casetrack_session", captured)
    response = replay.get("/arenden/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/logga-in")


def test_logout_needs_post_with_csrf(client, auth, handler):
    auth.login("lena@test.example")
    assert client.get("/logga-ut").status_code == 405
    assert client.post("/logga-ut").status_code == 400
    assert client.get("/arenden/").status_code == 200  # still logged in


def test_a_post_without_csrf_token_is_refused_in_swedish(client, handler):
    response = client.post("/logga-in", data={"email": "lena@test.example", "password": PASSWORD})
    assert response.status_code == 400
    assert "säkerhetstoken" in response.text
    assert db.session.get(User, handler.id).last_login_at is None


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [("/arenden/", "/arenden/"), ("https://evil.example/", "/"), ("//evil.example/x", "/")],
)
def test_only_a_local_next_is_followed_after_login(client, handler, next_url, expected):
    page = client.get("/logga-in", query_string={"next": next_url})
    response = client.post(
        "/logga-in",
        query_string={"next": next_url},
        data={
            "email": "lena@test.example",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.headers["Location"] == expected


def test_pages_need_login(client):
    response = client.get("/arenden/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/logga-in")


def test_security_headers_on_every_page(client, auth, handler):
    auth.login("lena@test.example")
    for path in ("/logga-in", "/arenden/", "/finns-inte"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_http_only_and_lax(client, auth, handler):
    response = auth.login("lena@test.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_error_pages_reveal_nothing_internal(client):
    response = client.get("/arenden/999999")
    assert response.status_code == 302  # login first
    response = client.get("/finns-inte")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.text
    assert "Traceback" not in response.text
