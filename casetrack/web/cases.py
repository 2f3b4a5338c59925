"""Case views: list, register, detail (issue #2 walking skeleton)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from casetrack import audit, lookups
from casetrack.access import case_scope, get_case_or_404, has_permission
from casetrack.domain.dates import local_date
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Case, utcnow
from casetrack.services import cases as case_service
from casetrack.services.errors import DomainError
from casetrack.web.case_forms import RegisterCaseForm
from casetrack.web.history import describe

bp = Blueprint("cases", __name__, url_prefix="/arenden")

PAGE_SIZE = 50


@bp.route("/")
@login_required
def list_cases():
    """Cases the user may read, newest first, paginated."""
    if not (
        has_permission(current_user, Permission.CASE_READ)
        or has_permission(current_user, Permission.CASE_READ_OWN)
    ):
        return redirect(url_for("main.index"))
    page = request.args.get("sida", 1, type=int)
    stmt = (
        sa.select(Case)
        .where(case_scope(current_user, Permission.CASE_READ))
        .options(joinedload(Case.org_unit))
        .order_by(Case.received_on.desc(), Case.id.desc())
    )
    pagination = db.paginate(stmt, page=page, per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "cases/list.html",
        pagination=pagination,
        labels=lookups.labels(),
        can_register=has_permission(current_user, Permission.CASE_REGISTER),
    )


def _fill_choices(form: RegisterCaseForm) -> None:
    units = case_service.units_for_registration(current_user, Permission.CASE_REGISTER)
    form.org_unit_id.choices = [(unit.id, unit.name) for unit in units]
    form.kind_code.choices = lookups.options("kind")
    form.source_code.choices = [("", "Välj (kan fyllas i senare)"), *lookups.options("source")]
    form.channel_code.choices = [("", "Välj (kan fyllas i senare)"), *lookups.options("channel")]
    form.category_codes.choices = lookups.options("category")


@bp.route("/nytt", methods=["GET", "POST"])
@login_required
def register():
    """A handler or manager registers a case received by telefon, brev, besök ..."""
    if not has_permission(current_user, Permission.CASE_REGISTER):
        return redirect(url_for("main.index"))
    form = RegisterCaseForm()
    _fill_choices(form)
    if request.method == "GET":
        form.received_on.data = local_date(utcnow())
        if len(form.org_unit_id.choices) == 1:
            form.org_unit_id.data = form.org_unit_id.choices[0][0]
    if form.validate_on_submit():
        data = case_service.NewCase(
            kind_code=form.kind_code.data,
            org_unit_id=form.org_unit_id.data,
            received_on=form.received_on.data,
            description=form.description.data,
            title=form.title.data,
            channel_code=form.channel_code.data,
            source_code=form.source_code.data,
            category_codes=form.category_codes.data or [],
            category_other_note=form.category_other_note.data,
            is_anonymous=form.is_anonymous.data,
            wants_feedback=form.wants_feedback.data,
            submitter_name=form.submitter_name.data,
            submitter_email=form.submitter_email.data,
            submitter_phone=form.submitter_phone.data,
            person_concerned=form.person_concerned.data,
        )
        try:
            case = case_service.register_case(current_user, data)
        except DomainError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            (field.errors if field is not None else form.form_errors).append(error.message)
        else:
            db.session.commit()
            flash(f"Ärendet är registrerat med diarienummer {case.reference}.", "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("cases/new.html", form=form), status


@bp.route("/<int:case_id>")
@login_required
def detail(case_id: int):
    case = get_case_or_404(
        case_id,
        options=(
            joinedload(Case.org_unit),
            selectinload(Case.categories),
            selectinload(Case.feedback),
            selectinload(Case.actions),
            joinedload(Case.assigned_handler),
            joinedload(Case.created_by),
        ),
    )
    history = describe(audit.entries_for_case(case))
    audit.log_access(current_user, "case.view", case=case)
    return render_template("cases/detail.html", case=case, labels=lookups.labels(), history=history)
