"""Issue 16: "Följ ditt ärende" and saved searches.

- Wrong receipt codes lock a reference per (reference, address), so ten wrong codes from
  ten addresses no longer lock out the submitter; a per-reference backstop then allows
  addresses that have already failed no more tries, while the right code from an address
  that has not failed still gets in. Every wrong code is security-logged, without it.
- The follow grant and the search words live on the server: a copied cookie is worthless
  after "Sluta följa", and the cookie never carries a search word.
"""

from __future__ import annotations

import html
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, FollowGrant, SavedSearch, utcnow
from casetrack.web.common.forms import CONTROL_MESSAGE, NUL_MESSAGE
from casetrack.web.intake.views import INVALID_RECEIPT, REFERENCE_LOCKED
from tests.conftest import csrf_from
from tests.web.test_case_list import _search
from tests.web.test_intake import _public_case

WRONG = "AAAA-BBBB-CCCC-DDDD"


@pytest.fixture
def app_settings(security_file):
    """The security stream in a file and the per-address page limit out of the way (these
    tests are about the per-reference lock)."""
    return {
        "SECURITY_LOG": str(security_file),
        "FOLLOW_RATE_LIMIT": "1000 per minute",
        "FOLLOW_REFERENCE_BACKSTOP": "30 per 15 minutes",
    }


def _follow_from(client, address: str, reference: str, code: str):
    environ = {"REMOTE_ADDR": address}
    page = client.get("/folj-arende", environ_overrides=environ)
    return client.post(
        "/folj-arende",
        data={"reference": reference, "receipt_code": code, "csrf_token": csrf_from(page.text)},
        environ_overrides=environ,
    )


def _events(path, name: str) -> list[dict]:
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [event for event in lines if event["event"] == name]


def test_ten_wrong_codes_from_ten_addresses_do_not_lock_out_the_submitter(app, client, auth, org):
    reference, code = _public_case(auth, org)
    for n in range(10):
        assert _follow_from(client, f"198.51.100.{n}", reference, WRONG).status_code == 422
    response = _follow_from(client, "192.0.2.50", reference, code)
    assert response.status_code == 302
    assert client.get("/folj-arende/ditt-arende").status_code == 200


def test_ten_wrong_codes_lock_the_reference_for_that_address_only(app, client, auth, org):
    reference, code = _public_case(auth, org)
    for _ in range(10):
        assert _follow_from(client, "198.51.100.7", reference, WRONG).status_code == 422
    locked = _follow_from(client, "198.51.100.7", reference, code)
    assert locked.status_code == 429 and REFERENCE_LOCKED in locked.text
    assert _follow_from(client, "192.0.2.50", reference, code).status_code == 302


def test_the_backstop_stops_failed_addresses_but_lets_the_right_code_in(app, client, auth, org):
    """30 wrong codes from 15 addresses within 15 minutes: the reference is under attack.
    An address that has failed may not try again, a fresh address may, and the right code
    from a fresh address opens the case."""
    reference, code = _public_case(auth, org)
    for n in range(30):
        response = _follow_from(client, f"198.51.100.{n % 15}", reference, WRONG)
        assert response.status_code == 422
    # An attacker's address that has failed before is refused, even with the right code.
    again = _follow_from(client, "198.51.100.3", reference, code)
    assert again.status_code == 429 and REFERENCE_LOCKED in again.text
    # A new address gets one wrong try, and is then refused for this reference.
    assert _follow_from(client, "203.0.113.9", reference, WRONG).status_code == 422
    assert _follow_from(client, "203.0.113.9", reference, WRONG).status_code == 429
    # The submitter, from an address that has not failed, gets in.
    assert _follow_from(client, "192.0.2.50", reference, code).status_code == 302
    # Other references are not affected.
    other_reference, other_code = _public_case(auth, org)
    assert _follow_from(client, "198.51.100.3", other_reference, other_code).status_code == 302


def test_every_wrong_code_is_security_logged_without_the_code(
    app, client, auth, org, security_file
):
    reference, code = _public_case(auth, org)
    case_id = db.session.scalar(sa.text("SELECT id FROM case_record"))
    typed = "K7QM-2XRP-9DHT-W4NB"
    for _ in range(2):
        response = _follow_from(client, "198.51.100.7", reference, typed)
        assert response.status_code == 422 and INVALID_RECEIPT in response.text
    _follow_from(client, "198.51.100.7", "AO-2026-99999", typed)
    failures = _events(security_file, "security.follow_failed")
    assert len(failures) == 3
    assert failures[0]["outcome"] == "failure" and failures[0]["ip"] == "198.51.100.7"
    assert failures[0]["entity_type"] == "case" and failures[0]["entity_id"] == case_id
    assert failures[2]["entity_id"] is None  # no such reference: nothing to point at
    text = security_file.read_text("utf-8")
    assert typed not in text and typed.replace("-", "") not in text and code not in text
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "security.follow_failed")
    ).all()
    assert len(entries) == 3
    assert not any(typed in f"{e.before} {e.after}" for e in entries)


