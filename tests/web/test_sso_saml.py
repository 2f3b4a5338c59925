"""SAML 2.0 single sign-on against a real SimpleSAMLphp on loopback (tests/idp).

The Flask test client is casetrack (at http://localhost, its BASE_URL); ``requests`` is the
browser at the IdP: it follows casetrack's redirect, fills in the UserPass form and takes
the auto-POST form with the SAMLResponse, which the test posts to casetrack's ACS.
Tampered answers are the IdP's real answers, changed: a byte, a signature by another key,
a response the IdP issued for another service provider, one posted after it expired, one
posted twice.
"""

from __future__ import annotations

import base64
import re
import time
import zlib
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, ExternalIdentity, RoleAssignment, SsoSession, User
from casetrack.services import identity
from casetrack.web.auth import saml
from tests.idp.saml_provider import (  # noqa: F401  (saml_idp is a fixture)
    LOA3,
    KeyPair,
    auto_post,
    log_in_at_idp,
    make_keypair,
    saml_idp,
)

BASE = "http://localhost"
PASSWORD = "idp-lösen-1"  # pragma: allowlist secret
MAS = ("eva.mas", "eva.sjoberg@kommun.example", "Eva Sjöberg")


def sp_entity(key: str) -> str:
    return f"{BASE}/saml/{key}/metadata"


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, KeyPair]:
    folder = tmp_path_factory.mktemp("saml-keys")
    return {
        "sp": make_keypair(folder, "sp", "casetrack test SP"),
        "attacker": make_keypair(folder, "attacker", "SimpleSAMLphp test IdP"),
    }


@pytest.fixture(scope="module")
def idp(saml_idp, keys):  # noqa: F811
    """casetrack's providers registered at the IdP: ``siths`` (the real one), ``kort``
    (assertions live one second), ``annan`` (another service provider whose answers go to
    siths' ACS, for the audience check)."""
    for key in ("siths", "kort"):
        saml_idp.register_sp(
            sp_entity(key),
            acs_url=f"{BASE}/saml/{key}/acs",
            sls_url=f"{BASE}/saml/{key}/sls",
            certificate=keys["sp"],
            assertion_lifetime=1 if key == "kort" else None,
        )
    saml_idp.register_sp(
        sp_entity("osignerad"),
        acs_url=f"{BASE}/saml/osignerad/acs",
        sls_url=f"{BASE}/saml/osignerad/sls",
        options={"saml20.sign.assertion": False},  # only the Response is signed
    )
    saml_idp.register_sp(
        "urn:example:annan-tjanst",
        acs_url=f"{BASE}/saml/siths/acs",
        sls_url=f"{BASE}/saml/siths/sls",
    )
    saml_idp.set_user(MAS[0], PASSWORD, mail=MAS[1], display_name=MAS[2], groups=["grp-mas"])
    saml_idp.set_user(
        "olle.losen",
        PASSWORD,
        mail="olle.losen@kommun.example",
        display_name="Olle Lösen",
        groups=["grp-mas"],
        acr=None,  # a password-only login: no AuthnContextClassRef LoA3
    )
    return saml_idp


@pytest.fixture
def app_settings(idp, keys, tmp_path_factory) -> dict:
    metadata_file = tmp_path_factory.getbasetemp() / "idp-metadata.xml"
    metadata_file.write_text(idp.metadata())
    providers = ""
    for key, name, extra in [
        ("siths", "SITHS-kort", f'idp_metadata_url = "{idp.metadata_url}"'),
        ("kort", "Kort giltighet", f'idp_metadata_file = "{metadata_file}"\nclock_skew = 0'),
        ("osignerad", "Osignerad", f'idp_metadata_url = "{idp.metadata_url}"'),
        ("borta", "Borta", 'idp_metadata_url = "http://127.0.0.1:9/saml2/idp/metadata.php"'),
    ]:
        providers += f"""
[[provider]]
key = "{key}"
protocol = "saml"
name = "{name}"
sp_certificate_file = "{keys["sp"].cert_path}"
sp_private_key_file = "{keys["sp"].key_path}"
required_authn_context = ["{LOA3}"]
{extra}
"""
    return {"SSO_PROVIDERS": providers, "BASE_URL": BASE}


