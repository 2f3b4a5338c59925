"""The logged-in person's own account: security keys for administrators (blueprint
``account``, SECURITY.md K3-15).

Only administrators reach these pages (everyone else gets 404, as for any page they may
not see): they are the accounts that are offered a phishing-resistant second factor.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user

from casetrack.access.guard import guard_blueprint
from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.services import security_keys
from casetrack.web.auth.forms import PostForm, SecurityKeyForm
from casetrack.web.auth.login import WEBAUTHN_CHALLENGE_KEY, relying_party
from casetrack.web.common.submit import save

bp = Blueprint("account", __name__, url_prefix="/konto")
guard_blueprint(bp, security_keys.may_register)


def _page(form: SecurityKeyForm, status: int = 200):
    """The key list and the form to add one, with a fresh registration challenge."""
    user = current_user._get_current_object()
    options, challenge = security_keys.registration_options(user, relying_party())
    session[WEBAUTHN_CHALLENGE_KEY] = challenge
    db.session.commit()
    return render_template(
        "account/security_keys.html",
        form=form,
        options=options,
        keys=security_keys.keys_of(user),
        button_form=PostForm(),
    ), status


@bp.route("/sakerhetsnyckel", methods=["GET"])
def security_keys_page():
    return _page(SecurityKeyForm(formdata=None))


@bp.route("/sakerhetsnyckel", methods=["POST"])
def add_security_key():
    form = SecurityKeyForm()
    if form.validate_on_submit() and save(
        form,
        lambda: security_keys.add_key(
            current_user._get_current_object(),
            relying_party(),
            name=form.name.data,
            credential_json=form.credential.data,
            session_challenge=session.pop(WEBAUTHN_CHALLENGE_KEY, None),
        ),
        keep_refused=True,  # the used challenge and the audit entry stay
    ):
        flash("Säkerhetsnyckeln är tillagd. Du kan använda den nästa gång du loggar in.",
              "success")  # fmt: skip
        return redirect(url_for("account.security_keys_page"))
    return _page(form, 422)


@bp.route("/sakerhetsnyckel/<int:key_id>/ta-bort", methods=["POST"])
def remove_security_key(key_id: int):
    if not PostForm().validate_on_submit():
        return redirect(url_for("account.security_keys_page"))
    try:
        security_keys.remove_key(current_user._get_current_object(), key_id)
    except DomainError:
        abort(404)
    db.session.commit()
    flash("Säkerhetsnyckeln är borttagen.", "success")
    return redirect(url_for("account.security_keys_page"))
