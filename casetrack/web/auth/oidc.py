"""OpenID Connect single sign-on (issue 18): casetrack as a relying party of the
municipality's provider (Microsoft Entra ID, or any OpenID Connect provider).

The flow is the authorization code flow with PKCE (S256), a ``state`` and a ``nonce``.
Authlib does the protocol work: its OAuth 2.0 client builds the authorization request and
exchanges the code (with the PKCE verifier and the client secret), its ``CodeIDToken``
checks the id token's claims, and joserfc (Authlib's JOSE library) verifies signatures
against the provider's published keys (JWKS, found through discovery).

Routes:

- ``/logga-in/via/<key>`` (web/auth/sso.py) calls ``start``: a new state, nonce and code
  verifier, kept in the session (at most a few pending logins, each for ten minutes), and
  a redirect to the provider.
- ``/logga-in/oidc/<key>/svar``: the provider's answer. The state must be one this browser
  started (it is used up at once, so a replayed answer is refused), the code is exchanged,
  the id token's signature, issuer, audience, nonce and times are checked, the second factor
  (acr/amr) is checked, and ``sso.finish_login`` logs the person in. Anything wrong is a
  Swedish message on the login page, audited as ``auth.sso_refused`` with a reason code.
- ``/logga-ut/oidc/<key>/backchannel``: OpenID Connect Back-Channel Logout 1.0. The
  provider POSTs a signed logout token; casetrack ends the casetrack sessions of that
  provider session (``sid``) or person (``sub``). 200 when the token is valid, 400 when not.
- ``/logga-ut/oidc/<key>/frontchannel?sid=…``: Front-Channel Logout 1.0 as Entra ID does
  it (a hidden iframe at the provider's logout page, naming the provider session).
- At logout (web/auth/login.py) ``logout_redirect`` sends the browser to the provider's
  ``end_session_endpoint`` (RP-initiated logout) with the ``id_token_hint``; the provider
  sends it back to ``/logga-ut/klar``.

Provider options (the providers file, see casetrack.infra.identity_providers and
docs/operations/sso-oidc.md):

``metadata_url``
    the provider's discovery document (``…/.well-known/openid-configuration``); required.
``client_id``, ``client_secret`` / ``client_secret_file``
    casetrack's registration at the provider; required.
``issuer``
    the expected ``iss``; by default the discovery document's ``issuer``, which must then
    be the address the document was fetched from (OpenID Connect Discovery 1.0 §4.3).
``scope``
    default ``"openid profile email"``; ``openid`` is always included.
``acr_values``
    authentication context class(es) to ask for (a string or a list); what is *required*
    is ``required_acr`` / ``required_amr``, checked in the id token.
``clock_skew_seconds``
    leeway for ``exp``, ``iat`` and ``nbf`` (default 60).
``client_private_key`` / ``client_private_key_file``, and
``client_certificate`` / ``client_certificate_file``
    a certificate credential instead of the secret: casetrack signs a client assertion
    (``private_key_jwt``, PS256) with the private key (PEM) and names the certificate
    (PEM) by its SHA-256 thumbprint (``x5t#S256``), as Entra ID expects.
``token_endpoint_auth_method``
    ``client_secret_basic`` (default with a secret), ``client_secret_post``, or
    ``private_key_jwt`` (default with a private key).
``client_assertion_alg``
    the signature of the client assertion (default ``PS256``; ``RS256`` for older
    providers).
``prompt``
    passed on to the provider (e.g. ``select_account``); default none.
``timeout_seconds``
    for every request to the provider (default 10).
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from flask import Blueprint, current_app, redirect, request, session, url_for
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    DecodeError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from werkzeug.wrappers import Response

from casetrack.domain.errors import DomainError
from casetrack.extensions import csrf, db
from casetrack.infra.identity_providers import Provider
from casetrack.models import SsoSession
from casetrack.services import identity, sessions
from casetrack.web.auth import sso

bp = Blueprint("oidc", __name__)

DEFAULT_SCOPE = "openid profile email"
DEFAULT_LEEWAY = 60
DEFAULT_TIMEOUT = 10
# Pending logins in the session: state -> {provider, nonce, PKCE verifier, started}.
FLOWS_KEY = "_oidc_flows"
FLOW_SECONDS = 600
MAX_FLOWS = 3
# Discovery documents and keys are fetched again after an hour (and keys at once when a
# token names a key id casetrack has not seen: the provider rotated its keys).
METADATA_SECONDS = 3600
# Asymmetric signatures only: "none" and the HS* family (keyed with the client secret) are
# never accepted, whatever the provider advertises.
ACCEPTED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"

NOT_LOGGED_IN = "Du har inte loggats in."
MESSAGES = {
    "unreachable": (
        "Inloggningen via {provider} går inte att nå just nu. Försök igen om en stund. "
        "Kontakta IT-avdelningen om felet kvarstår."
    ),
    "cancelled": (
        "Inloggningen avbröts eller nekades hos {provider}. {not_in} Försök igen, eller "
        "kontakta IT-avdelningen om du inte ska nekas."
    ),
    "unknown_state": (
        "Inloggningssvaret hör inte till någon inloggning som påbörjats i den här "
        "webbläsaren, eller så har det redan använts. {not_in} Börja om med "
        "”Logga in med {provider}”."
    ),
    "flow_expired": (
        "Inloggningen tog för lång tid. {not_in} Börja om med ”Logga in med {provider}”."
    ),
    "code_refused": (
        "{provider} godtog inte inloggningskoden (den kan redan ha använts eller ha gått ut). "
        "{not_in} Börja om med ”Logga in med {provider}”."
    ),
    "bad_signature": (
        "Inloggningssvaret från {provider} kunde inte verifieras: signaturen stämmer inte. "
        "{not_in} Kontakta IT-avdelningen om det händer igen."
    ),
    "wrong_issuer": (
        "Inloggningssvaret kom inte från {provider} (fel utfärdare). {not_in} Kontakta "
        "IT-avdelningen om det händer igen."
    ),
    "wrong_audience": (
        "Inloggningssvaret från {provider} var utfärdat till ett annat system än casetrack. "
        "{not_in} Kontakta IT-avdelningen om det händer igen."
    ),
    "expired": (
        "Inloggningssvaret från {provider} har gått ut eller har en tidpunkt som inte stämmer "
        "(kontrollera klockan på datorn och servern). {not_in} Försök igen."
    ),
    "wrong_nonce": (
        "Inloggningssvaret från {provider} hör inte till den här inloggningen (fel "
        "engångsvärde). {not_in} Börja om med ”Logga in med {provider}”."
    ),
    "invalid_token": (  # nosec B105 - a refusal code, not a password
        "Inloggningssvaret från {provider} var ofullständigt eller felaktigt. {not_in} "
        "Kontakta IT-avdelningen om det händer igen."
    ),
    "groups_overage": (
        "{provider} skickade inte dina grupper, eftersom du är med i för många. {not_in} "
        "IT-avdelningen behöver begränsa vilka grupper som skickas till casetrack."
    ),
}


class Refusal(Exception):
    """The provider's answer (or the way to the provider) is refused; ``code`` is audited."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def message(provider: Provider, code: str) -> str:
    return MESSAGES[code].format(provider=provider.name, not_in=NOT_LOGGED_IN)