@pytest.fixture(autouse=True)
def fresh_metadata_cache():
    saml._METADATA_CACHE.clear()


@pytest.fixture
def mapping(org):
    identity.add_mapping(
        None, provider="siths", group_ref="grp-mas", label="MAS", role=Role.MAS,
        unit_id=org["root"].id, actor_label="test",
    )  # fmt: skip
    identity.add_mapping(
        None, provider=None, group_ref="grp-mas", label="MAS", role=Role.MAS,
        unit_id=org["root"].id, actor_label="test",
    )  # fmt: skip
    db.session.commit()


class Browser:
    """One person's browser: the Flask client at casetrack, a requests session at the IdP."""

    def __init__(self, client, idp=None):
        self.client = client
        self.idp = idp
        self.http = requests.Session()

    def start(self, key: str = "siths") -> str:
        response = self.client.get(f"/logga-in/via/{key}")
        assert response.status_code == 302, response.get_data(as_text=True)
        return response.headers["Location"]

    def idp_answer(self, username: str = MAS[0], key: str = "siths"):
        return log_in_at_idp(self.http, self.start(key), username, PASSWORD)

    def post_acs(self, form, key: str | None = None):
        path = urlsplit(form.action).path if key is None else f"/saml/{key}/acs"
        return self.client.post(path, data=form.fields)

    def login(self, username: str = MAS[0], key: str = "siths"):
        return self.post_acs(self.idp_answer(username, key))

    def at_idp(self, url: str) -> str:
        """Follow the IdP's redirects; the first address off the IdP (casetrack's SLS)."""
        for _ in range(10):
            if not url.startswith("http://127.0.0.1"):
                return url
            answer = self.http.get(url, allow_redirects=False, timeout=10)
            if answer.status_code not in (302, 303):
                return url
            url = answer.headers["Location"]
        raise AssertionError("the IdP keeps redirecting")


def flashed(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith("/logga-in")
    return client.get("/logga-in").get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def assert_nothing_created():
    assert count(User) == 0
    assert count(ExternalIdentity) == 0
    assert count(SsoSession) == 0


def refusals() -> list[str]:
    return [
        entry.after["code"]
        for entry in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "auth.sso_refused")
        )
    ]


def decode(form) -> bytes:
    return base64.b64decode(form.fields["SAMLResponse"])


def with_response(form, xml: bytes):
    return type(form)(form.action, {**form.fields, "SAMLResponse": base64.b64encode(xml).decode()})


# --- login -------------------------------------------------------------------------------


