"""OpenID Connect single sign-on against a real provider (oidc-provider on loopback,
tests/idp/oidc_provider.py): the Flask test client is casetrack, requests is the person's
browser at the provider, and the provider's redirects are handed from one to the other.

Tampered answers are the provider's real output changed on its way out (the provider's
test hook, tests/idp/oidc/idp.js) or real answers replayed; each must be refused with a
clear message, leaving no account and no session behind.
"""

from __future__ import annotations

import base64
import io
import json
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, ExternalIdentity, SsoSession, User
from casetrack.services import identity
from casetrack.web.auth import oidc
from tests.conftest import csrf_from, free_port
from tests.idp.oidc_provider import (  # noqa: F401  (oidc_provider is a fixture)
    ACCOUNTS,
    PROVIDER_KEY,
    IdpBrowser,
    oidc_provider,
    path_of,
)

# A provider that does not answer (nothing listens on the port).
UNREACHABLE_PROVIDER = """
[[provider]]
key = "nere"
protocol = "oidc"
name = "Reservinloggningen"
metadata_url = "http://127.0.0.1:{port}/.well-known/openid-configuration"
client_id = "casetrack"
client_secret = "not-used"  # pragma: allowlist secret
timeout_seconds = 2
"""
CHEF_GROUP = "grp-chefer-solberga"
STAFF_GROUP = "grp-personal-solberga"


@pytest.fixture
def idp(oidc_provider):  # noqa: F811  (the fixture imported above)
    oidc_provider.reset()
    yield oidc_provider
    oidc_provider.reset()


@pytest.fixture
def registration() -> str:
    """Which of the provider's clients casetrack is (a test may parametrize it)."""
    return "web"


@pytest.fixture
def app_settings(idp, security_file, registration):
    return {
        "SSO_PROVIDERS": idp.providers_toml(registration)
        + UNREACHABLE_PROVIDER.format(port=free_port()),
        "SECURITY_LOG": str(security_file),
    }


@pytest.fixture
def web_base(idp):
    return idp.clients["web"].base_url


@pytest.fixture
def site(app, make, web_base):
    """casetrack answers at the address the provider knows (redirect_uri), with a
    Solberga unit whose groups give roles."""
    app.config["SERVER_NAME"] = urlsplit(web_base).netloc
    root = make.unit("Förvaltningen", level="forvaltning", code="ROOT", reference_prefix="HA")
    solberga = make.unit("Solbergagården", parent=root, code="SOL")
    identity.add_mapping(
        None, provider=PROVIDER_KEY, group_ref=CHEF_GROUP, label="Chefer Solberga",
        role=Role.MANAGER, unit_id=solberga.id, actor_label="test",
    )  # fmt: skip
    identity.add_mapping(
        None, provider=PROVIDER_KEY, group_ref=STAFF_GROUP, label="Personal Solberga",
        role=Role.STAFF, unit_id=solberga.id, actor_label="test",
    )  # fmt: skip
    db.session.commit()
    return {"root": root, "solberga": solberga}


@pytest.fixture
def browser(idp):
    return IdpBrowser(idp)


def start_login(client) -> str:
    """Press "Logga in med Kommunens konto": the address of the provider's authorization
    endpoint casetrack sends the browser to."""
    response = client.get(f"/logga-in/via/{PROVIDER_KEY}")
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def provider_answer(client, browser, username: str) -> str:
    """Log in at the provider as ``username``: the callback address it sends back."""
    answer = browser.follow(start_login(client), username)
    assert f"/logga-in/oidc/{PROVIDER_KEY}/svar" in answer, answer
    return answer


def login(client, browser, username: str):
    """The whole journey; the response of casetrack's callback."""
    return client.get(path_of(provider_answer(client, browser, username)))


def flashed_error(client) -> str:
    page = client.get("/logga-in")
    return page.text


def user_by_email(email: str) -> User | None:
    db.session.commit()
    return db.session.scalar(sa.select(User).where(User.email == email))


def roles_of(user: User) -> set[tuple[str, str, str | None]]:
    db.session.refresh(user)
    return {(a.role, a.source, a.source_group) for a in user.role_assignments}