# --- discovery and keys -------------------------------------------------------------------


@dataclass
class _Fetched:
    document: dict[str, Any]
    keys: dict[str, Any] | None
    at: float


_CACHE: dict[str, _Fetched] = {}
_CACHE_LOCK = threading.Lock()


def _timeout(provider: Provider) -> float:
    return float(provider.option("timeout_seconds", DEFAULT_TIMEOUT))


def _get_json(provider: Provider, url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=_timeout(provider))  # nosec B113 - it has one
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise Refusal("unreachable", f"{url}: {error}") from error
    if not isinstance(data, dict):
        raise Refusal("unreachable", f"{url}: not a JSON object")
    return data


def expected_issuer(provider: Provider, document: dict[str, Any]) -> str:
    return str(provider.option("issuer") or document.get("issuer") or "")


def metadata(provider: Provider) -> dict[str, Any]:
    """The provider's discovery document (cached for an hour per process)."""
    url = provider.option("metadata_url")
    if not url:
        raise Refusal("unreachable", f"provider {provider.key}: metadata_url is not set")
    with _CACHE_LOCK:
        fetched = _CACHE.get(url)
    if fetched is not None and time.monotonic() - fetched.at < METADATA_SECONDS:
        return fetched.document
    document = _get_json(provider, url)
    issuer = document.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise Refusal("unreachable", f"{url}: the discovery document names no issuer")
    # Discovery §4.3: unless configured, the issuer is where the document was found.
    if not provider.option("issuer") and (
        url.rstrip("/") != issuer.rstrip("/") + "/.well-known/openid-configuration"
    ):
        raise Refusal("unreachable", f"{url}: issuer {issuer} does not match the address")
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(endpoint), str):
            raise Refusal("unreachable", f"{url}: the discovery document has no {endpoint}")
    with _CACHE_LOCK:
        _CACHE[url] = _Fetched(document, None, time.monotonic())
    return document


