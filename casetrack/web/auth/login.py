"""Logging in and out, the second factor, and keeping an idle session alive.

Login is password first; accounts that need a second factor (admin always; the roles in
CASETRACK_MFA_ROLES, every account by default in production; or enrolled) then give a
TOTP code — or enrol at once — before the session is created. An account with a
registered security key may use it instead of the code (WebAuthn, services.security_keys).
Between the two steps the session holds only the pending user's id and session
generation, for a few minutes. Failed passwords, codes and keys are throttled per account
and per IP address (casetrack.infra.throttle).
"""

from __future__ import annotations

import time

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.infra import throttle
from casetrack.models import User
from casetrack.queries import accounts
from casetrack.services import mfa, security_keys, sessions, users
from casetrack.web.auth import sso
from casetrack.web.auth.forms import CodeForm, LoginForm, PostForm, SecurityKeyLoginForm
from casetrack.web.common.security import is_safe_next, mark_login

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Fel e-postadress eller lösenord."
LOCAL_LOGIN_OFF = (
    "Inloggning med lösenord är avstängd. Logga in med din organisations inloggning ovan."
)
LOCAL_LOGIN_ADMIN_ONLY = (
    "Lösenord används bara av administratörer här. Logga in med din organisations inloggning ovan."
)
PENDING_KEY = "_mfa_pending"
PENDING_SECONDS = 300
# The challenge of the open WebAuthn ceremony (base64url); its hash is on the account.
WEBAUTHN_CHALLENGE_KEY = "_webauthn_challenge"


def throttled_message(minutes: int) -> str:
    unit = "minut" if minutes == 1 else "minuter"
    return (
        "För många misslyckade försök. Av säkerhetsskäl är inloggningen spärrad en stund. "
        f"Vänta {minutes} {unit} och försök igen."
    )


