"""SAML 2.0 single sign-on: casetrack as a service provider (AD FS, Inera's IdP for SITHS).

Built on python3-saml (OneLogin), which builds the AuthnRequest and LogoutRequest and
checks the IdP's answers (XML schema, signature with the IdP's certificate from its
metadata, issuer, audience, Destination/Recipient, Conditions, SubjectConfirmation).
This module adds what python3-saml leaves to its caller:

- InResponseTo must be the id of the AuthnRequest this browser sent (kept, signed, in a
  short-lived cookie of its own: the IdP's POST is cross-site, where the session cookie
  (SameSite=Lax) is not sent) — an unsolicited (IdP-initiated) response is refused;
- NotBefore/NotOnOrAfter of the Conditions with the provider's ``clock_skew`` (python3-
  saml allows a fixed 300 s; the SubjectConfirmation's NotOnOrAfter it checks strictly);
- replay: the assertion's ID is used once (``identity.remember_once``, kept until its
  NotOnOrAfter plus the skew);
- the AuthnContextClassRef against ``required_authn_context`` (``Provider.required_acr``).

Routes (``<key>`` is the provider's key):

- ``/saml/<key>/metadata``: the SP metadata (XML) to register casetrack at the IdP;
- ``/saml/<key>/acs``: Assertion Consumer Service (HTTP-POST, CSRF-exempt: the IdP posts);
- ``/saml/<key>/sls``: Single Logout Service (HTTP-Redirect): a LogoutRequest from the IdP
  (front-channel logout) ends the casetrack sessions of that SessionIndex / NameID and
  answers with a LogoutResponse; the LogoutResponse after our own SLO lands on
  ``sso.logged_out``;
- ``/saml/<key>/utloggning``: after casetrack's logout, the page that forwards the browser
  to the IdP with our LogoutRequest (see ``logout_redirect``).

Provider options (``[[provider]]`` tables with ``protocol = "saml"``; see
docs/operations/sso-saml.md):

``idp_metadata_file`` (read into ``idp_metadata``) or ``idp_metadata`` (XML text) or
``idp_metadata_url`` (fetched, kept ``idp_metadata_cache_seconds``, default 3600);
``idp_entity_id`` (which IdP, when the metadata holds several); ``sp_entity_id``
(default ``<BASE_URL>/saml/<key>/metadata``); ``sp_certificate_file`` /
``sp_private_key_file`` (sign AuthnRequests and logout messages; without them nothing is
signed); ``want_assertions_signed`` (default true); ``want_response_signed`` (default
false: AD FS signs only the assertion unless told otherwise); ``want_logout_signed``
(default true: a LogoutRequest/Response without signature is refused);
``requested_authn_context`` (list sent as RequestedAuthnContext; default the required
ones, none when nothing is required); ``requested_authn_context_comparison`` (default
``exact``; ``minimum`` for LoA ladders); ``name_id_format`` (default
``urn:oasis:names:tc:SAML:2.0:nameid-format:persistent``); ``force_authn`` (default
false); ``clock_skew`` (seconds, 0–300, default 60); ``request_lifetime`` (seconds a login
started here may take, default 600). Attribute names: ``subject_claim`` (empty: the
NameID), ``email_claim`` (``mail``), ``name_claim`` (``displayName``), ``groups_claim``
(``memberOf``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.errors import OneLogin_Saml2_Error, OneLogin_Saml2_ValidationError
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML
from werkzeug.wrappers import Response

from casetrack.domain.errors import DomainError
from casetrack.extensions import csrf, db
from casetrack.infra.identity_providers import Provider
from casetrack.models import SsoSession
from casetrack.services import identity, sessions
from casetrack.web.auth import sso

bp = Blueprint("saml", __name__, url_prefix="/saml")

REQUEST_COOKIE = "casetrack_saml_request"
DEFAULT_NAME_ID_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
MAX_CLOCK_SKEW = Constants.ALLOWED_CLOCK_DRIFT  # python3-saml's own limit (300 s)

# What the person reads on the login page ({provider}: the provider's name).
TRY_AGAIN = "Logga in igen. Händer det igen, kontakta IT-avdelningen."
MESSAGES = {
    "unavailable": (
        "Inloggningen via {provider} fungerar inte just nu: casetrack får inte kontakt med "
        "den. Försök igen om en stund, eller kontakta IT-avdelningen."
    ),
    "no_response": "Inget inloggningssvar kom från {provider}. " + TRY_AGAIN,
    "malformed": "Inloggningssvaret från {provider} gick inte att läsa. " + TRY_AGAIN,
    "unsolicited": (
        "Inloggningssvaret hör inte till någon inloggning som startades i den här "
        "webbläsaren, eller så tog inloggningen för lång tid. Börja om med "
        "”Logga in med {provider}”."
    ),
    "in_response_to": (
        "Inloggningssvaret hör till en annan inloggning än den du startade. Börja om med "
        "”Logga in med {provider}”."
    ),
    "signature": (
        "Inloggningssvaret kunde inte kontrolleras: det är inte korrekt underskrivet av "
        "{provider}, och kan ha ändrats på vägen. Inloggningen avbröts. " + TRY_AGAIN
    ),
    "unsigned": (
        "Inloggningssvaret från {provider} saknar underskrift, och casetrack godtar bara "
        "underskrivna svar. Inloggningen avbröts. Kontakta IT-avdelningen."
    ),
    "issuer": (
        "Inloggningssvaret kom inte från {provider} utan från någon annan. Inloggningen "
        "avbröts. " + TRY_AGAIN
    ),
    "audience": (
        "Inloggningssvaret från {provider} var avsett för en annan tjänst än casetrack. "
        "Inloggningen avbröts. " + TRY_AGAIN
    ),
    "destination": (
        "Inloggningssvaret från {provider} var skickat till en annan adress än casetracks. "
        "Inloggningen avbröts. " + TRY_AGAIN
    ),
    "expired": (
        "Inloggningssvaret från {provider} har gått ut (det kom för sent fram). Logga in igen."
    ),
    "too_early": (
        "Inloggningssvaret från {provider} gäller inte än: klockan hos casetrack och hos "
        "{provider} går olika. Kontakta IT-avdelningen."
    ),
    "replay": (
        "Inloggningssvaret har redan använts en gång och godtas inte igen. "
        "Logga in på nytt med ”Logga in med {provider}”."
    ),
    "idp_refused": (
        "{provider} godkände inte inloggningen (den avbröts, eller det sätt du loggade in "
        "på räcker inte). Logga in igen."
    ),
    "no_subject": "{provider} talade inte om vem som loggade in. Kontakta IT-avdelningen.",
    "second_factor": identity.NO_SECOND_FACTOR,
    "logout_invalid": (
        "Utloggningsmeddelandet från {provider} kunde inte kontrolleras och godtogs inte."
    ),
    "logout_failed": (
        "Du är utloggad ur casetrack, men {provider} bekräftade inte att du är utloggad "
        "där. Stäng webbläsaren för att vara säker."
    ),
}

VALIDATION_REASONS = {
    OneLogin_Saml2_ValidationError.STATUS_CODE_IS_NOT_SUCCESS: "idp_refused",
    OneLogin_Saml2_ValidationError.WRONG_INRESPONSETO: "in_response_to",
    OneLogin_Saml2_ValidationError.ASSERTION_TOO_EARLY: "too_early",
    OneLogin_Saml2_ValidationError.ASSERTION_EXPIRED: "expired",
    OneLogin_Saml2_ValidationError.SESSION_EXPIRED: "expired",
    OneLogin_Saml2_ValidationError.RESPONSE_EXPIRED: "expired",
    OneLogin_Saml2_ValidationError.WRONG_DESTINATION: "destination",
    OneLogin_Saml2_ValidationError.EMPTY_DESTINATION: "destination",
    OneLogin_Saml2_ValidationError.WRONG_AUDIENCE: "audience",
    OneLogin_Saml2_ValidationError.WRONG_ISSUER: "issuer",
    OneLogin_Saml2_ValidationError.ISSUER_MULTIPLE_IN_RESPONSE: "issuer",
    OneLogin_Saml2_ValidationError.ISSUER_NOT_FOUND_IN_ASSERTION: "issuer",
    OneLogin_Saml2_ValidationError.NO_SIGNED_MESSAGE: "unsigned",
    OneLogin_Saml2_ValidationError.NO_SIGNED_ASSERTION: "unsigned",
    OneLogin_Saml2_ValidationError.NO_SIGNATURE_FOUND: "unsigned",
    OneLogin_Saml2_ValidationError.INVALID_SIGNATURE: "signature",
    OneLogin_Saml2_ValidationError.WRONG_SIGNED_ELEMENT: "signature",
    OneLogin_Saml2_ValidationError.ID_NOT_FOUND_IN_SIGNED_ELEMENT: "signature",
    OneLogin_Saml2_ValidationError.DUPLICATED_ID_IN_SIGNED_ELEMENTS: "signature",
    OneLogin_Saml2_ValidationError.INVALID_SIGNED_ELEMENT: "signature",
    OneLogin_Saml2_ValidationError.DUPLICATED_REFERENCE_IN_SIGNED_ELEMENTS: "signature",
    OneLogin_Saml2_ValidationError.UNEXPECTED_SIGNED_ELEMENTS: "signature",
    OneLogin_Saml2_ValidationError.WRONG_NUMBER_OF_SIGNATURES_IN_RESPONSE: "signature",
    OneLogin_Saml2_ValidationError.WRONG_NUMBER_OF_SIGNATURES_IN_ASSERTION: "signature",
    OneLogin_Saml2_ValidationError.WRONG_NUMBER_OF_SIGNATURES: "signature",
    OneLogin_Saml2_ValidationError.DEPRECATED_SIGNATURE_METHOD: "signature",
    OneLogin_Saml2_ValidationError.DEPRECATED_DIGEST_METHOD: "signature",
    OneLogin_Saml2_ValidationError.NO_NAMEID: "no_subject",
    OneLogin_Saml2_ValidationError.EMPTY_NAMEID: "no_subject",
}


class Refusal(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def refuse(provider: Provider, reason: str, detail: str = "") -> Response:
    """Audit (``auth.sso_refused`` with the reason as its code; also a security event),
    commit it, and show the message. Nothing of the login was written; a used assertion
    id stays used (the replay guard)."""
    step = "logout" if reason.startswith("logout_") or request.endpoint == "saml.sls" else "login"
    sessions.sso_refused(provider.key, reason, step=step)
    db.session.commit()
    current_app.logger.info("SAML login via %s refused: %s %s", provider.key, reason, detail)
    return sso.refused(MESSAGES[reason].format(provider=provider.name))


# --- settings ----------------------------------------------------------------------------


def _base_url() -> str:
    return current_app.config["CASETRACK"]["BASE_URL"].rstrip("/")


def _url(endpoint: str, provider: Provider) -> str:
    return _base_url() + url_for(endpoint, key=provider.key)


def _seconds(provider: Provider, name: str, default: int, maximum: int | None = None) -> int:
    value = int(provider.option(name, default))
    if value < 0:
        value = 0
    return min(value, maximum) if maximum is not None else value


def _bool(provider: Provider, name: str, default: bool) -> bool:
    value = provider.option(name, default)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _list(value: Any) -> list[str]:
    if value is None or value is False:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


_METADATA_CACHE: dict[str, tuple[float, dict]] = {}


def _idp_settings(provider: Provider) -> dict:
    """The IdP's entity id, endpoints and certificates from its metadata."""
    entity_id = provider.option("idp_entity_id")
    xml = provider.option("idp_metadata")
    if xml:
        try:
            parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml, entity_id=entity_id)
        except Exception as exc:
            raise Refusal("unavailable", f"idp_metadata: {exc!r}") from exc
        if not parsed.get("idp"):
            raise Refusal("unavailable", "no IdP in idp_metadata")
        return {"idp": parsed["idp"]}
    url = provider.option("idp_metadata_url")
    if not url:
        raise Refusal("unavailable", "no idp_metadata or idp_metadata_url")
    cached = _METADATA_CACHE.get(url)
    lifetime = _seconds(provider, "idp_metadata_cache_seconds", 3600)
    if cached is not None and time.monotonic() - cached[0] < lifetime:
        return cached[1]
    try:
        xml = OneLogin_Saml2_IdPMetadataParser.get_metadata(url, timeout=10)
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml, entity_id=entity_id)
    except Exception as exc:  # network, TLS, XML: the IdP is unreachable for us
        raise Refusal("unavailable", f"metadata {url}: {exc}") from exc
    if not parsed.get("idp"):
        raise Refusal("unavailable", f"no IdP in the metadata at {url}")
    # Only the IdP's half: the metadata's first NameIDFormat (AD FS lists emailAddress
    # first) must not replace the format casetrack asks for.
    idp = {"idp": parsed["idp"]}
    _METADATA_CACHE[url] = (time.monotonic(), idp)
    return idp