def test_metadata_describes_casetrack_as_sp(client, keys):
    response = client.get("/saml/siths/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    xml = response.get_data(as_text=True)
    assert f'entityID="{sp_entity("siths")}"' in xml
    assert f'Location="{BASE}/saml/siths/acs"' in xml
    assert f'Location="{BASE}/saml/siths/sls"' in xml
    assert keys["sp"].cert_body[:60] in xml.replace("\n", "")
    assert client.get("/saml/okand/metadata").status_code == 404


def test_first_login_creates_the_account_with_the_groups_role(client, idp, mapping, org):
    browser = Browser(client)
    location = browser.start()
    request = parse_qs(urlsplit(location).query)
    assert location.startswith(idp.sso_url)
    assert "Signature" in request  # casetrack signs its AuthnRequest
    authn_request = zlib.decompress(base64.b64decode(request["SAMLRequest"][0]), -15).decode()
    assert LOA3 in authn_request  # RequestedAuthnContext
    assert 'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"' in authn_request

    response = browser.post_acs(log_in_at_idp(browser.http, location, MAS[0], PASSWORD))
    assert response.status_code == 302
    landing = client.get(response.headers["Location"], follow_redirects=True)
    assert landing.status_code == 200
    assert "/logga-in" not in landing.request.path

    user = db.session.scalar(sa.select(User).where(User.email == MAS[1]))
    assert user.name == "Eva Sjöberg" and user.origin == "sso"
    assignment = db.session.scalar(sa.select(RoleAssignment).where(RoleAssignment.user == user))
    assert (assignment.role, assignment.org_unit_id) == (Role.MAS.value, org["root"].id)
    assert (assignment.source, assignment.source_group) == ("group", "grp-mas")
    linked = db.session.scalar(sa.select(ExternalIdentity))
    assert (linked.provider, linked.subject) == ("siths", MAS[0])  # NameID (persistent uid)
    sso_session = db.session.scalar(sa.select(SsoSession))
    assert sso_session.authn_context == LOA3
    assert sso_session.session_ref and sso_session.name_id == MAS[0]
    assert sso_session.name_id_format == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def test_login_without_the_required_authn_context_is_refused(client, idp, mapping):
    response = Browser(client).login("olle.losen")
    page = flashed(client, response)
    assert "utan tvåstegsverifiering hos SITHS-kort" in page
    assert_nothing_created()
    assert refusals() == ["second_factor"]


def test_group_removed_takes_the_role_at_next_login(client, idp, mapping):
    idp.set_user(
        "karin.grupp", PASSWORD, mail="karin@kommun.example", display_name="Karin Grupp",
        groups=["grp-mas", "grp-annat"],
    )  # fmt: skip
    assert Browser(client).login("karin.grupp").status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "karin@kommun.example"))
    assert [a.role for a in user.role_assignments] == [Role.MAS.value]
    generation = user.session_generation

    idp.set_user(
        "karin.grupp", PASSWORD, mail="karin@kommun.example", display_name="Karin Grupp",
        groups=["grp-annat"],
    )  # fmt: skip
    again = Browser(client)  # a new IdP session: the IdP reads her groups anew
    page = flashed(client, again.login("karin.grupp"))
    assert "ingen av dina grupper ger behörighet" in page
    db.session.expire_all()
    assert user.role_assignments == []
    assert user.session_generation > generation  # her other sessions ended


def test_idp_initiated_logout_ends_the_casetrack_session(client, idp, mapping):
    browser = Browser(client)
    assert browser.login().status_code == 302
    assert client.get("/", follow_redirects=False).status_code == 302
    assert "/logga-in" not in client.get("/", follow_redirects=True).request.path

    # The IdP logs the person out (its own logout page) and sends casetrack a LogoutRequest.
    sls = urlsplit(browser.at_idp(f"{idp.slo_url}?ReturnTo={BASE}/logga-in"))
    assert sls.path == "/saml/siths/sls" and "SAMLRequest" in parse_qs(sls.query)
    answer = client.get(sls.path + "?" + sls.query)
    assert answer.status_code == 302
    back = answer.headers["Location"]
    assert back.startswith(idp.slo_url) and "SAMLResponse" in back
    assert browser.at_idp(back) == f"{BASE}/logga-in"  # the IdP's logout went through

    assert client.get("/", follow_redirects=True).request.path == "/logga-in"
    sso_session = db.session.scalar(sa.select(SsoSession))
    assert sso_session.ended_at is not None
    assert db.session.scalar(
        sa.select(AuditEntry.id).where(AuditEntry.action == "auth.provider_logout")
    )


