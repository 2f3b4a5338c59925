"""Building the case page with its handling forms (shared by the view and the handling
endpoints, which re-render it with the submitted form and its errors)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from casetrack.access import may_handle
from casetrack.domain.codes import EFFECT_VERDICTS, FEEDBACK_METHODS
from casetrack.domain.dates import local_date
from casetrack.models import Case, utcnow
from casetrack.queries import cases as case_queries
from casetrack.queries import lookups
from casetrack.services.handling import NO_FEEDBACK_REASONS
from casetrack.web.cases import forms
from casetrack.web.cases import lex_page as escalation_page


def _versioned(form_cls, case: Case, **data):
    form = form_cls(formdata=None, **data)
    form.version.data = case.version
    form.opened_at.data = utcnow().isoformat()
    return form


_OWN_FORMS = frozenset(
    {"assign", "status", "details", "feedback", "complete_action", "close", "note", "reopen",
     "acknowledge"}
)  # fmt: skip


def fill_choices(name: str, form, case: Case) -> None:
    """Set the choices of a handling form (also on submitted forms, before validation)."""
    if name == "assign":
        form.handler_id.choices = [
            ("", "Ingen tilldelad"),
            *[(str(uid), n) for uid, n in case_queries.handler_choices(current_user)],
        ]
    elif name == "status":
        form.status_code.choices = [
            (code, label)
            for code, label in lookups.options("status")
            if lookups.status_types().get(code) == "open"
        ]
    elif name == "details":
        form.source_code.choices = [("", "Ej angivet"), *lookups.options("source")]
        form.channel_code.choices = [("", "Ej angivet"), *lookups.options("channel")]
        form.category_codes.choices = lookups.options("category")
    elif name == "feedback":
        form.method.choices = [(item.code, item.label) for item in FEEDBACK_METHODS]
        form.send_email.label.text = f"Skicka som e-post till {case.submitter_email}"
    elif name == "complete_action":
        form.effect_verdict.choices = [
            ("", "Inte bedömd ännu"),
            *[(item.code, item.label) for item in EFFECT_VERDICTS],
        ]
    elif name == "close":
        form.no_feedback_reason.choices = [
            ("", "Återkoppling är lämnad"),
            *NO_FEEDBACK_REASONS.items(),
        ]
    if name not in _OWN_FORMS:
        # The utredning, lex, IA, ärendetyp and attachment forms (and the cause choice on
        # the åtgärd form) are built by escalation_page.
        escalation_page.fill_choices(name, form, case)


def render_case_page(case: Case, status: int = 200, submitted: dict | None = None):
    """Render the case page; ``submitted`` replaces default forms by submitted ones."""
    submitted = submitted or {}
    can_handle = may_handle(current_user, case)
    today = local_date(utcnow())
    page_forms: dict = {}
    action_forms: dict = {}
    if can_handle:
        defaults = {
            "assign": _versioned(
                forms.AssignForm, case, handler_id=str(case.assigned_handler_id or "")
            ),
            "status": _versioned(forms.StatusForm, case, status_code=case.status_code),
            "details": _versioned(
                forms.DetailsForm,
                case,
                title=case.title,
                source_code=case.source_code or "",
                channel_code=case.channel_code or "",
                category_codes=[c.code for c in case.categories],
                category_other_note=case.category_other_note,
            ),
            "feedback": _versioned(
                forms.FeedbackForm,
                case,
                given_on=today,
                given_to="" if case.is_anonymous else (case.submitter_name or ""),
            ),
            "action": _versioned(forms.ActionForm, case, responsible=current_user.name),
            "note": forms.NoteForm(formdata=None),
            "acknowledge": _versioned(forms.AcknowledgeForm, case, acknowledged_on=today),
            "close": _versioned(forms.CloseForm, case),
            "reopen": _versioned(forms.ReopenForm, case),
        }
        for name, form in defaults.items():
            form = submitted.get(name, form)
            fill_choices(name, form, case)
            page_forms[name] = form
        for action in case.actions:
            key = f"complete_action:{action.id}"
            form = submitted.get(key) or _versioned(
                forms.CompleteActionForm,
                case,
                done_on=action.done_on or today,
                effect_evaluated_on=action.effect_evaluated_on,
                effect_verdict=action.effect_verdict or "",
                effect_waived_reason=action.effect_waived_reason,
            )
            fill_choices("complete_action", form, case)
            action_forms[action.id] = form
    notes = [note for note in case.notes if can_handle or note.kind == "submitter"]
    is_closed = lookups.status_types().get(case.status_code) == "closed"
    context = dict(
        case=case,
        labels=lookups.labels(),
        can_handle=can_handle,
        is_closed=is_closed,
        deadlines=case_queries.deadlines_for(case, today, is_closed),
        forms=page_forms,
        action_forms=action_forms,
        notes=notes,
        verdicts={item.code: item.label for item in EFFECT_VERDICTS},
        methods={item.code: item.label for item in FEEDBACK_METHODS},
        no_feedback_reasons=NO_FEEDBACK_REASONS,
        **escalation_page.build(case, submitted, can_handle),
    )
    unique_field_ids(context)
    return render_template("cases/detail.html", **context), status


def unique_field_ids(value, path: str = "") -> None:
    """Give every field of every form on the page its own HTML id.

    The case page holds a dozen forms, several with a field of the same name
    (``description``, ``text``, ``csrf_token``, ``version`` ...). WTForms uses the name as
    the id, so labels and the error summary's links would point into the wrong form. The
    id becomes ``<where the form sits>-<field name>``; the posted names do not change.
    """
    if isinstance(value, FlaskForm):
        for field in value:
            field.id = f"{path}-{field.name}"
            field.label.field_id = field.id
    elif isinstance(value, dict):
        for key, item in value.items():
            unique_field_ids(item, f"{path}-{key}".strip("-").replace(":", "-"))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            unique_field_ids(item, f"{path}-{index}")


CASE_PAGE_OPTIONS = (
    selectinload(Case.categories),
    selectinload(Case.feedback),
    selectinload(Case.actions),
    selectinload(Case.notes),
)