def sp_settings(provider: Provider) -> dict:
    """The service provider's half of python3-saml's settings."""
    certificate = provider.option("sp_certificate") or ""
    private_key = provider.option("sp_private_key") or ""
    signing = bool(certificate and private_key)
    requested = provider.option("requested_authn_context")
    requested = _list(requested) if requested is not None else list(provider.required_acr)
    return {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": provider.option("sp_entity_id") or _url("saml.metadata", provider),
            "assertionConsumerService": {
                "url": _url("saml.acs", provider),
                "binding": Constants.BINDING_HTTP_POST,
            },
            "singleLogoutService": {
                "url": _url("saml.sls", provider),
                "binding": Constants.BINDING_HTTP_REDIRECT,
            },
            "NameIDFormat": provider.option("name_id_format", DEFAULT_NAME_ID_FORMAT),
            "x509cert": certificate,
            "privateKey": private_key,
        },
        "security": {
            "authnRequestsSigned": signing,
            "logoutRequestSigned": signing,
            "logoutResponseSigned": signing,
            "signMetadata": False,
            "wantAssertionsSigned": _bool(provider, "want_assertions_signed", True),
            "wantMessagesSigned": _bool(provider, "want_response_signed", False),
            "wantAssertionsEncrypted": False,
            "wantNameId": True,
            "wantAttributeStatement": False,
            "requestedAuthnContext": requested or False,
            "requestedAuthnContextComparison": provider.option(
                "requested_authn_context_comparison", "exact"
            ),
            # casetrack checks the class itself (identity.check_second_factor) for a clear
            # message; the IdP may answer a stronger one than requested.
            "failOnAuthnContextMismatch": False,
            "signatureAlgorithm": Constants.RSA_SHA256,
            "digestAlgorithm": Constants.SHA256,
            "rejectDeprecatedAlgorithm": True,
            "allowRepeatAttributeName": True,
        },
    }


