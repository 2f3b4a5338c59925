"""An administrator can no longer take over an account (issue 16).

The attack: create an account with a start password the administrator chose (or reset a
handler's second factor), log in with that password, enrol a new code and open the
handler's cases. Now passwords reach the person only by a one-time e-mailed link, the
person can change their own password, and a second-factor reset needs the person's
confirmation or a second administrator. Everything through the real pages, with CSRF.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from casetrack.audit.security_log import is_security_action
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AccountLink, AuditEntry, OutboxMessage, User, utcnow
from casetrack.web.auth.login import LOGIN_FAILED
from tests.conftest import PASSWORD, Auth, csrf_from

ADMIN_CHOSEN = "administratorens-startlösenord-9923"  # pragma: allowlist secret
CHOSEN = "min egen mening om blåbär och havre"  # pragma: allowlist secret
NEW_LINK = re.compile(r"https?://[^/\s]+(/konto/nytt-losenord\?kod=[A-Za-z0-9_-]+)")
MFA_LINK = re.compile(r"https?://[^/\s]+(/konto/tvastegsverifiering\?kod=[A-Za-z0-9_-]+)")


@pytest.fixture
def people(org, make):
    handler = make.user([(Role.HANDLER, org["a"])], email="lena@test.example", name="Lena Ek")
    handler.mfa_secret = pyotp.random_base32()
    handler.mfa_enabled_at = utcnow()
    result = {
        "admin": make.user([(Role.ADMIN, org["root"])], email="admin@test.example"),
        "admin2": make.user([(Role.ADMIN, org["root"])], email="admin2@test.example"),
        "handler": handler,
    }
    db.session.commit()
    return result


@pytest.fixture
def admin(client, auth, people):
    auth.login("admin@test.example")
    return auth


def _client(app) -> Auth:
    return Auth(app.test_client())


def _mail(to: str, purpose: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = sa.select(OutboxMessage).where(OutboxMessage.to_address == to)
    if purpose:
        query = query.where(OutboxMessage.purpose == purpose)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def _link(to: str, pattern=NEW_LINK) -> str:
    messages = [m for m in _mail(to) if pattern.search(m.body)]
    assert messages, f"no link e-mailed to {to}"
    return pattern.search(messages[-1].body).group(1)


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def _user(email: str) -> User:
    db.session.expire_all()
    return db.session.scalars(sa.select(User).where(User.email == email)).one()


def _login_status(app, email: str, password: str) -> tuple[int, str]:
    auth = _client(app)
    page = auth.client.get("/logga-in")
    response = auth.client.post(
        "/logga-in",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
    )
    return response.status_code, response.text


def _choose(auth: Auth, path: str, password: str, again: str | None = None):
    return auth.post(path, {"password": password, "confirm": again or password})


# --- the attack ---------------------------------------------------------------------------


def test_the_admin_cannot_log_in_with_a_password_they_chose(app, admin, org):
    """Before: the admin's start password logged in (then enrol a code, read cases)."""
    response = admin.post(
        "/admin/anvandare/ny",
        {"name": "Nils Nyman", "email": "nils@test.example", "password": ADMIN_CHOSEN},
    )
    assert response.status_code == 302
    nils = _user("nils@test.example")
    page = admin.post(
        f"/admin/anvandare/{nils.id}/roller", {"role": "handler", "org_unit_id": org["a"].id}
    )
    assert page.status_code == 302
    status, text = _login_status(app, "nils@test.example", ADMIN_CHOSEN)
    assert status == 422
    assert LOGIN_FAILED in text
    # The link went to Nils only, and carries no password.
    (message,) = _mail("nils@test.example", "password_link")
    assert NEW_LINK.search(message.body)
    assert ADMIN_CHOSEN not in message.body