def test_our_logout_sends_a_signed_logout_request_and_lands_logged_out(client, idp, mapping):
    browser = Browser(client)
    assert browser.login().status_code == 302
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/logga-ut", data={"csrf_token": token})
    # Our own page first (the CSP's form-action keeps a form POST on casetrack's origin),
    # which forwards to the IdP with a signed LogoutRequest.
    forward = client.get(response.headers["Location"])
    assert forward.status_code == 200
    location = forward.headers["Refresh"].removeprefix("0; url=")
    assert location in forward.get_data(as_text=True).replace("&amp;", "&")
    assert location.startswith(idp.slo_url) and "Signature=" in location
    sls = urlsplit(browser.at_idp(location))
    assert sls.path == "/saml/siths/sls" and "SAMLResponse" in parse_qs(sls.query)
    done = client.get(sls.path + "?" + sls.query)
    assert done.headers["Location"].endswith("/logga-ut/klar")
    page = client.get("/logga-ut/klar", follow_redirects=True).get_data(as_text=True)
    assert "även hos din organisations inloggning" in page
    # The IdP's session is over too: the next login asks for the password again.
    assert "AuthState" in browser.http.get(browser.start(), timeout=10).text


# --- refused answers ---------------------------------------------------------------------


def test_a_changed_byte_breaks_the_signature(client, idp, mapping):
    browser = Browser(client)
    form = browser.idp_answer()
    xml = decode(form)
    assert b"grp-mas" in xml
    page = flashed(
        client, browser.post_acs(with_response(form, xml.replace(b"grp-mas", b"grp-maz")))
    )
    assert "inte korrekt underskrivet av SITHS-kort" in page
    assert_nothing_created()
    assert refusals() == ["signature"]


def _resign(xml: bytes, keys: KeyPair) -> bytes:
    """Sign the assertion and the response again, with ``keys`` instead of the IdP's."""
    ds = {"ds": Constants.NS_DS, "saml": Constants.NS_SAML}
    document = etree.fromstring(xml)
    for signature in document.xpath("//ds:Signature", namespaces=ds):
        signature.getparent().remove(signature)
    assertion = document.xpath("//saml:Assertion", namespaces=ds)[0]
    signed = OneLogin_Saml2_Utils.add_sign(etree.tostring(assertion), keys.key, keys.cert)
    assertion.getparent().replace(assertion, etree.fromstring(signed))
    return OneLogin_Saml2_Utils.add_sign(etree.tostring(document), keys.key, keys.cert)


def test_a_response_signed_by_another_key_is_refused(client, idp, mapping, keys):
    browser = Browser(client)
    form = browser.idp_answer()
    forged = _resign(decode(form).replace(b"Eva Sj", b"Eve Sj"), keys["attacker"])
    page = flashed(client, browser.post_acs(with_response(form, forged)))
    assert "inte korrekt underskrivet av SITHS-kort" in page
    assert_nothing_created()
    assert refusals() == ["signature"]


def _idp_initiated(browser: Browser, sp_entity_id: str):
    """An unsolicited response: the IdP's own "log in to this service" link."""
    page = browser.http.get(browser.idp.sso_url, params={"spentityid": sp_entity_id}, timeout=10)
    match = re.search(r'name="AuthState" value="([^"]+)"', page.text)
    if match:
        page = browser.http.post(
            page.url,
            data={"username": MAS[0], "password": PASSWORD, "AuthState": unescape(match.group(1))},
            timeout=10,
        )
    return auto_post(page.text)


@pytest.fixture
def idp_browser(client, idp):
    return Browser(client, idp)


def test_a_response_for_another_service_is_refused_audience(idp_browser, mapping):
    form = _idp_initiated(idp_browser, "urn:example:annan-tjanst")
    assert urlsplit(form.action).path == "/saml/siths/acs"
    idp_browser.start()  # a login of ours is under way in this browser
    page = flashed(idp_browser.client, idp_browser.post_acs(form))
    assert "avsett för en annan tjänst än casetrack" in page
    assert_nothing_created()
    assert refusals() == ["audience"]


def test_a_response_sent_to_another_address_is_refused_destination(idp_browser, mapping):
    form = _idp_initiated(idp_browser, sp_entity("kort"))  # Destination: kort's ACS
    idp_browser.start()
    page = flashed(idp_browser.client, idp_browser.post_acs(form, key="siths"))
    assert "skickat till en annan adress än casetracks" in page
    assert_nothing_created()
    assert refusals() == ["destination"]