def settings(provider: Provider) -> OneLogin_Saml2_Settings:
    data = OneLogin_Saml2_IdPMetadataParser.merge_settings(
        sp_settings(provider), _idp_settings(provider)
    )
    try:
        return OneLogin_Saml2_Settings(data)
    except OneLogin_Saml2_Error as exc:
        raise Refusal("unavailable", f"settings: {exc}") from exc


def request_data() -> dict:
    """The request as python3-saml sees it — at casetrack's public address (BASE_URL),
    so Destination and Recipient are checked against the URLs in our metadata."""
    base = urlsplit(_base_url())
    https = base.scheme == "https"
    return {
        "https": "on" if https else "off",
        "http_host": base.netloc,  # with the port when it is not the scheme's own
        "script_name": (base.path.rstrip("/") + request.path),
        "get_data": request.args.to_dict(),
        "post_data": request.form.to_dict(),
        # Redirect-binding signatures are checked over the query string as sent (AD FS
        # percent-encodes in lower case).
        "query_string": request.query_string.decode("latin-1"),
        "validate_signature_from_qs": True,
    }


def _auth(provider: Provider) -> OneLogin_Saml2_Auth:
    return OneLogin_Saml2_Auth(request_data(), old_settings=settings(provider))


# --- the pending AuthnRequest, bound to the browser ---------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="casetrack-saml-request")