def test_the_admin_cannot_reset_a_handlers_second_factor_alone(app, admin, people):
    handler = people["handler"]
    url = f"/admin/anvandare/{handler.id}"
    page = admin.client.post(
        f"{url}/tvastegsverifiering",
        data={"csrf_token": csrf_from(admin.client.get(url).text)},
        follow_redirects=True,
    )
    assert "Inget ändras förrän Lena Ek bekräftar" in page.text
    assert _user(handler.email).mfa_enabled_at is not None  # nothing changed
    token_path = _link(handler.email, MFA_LINK)
    assert token_path.split("=", 1)[1] not in page.text
    # The handler's own password still needs the handler's own code.
    status, _ = _login_status(app, handler.email, PASSWORD)
    assert status == 302
    assert "user.mfa_reset_requested" in _actions()
    assert "user.mfa_reset" not in _actions()


def test_no_admin_page_takes_a_password(admin, people):
    handler = people["handler"]
    for url in ["/admin/", "/admin/anvandare", "/admin/anvandare/ny",
                f"/admin/anvandare/{handler.id}", "/admin/incident"]:  # fmt: skip
        page = admin.client.get(url)
        assert page.status_code == 200, url
        assert 'type="password"' not in page.text, url


# --- the one-time password link -----------------------------------------------------------


def test_a_new_account_chooses_its_own_password_through_a_link_used_once(app, admin, org):
    response = admin.post(
        "/admin/anvandare/ny", {"name": "Nils Nyman", "email": "nils@test.example"}
    )
    page = admin.client.get(response.headers["Location"])
    assert "får ett e-postmeddelande med en länk" in page.text
    path = _link("nils@test.example")
    token = path.split("=", 1)[1]
    assert token not in page.text
    # Only a hash is stored; the new-account link is valid 72 hours.
    link = db.session.scalars(sa.select(AccountLink)).one()
    assert token not in link.token_hash and len(link.token_hash) == 64
    assert link.expires_at - link.created_at == timedelta(hours=72)

    person = _client(app)
    form = person.client.get(path)
    assert form.status_code == 200 and "Välj lösenord" in form.text
    weak = _choose(person, path, "Sommar2026!!")
    assert weak.status_code == 422
    assert "för lätt att gissa" in weak.text
    mismatch = _choose(person, path, CHOSEN, CHOSEN + "x")
    assert "Lösenorden är inte likadana" in mismatch.text
    too_long = _choose(person, path, "x" * 1025)
    assert "Lösenordet får ha högst 1024 tecken." in too_long.text
    own_address = _choose(person, path, "nils@test.example")
    assert "ditt namn eller din e-postadress" in own_address.text
    done = _choose(person, path, CHOSEN)
    assert done.status_code == 302 and done.headers["Location"] == "/logga-in"
    assert person.login("nils@test.example", CHOSEN).status_code == 302
    # Used once: the same link again is refused (and the refusal audited).
    again = _client(app).client.get(path)
    assert again.status_code == 410
    assert "Länken fungerar inte längre" in again.text
    actions = _actions()
    assert {"user.created", "user.password_link_sent", "user.password_set"} <= set(actions)
    assert "auth.account_link_refused" in actions
    assert all(is_security_action(a) for a in actions if a.startswith(("user.", "auth.")))


def test_two_tabs_cannot_both_use_one_link(app, admin, people):
    handler = people["handler"]
    admin.post(f"/admin/anvandare/{handler.id}/losenordslank", {})
    path = _link(handler.email)
    first, second = _client(app), _client(app)
    first_token = csrf_from(first.client.get(path).text)
    second_token = csrf_from(second.client.get(path).text)
    ok = first.client.post(path, data={"password": CHOSEN, "confirm": CHOSEN,
                                       "csrf_token": first_token})  # fmt: skip
    other = "en helt annan mening om regn och kaffe"  # pragma: allowlist secret
    late = second.client.post(path, data={"password": other, "confirm": other,
                                          "csrf_token": second_token})  # fmt: skip
    assert (ok.status_code, late.status_code) == (302, 410)
    assert _login_status(app, handler.email, other)[0] == 422
    assert _login_status(app, handler.email, CHOSEN)[0] == 302