def test_a_refused_locked_attempt_is_security_logged(app, client, auth, org, security_file):
    reference, _code = _public_case(auth, org)
    for _ in range(11):
        _follow_from(client, "198.51.100.7", reference, WRONG)
    [locked] = _events(security_file, "security.follow_locked")
    assert locked["outcome"] == "denied" and locked["ip"] == "198.51.100.7"


def _session_cookie(client):
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value


def _decoded(app, value: str) -> dict:
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.loads(value)


def test_a_copied_cookie_no_longer_follows_the_case_after_sluta_folja(app, client, auth, org):
    reference, code = _public_case(auth, org)
    assert _follow_from(client, "192.0.2.50", reference, code).status_code == 302
    copied = _session_cookie(client)
    page = client.get("/folj-arende/ditt-arende")
    assert page.status_code == 200
    # Issue 20: the button says it ends the view ("Stäng ärendet" read as withdrawing).
    assert "Logga ut från ärendet" in page.text
    assert "Sluta följa" not in page.text and "Stäng ärendet" not in page.text
    response = client.post("/folj-arende/avsluta", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    confirmation = client.get(response.headers["Location"]).text
    assert "Du är utloggad från ärendet" in confirmation
    assert "inte återkallat utan handläggs som vanligt" in confirmation
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowGrant)) == 0
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    replay = thief.get("/folj-arende/ditt-arende")
    assert replay.status_code == 302 and replay.headers["Location"] == "/folj-arende"


def test_the_cookie_holds_no_case_id_and_the_grant_expires_on_the_server(app, client, auth, org):
    reference, code = _public_case(auth, org)
    _follow_from(client, "192.0.2.50", reference, code)
    decoded = _decoded(app, _session_cookie(client))
    assert not any(isinstance(v, dict) for v in decoded.values())  # just a random token
    grant = db.session.scalars(sa.select(FollowGrant)).one()
    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/folj-arende/ditt-arende").status_code == 302


@pytest.fixture
def handler(org, make):
    user = make.user([(Role.HANDLER, org["a"])], email="handler@test.example")
    make.case(org["a"], by=user, description="Rullstolsrampen vid entrén är trasig.")
    db.session.commit()
    return user


def test_search_words_are_never_in_the_session_cookie(app, client, auth, handler):
    auth.login("handler@test.example")
    page = _search(client, "rullstolsrampen")
    assert page.status_code == 200 and "AO-2026-00001" in page.text
    value = _session_cookie(client)
    assert "rullstolsrampen" not in json.dumps(_decoded(app, value)).lower()
    # The words are kept on the server, for this login only.
    assert db.session.scalars(sa.select(SavedSearch.text)).one() == "rullstolsrampen"


def test_a_saved_search_works_only_for_the_login_that_made_it(app, client, auth, handler, make):
    auth.login("handler@test.example")
    page = _search(client, "rullstolsrampen")
    url = page.request.full_path
    assert "sokning=" in url
    auth.logout()
    auth.login("handler@test.example")  # a new login: the old link no longer searches
    again = client.get(url)
    assert "Sökningen finns inte längre" in again.text


def test_a_saved_search_expires(app, client, auth, handler):
    auth.login("handler@test.example")
    url = _search(client, "rullstolsrampen").request.full_path
    db.session.execute(sa.update(SavedSearch).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert "Sökningen finns inte längre" in client.get(url).text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ramp\x00en", NUL_MESSAGE),  # every form refuses NUL (casetrack.web.common.forms)
        ("\x00", NUL_MESSAGE),
        ("ramp\x07", CONTROL_MESSAGE),
    ],
)
def test_a_search_with_a_nul_byte_is_refused_and_the_list_keeps_working(
    app, client, auth, handler, text, message
):
    auth.login("handler@test.example")
    page = client.get("/arenden/")
    response = client.post("/arenden/sok", data={"csrf_token": csrf_from(page.text), "text": text})
    assert response.status_code == 302
    listing = client.get(response.headers["Location"])
    assert listing.status_code == 200
    assert html.escape(message, quote=True) in listing.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedSearch)) == 0
    # The list still works, and so does the next search.
    assert client.get("/arenden/").status_code == 200
    assert "AO-2026-00001" in _search(client, "rullstolsrampen").text


def test_a_nul_byte_in_the_reference_is_refused_at_the_field(app, client, auth, org):
    _public_case(auth, org)
    response = _follow_from(client, "198.51.100.7", "AO-2026-0\x0001", WRONG)
    assert response.status_code == 422 and html.escape(NUL_MESSAGE) in response.text