def _cookie_path(provider: Provider) -> str:
    return url_for("saml.acs", key=provider.key)


def _pending_request(provider: Provider) -> str | None:
    """The id of the AuthnRequest this browser sent to ``provider``, if still fresh."""
    value = request.cookies.get(REQUEST_COOKIE)
    if not value:
        return None
    try:
        data = _serializer().loads(value, max_age=_seconds(provider, "request_lifetime", 600))
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("provider") != provider.key:
        return None
    return data.get("id")


def _forget_request(response: Response, provider: Provider) -> Response:
    response.delete_cookie(REQUEST_COOKIE, path=_cookie_path(provider))
    return response


# --- login -------------------------------------------------------------------------------


def start(provider: Provider) -> Response:
    """Off to the IdP with a (signed) AuthnRequest over HTTP-Redirect."""
    try:
        auth = _auth(provider)
        location = auth.login(
            return_to=provider.key,
            force_authn=_bool(provider, "force_authn", False),
        )
    except Refusal as refusal:
        return refuse(provider, refusal.reason, refusal.detail)
    except Exception as exc:  # python3-saml: settings it cannot use (a broken certificate)
        return refuse(provider, "unavailable", f"AuthnRequest: {exc!r}")
    response = redirect(location)
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    response.set_cookie(
        REQUEST_COOKIE,
        _serializer().dumps({"provider": provider.key, "id": auth.get_last_request_id()}),
        max_age=_seconds(provider, "request_lifetime", 600),
        path=_cookie_path(provider),
        httponly=True,
        secure=secure,
        # The IdP's answer is a cross-site POST: only SameSite=None cookies come with it
        # (browsers allow those only when Secure; plain http on loopback uses Lax).
        samesite="None" if secure else "Lax",
    )
    return response


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(OneLogin_Saml2_Utils.parse_SAML_to_time(value), UTC)


