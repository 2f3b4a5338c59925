"""Proving who you are, as audited events: a staff login, its refusals and the logout
(K3-76), and the public's follow of a case with its reference and receipt code.

Like every service this writes the audit entry and never commits; the view commits (a
refused attempt at once, so that it stays even when the request then fails)."""

from __future__ import annotations

from casetrack import audit
from casetrack.domain.case_numbers import REFERENCE_PATTERN
from casetrack.models import User
from casetrack.queries import pages
from casetrack.services import users
from casetrack.services.identity import SSO_ACTOR
from casetrack.services.intake import PUBLIC_ACTOR

LOGIN_ACTOR = "inloggning"  # the actor of a refused login: no account is known


def logged_in(user: User) -> None:
    audit.record("auth.login", entity_type="user", entity_id=user.id, actor=user)


def login_refused(*, throttled: bool) -> None:
    """A wrong password or unknown address, or a login while the address is throttled
    (the entry names no account: which one was tried is not known to be real)."""
    audit.record(
        "auth.login_throttled" if throttled else "auth.login_failed",
        entity_type="user", entity_id=None, actor=None, actor_label=LOGIN_ACTOR,
    )  # fmt: skip


def second_factor_refused(user: User, *, throttled: bool, step: str = "login") -> None:
    """A wrong second-factor code, or one while throttled (``step``: login or enrol)."""
    audit.record(
        "auth.mfa_throttled" if throttled else "auth.mfa_failed",
        entity_type="user", entity_id=user.id, actor=user, after={"step": step},
    )  # fmt: skip


def logged_out(user: User) -> None:
    """End every session of ``user`` (the logout is for all of them)."""
    users.end_all_sessions(user)
    audit.record("auth.logout", entity_type="user", entity_id=user.id, actor=user)


def follow_refused(action: str, reference: str) -> None:
    """A wrong or refused attempt to follow a case: the case it names, if any, and the
    client address (the audit entry's); never the code that was typed."""
    # Only a well-formed reference is looked up (a typed NUL must never reach the database).
    case_id = (
        pages.case_id_by_reference(reference) if REFERENCE_PATTERN.fullmatch(reference) else None
    )
    audit.record(
        action, entity_type="case", entity_id=case_id, actor=None, actor_label=PUBLIC_ACTOR
    )


def access_refused(
    user: User, event: str, *, entity_type: str | None, entity_id: int | None, status: int
) -> None:
    """A logged-in user was refused a page or an action (K3-76): which one, and how."""
    audit.record(
        event, entity_type=entity_type, entity_id=entity_id, actor=user, after={"status": status}
    )


def sso_refused(provider_key: str, code: str, *, step: str = "login") -> None:
    """A provider's answer was refused before anyone was logged in or out (a bad
    signature, a wrong issuer or audience, an expired or replayed message, a login
    without the required second factor): which provider, and why as a short code
    (``step``: login, or logout for a back-channel logout token)."""
    audit.record(
        "auth.sso_refused",
        entity_type="user", entity_id=None, actor=None,
        actor_label=SSO_ACTOR.format(provider=provider_key),
        after={"provider": provider_key, "code": code, "step": step},
    )  # fmt: skip
