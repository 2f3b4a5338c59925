"""Handling endpoints on the case page: each POST loads the case for handling (404 when
out of scope), validates its form, calls one service, commits, and redirects back. A stale
version answers 409 with what changed since the form was opened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from casetrack import audit
from casetrack.access import get_case_or_404
from casetrack.domain.errors import DomainError, StaleCase
from casetrack.domain.numbers import ascii_int
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Action, Case, User
from casetrack.queries import lookups
from casetrack.services import handling
from casetrack.services.messages import send_feedback_letter
from casetrack.web.cases import forms
from casetrack.web.cases.history import describe
from casetrack.web.cases.page import CASE_PAGE_OPTIONS, fill_choices, render_case_page

bp = Blueprint("handling", __name__, url_prefix="/arenden/<int:case_id>")


def _conflict(case: Case, opened_at: str | None):
    """409: show the changes made by others since the form was opened."""
    db.session.rollback()
    case = get_case_or_404(case.id)
    entries = audit.entries_for_case(case)
    try:
        since = datetime.fromisoformat(opened_at) if opened_at else None
    except ValueError:
        since = None
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # the page writes UTC; a hand-made value may not
    if since is not None:
        entries = [entry for entry in entries if entry.occurred_at > since]
    return (
        render_template(
            "cases/conflict.html", case=case, history=describe(entries), labels=lookups.labels()
        ),
        409,
    )


def _handle(
    case_id: int,
    name: str,
    form_cls,
    change: Callable[[Case, object, int | None], None],
    success: str,
    anchor: str,
    key: str | None = None,
    permission: Permission = Permission.CASE_HANDLE,
):
    case = get_case_or_404(case_id, permission, options=CASE_PAGE_OPTIONS)
    form = form_cls()
    expected = None
    if hasattr(form, "version"):
        # A form that changes the case says which version it was opened at; without a
        # readable one the change could overwrite anything, so it is refused as stale.
        expected = ascii_int(form.version.data)
        if expected is None:
            return _conflict(case, getattr(getattr(form, "opened_at", None), "data", None))
    fill_choices(name, form, case)
    submitted_key = key or name
    if not form.validate_on_submit():
        return render_case_page(case, 422, {submitted_key: form})
    try:
        change(case, form, expected)
        db.session.flush()
    except (StaleCase, StaleDataError):
        return _conflict(case, getattr(getattr(form, "opened_at", None), "data", None))
    except DomainError as error:
        db.session.rollback()
        case = get_case_or_404(case_id, permission, options=CASE_PAGE_OPTIONS)
        form_field = getattr(form, error.field or "", None)
        (form_field.errors if form_field is not None else form.form_errors).append(error.message)
        fill_choices(name, form, case)
        return render_case_page(case, 422, {submitted_key: form})
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("cases.detail", case_id=case_id, _anchor=anchor))


@bp.route("/tilldela", methods=["POST"])
@login_required
def assign(case_id: int):
    def change(case, form, expected):
        handler = db.session.get(User, int(form.handler_id.data)) if form.handler_id.data else None
        handling.assign_handler(current_user, case, handler, expected_version=expected)

    return _handle(
        case_id, "assign", forms.AssignForm, change, "Handläggare är ändrad.", "handlaggning"
    )


@bp.route("/status", methods=["POST"])
@login_required
def status(case_id: int):
    def change(case, form, expected):
        handling.change_status(current_user, case, form.status_code.data, expected_version=expected)

    return _handle(case_id, "status", forms.StatusForm, change, "Status är ändrad.", "handlaggning")


@bp.route("/uppgifter", methods=["POST"])
@login_required
def details(case_id: int):
    def change(case, form, expected):
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

    return _handle(
        case_id, "details", forms.DetailsForm, change, "Uppgifterna är sparade.", "uppgifter"
    )


@bp.route("/aterkoppling", methods=["POST"])
@login_required
def feedback(case_id: int):
    def change(case, form, expected):
        given = handling.give_feedback(
            current_user,
            case,
            given_on=form.given_on.data,
            given_to=form.given_to.data,
            method=form.method.data,
            summary=form.summary.data,
            expected_version=expected,
        )
        if form.send_email.data:
            send_feedback_letter(current_user, case, given)

    return _handle(
        case_id,
        "feedback",
        forms.FeedbackForm,
        change,
        "Återkopplingen är registrerad.",
        "aterkoppling",
    )


def _cause_id(value: str | None) -> int | None:
    if not value:
        return None
    cause_id = ascii_int(value)
    return -1 if cause_id is None else cause_id  # unknown: the service refuses it


@bp.route("/atgarder", methods=["POST"])
@login_required
def add_action(case_id: int):
    def change(case, form, expected):
        handling.add_action(
            current_user,
            case,
            description=form.description.data,
            responsible=form.responsible.data,
            due_on=form.due_on.data,
            cause_id=_cause_id(form.cause_id.data),
            expected_version=expected,
        )

    return _handle(case_id, "action", forms.ActionForm, change, "Åtgärden är tillagd.", "atgarder")


@bp.route("/atgarder/<int:action_id>", methods=["POST"])
@login_required
def complete_action(case_id: int, action_id: int):
    def change(case, form, expected):
        action = db.session.get(Action, action_id)
        if action is None or action.case_id != case.id:
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

    return _handle(
        case_id,
        "complete_action",
        forms.CompleteActionForm,
        change,
        "Åtgärden är uppdaterad.",
        f"atgard-{action_id}",
        key=f"complete_action:{action_id}",
    )


@bp.route("/anteckningar", methods=["POST"])
@login_required
def note(case_id: int):
    def change(case, form, expected):
        handling.add_note(current_user, case, form.body.data)

    return _handle(
        case_id, "note", forms.NoteForm, change, "Anteckningen är sparad.", "anteckningar"
    )


@bp.route("/mottagningsbekraftelse", methods=["POST"])
@login_required
def acknowledge(case_id: int):
    def change(case, form, expected):
        handling.acknowledge(
            current_user, case, acknowledged_on=form.acknowledged_on.data, expected_version=expected
        )

    return _handle(
        case_id,
        "acknowledge",
        forms.AcknowledgeForm,
        change,
        "Mottagningsbekräftelsen är registrerad.",
        "handlaggning",
    )


@bp.route("/avsluta", methods=["POST"])
@login_required
def close(case_id: int):
    def change(case, form, expected):
        handling.close_case(
            current_user,
            case,
            no_feedback_reason=form.no_feedback_reason.data or None,
            expected_version=expected,
        )

    return _handle(case_id, "close", forms.CloseForm, change, "Ärendet är avslutat.", "avsluta")


@bp.route("/oppna", methods=["POST"])
@login_required
def reopen(case_id: int):
    def change(case, form, expected):
        handling.reopen_case(current_user, case, expected_version=expected)

    return _handle(
        case_id, "reopen", forms.ReopenForm, change, "Ärendet är öppnat igen.", "avsluta"
    )