def _assertion_times(response: OneLogin_Saml2_Response) -> dict[str, datetime | None]:
    document = response.decrypted_document if response.encrypted else response.document
    conditions = OneLogin_Saml2_XML.query(document, "//saml:Assertion/saml:Conditions")
    confirmation = OneLogin_Saml2_XML.query(
        document,
        "//saml:Assertion/saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData",
    )
    return {
        "not_before": _parse_time(conditions[0].get("NotBefore")) if conditions else None,
        "not_on_or_after": _parse_time(conditions[0].get("NotOnOrAfter")) if conditions else None,
        "confirmation_until": (
            _parse_time(confirmation[0].get("NotOnOrAfter")) if confirmation else None
        ),
    }


def _check_response(provider: Provider, saml_settings, pending_id: str | None):
    """python3-saml's checks, then time with our skew, replay and InResponseTo."""
    encoded = request.form.get("SAMLResponse")
    if not encoded:
        raise Refusal("no_response")
    try:
        response = OneLogin_Saml2_Response(saml_settings, encoded)
    except Exception as exc:  # not base64, not XML, not SAML
        raise Refusal("malformed", str(exc)) from exc
    try:
        response.is_valid(request_data(), request_id=pending_id, raise_exceptions=True)
    except OneLogin_Saml2_ValidationError as exc:
        reason = VALIDATION_REASONS.get(exc.code, "malformed")
        if exc.code == OneLogin_Saml2_ValidationError.WRONG_SUBJECTCONFIRMATION:
            until = _assertion_times(response)["confirmation_until"]
            reason = "expired" if until and until <= datetime.now(UTC) else "destination"
        raise Refusal(reason, str(exc)) from exc
    except Exception as exc:
        raise Refusal("malformed", str(exc)) from exc
    # The checks below read a response whose signature has been verified.
    skew = timedelta(seconds=_seconds(provider, "clock_skew", 60, MAX_CLOCK_SKEW))
    now = datetime.now(UTC)
    times = _assertion_times(response)
    if times["not_before"] and times["not_before"] > now + skew:
        raise Refusal("too_early", f"NotBefore {times['not_before']}")
    until = min(
        (t for t in (times["not_on_or_after"], times["confirmation_until"]) if t),
        default=None,
    )
    if until is None:
        raise Refusal("malformed", "the assertion has no NotOnOrAfter")
    if until + skew <= now:
        raise Refusal("expired", f"NotOnOrAfter {until}")
    assertion_id = response.get_assertion_id()
    if not assertion_id:
        raise Refusal("malformed", "the assertion has no ID")
    replay_key = f"saml:{provider.key}:{assertion_id}"[:255]
    if not identity.remember_once(replay_key, until + skew):
        raise Refusal("replay", assertion_id)
    in_response_to = response.get_in_response_to()
    if pending_id is None or in_response_to is None:
        raise Refusal("unsolicited", f"InResponseTo {in_response_to}, pending {pending_id}")
    if in_response_to != pending_id:
        raise Refusal("in_response_to", f"{in_response_to} != {pending_id}")
    return response