def sso_refusals() -> list[dict]:
    db.session.commit()  # a fresh snapshot: the requests wrote in their own transactions
    rows = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "auth.sso_refused").order_by(AuditEntry.id)
    )
    return [row.after for row in rows]


def assert_nothing_created():
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SsoSession)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def assert_logged_out(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/logga-in" in response.headers["Location"]


# --- logging in ------------------------------------------------------------------------------


def test_first_login_creates_the_account_with_roles_from_groups(client, site, browser):
    start = urlsplit(start_login(client))
    params = parse_qs(start.query)
    # What goes to the provider: code flow, PKCE S256, state, nonce, the asked-for acr.
    assert params["response_type"] == ["code"]
    assert params["code_challenge_method"] == ["S256"]
    assert len(params["code_challenge"][0]) == 43
    assert len(params["state"][0]) >= 32 and len(params["nonce"][0]) >= 32
    assert params["scope"] == ["openid profile email"]
    assert params["acr_values"] == ["urn:casetrack:test:mfa"]
    assert "code_verifier" not in start.query

    response = login(client, browser, "chef")
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == "/"
    start_page = client.get("/", follow_redirects=True)
    assert start_page.request.path == "/arenden/mina"  # a manager's start page
    assert "Maria Lind" in start_page.text
    assert "Byt lösenord" not in start_page.text  # the provider holds her password

    user = user_by_email("maria.lind@solberga.example")
    assert user.origin == "sso"
    assert roles_of(user) == {("manager", "group", CHEF_GROUP)}
    link = db.session.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
    assert (link.provider, link.subject) == (PROVIDER_KEY, ACCOUNTS["chef"]["sub"])
    sso_row = db.session.scalar(sa.select(SsoSession).where(SsoSession.user_id == user.id))
    assert sso_row.session_ref  # the provider's sid, for back-channel logout
    assert sso_row.id_token and sso_row.id_token.count(".") == 2
    assert "mfa" in sso_row.authn_context or sso_row.authn_context == "urn:casetrack:test:mfa"


@pytest.mark.parametrize("registration", ["cert"])
def test_login_with_a_certificate_credential(client, site, browser, idp, registration):
    """private_key_jwt, as with a certificate in Entra ID: the provider accepts casetrack's
    signed client assertion instead of a secret."""
    response = login(client, browser, "chef")
    assert response.headers["Location"] == "/"
    assert client.get("/", follow_redirects=True).request.path == "/arenden/mina"


def test_staff_lands_on_their_avvikelser(client, site, browser):
    login(client, browser, "medarbetare")
    start_page = client.get("/", follow_redirects=True)
    assert start_page.request.path == "/avvikelser/"
    user = user_by_email("amina.yusuf@solberga.example")
    assert roles_of(user) == {("staff", "group", STAFF_GROUP)}


def test_login_without_the_second_factor_is_refused(client, site, browser, security_file):
    response = login(client, browser, "utan-mfa")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/logga-in")
    page = flashed_error(client)
    assert "utan tvåstegsverifiering" in page
    assert "Kommunens konto" in page
    assert_nothing_created()
    assert_logged_out(client)
    assert sso_refusals() == [{"provider": PROVIDER_KEY, "code": "second_factor", "step": "login"}]
    events = [json.loads(line) for line in security_file.read_text().splitlines()]
    refused = [event for event in events if event["event"] == "auth.sso_refused"]
    assert refused and refused[-1]["outcome"] == "failure"
    assert refused[-1]["details"]["code"] == "second_factor"
    assert refused[-1]["actor_label"] == f"inloggning via {PROVIDER_KEY}"


def test_a_group_removed_at_the_provider_removes_the_role_at_next_login(client, site, browser, idp):
    login(client, browser, "chef")
    user = user_by_email("maria.lind@solberga.example")
    assert roles_of(user) == {("manager", "group", CHEF_GROUP)}
    client.get("/", follow_redirects=True)
    page = client.get("/arenden/mina")
    client.post("/logga-ut", data={"csrf_token": csrf_from(page.text)})

    # Moved from the managers' group to the staff group at the provider.
    idp.set_groups("chef", [STAFF_GROUP])
    fresh = IdpBrowser(idp)  # a new provider session: the provider reads the groups again
    login(client, fresh, "chef")
    assert roles_of(user) == {("staff", "group", STAFF_GROUP)}
    assert client.get("/", follow_redirects=True).request.path == "/avvikelser/"
    removed = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "role.removed")
    ).all()
    assert [entry.before["role"] for entry in removed] == ["manager"]

    # No group left at all: the login is refused, and the role is gone.
    client.post("/logga-ut", data={"csrf_token": csrf_from(client.get("/arenden/").text)})
    idp.set_groups("chef", [])
    login(client, IdpBrowser(idp), "chef")
    assert "ingen av dina grupper ger behörighet" in flashed_error(client)
    assert roles_of(user) == set()
    assert_logged_out(client)