def test_an_unsolicited_response_is_refused(idp_browser, mapping):
    form = _idp_initiated(idp_browser, sp_entity("siths"))
    page = flashed(idp_browser.client, idp_browser.post_acs(form))
    assert "hör inte till någon inloggning som startades i den här webbläsaren" in page
    assert_nothing_created()
    assert refusals() == ["unsolicited"]


def test_a_response_to_an_earlier_request_is_refused_in_response_to(client, idp, mapping):
    browser = Browser(client)
    first = browser.idp_answer()
    browser.start()  # a second login in this browser: the first answer is no longer awaited
    page = flashed(client, browser.post_acs(first))
    assert "hör till en annan inloggning än den du startade" in page
    assert_nothing_created()
    assert refusals() == ["in_response_to"]


def test_an_expired_response_is_refused(client, idp, mapping):
    browser = Browser(client)
    form = browser.idp_answer(key="kort")  # the IdP gives kort's assertions one second
    time.sleep(2.2)
    page = flashed(client, browser.post_acs(form))
    assert "har gått ut" in page
    assert_nothing_created()
    assert refusals() == ["expired"]


def test_the_same_response_posted_twice_is_refused_replay(client, idp, mapping):
    browser = Browser(client)
    form = browser.idp_answer()
    pending = client.get_cookie(saml.REQUEST_COOKIE, path="/saml/siths/acs")
    assert browser.post_acs(form).headers["Location"].endswith("/")
    assert count(User) == 1

    other = client.application.test_client()  # the same POST, cookie and all, again
    other.set_cookie(saml.REQUEST_COOKIE, pending.value, path="/saml/siths/acs")
    page = flashed(other, other.post("/saml/siths/acs", data=form.fields))
    assert "har redan använts en gång" in page
    assert refusals() == ["replay"]
    assert count(SsoSession) == 1


def test_no_response_and_garbage_are_refused(client, idp, mapping):
    page = flashed(client, client.post("/saml/siths/acs", data={}))
    assert "Inget inloggningssvar kom från SITHS-kort" in page
    page = flashed(client, client.post("/saml/siths/acs", data={"SAMLResponse": "inte saml"}))
    assert "gick inte att läsa" in page
    assert refusals() == ["no_response", "malformed"]
    assert client.post("/saml/okand/acs").status_code == 404


def test_unsigned_logout_request_is_refused(client, idp, mapping):
    page = flashed(client, client.get("/saml/siths/sls?SAMLRequest=abc"))
    assert "Utloggningsmeddelandet från SITHS-kort kunde inte kontrolleras" in page


def test_an_unsigned_assertion_is_refused(client, idp, mapping):
    browser = Browser(client)
    form = browser.idp_answer(key="osignerad")
    assert decode(form).count(b"<ds:SignedInfo") == 1  # the Response's only
    page = flashed(client, browser.post_acs(form))
    assert "saknar underskrift" in page
    assert_nothing_created()
    assert refusals() == ["unsigned"]


def test_an_unreachable_idp_is_a_clear_refusal(client):
    page = flashed(client, client.get("/logga-in/via/borta"))
    assert "Inloggningen via Borta fungerar inte just nu" in page
    assert refusals() == ["unavailable"]


def test_the_request_cookie_goes_with_the_cross_site_post_under_https(database_url, app_settings):
    from casetrack import create_app

    app = create_app(
        {"ENV": "testing", "DATABASE_URL": database_url, **app_settings,
         "SESSION_COOKIE_SECURE": True, "BASE_URL": "https://casetrack.kommun.example"}
    )  # fmt: skip
    with app.app_context():
        response = app.test_client().get("/logga-in/via/siths")
        db.session.remove()
        db.engine.dispose()
    cookie = next(
        value for value in response.headers.getlist("Set-Cookie")
        if value.startswith(saml.REQUEST_COOKIE)
    )  # fmt: skip
    assert "Secure" in cookie and "SameSite=None" in cookie and "HttpOnly" in cookie
    assert "Path=/saml/siths/acs" in cookie