def _first(attributes: dict[str, list[str]], name: str) -> str | None:
    values = [value for value in attributes.get(name, []) if value and value.strip()]
    return values[0].strip() if values else None


def claims_of(provider: Provider, response: OneLogin_Saml2_Response) -> identity.Claims:
    attributes = response.get_attributes()
    name_id = response.get_nameid()
    subject = _first(attributes, provider.subject_claim) if provider.subject_claim else name_id
    if not subject:
        raise Refusal("no_subject", provider.subject_claim or "NameID")
    contexts = response.get_authn_contexts()
    return identity.Claims(
        subject=subject,
        email=_first(attributes, provider.email_claim),
        name=_first(attributes, provider.name_claim),
        groups=frozenset(value for value in attributes.get(provider.groups_claim, []) if value),
        acr=contexts[0] if contexts else None,
        session_ref=response.get_session_index(),
        name_id=name_id,
        name_id_format=response.get_nameid_format(),
    )


@bp.route("/<key>/acs", methods=["POST"])
@csrf.exempt
def acs(key: str):
    """The IdP's answer (HTTP-POST): check it, then log the person in."""
    provider = sso.provider_or_404(key, "saml")
    pending_id = _pending_request(provider)
    try:
        saml_settings = settings(provider)
        response = _check_response(provider, saml_settings, pending_id)
        claims = claims_of(provider, response)
        identity.check_second_factor(provider, claims.acr, claims.amr)
    except Refusal as refusal:
        return _forget_request(refuse(provider, refusal.reason, refusal.detail), provider)
    except DomainError:
        return _forget_request(refuse(provider, "second_factor", "AuthnContextClassRef"), provider)
    except Exception as exc:  # anything else python3-saml raises on a strange answer
        return _forget_request(refuse(provider, "malformed", repr(exc)), provider)
    return _forget_request(sso.finish_login(provider, claims), provider)


# --- logout ------------------------------------------------------------------------------


def _logout_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="casetrack-saml-logout")


def logout_redirect(provider: Provider, sso_session: SsoSession) -> str | None:
    """Where the logout button leads: our own page that forwards to the IdP's SLO.

    Not a redirect straight to the IdP: the logout is a form POST, and the pages' CSP
    (``form-action 'self'``) forbids a form submission to end up at another origin. The
    page is a new document whose ``Refresh`` header goes on to the IdP. Its link carries
    the ended provider session's key, signed and valid for two minutes — not the NameID."""
    if not sso_session.name_id:
        return None
    token = _logout_serializer().dumps(sso_session.key)
    return url_for("saml.slo", key=provider.key, t=token)


def _logout_request_url(provider: Provider, sso_session: SsoSession) -> str | None:
    """A (signed) LogoutRequest to the IdP for this NameID and SessionIndex."""
    try:
        auth = _auth(provider)
        if not auth.get_slo_url():
            return None
        return auth.logout(
            return_to=_base_url() + url_for("sso.logged_out"),
            name_id=sso_session.name_id,
            session_index=sso_session.session_ref,
            name_id_format=sso_session.name_id_format,
        )
    except (Refusal, OneLogin_Saml2_Error) as exc:
        current_app.logger.warning("SAML logout via %s not sent to the IdP: %s", provider.key, exc)
        return None


@bp.route("/<key>/utloggning")
def slo(key: str):
    """After casetrack's logout: on to the IdP with a LogoutRequest (single logout)."""
    provider = sso.provider_or_404(key, "saml")
    try:
        sso_key = _logout_serializer().loads(request.args.get("t", ""), max_age=120)
    except BadSignature:
        sso_key = None
    sso_session = identity.sso_session(sso_key)
    location = None
    if (
        sso_session is not None
        and sso_session.provider == provider.key
        and sso_session.ended_at is not None  # only after casetrack's own logout
    ):
        location = _logout_request_url(provider, sso_session)
    if location is None:
        flash("Du är utloggad.", "info")
        return redirect(url_for("auth.login"))
    response = make_response(
        render_template("auth/saml_logout.html", provider=provider, location=location)
    )
    response.headers["Refresh"] = f"0; url={location}"
    return response


