"""Logging in and out (issue #2 §6)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from casetrack import audit
from casetrack.extensions import db
from casetrack.models import User
from casetrack.services import users
from casetrack.web.security import is_safe_next, mark_login

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "Fel e-postadress eller lösenord."


class LoginForm(FlaskForm):
    email = EmailField(
        "E-postadress",
        validators=[
            DataRequired("Ange din e-postadress."),
            Length(max=254, message="E-postadressen får vara högst 254 tecken."),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Lösenord",
        validators=[
            DataRequired("Ange ditt lösenord."),
            Length(
                max=users.MAX_PASSWORD_LENGTH,
                message=f"Lösenordet får vara högst {users.MAX_PASSWORD_LENGTH} tecken.",
            ),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class LogoutForm(FlaskForm):
    """POST-only form for the logout button (CSRF protected)."""


def init_login_manager(login_manager: LoginManager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Logga in för att fortsätta."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """Accept a session only if its generation is current (logout revokes it)."""
        try:
            user_id, generation = (int(part) for part in session_id.split(":"))
        except ValueError:
            return None
        user = db.session.get(User, user_id)
        if user is None or not user.active or user.session_generation != generation:
            return None
        return user


@bp.route("/logga-in", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is None:
            audit.record(
                "auth.login_failed",
                entity_type="user",
                entity_id=None,
                actor=None,
                actor_label="inloggning",
            )
            db.session.commit()
            form.password.errors.append(LOGIN_FAILED)
        else:
            mark_login()
            login_user(user)
            audit.record("auth.login", entity_type="user", entity_id=user.id, actor=user)
            db.session.commit()
            return redirect(next_url if is_safe_next(next_url) else url_for("main.index"))
    status = 200 if not form.errors else 422
    return render_template("auth/login.html", form=form), status


@bp.route("/logga-ut", methods=["POST"])
@login_required
def logout():
    if not LogoutForm().validate_on_submit():
        return redirect(url_for("main.index"))
    user = current_user._get_current_object()
    users.end_all_sessions(user)
    audit.record("auth.logout", entity_type="user", entity_id=user.id, actor=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("Du är utloggad.", "info")
    return redirect(url_for("auth.login"))
