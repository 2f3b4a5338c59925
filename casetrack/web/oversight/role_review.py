"""Behörighetsgranskning (K3-18): one page for enhetschefer and systemadministratörer.

The page lives outside /admin because reviewing access is the duty of the responsible
managers: each reviewer sees what ``services.role_review.scope`` gives them (admins
everything, an enhetschef the non-privileged assignments in their units). Everyone else
gets 404. Filters are GET parameters with a unit id and a flag only.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casetrack.access import is_admin
from casetrack.access.guard import guard_blueprint
from casetrack.domain.dates import local_date
from casetrack.domain.numbers import ascii_int
from casetrack.domain.role_review import ReviewStatus
from casetrack.domain.roles import PRIVILEGED_ROLES, ROLE_LABELS, Permission, Role
from casetrack.extensions import db
from casetrack.models import utcnow
from casetrack.services import role_review
from casetrack.web.auth.forms import PostForm
from casetrack.web.common.submit import run
from casetrack.web.oversight.role_review_forms import ReviewFilterForm, ReviewManyForm

bp = Blueprint("role_review", __name__, url_prefix="/behorighetsgranskning")
guard_blueprint(bp, Permission.ROLE_REVIEW)


def _filter_form() -> ReviewFilterForm:
    form = ReviewFilterForm(request.args)
    units = role_review.units_in_scope(current_user)
    form.enhet.choices = [("", "Alla"), *[(str(u.id), u.name) for u in units]]
    return form


def _back():
    """Back to the list with the filters the buttons were pressed under (ids only)."""
    args = {}
    unit = request.form.get("enhet", "")
    if ascii_int(unit) is not None:
        args["enhet"] = unit
    if request.form.get("att_granska"):
        args["att_granska"] = "1"
    return redirect(url_for("role_review.index", **args))


@bp.route("/")
def index():
    form = _filter_form()
    today = local_date(utcnow())
    valid = form.validate()
    rows = role_review.rows(
        current_user,
        today,
        unit_id=int(form.enhet.data) if valid and form.enhet.data else None,
        only_due=bool(form.att_granska.data),
    )
    counts = {state: sum(1 for r in rows if r.status == state) for state in ReviewStatus}
    spans = role_review.intervals()
    privileged = [ROLE_LABELS[role] for role in Role if role in PRIVILEGED_ROLES]
    return render_template(
        "role_review/index.html",
        form=form,
        rows=rows,
        counts=counts,
        statuses=ReviewStatus,
        spans=spans,
        privileged_labels=privileged,
        role_labels=ROLE_LABELS,
        admin_view=is_admin(current_user),
        many_form=ReviewManyForm(formdata=None),
        reviewable=any(not r.own for r in rows),
    ), (200 if valid else 422)


@bp.route("/granskad", methods=["POST"])
def review_many():
    form = ReviewManyForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(form.assignment_ids.errors[0], "error")
        return _back()
    done, gone = role_review.review_many(current_user, form.assignment_ids.data, utcnow())
    db.session.commit()
    if done:
        flash(f"{done} behörigheter är markerade som granskade.", "success")
    if gone:
        flash(
            f"{gone} av de markerade behörigheterna finns inte längre i din lista. "
            "Någon annan kan redan ha tagit bort dem.",
            "error",
        )
    return _back()


def _one(assignment_id: int, action, message: str):
    if not PostForm().validate_on_submit():
        abort(400)
    assignment = role_review.find(current_user, assignment_id)
    if assignment is None:
        flash(role_review.GONE, "error")
        return _back()
    text = message.format(
        name=assignment.user.name,
        role=ROLE_LABELS[Role(assignment.role)],
        unit=assignment.org_unit.name,
    )
    run(lambda: action(assignment), text)
    return _back()


@bp.route("/<int:assignment_id>/granskad", methods=["POST"])
def review(assignment_id: int):
    return _one(
        assignment_id,
        lambda a: role_review.record_review(current_user, a, utcnow()),
        "Granskningen är sparad: {name} behöver {role} på {unit}.",
    )


@bp.route("/<int:assignment_id>/ta-bort", methods=["POST"])
def remove(assignment_id: int):
    return _one(
        assignment_id,
        lambda a: role_review.remove(current_user, a),
        "Behörigheten {role} på {unit} är borttagen för {name}. Personen loggas ut och "
        "får den nya behörigheten direkt.",
    )
