"""Security keys (WebAuthn) for admin accounts, driven through the real pages with a
software authenticator (tests/webauthn_authenticator.py): registration, login with the
key, and the answers the server must refuse (SECURITY.md K3-15)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, OutboxMessage, WebAuthnCredential
from tests.conftest import Auth, csrf_from
from tests.webauthn_authenticator import SoftwareAuthenticator, options_from_page

KEY_PAGE = "/konto/sakerhetsnyckel"


@pytest.fixture
def people(org, make):
    result = {
        "admin": make.user([(Role.ADMIN, org["root"])], email="admin@test.example"),
        "handler": make.user([(Role.HANDLER, org["a"])], email="lena@test.example"),
    }
    db.session.commit()
    return result


@pytest.fixture
def key():
    return SoftwareAuthenticator(rp_id="localhost", origin="http://localhost")


def _actions() -> list[str]:
    return db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()


def _keys() -> list[WebAuthnCredential]:
    db.session.expire_all()
    return db.session.scalars(sa.select(WebAuthnCredential)).all()


def _register(client, key, name="YubiKey på nyckelknippan", **kwargs):
    page = client.get(KEY_PAGE)
    assert page.status_code == 200
    options = options_from_page(page.text, "register")
    return client.post(
        KEY_PAGE,
        data={
            "name": name,
            "credential": key.register(options, **kwargs),
            "csrf_token": csrf_from(page.text),
        },
    )


def _password_step(auth, client):
    """Log in with the password; returns the second-factor page."""
    response = auth.login("admin@test.example", second_factor=False)
    assert response.headers["Location"] == "/logga-in/kod"
    return client.get("/logga-in/kod")


def _use_key(client, page_html, key, **kwargs):
    options = options_from_page(page_html, "login")
    return client.post(
        "/logga-in/sakerhetsnyckel",
        data={"credential": key.login(options, **kwargs), "csrf_token": csrf_from(page_html)},
    )


@pytest.fixture
def registered(client, auth, people, key):
    """The admin has logged in with TOTP, added the key, and logged out."""
    auth.login("admin@test.example")
    assert _register(client, key).status_code == 302
    auth.logout()
    return key


def test_an_admin_adds_a_security_key_after_logging_in_with_totp(client, auth, people, key):
    auth.login("admin@test.example")
    admin_page = client.get("/admin/").text
    assert 'href="/konto/sakerhetsnyckel"' in admin_page
    page = client.get(KEY_PAGE)
    assert "Du har ingen säkerhetsnyckel än." in page.text
    assert "js/webauthn.js" in page.text
    options = options_from_page(page.text, "register")
    assert options["rp"] == {"id": "localhost", "name": "casetrack"}
    assert options["attestation"] == "none"

    response = _register(client, key)
    assert response.status_code == 302
    page = client.get(KEY_PAGE)
    assert "Säkerhetsnyckeln är tillagd" in page.text
    assert "YubiKey på nyckelknippan" in page.text
    [stored] = _keys()
    assert stored.user_id == people["admin"].id
    assert stored.credential_id == key.credential_id
    assert stored.transports == "usb,nfc"
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "user.webauthn_added"
    assert entry.after == {"webauthn_credential_id": stored.id}  # no free text in the log


def test_a_key_from_another_origin_or_without_a_name_is_not_added(client, auth, people, key):
    auth.login("admin@test.example")
    response = _register(client, key, origin="https://casetrack.phishing.example")
    assert response.status_code == 422
    assert "Nyckeln kunde inte läggas till" in response.text
    assert 'href="#credential"' in response.text  # the error summary links to the button
    assert _actions()[-1] == "user.webauthn_add_failed"
    response = _register(client, key, name="  ")
    assert response.status_code == 422
    assert 'id="name-error"' in response.text
    assert "Ge nyckeln ett namn" in response.text
    assert _keys() == []


def test_a_registration_challenge_is_used_once(client, auth, people, key):
    auth.login("admin@test.example")
    page = client.get(KEY_PAGE)
    cookie = client.get_cookie("casetrack_session").value
    options = options_from_page(page.text, "register")
    data = {"name": "Nyckel", "csrf_token": csrf_from(page.text)}
    assert (
        client.post(KEY_PAGE, data={**data, "credential": key.register(options)}).status_code == 302
    )
    # The session cookie from before, which still holds the challenge, with another key's
    # answer to it: the account has spent the challenge.
    client.set_cookie("casetrack_session", cookie)
    second = SoftwareAuthenticator()
    response = client.post(KEY_PAGE, data={**data, "credential": second.register(options)})
    assert response.status_code == 422
    assert "användes sidan redan en gång" in response.text
    assert [stored.credential_id for stored in _keys()] == [key.credential_id]


def test_an_admin_logs_in_with_the_security_key(client, auth, registered):
    page = _password_step(auth, client)
    assert "Logga in med säkerhetsnyckel" in page.text
    assert "Skriv din engångskod" in page.text  # the app code still works too
    assert client.get("/admin/").status_code == 302  # not logged in before the key
    response = _use_key(client, page.text, registered)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Administration" in client.get("/").text
    assert _actions()[-2:] == ["auth.webauthn_login", "auth.login"]
    [stored] = _keys()
    assert stored.sign_count == 1
    assert stored.last_used_at is not None


def test_logging_in_with_a_security_key_does_not_mail_that_a_key_was_added(
    client, auth, registered
):
    # Adding the key told the person once; using it to log in is no change to report.
    def key_mails() -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.purpose == "mfa_changed")
        )

    before = key_mails()
    assert before >= 1  # the key was added (and the authenticator app before it)
    page = _password_step(auth, client)
    assert _use_key(client, page.text, registered).status_code == 302
    assert key_mails() == before


@pytest.mark.parametrize(
    "lie",
    [
        {"origin": "https://casetrack.phishing.example"},
        {"rp_id": "phishing.example"},
    ],
)
def test_an_answer_for_another_site_is_refused(client, auth, registered, lie):
    page = _password_step(auth, client)
    response = _use_key(client, page.text, registered, **lie)
    assert response.status_code == 422
    assert "Nyckeln godkändes inte" in response.text
    assert 'href="#security-key-button"' in response.text
    assert client.get("/admin/").status_code == 302
    assert _actions()[-1] == "auth.webauthn_failed"


def test_a_lowered_signature_counter_is_refused(client, auth, registered):
    page = _password_step(auth, client)
    assert _use_key(client, page.text, registered, sign_count=5).status_code == 302
    auth.logout()
    page = _password_step(auth, client)
    response = _use_key(client, page.text, registered, sign_count=3)  # a cloned key?
    assert response.status_code == 422
    assert client.get("/admin/").status_code == 302
    assert _keys()[0].sign_count == 5
    assert _actions()[-1] == "auth.webauthn_failed"


def test_a_login_challenge_is_used_once(client, auth, registered):
    page = _password_step(auth, client)
    old_cookie = client.get_cookie("casetrack_session").value
    old_options = options_from_page(page.text, "login")
    assert _use_key(client, page.text, registered).status_code == 302
    # Sending the pre-login session cookie again, with a fresh signature over the same
    # challenge: the session still names the challenge, but the account has spent it.
    client.set_cookie("casetrack_session", old_cookie)
    response = client.post(
        "/logga-in/sakerhetsnyckel",
        data={"credential": registered.login(old_options), "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 422
    assert "användes sidan redan en gång" in response.text
    # A signed answer to an earlier challenge does not fit the next one either.
    response = _use_key(client, response.text, registered, challenge=old_options["challenge"])
    assert response.status_code == 422
    assert client.get("/admin/").status_code == 302


def test_an_admin_removes_a_key_and_it_is_no_longer_offered(client, auth, registered):
    auth.login("admin@test.example")
    [stored] = _keys()
    page = client.get(KEY_PAGE)
    response = client.post(
        f"{KEY_PAGE}/{stored.id}/ta-bort", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    assert "Säkerhetsnyckeln är borttagen" in client.get(KEY_PAGE).text
    assert _keys() == []
    assert _actions()[-1] == "user.webauthn_removed"
    auth.logout()
    assert "Logga in med säkerhetsnyckel" not in _password_step(auth, client).text


def test_a_key_of_another_account_cannot_be_removed(app, client, auth, people, make, org):
    other_admin = make.user([(Role.ADMIN, org["root"])], email="admin2@test.example")
    db.session.commit()
    other = app.test_client()
    Auth(other).login("admin2@test.example")
    assert _register(other, SoftwareAuthenticator()).status_code == 302
    [stored] = _keys()
    assert stored.user_id == other_admin.id
    auth.login("admin@test.example")
    page = client.get(KEY_PAGE)
    response = client.post(
        f"{KEY_PAGE}/{stored.id}/ta-bort", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 404
    assert len(_keys()) == 1


def test_only_administrators_have_the_security_key_page(client, auth, people):
    auth.login("lena@test.example")
    assert client.get(KEY_PAGE).status_code == 404


def test_resetting_the_second_factor_removes_the_keys(client, auth, registered, people, make, org):
    """A reset asked for by one administrator and approved by another (issue 16)."""
    make.user([(Role.ADMIN, org["root"])], email="admin2@test.example")
    db.session.commit()
    auth.login("admin2@test.example")
    user_url = f"/admin/anvandare/{people['admin'].id}"
    page = client.get(user_url)
    assert "och säkerhetsnycklar" in page.text
    client.post(f"{user_url}/tvastegsverifiering", data={"csrf_token": csrf_from(page.text)})
    assert len(_keys()) == 1  # only asked for: nothing changes yet
    auth.logout()
    auth.login("admin@test.example", second_factor=True)
    page = client.get(user_url)
    client.post(
        f"{user_url}/tvastegsverifiering/godkann", data={"csrf_token": csrf_from(page.text)}
    )
    assert _keys() == []
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.before) == ("user.mfa_reset", {"mfa": True, "webauthn_keys": 1})
