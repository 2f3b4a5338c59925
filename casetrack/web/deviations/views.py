"""Staff file avvikelser (the digital avvikelserapport-blankett) and follow their own."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from casetrack import audit
from casetrack.access import has_permission
from casetrack.domain.dates import local_date
from casetrack.domain.roles import Permission
from casetrack.models import utcnow
from casetrack.queries import accounts, lookups, pages
from casetrack.services import cases as case_service
from casetrack.services import intake
from casetrack.web.common.submit import form_status, save
from casetrack.web.deviations.forms import DeviationForm

bp = Blueprint("deviations", __name__, url_prefix="/avvikelser")

# The service names the description "description"; on this form it is "what happened".
_FIELD_NAMES = {"description": "what_happened"}


def _own_unit_id(unit_ids: list[int]) -> int | None:
    """The unit to preselect: the one unit the user works in as medarbetare, if any."""
    if len(unit_ids) == 1:
        return unit_ids[0]
    staff_units = accounts.staff_unit_ids(current_user)
    return staff_units[0] if len(staff_units) == 1 and staff_units[0] in unit_ids else None


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new():
    if not has_permission(current_user, Permission.CASE_FILE_DEVIATION):
        return redirect(url_for("main.index"))
    form = DeviationForm()
    units = case_service.units_for_registration(current_user, Permission.CASE_FILE_DEVIATION)
    form.org_unit_id.choices = [("", "Välj enhet")] + [(unit.id, unit.name) for unit in units]
    form.category_codes.choices = lookups.options("category")
    if request.method == "GET":
        form.occurred_on.data = local_date(utcnow())
        form.org_unit_id.data = _own_unit_id([unit.id for unit in units])
    saved = None
    if form.validate_on_submit():
        data = intake.DeviationReport(
            org_unit_id=form.org_unit_id.data,
            occurred_on=form.occurred_on.data,
            what_happened=form.what_happened.data,
            immediate_action=form.immediate_action.data,
            person_concerned=form.person_concerned.data,
            category_codes=form.category_codes.data or [],
        )
        saved = save(
            form, lambda: intake.file_deviation(current_user, data), field_names=_FIELD_NAMES
        )
        if saved:
            case = saved.value
            flash(
                f"Tack! Avvikelsen är registrerad med diarienummer {case.reference}. "
                "Den syns direkt för din chef.",
                "success",
            )
            return redirect(url_for("deviations.detail", case_id=case.id))
    return render_template("deviations/new.html", form=form), form_status(form, saved)


@bp.route("/")
@login_required
def mine():
    """Mina avvikelser: what I filed, its status and the återkoppling I got."""
    if not has_permission(current_user, Permission.CASE_FILE_DEVIATION):
        return redirect(url_for("main.index"))
    cases = pages.own_deviations(current_user)
    return render_template("deviations/list.html", cases=cases, labels=lookups.labels())


@bp.route("/<int:case_id>")
@login_required
def detail(case_id: int):
    """One avvikelse the user filed (404 for anything else)."""
    case = pages.own_deviation(current_user, case_id)
    if case is None:
        abort(404)
    audit.log_access(current_user, "case.view", case=case)
    return render_template("deviations/detail.html", case=case, labels=lookups.labels())