@bp.route("/<key>/sls")
def sls(key: str):
    """Single Logout Service (HTTP-Redirect)."""
    provider = sso.provider_or_404(key, "saml")
    if "SAMLRequest" not in request.args and "SAMLResponse" not in request.args:
        return refuse(provider, "logout_invalid", "no SAMLRequest or SAMLResponse")
    if _bool(provider, "want_logout_signed", True) and "Signature" not in request.args:
        return refuse(provider, "logout_invalid", "unsigned logout message")
    try:
        auth = _auth(provider)
    except Refusal as refusal:
        return refuse(provider, refusal.reason, refusal.detail)
    except Exception as exc:
        return refuse(provider, "unavailable", repr(exc))
    if "SAMLResponse" in request.args:
        return _logout_response(provider, auth)
    return _logout_request(provider, auth)


def _logout_response(provider: Provider, auth: OneLogin_Saml2_Auth) -> Response:
    """The IdP's answer to our LogoutRequest (the casetrack session ended before)."""
    try:
        auth.process_slo(keep_local_session=True)
    except Exception as exc:  # not base64, not XML, no binding python3-saml knows
        return refuse(provider, "logout_invalid", repr(exc))
    errors = auth.get_errors()
    if "logout_not_success" in errors:
        return refuse(provider, "logout_failed", auth.get_last_error_reason() or "")
    if errors:
        return refuse(provider, "logout_invalid", ", ".join(errors))
    return redirect(url_for("sso.logged_out"))


def _logout_request(provider: Provider, auth: OneLogin_Saml2_Auth) -> Response:
    """Front-channel logout: the IdP ended the person's session there; end ours."""
    ended: list[int] = []

    def end_sessions() -> None:
        xml = OneLogin_Saml2_Logout_Request(
            auth.get_settings(), request.args["SAMLRequest"]
        ).get_xml()
        name_id = OneLogin_Saml2_Logout_Request.get_nameid(xml)
        indexes = OneLogin_Saml2_Logout_Request.get_session_indexes(xml)
        subject = None if provider.subject_claim else name_id
        if indexes:
            for index in indexes:
                ended.append(identity.provider_logout(provider, subject=subject, session_ref=index))
        else:
            ended.append(identity.provider_logout(provider, subject=subject))

    try:
        location = auth.process_slo(delete_session_cb=end_sessions)
    except Exception as exc:
        return refuse(provider, "logout_invalid", str(exc))
    if auth.get_errors() or not location:
        return refuse(
            provider, "logout_invalid", auth.get_last_error_reason() or ",".join(auth.get_errors())
        )
    db.session.commit()
    current_app.logger.info("SAML front-channel logout via %s: %s", provider.key, sum(ended))
    return redirect(location)


# --- metadata ----------------------------------------------------------------------------


@bp.route("/<key>/metadata")
def metadata(key: str):
    """The SP metadata the IdP administrator imports (AD FS: "Import data … published
    online"; Inera: sent with the registration)."""
    provider = sso.provider_or_404(key, "saml")
    try:
        sp_only = OneLogin_Saml2_Settings(sp_settings(provider), sp_validation_only=True)
        xml = sp_only.get_sp_metadata()
        errors = sp_only.validate_metadata(xml)
    except Exception as exc:  # the SP certificate or key is not usable
        errors = [repr(exc)]
    if errors:
        current_app.logger.error("SAML SP metadata for %s invalid: %s", provider.key, errors)
        return Response(
            "casetracks SAML-metadata kunde inte skapas: kontrollera certifikatet och "
            "nyckeln i inställningarna (se programmets logg).",
            status=503,
            mimetype="text/plain",
        )
    return Response(xml, mimetype="application/samlmetadata+xml")


sso.register_protocol("saml", sso.ProtocolHandler(start=start, logout_redirect=logout_redirect))
