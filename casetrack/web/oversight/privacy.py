"""Registerutdrag: search a person's data across the cases in the user's units (POST only)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from casetrack.access.guard import guard_blueprint
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.queries import lookups
from casetrack.services import personal_data
from casetrack.web.oversight.log_forms import PersonSearchForm

bp = Blueprint("privacy", __name__, url_prefix="/registerutdrag")
guard_blueprint(bp, Permission.PERSONAL_DATA_SEARCH)


@bp.route("/", methods=["GET", "POST"])
def register_extract():
    form = PersonSearchForm()
    hits = None
    status = 200
    if form.validate_on_submit():
        hits = personal_data.find_person(
            current_user, name=form.name.data, email=form.email.data, phone=form.phone.data
        )
        db.session.commit()
    elif form.errors:
        status = 422
    return render_template(
        "privacy/register_extract.html", form=form, hits=hits, labels=lookups.labels()
    ), status
