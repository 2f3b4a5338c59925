"""A person's own password and second factor, through one-time links (issue 16).

Administrators never learn or set a password that a person will use, and cannot take
over a second factor alone:

- A new account has no usable password. The person gets an e-mail with a one-time link
  (valid ``NEW_ACCOUNT_HOURS``) and chooses their own password; "Skicka länk för nytt
  lösenord" sends a new one (valid ``RESET_HOURS``). The old password keeps working until
  the person has chosen a new one, so the button cannot lock anyone out.
- Resetting the second factor is a request: nothing changes until the person confirms by
  the e-mailed link, or a *different* administrator approves it on the account page
  (valid ``MFA_RESET_HOURS``).
- Logged in, a person changes their password with the current one ("Byt lösenord").

Only the SHA-256 of a token is stored; the token is only in the e-mail, and no page shows
it (one exception: ``casetrack init`` shows the first administrator's link on its console,
``first_administrator_link``). A link is used once: its state leaves ``open`` in one
compare-and-set UPDATE, so two tabs (or two administrators) cannot both use it. A new
link of the same purpose replaces the older ones. The person is told by e-mail whenever
their password or second factor is reset or changed. Every step is audited (``user.*``,
and so in the security log).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.infra.passwords import hash_password, verify_password
from casetrack.models import AccountLink, User, utcnow
from casetrack.services import security_keys, users
from casetrack.services.mail import NOT_YOU, notify_person

NEW_ACCOUNT_HOURS = 72
RESET_HOURS = 24
MFA_RESET_HOURS = 24
# The token travels in the query string: `casetrack serve` logs paths only (K3-81).
CHOOSE_LINK_PATH = "/konto/nytt-losenord?kod="
CONFIRM_MFA_RESET_PATH = "/konto/tvastegsverifiering?kod="

LINK_INVALID = (
    "Länken fungerar inte längre. Den kan redan ha använts, ha ersatts av en nyare länk "
    "eller ha gått ut."
)
NOTHING_TO_APPROVE = (
    "Det finns ingen begäran att godkänna. Den kan redan vara genomförd eller ha gått ut."
)
OWN_REQUEST = (
    "Du kan inte godkänna din egen begäran. En annan systemadministratör måste godkänna "
    "den, eller personen själv bekräfta via länken i e-posten."
)


class LinkInvalid(DomainError):
    """The token is unknown, used, replaced or expired (or the account is inactive)."""

    def __init__(self) -> None:
        super().__init__(LINK_INVALID)


class SelfApproval(DomainError):
    """The administrator who asked for a second-factor reset tried to approve it."""

    def __init__(self) -> None:
        super().__init__(OWN_REQUEST)


def record_self_approval_refused(approver: User, user: User) -> None:
    """Audit (and so security-log) a refused self-approval; the caller commits it."""
    audit.record(
        "user.mfa_reset_self_approval_refused", entity_type="user", entity_id=user.id,
        actor=approver,
    )  # fmt: skip


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _url(path: str) -> str:
    return current_app.config["CASETRACK"]["BASE_URL"].rstrip("/") + path


def _issue(
    user: User, purpose: str, hours: int, requested_by: User | None, now: datetime
) -> tuple[str, AccountLink]:
    """A fresh token for ``user``; older open links of the same purpose stop working."""
    db.session.execute(
        sa.update(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == purpose,
            AccountLink.state == "open",
        )
        .values(state="replaced", ended_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(32)
    link = AccountLink(
        user_id=user.id,
        purpose=purpose,
        token_hash=_hash(token),
        state="open",
        created_at=now,
        expires_at=now + timedelta(hours=hours),
        requested_by_id=requested_by.id if requested_by else None,
    )
    db.session.add(link)
    db.session.flush()
    return token, link


def _valid(token: str, purpose: str, now: datetime) -> AccountLink | None:
    if not token or len(token) > 100:
        return None
    link = db.session.scalars(
        sa.select(AccountLink).where(
            AccountLink.token_hash == _hash(token), AccountLink.purpose == purpose
        )
    ).one_or_none()
    if link is None or link.state != "open" or link.expires_at <= now or not link.user.active:
        return None
    return link


def _consume(link: AccountLink, state: str, now: datetime, *, not_by: int | None = None) -> bool:
    """Close an open, unexpired link: True for the one caller whose UPDATE took it."""
    conditions = [
        AccountLink.id == link.id,
        AccountLink.state == "open",
        AccountLink.expires_at > now,
    ]
    if not_by is not None:
        conditions.append(
            sa.or_(AccountLink.requested_by_id.is_(None), AccountLink.requested_by_id != not_by)
        )
    values = {"state": state, "ended_at": now}
    if state == "approved":
        values["ended_by_id"] = not_by
    result = db.session.execute(
        sa.update(AccountLink)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# --- lookups for the pages ----------------------------------------------------------------


def password_link(token: str, now: datetime | None = None) -> AccountLink | None:
    """The open, unexpired password link with this token, or None."""
    return _valid(token, "password", now or utcnow())


def mfa_reset_link(token: str, now: datetime | None = None) -> AccountLink | None:
    return _valid(token, "mfa_reset", now or utcnow())


def pending_mfa_reset(user: User, now: datetime | None = None) -> AccountLink | None:
    """The open second-factor reset request for ``user``, if any (for the account page)."""
    return db.session.scalars(
        sa.select(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == "mfa_reset",
            AccountLink.state == "open",
            AccountLink.expires_at > (now or utcnow()),
        )
        .order_by(AccountLink.id.desc())
    ).first()


def refused(reason: str) -> None:
    """A link that did not work (unknown, used, expired): audited, so security-logged."""
    audit.record(
        "auth.account_link_refused",
        entity_type="user",
        entity_id=None,
        actor=None,
        actor_label="engångslänk",
        after={"step": reason},
    )


# --- passwords ----------------------------------------------------------------------------


def send_password_link(
    actor: User | None,
    user: User,
    *,
    new_account: bool = False,
    actor_label: str | None = None,
    now: datetime | None = None,
) -> None:
    """E-mail ``user`` a one-time link to choose a password. The caller never sees it."""
    now = now or utcnow()
    if not user.active:
        raise DomainError(
            f"Kontot för {user.name} är inaktiverat. Aktivera det först, om personen ska "
            "kunna logga in."
        )
    hours = NEW_ACCOUNT_HOURS if new_account else RESET_HOURS
    token, _link = _issue(user, "password", hours, actor, now)
    url = _url(CHOOSE_LINK_PATH + token)
    if new_account:
        subject = "Välj ditt lösenord till casetrack"
        text = (
            "Ett konto i casetrack har skapats åt dig. Välj ditt eget lösenord med länken "
            f"nedan. Den fungerar en gång och i {hours} timmar.\n\n{url}\n\n"
            "Ingen annan, inte heller en administratör, känner till ditt lösenord. Dela det "
            "inte med någon."
        )
    else:
        subject = "Länk för nytt lösenord till casetrack"
        text = (
            "En systemadministratör har skickat dig en länk för att välja ett nytt lösenord "
            f"till casetrack. Den fungerar en gång och i {hours} timmar.\n\n{url}\n\n"
            + (
                "Ditt nuvarande lösenord fungerar tills du har valt ett nytt. "
                if users.has_password(user)
                else ""
            )
            + "Om du inte har bett om ett nytt lösenord kan du strunta i meddelandet. "
            + NOT_YOU
        )
    notify_person(user, "password_link", subject, text)
    audit.record(
        "user.password_link_sent",
        entity_type="user",
        entity_id=user.id,
        actor=actor,
        actor_label=actor_label,
        after={"new_account": new_account, "valid_hours": hours},
        occurred_at=now,
    )


def first_administrator_link(user: User, *, actor_label: str, now: datetime | None = None) -> str:
    """The one-time link for the first administrator of a new installation, returned to
    be shown on the console of ``casetrack init`` (audited like an e-mailed link).

    The one exception to "the token is only in the e-mail": on a new installation e-mail
    may not be set up yet, and whoever runs ``init`` holds the database and the server
    already. The link works once, for ``NEW_ACCOUNT_HOURS``; the second factor is still
    enrolled at the first login."""
    now = now or utcnow()
    token, _link = _issue(user, "password", NEW_ACCOUNT_HOURS, None, now)
    audit.record(
        "user.password_link_sent",
        entity_type="user",
        entity_id=user.id,
        actor=None,
        actor_label=actor_label,
        after={"new_account": True, "valid_hours": NEW_ACCOUNT_HOURS, "shown_on": "console"},
        occurred_at=now,
    )
    return _url(CHOOSE_LINK_PATH + token)


def set_password_with_link(token: str, password: str, now: datetime | None = None) -> User:
    """The person chooses a password through their link: checked against the policy, the
    link used once, every session ended, the person told by e-mail. Audited."""
    now = now or utcnow()
    link = _valid(token, "password", now)
    if link is None:
        raise LinkInvalid()
    user = link.user
    users.check_password_policy(password, email=user.email, name=user.name)
    if not _consume(link, "used", now):
        raise LinkInvalid()
    first = not users.has_password(user)
    user.password_hash = hash_password(password)
    users.end_all_sessions(user)
    audit.record(
        "user.password_set",
        entity_type="user",
        entity_id=user.id,
        actor=user,
        after={"via": "link", "first": first},
        occurred_at=now,
    )
    if not first:
        notify_person(
            user,
            "password_changed",
            "Ditt lösenord till casetrack är ändrat",
            "Ditt lösenord till casetrack har just ändrats med en länk för nytt lösenord, "
            "och alla inloggningar med det gamla har avslutats. " + NOT_YOU,
        )
    return user


def change_password(user: User, current: str, new: str, now: datetime | None = None) -> None:
    """Byt lösenord: the current password, then a new one that meets the policy. Ends
    every session (the caller logs the current one in again), replaces open password
    links and tells the person by e-mail. Audited."""
    now = now or utcnow()
    if not verify_password(user.password_hash, current):
        raise DomainError("Det nuvarande lösenordet stämmer inte.", "current_password")
    if new == current:
        raise DomainError("Välj ett nytt lösenord, inte samma som nu.", "new_password")
    try:
        users.check_password_policy(new, email=user.email, name=user.name)
    except DomainError as error:
        raise DomainError(error.message, "new_password") from error
    user.password_hash = hash_password(new)
    users.end_all_sessions(user)
    db.session.execute(
        sa.update(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.purpose == "password",
            AccountLink.state == "open",
        )
        .values(state="replaced", ended_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        "user.password_changed", entity_type="user", entity_id=user.id, actor=user,
        after={"other_sessions_ended": True}, occurred_at=now,
    )  # fmt: skip
    notify_person(
        user,
        "password_changed",
        "Ditt lösenord till casetrack är ändrat",
        "Du har just bytt lösenord i casetrack. Dina andra inloggningar har avslutats. " + NOT_YOU,
    )


# --- the second factor --------------------------------------------------------------------


def has_second_factor(user: User) -> bool:
    return bool(user.mfa_secret) or security_keys.has_keys(user)


def request_mfa_reset(
    actor: User | None, user: User, *, actor_label: str | None = None, now: datetime | None = None
) -> None:
    """Ask for ``user``'s second factor to be reset: nothing changes yet. The person gets
    a link to confirm; a different administrator may approve instead. Audited."""
    now = now or utcnow()
    if not has_second_factor(user):
        raise DomainError(f"{user.name} har ingen tvåstegsverifiering att återställa.")
    if not user.active:
        raise DomainError(f"Kontot för {user.name} är inaktiverat.")
    token, _link = _issue(user, "mfa_reset", MFA_RESET_HOURS, actor, now)
    who = f"Systemadministratören {actor.name}" if actor else "Systemförvaltningen"
    notify_person(
        user,
        "mfa_reset_link",
        "Bekräfta att din tvåstegsverifiering i casetrack återställs",
        f"{who} har begärt att tvåstegsverifieringen för ditt konto i casetrack återställs, "
        "till exempel för att du har bytt eller tappat bort telefonen. Inget ändras förrän "
        "du bekräftar med länken nedan, eller en annan systemadministratör godkänner. "
        f"Länken fungerar en gång och i {MFA_RESET_HOURS} timmar.\n\n"
        f"{_url(CONFIRM_MFA_RESET_PATH + token)}\n\n"
        "Efter återställningen aktiverar du tvåstegsverifieringen på nytt nästa gång du "
        "loggar in. Om du inte har bett om det här: följ inte länken. " + NOT_YOU,
    )
    audit.record(
        "user.mfa_reset_requested",
        entity_type="user",
        entity_id=user.id,
        actor=actor,
        actor_label=actor_label,
        after={"valid_hours": MFA_RESET_HOURS},
        occurred_at=now,
    )


def approve_mfa_reset(approver: User, user: User, now: datetime | None = None) -> None:
    """The second administrator approves a pending request (never the one who asked)."""
    now = now or utcnow()
    link = pending_mfa_reset(user, now)
    if link is None:
        raise DomainError(NOTHING_TO_APPROVE)
    if link.requested_by_id == approver.id:
        raise SelfApproval()
    if not _consume(link, "approved", now, not_by=approver.id):
        raise DomainError(NOTHING_TO_APPROVE)
    _reset_second_factor(user, approver, now, how="approved", requested_by_id=link.requested_by_id)


def confirm_mfa_reset(token: str, now: datetime | None = None) -> User:
    """The person confirms the reset with the e-mailed link."""
    now = now or utcnow()
    link = _valid(token, "mfa_reset", now)
    if link is None or not _consume(link, "used", now):
        raise LinkInvalid()
    _reset_second_factor(
        link.user, link.user, now, how="confirmed", requested_by_id=link.requested_by_id
    )
    return link.user


def _reset_second_factor(
    user: User, actor: User, now: datetime, *, how: str, requested_by_id: int | None
) -> None:
    """Remove the TOTP app and any security keys; the person enrols again at next login."""
    had_factor = user.mfa_enabled_at is not None
    user.mfa_secret = None
    user.mfa_enabled_at = None
    user.mfa_last_step = None
    removed_keys = security_keys.remove_all_keys(user)
    users.end_all_sessions(user)
    audit.record(
        "user.mfa_reset",
        entity_type="user",
        entity_id=user.id,
        actor=actor,
        before={"mfa": had_factor, "webauthn_keys": removed_keys},
        after={"mfa": False, "webauthn_keys": 0, "how": how, "requested_by": requested_by_id},
        occurred_at=now,
    )
    notify_person(
        user,
        "mfa_reset_done",
        "Din tvåstegsverifiering i casetrack är återställd",
        "Tvåstegsverifieringen för ditt konto i casetrack är återställd"
        + (" efter din bekräftelse" if how == "confirmed" else " av två systemadministratörer")
        + ", och alla dina inloggningar har avslutats. Du aktiverar den på nytt nästa gång du "
        "loggar in. " + NOT_YOU,
    )