def test_an_expired_link_is_refused(app, admin, people):
    handler = people["handler"]
    admin.post(f"/admin/anvandare/{handler.id}/losenordslank", {})
    link = db.session.scalars(sa.select(AccountLink)).one()
    assert link.expires_at - link.created_at == timedelta(hours=24)  # a reset: 24 hours
    path = _link(handler.email)
    person = _client(app)
    token = csrf_from(person.client.get(path).text)
    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = person.client.post(
        path, data={"password": CHOSEN, "confirm": CHOSEN, "csrf_token": token}
    )
    assert response.status_code == 410
    assert _login_status(app, handler.email, CHOSEN)[0] == 422


def test_a_new_link_replaces_the_older_one_and_the_person_is_told(app, admin, people):
    handler = people["handler"]
    url = f"/admin/anvandare/{handler.id}"
    first_page = admin.post(f"{url}/losenordslank", {}, follow_redirects=True)
    old_path = _link(handler.email)
    second_page = admin.post(f"{url}/losenordslank", {}, follow_redirects=True)
    new_path = _link(handler.email)
    assert old_path != new_path
    for page in (first_page, second_page):
        assert "En länk för nytt lösenord är skickad till Lena Ek" in page.text
        assert old_path not in page.text and new_path not in page.text
    assert _client(app).client.get(old_path).status_code == 410
    # Until the person chooses, the current password still works (no lock-out).
    assert _login_status(app, handler.email, PASSWORD)[0] == 302
    assert _choose(_client(app), new_path, CHOSEN).status_code == 302
    assert _login_status(app, handler.email, PASSWORD)[0] == 422
    (told,) = _mail(handler.email, "password_changed")
    assert CHOSEN not in told.body and PASSWORD not in told.body
    assert all(CHOSEN not in m.body and PASSWORD not in m.body for m in _mail(handler.email))


# --- Byt lösenord -------------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(app, org, make):
    make.user([(Role.HANDLER, org["a"])], email="omar@test.example", name="Omar Ali")
    db.session.commit()
    here, there = _client(app), _client(app)
    here.login("omar@test.example")
    there.login("omar@test.example")
    home = here.client.get("/arenden/")
    assert 'href="/konto/losenord"' in home.text  # "Byt lösenord" in the header
    page = "/konto/losenord"
    wrong = here.post(page, {"current_password": "fel-lösenord-123",  # pragma: allowlist secret
                             "new_password": CHOSEN,
                             "confirm": CHOSEN})  # fmt: skip
    assert wrong.status_code == 422 and "Det nuvarande lösenordet stämmer inte." in wrong.text
    weak = here.post(page, {"current_password": PASSWORD,
                            "new_password": "omar.ali2026",  # pragma: allowlist secret
                            "confirm": "omar.ali2026"})  # fmt: skip
    assert weak.status_code == 422 and "ditt namn eller din e-postadress" in weak.text
    long = "y" * 1025
    too_long = here.post(page, {"current_password": PASSWORD, "new_password": long,
                                "confirm": long})  # fmt: skip
    assert "Lösenordet får ha högst 1024 tecken." in too_long.text
    done = here.post(page, {"current_password": PASSWORD, "new_password": CHOSEN,
                            "confirm": CHOSEN})  # fmt: skip
    assert done.status_code == 302
    assert here.client.get("/arenden/").status_code == 200
    assert there.client.get("/arenden/").status_code == 302
    assert _login_status(app, "omar@test.example", PASSWORD)[0] == 422
    assert _login_status(app, "omar@test.example", CHOSEN)[0] == 302
    (told,) = _mail("omar@test.example", "password_changed")
    assert "Du har just bytt lösenord" in told.body
    assert CHOSEN not in told.body and PASSWORD not in told.body
    assert "user.password_changed" in _actions()


def test_the_password_page_needs_a_login(client):
    assert client.get("/konto/losenord").status_code == 302


# --- second factor: four eyes or the person's confirmation ---------------------------------