def key_set(provider: Provider, *, refresh: bool = False) -> KeySet:
    """The provider's signing keys (JWKS), fetched with the discovery document."""
    document = metadata(provider)
    url = provider.option("metadata_url")
    with _CACHE_LOCK:
        fetched = _CACHE.get(url)
        keys = fetched.keys if fetched is not None else None
    if keys is None or refresh:
        keys = _get_json(provider, document["jwks_uri"])
        with _CACHE_LOCK:
            if url in _CACHE:
                _CACHE[url].keys = keys
    try:
        return KeySet.import_key_set(keys)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise Refusal("unreachable", f"{document['jwks_uri']}: unusable keys: {error}") from error


def _algorithms(document: dict[str, Any]) -> list[str]:
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in offered if alg in ACCEPTED_ALGORITHMS]
    return algorithms or ["RS256"]


def verify_signature(provider: Provider, token: str) -> jwt.Token:
    """Decode ``token`` after checking its signature with the provider's keys (a key id
    casetrack does not know yet fetches the keys once more: the provider rotated them)."""
    document = metadata(provider)
    registry = JWSRegistry(algorithms=_algorithms(document))
    try:
        try:
            return jwt.decode(token, key_set(provider), registry=registry)
        except InvalidKeyIdError:
            return jwt.decode(token, key_set(provider, refresh=True), registry=registry)
    except (BadSignatureError, InvalidKeyIdError) as error:
        raise Refusal("bad_signature", str(error)) from error
    except (DecodeError, JoseError, ValueError) as error:
        raise Refusal("bad_signature", f"undecodable token: {error}") from error


def _claim_refusal(error: JoseError) -> Refusal:
    claim = getattr(error, "claim", "") or ""
    if isinstance(error, ExpiredTokenError) or claim in {"exp", "iat", "nbf"}:
        return Refusal("expired", str(error))
    if claim == "iss":
        return Refusal("wrong_issuer", str(error))
    if claim in {"aud", "azp"}:
        return Refusal("wrong_audience", str(error))
    if claim == "nonce":
        return Refusal("wrong_nonce", str(error))
    return Refusal("invalid_token", str(error))


def _leeway(provider: Provider) -> int:
    return int(provider.option("clock_skew_seconds", DEFAULT_LEEWAY))


# --- logging in -----------------------------------------------------------------------------


def _auth_method(provider: Provider) -> str:
    default = "private_key_jwt" if provider.option("client_private_key") else "client_secret_basic"
    return str(provider.option("token_endpoint_auth_method") or default)


def _certificate_thumbprint(provider: Provider) -> str | None:
    """``x5t#S256`` of the configured certificate: base64url SHA-256 of its DER."""
    pem = provider.option("client_certificate")
    if not pem:
        return None
    certificate = x509.load_pem_x509_certificate(str(pem).encode())
    digest = certificate.fingerprint(hashes.SHA256())
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _client(provider: Provider, token_endpoint: str | None = None) -> OAuth2Session:
    scope = str(provider.option("scope", DEFAULT_SCOPE))
    if "openid" not in scope.split():
        scope = f"openid {scope}"
    method = _auth_method(provider)
    private_key = method == "private_key_jwt"
    client = OAuth2Session(
        client_id=provider.option("client_id"),
        client_secret=provider.option("client_private_key" if private_key else "client_secret"),
        token_endpoint_auth_method=method,
        scope=scope,
        redirect_uri=url_for("oidc.callback", key=provider.key, _external=True),
        code_challenge_method="S256",
        default_timeout=_timeout(provider),
    )
    if private_key:
        thumbprint = _certificate_thumbprint(provider)
        client.register_client_auth_method(
            PrivateKeyJWT(
                token_endpoint,
                headers={"x5t#S256": thumbprint} if thumbprint else None,
                alg=str(provider.option("client_assertion_alg", "PS256")),
            )
        )
    return client


