"""WebAuthn security keys and passkeys: a phishing-resistant second factor for admin
accounts (SECURITY.md K3-15), with the ``webauthn`` library (py_webauthn).

An admin who has logged in with a TOTP code registers a key on /konto/sakerhetsnyckel;
at later logins the key can be used instead of the code. The browser signs the server's
challenge together with the origin it is on, and the key's signature covers the relying
party ID, so a look-alike site cannot use what it captures.

A challenge is used once: the view keeps it in the session, and the account row keeps its
SHA-256 and when it was issued (the session is a signed cookie, which a client could send
again); the first answer clears it, right or wrong. Failures are audited. Nothing here
commits: a failed attempt is committed by the view so the used challenge and the audit
entry stay.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import User, WebAuthnCredential, utcnow
from casetrack.services.mail import notify_second_factor_changed

CHALLENGE_SECONDS = 300
TIMEOUT_MS = 120_000
MAX_NAME_LENGTH = 100
MAX_CREDENTIAL_JSON = 16_384

NOT_ADMIN = "Säkerhetsnycklar kan bara läggas till för administratörskonton."
EXPIRED = (
    "Tiden för att använda nyckeln gick ut, eller så användes sidan redan en gång. Försök igen."
)
NO_RESPONSE = (
    "Webbläsaren skickade inget svar från nyckeln. Försök igen och rör vid nyckeln när "
    "webbläsaren ber om det. Webbläsaren måste tillåta JavaScript."
)
REGISTRATION_FAILED = "Nyckeln kunde inte läggas till. Försök igen, eller använd en annan nyckel."
ALREADY_REGISTERED = "Den här nyckeln är redan registrerad."
LOGIN_FAILED = "Nyckeln godkändes inte. Försök igen, eller logga in med engångskoden från appen."


@dataclass(frozen=True)
class RelyingParty:
    """Who the keys belong to: the RP ID (a domain) and the origin the browser reports."""

    id: str
    origin: str
    name: str


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def relying_party(settings: Mapping[str, Any], request_url: str) -> RelyingParty:
    """The relying party from CASETRACK_WEBAUTHN_ORIGIN / _RP_ID; unset, from BASE_URL in
    production and from the request's own address in development and testing."""
    origin = settings.get("WEBAUTHN_ORIGIN")
    if not origin:
        origin = settings["BASE_URL"] if settings.get("ENV") == "production" else request_url
    origin = _origin_of(str(origin))
    rp_id = settings.get("WEBAUTHN_RP_ID") or urlsplit(origin).hostname or ""
    return RelyingParty(id=rp_id, origin=origin, name=settings.get("MFA_ISSUER") or "casetrack")


def configuration_problem(settings: Mapping[str, Any]) -> str | None:
    """What is wrong with the production relying party settings, or None (check-deploy)."""
    origin = str(settings.get("WEBAUTHN_ORIGIN") or settings.get("BASE_URL") or "")
    parts = urlsplit(origin)
    rp_id = settings.get("WEBAUTHN_RP_ID") or parts.hostname or ""
    if parts.scheme != "https" or not parts.hostname:
        return (
            f"Adressen {origin!r} är inte en https-adress. Säkerhetsnycklar och länkarna i "
            "e-posten behöver casetracks riktiga adress: sätt CASETRACK_BASE_URL (eller "
            "CASETRACK_WEBAUTHN_ORIGIN) till t.ex. https://casetrack.kommun.se."
        )
    try:
        ipaddress.ip_address(rp_id)
    except ValueError:
        pass
    else:
        return (
            f"CASETRACK_WEBAUTHN_RP_ID är en IP-adress ({rp_id}); webbläsarna kräver ett "
            "domännamn. Använd casetracks domännamn."
        )
    host = parts.hostname
    if host != rp_id and not host.endswith("." + rp_id):
        return (
            f"CASETRACK_WEBAUTHN_RP_ID ({rp_id}) måste vara värdnamnet i {origin} eller en "
            "domän ovanför det."
        )
    return None


def may_register(user: User) -> bool:
    """Only administrators register security keys (K3-15 asks for them for admins)."""
    return any(assignment.role == Role.ADMIN.value for assignment in user.role_assignments)


def keys_of(user: User) -> list[WebAuthnCredential]:
    return list(
        db.session.scalars(
            sa.select(WebAuthnCredential)
            .where(WebAuthnCredential.user_id == user.id)
            .order_by(WebAuthnCredential.created_at, WebAuthnCredential.id)
        )
    )


def has_keys(user: User) -> bool:
    query = sa.select(WebAuthnCredential.id).where(WebAuthnCredential.user_id == user.id)
    return db.session.scalar(query.limit(1)) is not None


def _descriptor(key: WebAuthnCredential) -> PublicKeyCredentialDescriptor:
    transports = []
    for value in filter(None, key.transports.split(",")):
        try:
            transports.append(AuthenticatorTransport(value))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(id=key.credential_id, transports=transports or None)


# --- the one open challenge --------------------------------------------------------------