def init_login_manager(login_manager: LoginManager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Logga in för att fortsätta."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """Accept a session only if its generation is current (logout revokes it)."""
        return _user_for_identity(session_id)


def _user_for_identity(identity: str | None) -> User | None:
    try:
        user_id, generation = (int(part) for part in (identity or "").split(":"))
    except ValueError:
        return None
    user = accounts.user(user_id)
    if user is None or not user.active or user.session_generation != generation:
        return None
    return user


def _pending_user(*, enrolled: bool) -> User | None:
    """The user who gave the right password and now owes a second factor, if any: one
    who has enrolled theirs (``enrolled``), or one who must enrol it now."""
    pending = session.get(PENDING_KEY) or {}
    if time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = _user_for_identity(pending.get("identity"))
    if user is None or (user.mfa_enabled_at is not None) != enrolled:
        return None
    return user


def _password_first():
    flash("Logga in med e-postadress och lösenord först.", "info")
    return redirect(url_for("auth.login"))


def _finish_login(user: User, next_url: str | None):
    """Rotate the session, log the user in, audit, commit, redirect."""
    mark_login()
    login_user(user)
    sessions.logged_in(user)
    db.session.commit()
    return redirect(next_url if is_safe_next(next_url) else url_for("main.index"))


def _audit_mfa(user: User, *, throttled: bool, step: str = "login") -> None:
    """A wrong or throttled second-factor code (audited and committed at once, K3-76)."""
    sessions.second_factor_refused(user, throttled=throttled, step=step)
    db.session.commit()


@bp.route("/logga-in", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    next_url = request.args.get("next")
    status = 200
    local = current_app.config["CASETRACK"]["LOCAL_LOGIN"]
    if local == "off" and request.method == "POST":
        form.validate()
        form.password.errors = [LOCAL_LOGIN_OFF]
        status = 403
    elif form.validate_on_submit():
        wait = throttle.blocked("login", form.email.data)
        user = None if wait else users.authenticate(form.email.data, form.password.data)
        if wait:
            sessions.login_refused(throttled=True)
            db.session.commit()
            form.password.errors.append(throttled_message(wait))
            status = 429
        elif user is None:
            throttle.failed("login", form.email.data)
            sessions.login_refused(throttled=False)
            db.session.commit()
            form.password.errors.append(LOGIN_FAILED)
        elif local == "admin" and not users.is_admin(user):
            db.session.rollback()
            sessions.login_refused(throttled=False)
            db.session.commit()
            form.password.errors.append(LOCAL_LOGIN_ADMIN_ONLY)
            status = 403
        else:
            throttle.succeeded("login", form.email.data)
            if not mfa.is_required(user, current_app.config["CASETRACK"]):
                return _finish_login(user, next_url)
            db.session.commit()  # a rehashed password, last_login_at
            session.clear()
            session[PENDING_KEY] = {"identity": user.get_id(), "at": time.time(), "next": next_url}
            target = "auth.second_factor" if user.mfa_enabled_at else "auth.enrol_second_factor"
            return redirect(url_for(target))
    if form.errors and status == 200:
        status = 422
    return render_template(
        "auth/login.html", form=form, providers=sso.providers(), local_login=local, next=next_url
    ), status


def relying_party() -> security_keys.RelyingParty:
    return security_keys.relying_party(current_app.config["CASETRACK"], request.host_url)


def _secret_unavailable():
    """The TOTP secret cannot be opened (no attachment key in production): say so."""
    db.session.rollback()
    session.pop(PENDING_KEY, None)
    flash(mfa.KEY_UNAVAILABLE, "error")
    return redirect(url_for("auth.login"))


def _render_second_factor(user: User, form: CodeForm, key_form: SecurityKeyLoginForm, status):
    """The code page; for an account with security keys also "Logga in med säkerhetsnyckel",
    with a fresh challenge (kept in the session and, hashed, on the account)."""
    key_options = None
    if security_keys.has_keys(user):
        key_options, challenge = security_keys.authentication_options(user, relying_party())
        session[WEBAUTHN_CHALLENGE_KEY] = challenge
        db.session.commit()
    return render_template(
        "auth/second_factor.html", form=form, key_form=key_form, key_options=key_options
    ), status


@bp.route("/logga-in/kod", methods=["GET", "POST"])
def second_factor():
    """Step two: the code from the authenticator app (or a security key, below)."""
    user = _pending_user(enrolled=True)
    if user is None:
        return _password_first()
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        wait = throttle.blocked("mfa", user.email)
        if wait:
            _audit_mfa(user, throttled=True)
            form.code.errors.append(throttled_message(wait))
            status = 429
        else:
            try:
                accepted = mfa.check_code(user, form.code.data)
            except mfa.SecretUnavailable:
                return _secret_unavailable()
            if accepted:
                throttle.succeeded("mfa", user.email)
                return _finish_login(user, session.get(PENDING_KEY, {}).get("next"))
            throttle.failed("mfa", user.email)
            _audit_mfa(user, throttled=False)
            form.code.errors.append(mfa.WRONG_CODE)
    if form.errors and status == 200:
        status = 422
    return _render_second_factor(user, form, SecurityKeyLoginForm(formdata=None), status)


@bp.route("/logga-in/sakerhetsnyckel", methods=["POST"])
def security_key_login():
    """Step two with a security key: the browser's signed answer to the challenge."""
    user = _pending_user(enrolled=True)
    if user is None:
        return _password_first()
    key_form = SecurityKeyLoginForm()
    status = 422
    if key_form.validate_on_submit():
        wait = throttle.blocked("mfa", user.email)
        if wait:
            key_form.credential.errors.append(throttled_message(wait))
            status = 429
        else:
            try:
                security_keys.verify_login(
                    user,
                    relying_party(),
                    credential_json=key_form.credential.data,
                    session_challenge=session.pop(WEBAUTHN_CHALLENGE_KEY, None),
                )
            except DomainError as error:
                throttle.failed("mfa", user.email)
                db.session.commit()  # the used challenge and the audit entry stay
                key_form.credential.errors.append(error.message)
            else:
                throttle.succeeded("mfa", user.email)
                return _finish_login(user, session.get(PENDING_KEY, {}).get("next"))
    else:
        key_form.credential.errors.append(security_keys.NO_RESPONSE)
    return _render_second_factor(user, CodeForm(formdata=None), key_form, status)


@bp.route("/logga-in/aktivera-tvastegsverifiering", methods=["GET", "POST"])
def enrol_second_factor():
    """First login of an account that must use a second factor: set up the app."""
    user = _pending_user(enrolled=False)
    if user is None:
        return _password_first()
    try:
        secret = mfa.secret_for_enrolment(user)
    except mfa.SecretUnavailable:
        return _secret_unavailable()
    db.session.commit()
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        wait = throttle.blocked("mfa", user.email)
        if wait:
            _audit_mfa(user, throttled=True, step="enrol")
            form.code.errors.append(throttled_message(wait))
            status = 429
        else:
            try:
                mfa.confirm_enrolment(user, form.code.data)
            except DomainError as error:
                db.session.rollback()
                throttle.failed("mfa", user.email)
                _audit_mfa(user, throttled=False, step="enrol")
                form.code.errors.append(error.message)
            else:
                flash("Tvåstegsverifiering är aktiverad för ditt konto.", "success")
                return _finish_login(user, session.get(PENDING_KEY, {}).get("next"))
    if form.errors and status == 200:
        status = 422
    uri = mfa.provisioning_uri(user, current_app.config["CASETRACK"]["MFA_ISSUER"])
    return render_template(
        "auth/enrol.html",
        form=form,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        uri=uri,
        qr=segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff"),
    ), status


@bp.route("/logga-ut", methods=["POST"])
@login_required
def logout():
    if not PostForm().validate_on_submit():
        return redirect(url_for("main.index"))
    user = current_user._get_current_object()
    sessions.logged_out(user)
    provider_logout = sso.logout_redirect()
    db.session.commit()
    logout_user()
    session.clear()
    if provider_logout:
        return redirect(provider_logout)
    flash("Du är utloggad.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/session/fortsatt", methods=["POST"])
@login_required
def keep_alive():
    """The "Fortsätt" button of the idle warning: a request renews the session cookie."""
    return "", 204