def _acr_values(provider: Provider) -> str | None:
    values = provider.option("acr_values")
    if isinstance(values, list):
        values = " ".join(str(value) for value in values)
    return values or None


def _refuse(provider: Provider, refusal: Refusal, *, step: str = "login") -> Response:
    """Audit the refusal (committed at once) and show it on the login page."""
    current_app.logger.warning("OIDC %s refused (%s): %s", provider.key, step, refusal)
    db.session.rollback()
    sessions.sso_refused(provider.key, refusal.code, step=step)
    db.session.commit()
    return sso.refused(message(provider, refusal.code))


def start(provider: Provider) -> Response:
    """Off to the provider: a fresh state, nonce and PKCE verifier for this login."""
    try:
        document = metadata(provider)
    except Refusal as refusal:
        return _refuse(provider, refusal)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 allows 43–128
    now = time.time()
    flows = {
        key: flow
        for key, flow in (session.get(FLOWS_KEY) or {}).items()
        if now - flow.get("at", 0) < FLOW_SECONDS
    }
    flows[state] = {"provider": provider.key, "nonce": nonce, "verifier": verifier, "at": now}
    session[FLOWS_KEY] = dict(sorted(flows.items(), key=lambda item: item[1]["at"])[-MAX_FLOWS:])
    extra = {"nonce": nonce}
    if _acr_values(provider):
        extra["acr_values"] = _acr_values(provider)
    if provider.option("prompt"):
        extra["prompt"] = provider.option("prompt")
    with _client(provider) as client:
        url, _ = client.create_authorization_url(
            document["authorization_endpoint"], state=state, code_verifier=verifier, **extra
        )
    return redirect(url)


def _take_flow(provider: Provider) -> dict[str, Any]:
    """The pending login this answer belongs to, removed from the session (used once)."""
    state = request.args.get("state") or ""
    flows = dict(session.get(FLOWS_KEY) or {})
    flow = flows.pop(state, None) if state else None
    session[FLOWS_KEY] = flows
    if flow is None or flow.get("provider") != provider.key:
        raise Refusal("unknown_state", "no pending login has this state")
    if time.time() - flow.get("at", 0) > FLOW_SECONDS:
        raise Refusal("flow_expired", "the pending login is older than ten minutes")
    return flow


def verify_id_token(provider: Provider, id_token: str, *, nonce: str, access_token: str | None):
    """The id token's claims after every check: signature, issuer, audience (and azp),
    nonce, exp/iat/nbf with the configured leeway, and at_hash."""
    document = metadata(provider)
    token = verify_signature(provider, id_token)
    client_id = provider.option("client_id")
    claims = CodeIDToken(
        token.claims,
        token.header,
        {
            "iss": {"essential": True, "value": expected_issuer(provider, document)},
            "aud": {"essential": True, "value": client_id},
            "nonce": {"essential": True, "value": nonce},
        },
        {"nonce": nonce, "client_id": client_id, "access_token": access_token},
    )
    try:
        claims.validate(leeway=_leeway(provider))
    except JoseError as error:
        raise _claim_refusal(error) from error
    return claims