def test_a_second_admin_approves_a_reset_and_the_first_cannot(app, admin, people):
    handler = people["handler"]
    url = f"/admin/anvandare/{handler.id}"
    admin.post(f"{url}/tvastegsverifiering", {})
    own = admin.client.get(url)
    assert "Du begärde återställningen och kan inte själv godkänna den." in own.text
    refused = admin.post(f"{url}/tvastegsverifiering/godkann", {}, follow_redirects=True)
    assert "Du kan inte godkänna din egen begäran." in refused.text
    assert _user(handler.email).mfa_enabled_at is not None
    assert "user.mfa_reset_self_approval_refused" in _actions()

    second = _client(app)
    second.login("admin2@test.example")
    approved = second.post(f"{url}/tvastegsverifiering/godkann", {}, follow_redirects=True)
    assert "Tvåstegsverifieringen är återställd" in approved.text
    after = _user(handler.email)
    assert after.mfa_secret is None and after.mfa_enabled_at is None
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.mfa_reset")
    ).one()
    assert entry.actor_id == people["admin2"].id
    (told,) = _mail(handler.email, "mfa_reset_done")
    assert "av två systemadministratörer" in told.body
    # The person's confirmation link no longer works once approved.
    assert _client(app).client.get(_link(handler.email, MFA_LINK)).status_code == 410


def test_the_person_confirms_a_reset_and_enrols_again_at_next_login(app, admin, people):
    target = people["admin2"]
    target.mfa_secret = pyotp.random_base32()
    target.mfa_enabled_at = utcnow()
    db.session.commit()
    admin.post(f"/admin/anvandare/{target.id}/tvastegsverifiering", {})
    path = _link(target.email, MFA_LINK)
    person = _client(app)
    question = person.client.get(path)
    assert "Återställ tvåstegsverifiering?" in question.text
    assert _user(target.email).mfa_enabled_at is not None  # following the link changes nothing
    done = person.post(path, {})
    assert done.status_code == 302
    assert _user(target.email).mfa_secret is None
    page = person.client.get("/logga-in")
    response = person.client.post(
        "/logga-in",
        data={"email": target.email, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert response.headers["Location"] == "/logga-in/aktivera-tvastegsverifiering"
    assert _client(app).client.get(path).status_code == 410
    (told,) = _mail(target.email, "mfa_reset_done")
    assert "efter din bekräftelse" in told.body
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.mfa_reset")
    ).one()
    assert entry.actor_id == target.id


def test_an_account_without_a_second_factor_has_nothing_to_reset(admin, make, org):
    plain = make.user([(Role.STAFF, org["a"])], email="ida@test.example")
    db.session.commit()
    page = admin.client.get(f"/admin/anvandare/{plain.id}")
    assert "Begär återställning av tvåstegsverifiering" not in page.text
    refused = admin.post(
        f"/admin/anvandare/{plain.id}/tvastegsverifiering", {}, follow_redirects=True
    )
    assert "har ingen tvåstegsverifiering att återställa" in refused.text


def test_the_person_is_told_when_a_second_factor_is_added(admin):
    """The admin fixture enrolled the TOTP app at login; the account's owner got mail."""
    (told,) = _mail("admin@test.example", "mfa_changed")
    assert "En app för engångskoder har just aktiverats" in told.body
    assert told.subject == "Tvåstegsverifieringen för ditt konto i casetrack är ändrad"


def test_utkorg_names_the_link_mails_in_swedish_without_the_link(app, admin, people):
    """Found by the fresh-eyes check: Utkorg showed the codes ``password_link`` and
    ``mfa_reset_link`` and called every account holder "Medarbetare"."""
    handler = people["handler"]
    admin.post(f"/admin/anvandare/{handler.id}/losenordslank", {})
    page = admin.client.get("/admin/utkorg").text
    assert "Länk för att välja lösenord" in page and "password_link" not in page
    assert "Konto i casetrack: Lena Ek" in page and "Medarbetare:" not in page
    assert _link(handler.email) not in page
