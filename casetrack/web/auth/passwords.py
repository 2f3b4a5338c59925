"""A person's own password and second factor (blueprint ``passwords``, issue 16).

- ``/konto/nytt-losenord?kod=<token>``: the page behind the e-mailed one-time link, where the
  person chooses their password (a new account, or a reset). Used once; then they log in
  as usual, second factor included where it is required.
- ``/konto/losenord``: "Byt lösenord" for the logged-in person: the current password and
  the new one twice. Every other session ends; this one goes on.
- ``/konto/tvastegsverifiering?kod=<token>``: the person confirms a second-factor reset an
  administrator asked for. Nothing happens on GET (mail scanners follow links): the
  button posts the confirmation.

The token is in the query string, which `casetrack serve` never logs (K3-81); the pages
are reachable without logging in; an unknown, used, replaced or expired
token gets a page that says so (410), and the refusal is audited.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from casetrack.extensions import db
from casetrack.services import account_links
from casetrack.web.auth.forms import PostForm
from casetrack.web.auth.password_forms import NEW_HINT, ChangePasswordForm, ChoosePasswordForm
from casetrack.web.common.submit import form_status, save

bp = Blueprint("passwords", __name__, url_prefix="/konto")


def _link_gone(reason: str):
    account_links.refused(reason)
    db.session.commit()
    return render_template("account/link_gone.html"), 410


def _end_login_here() -> None:
    """The link ended every session of the account; this browser is logged out too."""
    if current_user.is_authenticated:
        logout_user()
    session.clear()


def _token() -> str:
    return request.args.get("kod", "")


@bp.route("/nytt-losenord", methods=["GET", "POST"])
def choose_password():
    token = _token()
    link = account_links.password_link(token)
    if link is None:
        return _link_gone("password")
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        saved = save(
            form,
            lambda: account_links.set_password_with_link(token, form.password.data),
            default_field="password",
        )
        if isinstance(saved.error, account_links.LinkInvalid):
            return _link_gone("password")
        if saved:
            _end_login_here()
            flash("Ditt lösenord är sparat. Logga in med det.", "success")
            return redirect(url_for("auth.login"))
    return render_template(
        "account/choose_password.html", form=form, user=link.user, hint=NEW_HINT
    ), form_status(form)


@bp.route("/losenord", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()

        def change():
            account_links.change_password(user, form.current_password.data, form.new_password.data)
            db.session.flush()
            db.session.refresh(user, ["session_generation"])

        if save(form, change, default_field="new_password"):
            login_user(user)  # this session, under the new generation; the others end
            flash("Ditt lösenord är bytt. Du är utloggad överallt utom här.", "success")
            return redirect(url_for("main.index"))
    return render_template("account/change_password.html", form=form, hint=NEW_HINT), form_status(
        form
    )


@bp.route("/tvastegsverifiering", methods=["GET", "POST"])
def confirm_mfa_reset():
    token = _token()
    link = account_links.mfa_reset_link(token)
    if link is None:
        return _link_gone("mfa_reset")
    form = PostForm()
    if form.validate_on_submit():
        try:
            account_links.confirm_mfa_reset(token)
        except account_links.LinkInvalid:
            db.session.rollback()
            return _link_gone("mfa_reset")
        db.session.commit()
        _end_login_here()
        flash("Tvåstegsverifieringen är återställd. Logga in och aktivera den på nytt.", "success")
        return redirect(url_for("auth.login"))
    return render_template("account/confirm_mfa_reset.html", form=form, user=link.user)