def _string(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def claims_of(provider: Provider, claims: dict[str, Any], id_token: str) -> identity.Claims:
    """The verified id token's claims in casetrack's terms."""
    subject = _string(claims.get(provider.subject_claim))
    if subject is None:
        raise Refusal("invalid_token", f"no {provider.subject_claim} claim")
    names = claims.get("_claim_names")
    if isinstance(names, dict) and provider.groups_claim in names:
        # Entra ID's "groups overage": too many groups to put in the token.
        raise Refusal("groups_overage", "the groups claim was left out of the token")
    groups = claims.get(provider.groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        raise Refusal("invalid_token", f"{provider.groups_claim} is not a list")
    amr = claims.get("amr") or []
    result = identity.Claims(
        subject=subject,
        email=_string(claims.get(provider.email_claim)),
        name=_string(claims.get(provider.name_claim)),
        groups=frozenset(str(group) for group in groups if isinstance(group, str | int)),
        acr=_string(claims.get("acr")),
        amr=tuple(str(item) for item in amr if isinstance(item, str)),
        session_ref=_string(claims.get("sid")),
        id_token=id_token,
    )
    # What casetrack stores has room for 254–255 characters (no provider sends more).
    for name in ("subject", "email", "acr", "session_ref"):
        if len(getattr(result, name) or "") > 254:
            raise Refusal("invalid_token", f"{name} is longer than 254 characters")
    return result


def _answer(provider: Provider) -> identity.Claims:
    """Check the provider's answer to the authorization request and return who it vouches
    for, or raise Refusal."""
    flow = _take_flow(provider)
    if request.args.get("error"):
        raise Refusal("cancelled", str(request.args.get("error"))[:100])
    document = metadata(provider)
    issuer = request.args.get("iss")
    if issuer is not None and issuer != expected_issuer(provider, document):
        raise Refusal("wrong_issuer", "the iss parameter of the answer (RFC 9207)")
    if issuer is None and document.get("authorization_response_iss_parameter_supported"):
        raise Refusal("wrong_issuer", "the answer lacks the iss parameter (RFC 9207)")
    code = request.args.get("code")
    if not code:
        raise Refusal("invalid_token", "no code in the answer")
    try:
        with _client(provider, document["token_endpoint"]) as client:
            token = client.fetch_token(
                document["token_endpoint"], code=code, code_verifier=flow["verifier"]
            )
    except AuthlibBaseError as error:
        raise Refusal("code_refused", str(error)) from error
    except (requests.RequestException, ValueError) as error:
        raise Refusal("unreachable", f"token endpoint: {error}") from error
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise Refusal("invalid_token", "no id_token in the token response")
    claims = verify_id_token(
        provider, id_token, nonce=flow["nonce"], access_token=token.get("access_token")
    )
    return claims_of(provider, claims, id_token)


@bp.route("/logga-in/oidc/<key>/svar")
def callback(key: str):
    """The provider's answer: checked, then the person is logged in (or told why not)."""
    provider = sso.provider_or_404(key, "oidc")
    try:
        claims = _answer(provider)
    except Refusal as refusal:
        return _refuse(provider, refusal)
    try:
        identity.check_second_factor(provider, claims.acr, claims.amr)
    except DomainError as error:
        sessions.sso_refused(provider.key, "second_factor")
        db.session.commit()
        return sso.refused(error.message)
    return sso.finish_login(provider, claims)


# --- logging out ----------------------------------------------------------------------------


def logout_redirect(provider: Provider, sso_session: SsoSession) -> str | None:
    """RP-initiated logout: the provider's end_session_endpoint with the id token as hint
    and ``/logga-ut/klar`` to come back to (None when the provider has no such endpoint)."""
    try:
        endpoint = metadata(provider).get("end_session_endpoint")
    except Refusal as refusal:
        current_app.logger.warning("OIDC %s: no provider logout: %s", provider.key, refusal)
        return None
    if not isinstance(endpoint, str) or not endpoint:
        return None
    params = {
        "client_id": provider.option("client_id"),
        "post_logout_redirect_uri": url_for("sso.logged_out", _external=True),
    }
    if sso_session.id_token:
        params["id_token_hint"] = sso_session.id_token
    separator = "&" if "?" in endpoint else "?"
    return endpoint + separator + urlencode(params)


def verify_logout_token(provider: Provider, logout_token: str) -> dict[str, Any]:
    """A back-channel logout token's claims after the checks of Back-Channel Logout 1.0
    §2.6: signature, iss, aud, iat/exp, the logout event, sub or sid, no nonce, a jti."""
    document = metadata(provider)
    token = verify_signature(provider, logout_token)
    claims = token.claims
    registry = jwt.JWTClaimsRegistry(
        leeway=_leeway(provider),
        iss={"essential": True, "value": expected_issuer(provider, document)},
        aud={"essential": True, "value": provider.option("client_id")},
        iat={"essential": True},
        exp={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(claims)
    except (MissingClaimError, InvalidClaimError, JoseError) as error:
        raise _claim_refusal(error) from error
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise Refusal("invalid_token", "no back-channel logout event")
    if "nonce" in claims:
        raise Refusal("invalid_token", "a logout token must not carry a nonce")
    if not _string(claims.get("sub")) and not _string(claims.get("sid")):
        raise Refusal("invalid_token", "neither sub nor sid")
    return claims


def _logout_error(description: str) -> tuple[dict[str, str], int, dict[str, str]]:
    return (
        {"error": "invalid_request", "error_description": description},
        400,
        {"Cache-Control": "no-store"},
    )


@bp.route("/logga-ut/oidc/<key>/backchannel", methods=["POST"])
@csrf.exempt  # a server-to-server POST from the provider, authenticated by its signature
def backchannel_logout(key: str):
    """Back-Channel Logout 1.0: the provider ended a session; end casetrack's."""
    provider = sso.provider_or_404(key, "oidc")
    logout_token = request.form.get("logout_token")
    if not logout_token:
        return _logout_error("logout_token is missing")
    try:
        claims = verify_logout_token(provider, logout_token)
        try:
            expires = datetime.fromtimestamp(claims["exp"], UTC)
        except (OverflowError, OSError, ValueError) as error:
            raise Refusal("invalid_token", "exp out of range") from error
        if not identity.remember_once(
            f"oidc-logout:{provider.key}:{claims['jti']}",
            expires + timedelta(seconds=_leeway(provider)),
        ):
            raise Refusal("replayed", "this logout token was used before")
    except Refusal as refusal:
        current_app.logger.warning("OIDC %s back-channel logout refused: %s", key, refusal)
        db.session.rollback()
        sessions.sso_refused(provider.key, refusal.code, step="logout")
        db.session.commit()
        return _logout_error(str(refusal.code))
    identity.provider_logout(
        provider, subject=_string(claims.get("sub")), session_ref=_string(claims.get("sid"))
    )
    db.session.commit()
    return "", 200, {"Cache-Control": "no-store"}


@bp.route("/logga-ut/oidc/<key>/frontchannel")
def frontchannel_logout(key: str):
    """Front-Channel Logout 1.0, as Microsoft Entra ID does it: the provider loads this
    address in a hidden iframe with the provider session's ``sid`` (Entra sends no
    ``iss``; when one comes it must be this provider's). No cookie is needed (browsers
    send none into third-party iframes): the sid names the sessions to end."""
    provider = sso.provider_or_404(key, "oidc")
    sid = _string(request.args.get("sid"))
    issuer = request.args.get("iss")
    try:
        if sid is None:
            raise Refusal("invalid_token", "front-channel logout without sid")
        if issuer is not None and issuer != expected_issuer(provider, metadata(provider)):
            raise Refusal("wrong_issuer", "front-channel logout from another issuer")
    except Refusal as refusal:
        current_app.logger.warning("OIDC %s front-channel logout refused: %s", key, refusal)
        db.session.rollback()
        sessions.sso_refused(provider.key, refusal.code, step="logout")
        db.session.commit()
        return "", 400, {"Cache-Control": "no-store"}
    identity.provider_logout(provider, session_ref=sid)
    db.session.commit()
    response = Response("", 200, {"Cache-Control": "no-store"})
    origins = " ".join(_provider_origins([provider]))
    # The provider's page frames this answer; nothing else may.
    response.headers["Content-Security-Policy"] = f"default-src 'none'; frame-ancestors {origins}"
    return response


@bp.after_app_request
def allow_provider_logout(response: Response) -> Response:
    """The logout form's redirect goes on to the provider's end_session_endpoint; browsers
    apply the page's CSP form-action to that redirect, so the providers' origins are
    allowed there (and nowhere else)."""
    if request.endpoint == "oidc.frontchannel_logout":
        # Framed by the provider's page (its own frame-ancestors says by whom).
        response.headers.pop("X-Frame-Options", None)
        return response
    policy = response.headers.get("Content-Security-Policy")
    if not policy or "form-action 'self'" not in policy:
        return response
    origins = _provider_origins()
    if origins:
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", "form-action 'self' " + " ".join(origins), 1
        )
    return response


def _provider_origins(providers: tuple[Provider, ...] | list[Provider] | None = None) -> list[str]:
    origins: set[str] = set()
    for provider in sso.providers() if providers is None else providers:
        if provider.protocol != "oidc":
            continue
        urls = [provider.option("metadata_url")]
        with _CACHE_LOCK:
            fetched = _CACHE.get(provider.option("metadata_url") or "")
        if fetched is not None:
            urls.append(fetched.document.get("end_session_endpoint"))
        for url in urls:
            if isinstance(url, str) and url:
                parts = urlsplit(url)
                if parts.scheme in {"http", "https"} and parts.netloc:
                    origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


sso.register_protocol("oidc", sso.ProtocolHandler(start=start, logout_redirect=logout_redirect))