# --- logging out -----------------------------------------------------------------------------


class RecordingServer:
    """casetrack behind a WSGI wrapper that keeps every request body POSTed to it (to
    replay the provider's real logout tokens)."""

    def __init__(self, app):
        self.app = app
        self.posted: list[bytes] = []

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            self.posted.append(body)
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


@pytest.fixture
def casetrack_server(app, idp):
    """casetrack listening at the client's address, for the provider's back-channel POST."""
    port = idp.clients["web"].port
    recorder = RecordingServer(app)
    server = make_server("127.0.0.1", port, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    thread.join(timeout=10)


def test_back_channel_logout_from_the_provider_ends_the_session(
    client, site, browser, idp, casetrack_server
):
    login(client, browser, "chef")
    assert client.get("/arenden/mina").status_code == 200
    user = user_by_email("maria.lind@solberga.example")

    # The person logs out at the provider (another application's logout, say): the
    # provider POSTs a logout token to casetrack's back-channel endpoint.
    after = browser.confirm_logout(f"{idp.issuer}/session/end")
    assert after.startswith(idp.issuer)

    assert_logged_out(client)
    ended = db.session.scalar(sa.select(SsoSession).where(SsoSession.user_id == user.id))
    db.session.refresh(ended)
    assert ended.ended_at is not None
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "auth.provider_logout" in actions

    # The provider's real logout token, sent again: its jti was used (replay), 400.
    [posted] = casetrack_server.posted
    logout_token = parse_qs(posted.decode())["logout_token"][0]
    url = f"{idp.clients['web'].base_url}/logga-ut/oidc/{PROVIDER_KEY}/backchannel"
    replay = requests.post(url, data={"logout_token": logout_token}, timeout=5)
    assert replay.status_code == 400
    assert replay.headers["Cache-Control"] == "no-store"

    # The same token with one byte of its payload changed: the signature fails, 400.
    header, payload, signature = logout_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = ACCOUNTS["medarbetare"]["sub"]
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = requests.post(
        url,
        data=urlencode({"logout_token": f"{header}.{changed}.{signature}"}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert forged.status_code == 400
    codes = [(r["code"], r["step"]) for r in sso_refusals()]
    assert codes == [("replayed", "logout"), ("bad_signature", "logout")]


def test_rp_initiated_logout_sends_the_browser_to_the_provider(
    client, site, browser, idp, casetrack_server
):
    login(client, browser, "chef")
    page = client.get("/arenden/mina")
    policy = dict(
        part.strip().split(" ", 1) for part in page.headers["Content-Security-Policy"].split(";")
    )
    assert idp.issuer in policy["form-action"].split()
    response = client.post("/logga-ut", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 302
    end_session = urlsplit(response.headers["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}" == idp.issuer
    params = parse_qs(end_session.query)
    db.session.expire_all()
    sso_row = db.session.scalar(sa.select(SsoSession))
    assert params["id_token_hint"] == [sso_row.id_token]
    assert params["post_logout_redirect_uri"] == [f"{idp.clients['web'].base_url}/logga-ut/klar"]
    assert_logged_out(client)

    back = browser.confirm_logout(response.headers["Location"])
    assert back == f"{idp.clients['web'].base_url}/logga-ut/klar"
    landing = client.get(path_of(back), follow_redirects=True)
    assert "även hos din organisations inloggning" in landing.text
    # The provider's session is over too: the next login asks for the user name again.
    with pytest.raises(AssertionError, match="unexpected page at the provider"):
        browser.follow(start_login(client))


def test_back_channel_logout_token_is_checked(client, site, browser, idp, casetrack_server):
    """A logout token that is not the provider's, or is replayed, is a 400."""
    url = f"{idp.clients['web'].base_url}/logga-ut/oidc/{PROVIDER_KEY}/backchannel"
    assert requests.post(url, data={}, timeout=5).status_code == 400
    forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."  # pragma: allowlist secret
    response = requests.post(url, data={"logout_token": forged}, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert sso_refusals()[-1] == {
        "provider": PROVIDER_KEY,
        "code": "bad_signature",
        "step": "logout",
    }


def test_front_channel_logout_ends_the_session_of_that_sid(client, site, browser, idp):
    """Entra ID's front-channel logout: a GET naming the provider session (sid), from the
    provider's logout page in an iframe (oidc-provider has no front-channel logout, so the
    test makes the provider's request with the sid of the real login)."""
    login(client, browser, "chef")
    db.session.commit()
    sid = db.session.scalar(sa.select(SsoSession.session_ref))
    other = client.application.test_client()
    url = f"/logga-ut/oidc/{PROVIDER_KEY}/frontchannel"

    assert other.get(url).status_code == 400  # no sid
    assert other.get(url, query_string={"sid": sid, "iss": "http://x"}).status_code == 400
    assert client.get("/arenden/mina").status_code == 200  # still logged in

    response = other.get(url, query_string={"sid": sid})  # as Entra sends it: no iss
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == (
        f"default-src 'none'; frame-ancestors {idp.issuer}"
    )
    assert "X-Frame-Options" not in response.headers
    assert_logged_out(client)
    codes = [(r["code"], r["step"]) for r in sso_refusals()]
    assert codes == [("invalid_token", "logout"), ("wrong_issuer", "logout")]


MALFORMED_TOKENS = [
    "x",
    "a.b.c",
    "...",
    "a.b",
    "e30.e30.",  # {} . {} with no signature  # pragma: allowlist secret
    "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",  # not JSON  # pragma: allowlist secret
    "WyJhIl0.e30.c2ln",  # a header that is a list  # pragma: allowlist secret
    "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",  # HS256: never accepted  # pragma: allowlist secret
    "\u00e5\u00e4\u00f6.\u00e5.\u00f6",
    "A" * 20000,
]


def test_malformed_logout_tokens_are_400_never_500(client, site):
    url = f"/logga-ut/oidc/{PROVIDER_KEY}/backchannel"
    for token in MALFORMED_TOKENS:
        response = client.post(url, data={"logout_token": token})
        assert response.status_code == 400, token
        assert response.json["error"] == "invalid_request"


# --- tampered and replayed answers -------------------------------------------------------------

TAMPERED = [
    ("payload_byte", "signaturen stämmer inte", "bad_signature"),
    ("wrong_key", "signaturen stämmer inte", "bad_signature"),
    ("wrong_audience", "utfärdat till ett annat system", "wrong_audience"),
    ("wrong_issuer", "fel utfärdare", "wrong_issuer"),
    ("expired", "har gått ut", "expired"),
    ("wrong_nonce", "fel engångsvärde", "wrong_nonce"),
]


@pytest.mark.parametrize(("mode", "words", "code"), TAMPERED, ids=[t[0] for t in TAMPERED])
def test_a_tampered_id_token_is_refused(client, site, browser, idp, mode, words, code):
    idp.tamper(mode)
    response = login(client, browser, "chef")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/logga-in")
    page = flashed_error(client)
    assert words in page, page
    assert "Du har inte loggats in." in page
    assert_nothing_created()
    assert_logged_out(client)
    assert sso_refusals() == [{"provider": PROVIDER_KEY, "code": code, "step": "login"}]


def test_a_replayed_answer_is_refused(client, site, browser):
    answer = provider_answer(client, browser, "chef")
    assert client.get(path_of(answer)).headers["Location"] == "/"
    client.post("/logga-ut", data={"csrf_token": csrf_from(client.get("/arenden/mina").text)})
    db.session.execute(sa.delete(SsoSession))
    db.session.commit()

    # The same answer (code and state) again: the state was used up.
    response = client.get(path_of(answer))
    assert response.headers["Location"].endswith("/logga-in")
    assert "redan använts" in flashed_error(client)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SsoSession)) == 0
    assert_logged_out(client)

    # Replayed into a login this browser did start: the state is not that login's.
    start_login(client)
    response = client.get(path_of(answer))
    assert response.headers["Location"].endswith("/logga-in")
    assert "redan använts" in flashed_error(client)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SsoSession)) == 0
    assert [r["code"] for r in sso_refusals()] == ["unknown_state", "unknown_state"]


def test_an_answer_with_a_changed_state_is_refused(client, site, browser):
    answer = provider_answer(client, browser, "chef")
    tampered = answer.replace("state=", "state=x")
    response = client.get(path_of(tampered))
    assert response.headers["Location"].endswith("/logga-in")
    assert "hör inte till någon inloggning" in flashed_error(client)
    assert_nothing_created()


def test_a_used_code_is_refused_by_the_provider(client, site, browser):
    """The same code in a fresh flow of this browser, with that flow's state: the code
    was redeemed already, and the provider refuses it."""
    answer = provider_answer(client, browser, "chef")
    code = parse_qs(urlsplit(answer).query)["code"][0]
    assert client.get(path_of(answer)).headers["Location"] == "/"
    client.post("/logga-ut", data={"csrf_token": csrf_from(client.get("/arenden/mina").text)})
    state = parse_qs(urlsplit(start_login(client)).query)["state"][0]
    iss = parse_qs(urlsplit(answer).query)["iss"][0]
    response = client.get(
        f"/logga-in/oidc/{PROVIDER_KEY}/svar",
        query_string={"code": code, "state": state, "iss": iss},
    )
    assert response.headers["Location"].endswith("/logga-in")
    assert "godtog inte inloggningskoden" in flashed_error(client)


def test_an_error_answer_from_the_provider_is_refused(client, site):
    state = parse_qs(urlsplit(start_login(client)).query)["state"][0]
    response = client.get(f"/logga-in/oidc/{PROVIDER_KEY}/svar?error=access_denied&state={state}")
    assert response.headers["Location"].endswith("/logga-in")
    assert "avbröts eller nekades" in flashed_error(client)
    assert_nothing_created()


def test_unknown_provider_is_404(client, site):
    assert client.get("/logga-in/oidc/okand/svar?code=x&state=y").status_code == 404
    assert client.post("/logga-ut/oidc/okand/backchannel").status_code == 404


def test_messages_are_swedish_and_name_the_provider():
    for code in oidc.MESSAGES:
        text = oidc.MESSAGES[code].format(provider="Stadens konto", not_in=oidc.NOT_LOGGED_IN)
        assert "{" not in text


def test_an_answer_naming_another_issuer_is_refused(client, site, browser):
    """RFC 9207: the iss parameter of the answer must be this provider (mix-up attacks)."""
    answer = provider_answer(client, browser, "chef")
    query = parse_qs(urlsplit(answer).query)
    response = client.get(
        f"/logga-in/oidc/{PROVIDER_KEY}/svar",
        query_string={"code": query["code"][0], "state": query["state"][0], "iss": "http://x"},
    )
    assert response.headers["Location"].endswith("/logga-in")
    assert "fel utfärdare" in flashed_error(client)
    assert_nothing_created()


def test_a_provider_that_does_not_answer_is_a_message_not_an_error(client, site):
    response = client.get("/logga-in/via/nere")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/logga-in")
    assert "Reservinloggningen går inte att nå just nu" in flashed_error(client)
    assert sso_refusals() == [{"provider": "nere", "code": "unreachable", "step": "login"}]
