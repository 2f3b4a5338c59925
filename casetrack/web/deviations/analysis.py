"""Händelseanalys of an avvikelse (issue 19): a page reached from the Utredning section of
the case page. It shows the händelseförlopp as a timeline, the causes grouped by cause
area with the åtgärder linked to each, who took part and when the result was reported
back; those who may record the utredning add, correct and remove the parts one by one.

Reading needs the case's unit in the reader's scope (404 otherwise, for the staff member
who filed it, and for a case that is not an avvikelse), and is access-logged; each POST
loads the case for recording (404 out of scope), validates, calls one service, commits,
and redirects to the part it changed. A refused POST shows the page again with the
message at the field (422; 409 for a form opened at another version of the case, or
without one).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from casetrack import audit
from casetrack.access import get_case_or_404
from casetrack.domain.errors import StaleRecord
from casetrack.domain.event_analysis import CAUSE_AREAS, NO_ACTION, NO_AREA
from casetrack.domain.numbers import ascii_int
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Case
from casetrack.queries import deviations as deviation_queries
from casetrack.queries import event_analysis as analysis_queries
from casetrack.services import event_analysis as analysis_service
from casetrack.services.escalation import may_read_investigation, may_record
from casetrack.web.cases.page import unique_field_ids
from casetrack.web.common.submit import form_status, save
from casetrack.web.deviations import analysis_forms as forms

bp = Blueprint("analysis", __name__, url_prefix="/avvikelser/<int:case_id>/handelseanalys")

RECORD = Permission.ESCALATION_RECORD


def _case(case_id: int, permission: Permission) -> Case:
    """The avvikelse, for those who may read its utredning (as the case page's Utredning
    section: the staff member who filed it follows it on "Mina avvikelser", without the
    analysis; with an independent lex Sarah-utredare, only the utredare and SAS), or, for
    a change, record it."""
    case = get_case_or_404(case_id, permission)
    if case.kind_code != "deviation":
        abort(404)
    if permission == Permission.CASE_READ:
        allowed = may_read_investigation(current_user, case)
    else:
        allowed = may_record(current_user, case)
    if not allowed:
        abort(404)
    return case


def _blank(form_class, case: Case, **data):
    form = form_class(formdata=None, version=str(case.version), **data)
    return form.fill() if hasattr(form, "fill") else form


def _render(case: Case, submitted: dict | None = None, status: int = 200):
    """The page; ``submitted`` replaces the blank form under its key by the refused one.
    The page shows the analysis, so its read is logged (and, after a refused POST, whose
    change was rolled back, committed on its own)."""
    submitted = submitted or {}
    view = analysis_queries.analysis(case)
    can_record = may_record(current_user, case)
    page_forms: dict = {}
    if can_record:
        investigation = view.investigation
        page_forms["event"] = submitted.get("event") or _blank(forms.EventForm, case)
        page_forms["cause"] = submitted.get("cause") or _blank(forms.CauseForm, case)
        page_forms["participant"] = submitted.get("participant") or _blank(
            forms.ParticipantForm, case
        )
        page_forms["reported"] = submitted.get("reported") or _blank(
            forms.ReportedBackForm,
            case,
            reported_back_on=investigation.reported_back_on if investigation else None,
            reported_back_how=investigation.reported_back_how if investigation else None,
        )
        for event in view.events:
            page_forms[f"event-{event.id}"] = submitted.get(f"event-{event.id}") or _blank(
                forms.EventForm,
                case,
                occurred_on=event.occurred_on,
                occurred_time=event.occurred_time,
                description=event.description,
            )
            key = f"remove-event-{event.id}"
            page_forms[key] = submitted.get(key) or _blank(forms.RemoveForm, case)
        for cause in view.causes:
            page_forms[f"cause-{cause.id}"] = submitted.get(f"cause-{cause.id}") or _blank(
                forms.CauseAreaForm, case, area=cause.area
            )
        for participant in view.participants:
            key = f"remove-participant-{participant.id}"
            page_forms[key] = submitted.get(key) or _blank(forms.RemoveForm, case)
    unique_field_ids(page_forms)
    audit.log_access(current_user, "deviation.analysis", case=case)
    if request.method == "POST":
        db.session.commit()
    classification = deviation_queries.classification(case)
    return render_template(
        "deviations/analysis.html",
        case=case,
        view=view,
        forms=page_forms,
        # The refused form, summarised at the top of the page (its fields show the
        # messages where they are).
        refused=next(iter(submitted.values()), None),
        can_record=can_record,
        areas=CAUSE_AREAS,
        no_area=NO_AREA,
        no_action=NO_ACTION,
        classification=classification,
        threshold=deviation_queries.analysis_threshold(),
    ), status


@bp.route("")
@login_required
def page(case_id: int):
    return _render(_case(case_id, Permission.CASE_READ))


def _post(
    case_id: int,
    key: str,
    form_class,
    change: Callable,
    *,
    success: str,
    anchor: str,
):
    """One write of the page: validate, call ``change(case, form, expected)``, commit,
    redirect to ``anchor``; or the page again with the message at the field."""
    case = _case(case_id, RECORD)
    form = form_class()
    if hasattr(form, "fill"):
        form.fill()
    expected = ascii_int(form.version.data)
    if expected is None:
        # A form says which version of the case it was opened at; without a readable one
        # the change could overwrite anything, so it is refused as stale (as on the case
        # page), before the fields are looked at.
        form.form_errors.append(StaleRecord.MESSAGE)
        return _render(case, {key: form}, 409)
    saved = None
    if form.validate_on_submit():
        saved = save(form, lambda: change(case, form, expected))
        if saved:
            flash(success, "success")
            return redirect(url_for("analysis.page", case_id=case_id, _anchor=anchor))
        case = _case(case_id, RECORD)  # the refusal rolled the session back
    return _render(case, {key: form}, form_status(form, saved))


@bp.route("/handelser", methods=["POST"])
@login_required
def add_event(case_id: int):
    return _post(
        case_id,
        "event",
        forms.EventForm,
        lambda case, form, expected: analysis_service.add_event(
            current_user,
            case,
            occurred_on=form.occurred_on.data,
            occurred_time=form.occurred_time.data,
            description=form.description.data,
            expected_version=expected,
        ),
        success="Händelsen är tillagd i händelseförloppet.",
        anchor="forlopp",
    )


@bp.route("/handelser/<int:event_id>", methods=["POST"])
@login_required
def update_event(case_id: int, event_id: int):
    return _post(
        case_id,
        f"event-{event_id}",
        forms.EventForm,
        lambda case, form, expected: analysis_service.update_event(
            current_user,
            case,
            event_id,
            occurred_on=form.occurred_on.data,
            occurred_time=form.occurred_time.data,
            description=form.description.data,
            expected_version=expected,
        ),
        success="Händelsen är ändrad.",
        anchor="forlopp",
    )


@bp.route("/handelser/<int:event_id>/ta-bort", methods=["POST"])
@login_required
def remove_event(case_id: int, event_id: int):
    return _post(
        case_id,
        f"remove-event-{event_id}",
        forms.RemoveForm,
        lambda case, form, expected: analysis_service.remove_event(
            current_user, case, event_id, expected_version=expected
        ),
        success="Händelsen är borttagen ur händelseförloppet.",
        anchor="forlopp",
    )


@bp.route("/orsaker", methods=["POST"])
@login_required
def add_cause(case_id: int):
    return _post(
        case_id,
        "cause",
        forms.CauseForm,
        lambda case, form, expected: analysis_service.add_cause(
            current_user,
            case,
            description=form.description.data,
            area=form.area.data,
            expected_version=expected,
        ),
        success="Orsaken är tillagd.",
        anchor="orsaker",
    )


@bp.route("/orsaker/<int:cause_id>", methods=["POST"])
@login_required
def set_cause_area(case_id: int, cause_id: int):
    return _post(
        case_id,
        f"cause-{cause_id}",
        forms.CauseAreaForm,
        lambda case, form, expected: analysis_service.set_cause_area(
            current_user, case, cause_id, form.area.data, expected_version=expected
        ),
        success="Orsaksområdet är sparat.",
        anchor="orsaker",
    )


@bp.route("/deltagare", methods=["POST"])
@login_required
def add_participant(case_id: int):
    return _post(
        case_id,
        "participant",
        forms.ParticipantForm,
        lambda case, form, expected: analysis_service.add_participant(
            current_user,
            case,
            name=form.name.data,
            role=form.role.data,
            expected_version=expected,
        ),
        success="Deltagaren är tillagd.",
        anchor="deltagare",
    )


@bp.route("/deltagare/<int:participant_id>/ta-bort", methods=["POST"])
@login_required
def remove_participant(case_id: int, participant_id: int):
    return _post(
        case_id,
        f"remove-participant-{participant_id}",
        forms.RemoveForm,
        lambda case, form, expected: analysis_service.remove_participant(
            current_user, case, participant_id, expected_version=expected
        ),
        success="Deltagaren är borttagen.",
        anchor="deltagare",
    )


@bp.route("/aterrapportering", methods=["POST"])
@login_required
def reported_back(case_id: int):
    return _post(
        case_id,
        "reported",
        forms.ReportedBackForm,
        lambda case, form, expected: analysis_service.save_reported_back(
            current_user,
            case,
            reported_back_on=form.reported_back_on.data,
            reported_back_how=form.reported_back_how.data,
            expected_version=expected,
        ),
        success="Återrapporteringen är sparad.",
        anchor="aterrapportering",
    )
