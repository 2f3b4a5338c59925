"""Handling endpoints on the case page. Each POST is a registered case action
(``page.case_action``): load the case for handling (404 when out of scope), validate its
form, call one service, commit, and redirect back. A stale version answers 409 with what
changed since the form was opened."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from casetrack.domain.numbers import ascii_int
from casetrack.domain.roles import Permission
from casetrack.queries import accounts, pages
from casetrack.queries import action_plans as action_plan_queries
from casetrack.services import action_plans, handling
from casetrack.services.messages import send_feedback_letter
from casetrack.web.cases import forms
from casetrack.web.cases.page import case_action

bp = Blueprint("handling", __name__, url_prefix="/arenden/<int:case_id>")


@bp.route("/ta", methods=["POST"])
@case_action(
    "take", forms.TakeForm, anchor="nasta-steg", success="Du är nu handläggare för ärendet."
)
def take(case, form, expected):
    handling.assign_handler(current_user, case, current_user, expected_version=expected)


@bp.route("/tilldela", methods=["POST"])
@case_action("assign", forms.AssignForm, anchor="handlaggning", success="Handläggare är ändrad.")
def assign(case, form, expected):
    handler = accounts.user(int(form.handler_id.data)) if form.handler_id.data else None
    handling.assign_handler(current_user, case, handler, expected_version=expected)


@bp.route("/status", methods=["POST"])
@case_action("status", forms.StatusForm, anchor="handlaggning", success="Status är ändrad.")
def status(case, form, expected):
    handling.change_status(current_user, case, form.status_code.data, expected_version=expected)


@bp.route("/uppgifter", methods=["POST"])
@case_action("details", forms.DetailsForm, anchor="uppgifter", success="Uppgifterna är sparade.")
def details(case, form, expected):
    handling.update_details(
        current_user,
        case,
        source_code=form.source_code.data or None,
        channel_code=form.channel_code.data or None,
        category_codes=form.category_codes.data or [],
        category_other_note=form.category_other_note.data,
        title=form.title.data,
        expected_version=expected,
    )


@bp.route("/aterkoppling", methods=["POST"])
@case_action(
    "feedback", forms.FeedbackForm, anchor="aterkoppling", success="Återkopplingen är registrerad."
)
def feedback(case, form, expected):
    given = handling.give_feedback(
        current_user,
        case,
        given_on=form.given_on.data,
        given_to=form.given_to.data,
        method=form.method.data,
        summary=form.summary.data,
        internal_note=form.internal_note.data,
        expected_version=expected,
    )
    if form.send_email.data:
        send_feedback_letter(current_user, case, given)


def _cause_id(value: str | None) -> int | None:
    if not value:
        return None
    cause_id = ascii_int(value)
    return -1 if cause_id is None else cause_id  # unknown: the service refuses it


@bp.route("/atgarder", methods=["POST"])
@case_action("action", forms.ActionForm, anchor="atgarder", success="Åtgärden är tillagd.")
def add_action(case, form, expected):
    handling.add_action(
        current_user,
        case,
        description=form.description.data,
        responsible=form.responsible.data,
        due_on=form.due_on.data,
        cause_id=_cause_id(form.cause_id.data),
        expected_version=expected,
    )


@bp.route("/atgarder/<int:action_id>", methods=["POST"])
@case_action(
    "complete_action", forms.CompleteActionForm, anchor="atgard-{action_id}",
    success="Åtgärden är uppdaterad.", per="action",
)  # fmt: skip
def complete_action(case, form, expected, action_id: int):
    action = pages.action_of(case, action_id)
    if action is None:
        abort(404)
    handling.complete_action(
        current_user,
        action,
        done_on=form.done_on.data,
        effect_evaluated_on=form.effect_evaluated_on.data,
        effect_verdict=form.effect_verdict.data or None,
        effect_waived_reason=form.effect_waived_reason.data,
        expected_version=expected,
    )


@bp.route("/atgardsplan/skicka", methods=["POST"])
@case_action(
    "submit_plan", forms.SubmitPlanForm, anchor="atgardsplan",
    success="Åtgärdsplanen är skickad för godkännande.",
)  # fmt: skip
def submit_plan(case, form, expected):
    action_plans.submit_plan(current_user, case, expected_version=expected)


def _plan_approver(case) -> str:
    """The approving role, for a POST of the plan's decision: 403 for a reader of the case
    who does not hold that role on its unit (they can see that the case exists, so 404
    would hide nothing; the refusal is logged like every 403). The service checks again."""
    if not action_plan_queries.may_review(current_user, case):
        abort(403)
    return action_plan_queries.approval_role()


@bp.route("/atgardsplan/beslut", methods=["POST"])
@case_action(
    "review_plan", forms.ReviewPlanForm, anchor="atgardsplan",
    success="Beslutet om åtgärdsplanen är sparat.", permission=Permission.CASE_READ,
    item=_plan_approver,
)  # fmt: skip
def review_plan(case, form, expected, role):
    action_plans.review_plan(
        current_user,
        case,
        approve=bool(form.approve.data),
        motivation=form.motivation.data,
        expected_version=expected,
    )


@bp.route("/anteckningar", methods=["POST"])
@case_action("note", forms.NoteForm, anchor="anteckningar", success="Anteckningen är sparad.")
def note(case, form, expected):
    handling.add_note(current_user, case, form.body.data)


@bp.route("/mottagningsbekraftelse", methods=["POST"])
@case_action(
    "acknowledge", forms.AcknowledgeForm, anchor="nasta-steg",
    success="Mottagningsbekräftelsen är registrerad.",
)  # fmt: skip
def acknowledge(case, form, expected):
    handling.acknowledge(
        current_user, case, acknowledged_on=form.acknowledged_on.data, expected_version=expected
    )


@bp.route("/avsluta", methods=["POST"])
@case_action("close", forms.CloseForm, anchor="avsluta", success="Ärendet är avslutat.")
def close(case, form, expected):
    handling.close_case(
        current_user,
        case,
        no_feedback_reason=form.no_feedback_reason.data or None,
        source_code=form.source_code.data or None,
        category_codes=form.category_codes.data or [],
        category_other_note=form.category_other_note.data,
        expected_version=expected,
    )


@bp.route("/oppna", methods=["POST"])
@case_action("reopen", forms.ReopenForm, anchor="avsluta", success="Ärendet är öppnat igen.")
def reopen(case, form, expected):
    handling.reopen_case(current_user, case, expected_version=expected)