def _digest(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


def _issue(user: User, challenge: bytes, now: datetime) -> str:
    user.webauthn_challenge_hash = _digest(challenge)
    user.webauthn_challenge_at = now
    return bytes_to_base64url(challenge)


def _take(user: User, session_challenge: str | None, now: datetime) -> bytes | None:
    """The challenge, if the session's matches the account's open one and is fresh.
    Clears the account's challenge either way: it is used once."""
    expected, issued = user.webauthn_challenge_hash, user.webauthn_challenge_at
    user.webauthn_challenge_hash = None
    user.webauthn_challenge_at = None
    if not session_challenge or expected is None or issued is None:
        return None
    try:
        challenge = base64url_to_bytes(session_challenge)
    except ValueError:
        return None
    if not hmac.compare_digest(_digest(challenge), expected):
        return None
    if now - issued > timedelta(seconds=CHALLENGE_SECONDS):
        return None
    return challenge


# --- registration ------------------------------------------------------------------------


def registration_options(
    user: User, rp: RelyingParty, *, now: datetime | None = None
) -> tuple[str, str]:
    """Options for navigator.credentials.create() as JSON, and the challenge (base64url)
    for the session. Replaces any open challenge of the account."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=f"casetrack-user-{user.id}".encode(),
        user_name=user.email,
        user_display_name=user.name,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.DISCOURAGED,
        ),
        exclude_credentials=[_descriptor(key) for key in keys_of(user)],
    )
    return options_to_json(options), _issue(user, options.challenge, now or utcnow())


def _registration_failed(user: User, message: str, field: str = "credential") -> DomainError:
    audit.record("user.webauthn_add_failed", entity_type="user", entity_id=user.id, actor=user)
    return DomainError(message, field)


def add_key(
    user: User,
    rp: RelyingParty,
    *,
    name: str,
    credential_json: str | None,
    session_challenge: str | None,
    now: datetime | None = None,
) -> WebAuthnCredential:
    """Verify the browser's answer to the registration challenge and store the key.

    Raises DomainError (with the field) and audits a failed attempt; the caller commits in
    either case, so the challenge stays used."""
    now = now or utcnow()
    if not may_register(user):
        raise DomainError(NOT_ADMIN)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Ge nyckeln ett namn, till exempel ”YubiKey på nyckelknippan”.", "name")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(f"Namnet får vara högst {MAX_NAME_LENGTH} tecken.", "name")
    challenge = _take(user, session_challenge, now)
    if challenge is None:
        raise _registration_failed(user, EXPIRED)
    if not credential_json or len(credential_json) > MAX_CREDENTIAL_JSON:
        raise _registration_failed(user, NO_RESPONSE)
    try:
        credential = parse_registration_credential_json(credential_json)
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise _registration_failed(user, REGISTRATION_FAILED) from error
    existing = db.session.scalar(
        sa.select(WebAuthnCredential.id).where(
            WebAuthnCredential.credential_id == verified.credential_id
        )
    )
    if existing is not None:
        raise _registration_failed(user, ALREADY_REGISTERED)
    transports = credential.response.transports or []
    key = WebAuthnCredential(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(transport.value for transport in transports),
        name=name,
        created_at=now,
    )
    db.session.add(key)
    db.session.flush()
    audit.record(
        "user.webauthn_added",
        entity_type="user",
        entity_id=user.id,
        actor=user,
        after={"webauthn_credential_id": key.id},
    )
    notify_second_factor_changed(user, f"Säkerhetsnyckeln ”{key.name}” har just lagts till.")
    return key


def remove_key(user: User, key_id: int) -> None:
    """Remove one of ``user``'s own keys (audited); another person's key is not found."""
    key = db.session.get(WebAuthnCredential, key_id)
    if key is None or key.user_id != user.id:
        raise DomainError("Nyckeln finns inte.")
    audit.record(
        "user.webauthn_removed",
        entity_type="user",
        entity_id=user.id,
        actor=user,
        before={"webauthn_credential_id": key.id},
    )
    notify_second_factor_changed(user, f"Säkerhetsnyckeln ”{key.name}” har just tagits bort.")
    db.session.delete(key)


def remove_all_keys(user: User) -> int:
    """Remove every key of ``user`` (an admin resetting the second factor); the count."""
    keys = keys_of(user)
    for key in keys:
        db.session.delete(key)
    return len(keys)


# --- login -------------------------------------------------------------------------------


def authentication_options(
    user: User, rp: RelyingParty, *, now: datetime | None = None
) -> tuple[str, str]:
    """Options for navigator.credentials.get() with the user's keys, as JSON, and the
    challenge (base64url) for the session."""
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=[_descriptor(key) for key in keys_of(user)],
        user_verification=UserVerificationRequirement.DISCOURAGED,
    )
    return options_to_json(options), _issue(user, options.challenge, now or utcnow())


def _login_failed(user: User) -> DomainError:
    audit.record("auth.webauthn_failed", entity_type="user", entity_id=user.id, actor=user)
    return DomainError(LOGIN_FAILED, "credential")


def verify_login(
    user: User,
    rp: RelyingParty,
    *,
    credential_json: str | None,
    session_challenge: str | None,
    now: datetime | None = None,
) -> WebAuthnCredential:
    """Check the browser's signed answer with one of ``user``'s keys; a signature counter
    that does not grow (a cloned key, a replay) is refused. Audited either way."""
    now = now or utcnow()
    challenge = _take(user, session_challenge, now)
    if challenge is None:
        audit.record("auth.webauthn_failed", entity_type="user", entity_id=user.id, actor=user)
        raise DomainError(EXPIRED, "credential")
    if not credential_json or len(credential_json) > MAX_CREDENTIAL_JSON:
        raise _login_failed(user)
    try:
        credential = parse_authentication_credential_json(credential_json)
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise _login_failed(user) from error
    key = db.session.scalar(
        sa.select(WebAuthnCredential).where(
            WebAuthnCredential.user_id == user.id,
            WebAuthnCredential.credential_id == credential.raw_id,
        )
    )
    if key is None:
        raise _login_failed(user)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise _login_failed(user) from error
    key.sign_count = verified.new_sign_count
    key.last_used_at = now
    audit.record(
        "auth.webauthn_login",
        entity_type="user",
        entity_id=user.id,
        actor=user,
        after={"webauthn_credential_id": key.id},
    )
    return key
