"""Single sign-on: the login page's provider buttons, and what every protocol shares.

A protocol module (oidc.py, saml.py) registers itself with ``register_protocol``: how to
send the browser to the provider (``start``) and how to end the provider's session at
logout (``logout_redirect``). Its callback checks the provider's answer and calls
``finish_login`` with the claims, which provisions the account, syncs its roles, starts
the session and commits — or shows the refusal on the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.infra.identity_providers import Provider
from casetrack.models import SsoSession
from casetrack.services import identity
from casetrack.web.common.security import is_safe_next, mark_login

bp = Blueprint("sso", __name__)

# The session cookie holds the SsoSession's random key, never the provider's tokens.
SSO_KEY = "_sso"
# Where to go after the provider's answer (set before leaving for the provider).
NEXT_KEY = "_sso_next"


@dataclass(frozen=True)
class ProtocolHandler:
    start: Callable[[Provider], Response]
    # The URL that ends the provider's session (RP-initiated logout, SAML SLO), or None.
    logout_redirect: Callable[[Provider, SsoSession], str | None]


PROTOCOLS: dict[str, ProtocolHandler] = {}


def register_protocol(protocol: str, handler: ProtocolHandler) -> None:
    PROTOCOLS[protocol] = handler


def providers() -> tuple[Provider, ...]:
    return current_app.extensions["identity_providers"]


def provider_or_404(key: str, protocol: str | None = None) -> Provider:
    for provider in providers():
        if provider.key == key and (protocol is None or provider.protocol == protocol):
            return provider
    abort(404)


def refused(message: str) -> Response:
    """Back to the login page with the reason (nothing of the attempt is kept)."""
    session.pop(SSO_KEY, None)
    flash(message, "error")
    return redirect(url_for("auth.login"))


def finish_login(provider: Provider, claims: identity.Claims) -> Response:
    """Log in the person the provider vouched for (the protocol checks are done)."""
    next_url = session.pop(NEXT_KEY, None)
    try:
        user, key = identity.login(provider, claims)
    except DomainError as error:
        db.session.commit()  # the refusal's audit entry stays
        return refused(error.message)
    mark_login()  # a new session: nothing from before the login survives
    login_user(user)
    session[SSO_KEY] = key
    db.session.commit()
    return redirect(next_url if is_safe_next(next_url) else url_for("main.index"))


def logout_redirect() -> str | None:
    """At logout: end the provider session record and return where the browser goes to end
    the provider's own session (None: no provider session, or the protocol has no SLO)."""
    sso = identity.sso_session(session.get(SSO_KEY))
    if sso is None:
        return None
    identity.end_sso_session(sso)
    for provider in providers():
        if provider.key == sso.provider and provider.protocol in PROTOCOLS:
            return PROTOCOLS[provider.protocol].logout_redirect(provider, sso)
    return None


@bp.route("/logga-in/via/<key>")
def start(key: str):
    """ "Logga in med …": off to the provider (its module builds the request)."""
    provider = provider_or_404(key)
    handler = PROTOCOLS.get(provider.protocol)
    if handler is None:
        abort(404)
    next_url = request.args.get("next")
    session[NEXT_KEY] = next_url if is_safe_next(next_url) else None
    return handler.start(provider)


@bp.route("/logga-ut/klar")
def logged_out():
    """Where the provider sends the browser back after its own logout."""
    flash("Du är utloggad, även hos din organisations inloggning.", "info")
    return redirect(url_for("auth.login"))
