"""The case page and the forms on it.

Every form that changes a case from its page is one registered action::

    @bp.route("/tilldela", methods=["POST"])
    @case_action("assign", forms.AssignForm, anchor="handlaggning",
                 success="Handläggare är ändrad.")
    def assign(case, form, expected):
        handling.assign_handler(current_user, case, ..., expected_version=expected)

``case_action`` registers the form under its key and turns the function into the POST
view: load the case for the action's permission (404 out of scope), read the version the
form was opened at (none readable: 409), fill the form's choices, validate (422: the page
again with the submitted form), call the function, save (``web.common.submit``: 409
with what changed since the form was opened, 422 with the refusal at its field), flash,
redirect to the anchor. ``render_case_page`` builds the page's blank forms from the same
registry (``form.blank``, ``form.fill``), so adding a form touches the module of its
view and the form class, not the page builder.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import flash, get_flashed_messages, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from casetrack import audit
from casetrack.access import get_case_or_404, may_handle
from casetrack.domain import action_plans as plan_rules
from casetrack.domain import case_steps
from casetrack.domain import escalation as rules
from casetrack.domain.codes import EFFECT_VERDICTS, FEEDBACK_METHODS, NO_FEEDBACK_REASONS
from casetrack.domain.dates import local_date
from casetrack.domain.numbers import ascii_int
from casetrack.domain.roles import ROLE_LABELS, Permission
from casetrack.extensions import db
from casetrack.models import Case, utcnow
from casetrack.queries import action_plans as action_plan_queries
from casetrack.queries import cases as case_queries
from casetrack.queries import deviations as deviation_queries
from casetrack.queries import escalation as escalation_queries
from casetrack.queries import history as history_queries
from casetrack.queries import lookups
from casetrack.services import escalation as escalation_service
from casetrack.services.messages import feedback_letter
from casetrack.web.cases import lex_page
from casetrack.web.cases.forms import CasePageForm
from casetrack.web.cases.history import describe
from casetrack.web.common.submit import save

CASE_PAGE_OPTIONS = (
    selectinload(Case.categories),
    selectinload(Case.feedback),
    selectinload(Case.actions),
    selectinload(Case.notes),
)


@dataclass(frozen=True)
class CaseAction:
    """A form on the case page and what its POST does (see the module docstring)."""

    key: str
    form: type[CasePageForm]
    anchor: str  # where the page opens after the change; may name the route's ids
    success: str
    permission: Permission  # CASE_HANDLE: a handler's form; ESCALATION_RECORD: a recorder's
    section: str  # the page's dict of the blank form: "forms" or "extra_forms"
    per: str | None  # None: one form on the page; "action" or "track": one per åtgärd / track
    item: Callable | None  # item(case, **route ids): the åtgärd or track, 404/403 as it must


# A case action's confirmation is flashed as "success#<anchor>": the page shows it in the
# section it opens at, where the user is looking, not at the top of the page.
NOTICE_AT = "#"

# Registered actions by key, in the order the page lists them (the views' modules).
ACTIONS: dict[str, CaseAction] = {}


def case_action(
    key: str,
    form: type[CasePageForm],
    *,
    anchor: str,
    success: str,
    permission: Permission = Permission.CASE_HANDLE,
    section: str = "forms",
    per: str | None = None,
    item: Callable | None = None,
):
    """Register a case page form and make ``change`` its POST view, for logged-in users
    (the endpoint keeps the function's name). ``change(case, form, expected)`` gets the
    item as well when ``item`` loads one (a lex track), else the route's other ids."""

    def register(change):
        if key in ACTIONS:
            raise ValueError(f"case action {key!r} is registered twice")
        action = CaseAction(key, form, anchor, success, permission, section, per, item)
        ACTIONS[key] = action

        @functools.wraps(change)
        @login_required
        def view(case_id: int, **route_ids):
            return _post(action, change, case_id, route_ids)

        return view

    return register


def _post(action: CaseAction, change, case_id: int, route_ids: dict):
    case = get_case_or_404(case_id, action.permission, options=CASE_PAGE_OPTIONS)
    item = action.item(case, **route_ids) if action.item else None
    form = action.form()
    # The submitted form's key on the page: "step:<track id>" for a track's form.
    key = ":".join([action.key, *(str(value) for value in route_ids.values())])
    opened_at = form.opened_at.data if "opened_at" in form else None
    expected = None
    if "version" in form:
        # A form that changes the case says which version it was opened at; without a
        # readable one the change could overwrite anything, so it is refused as stale.
        expected = ascii_int(form.version.data)
        if expected is None:
            return _conflict(case, opened_at)
    form.fill(case, item)
    if not form.validate_on_submit():
        return _shown_again(case, 422, {key: form})
    if form.previews():  # shown as it will be, nothing saved
        return _shown_again(case, 200, {key: form})
    if action.item:  # the change gets the track the form belongs to
        saved = save(form, lambda: change(case, form, expected, item))
    else:
        saved = save(form, lambda: change(case, form, expected, **route_ids))
    if saved.status == 409:
        return _conflict(case, opened_at)
    if not saved:
        case = get_case_or_404(case_id, action.permission, options=CASE_PAGE_OPTIONS)
        form.fill(case, item)
        return _shown_again(case, 422, {key: form})
    anchor = action.anchor.format(**route_ids)
    # The page shows the confirmation in the section the page opens at (``notices``).
    flash(action.success, f"success{NOTICE_AT}{anchor}")
    return redirect(url_for("cases.detail", case_id=case_id, _anchor=anchor))


def _shown_again(case: Case, status: int, submitted: dict):
    """The case page again after a refused form or a preview: a read of the case like any
    other, so it is access-logged. A 4xx answer commits nothing by itself (the refusal
    rolled its change back), so the entry is committed here on its own."""
    audit.log_access(current_user, "case.view", case=case)
    db.session.commit()
    return render_case_page(case, status, submitted)


def _conflict(case: Case, opened_at: str | None):
    """409: show the changes made by others since the form was opened (a read of the case,
    access-logged and committed like ``_shown_again``)."""
    case = get_case_or_404(case.id)
    audit.log_access(current_user, "case.history", case=case)
    db.session.commit()
    entries = history_queries.entries_for_case(case)
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


def page_form(action: CaseAction, case: Case, submitted: dict, item=None, key: str | None = None):
    """The submitted form under its key, else the blank one; its choices filled."""
    form = submitted.get(key or action.key)
    if form is None:
        form = action.form.blank(case, item)
    form.fill(case, item)
    return form


def _track_forms(view, case: Case, submitted: dict, may: dict, extra: dict) -> None:
    """The forms of one lex track: a recorder's (the next step, when there is one to
    record) and a decider's (``decides``: while the track allows that step, or submitted)."""
    track = view.track
    recorded = [s.step for s in track.steps]
    for action in ACTIONS.values():
        if action.per != "track":
            continue
        decides = action.form.decides
        if not (view.can_decide if decides else may[action.permission]):
            continue
        key = f"{action.key}:{track.id}"
        if (
            decides
            and key not in submitted
            and rules.refusal(track.track, decides, recorded, track.is_serious) is not None
        ):
            continue  # the track does not allow this decision now
        form = page_form(action, case, submitted, track, key)
        extra[key] = form
        if form.offered():
            view.forms[action.key] = form


def render_case_page(case: Case, status: int = 200, submitted: dict | None = None):
    """Render the case page; ``submitted`` replaces default forms by submitted ones."""
    submitted = submitted or {}
    can_handle = may_handle(current_user, case)
    may = {
        Permission.CASE_HANDLE: can_handle,
        Permission.ESCALATION_RECORD: escalation_service.may_record(current_user, case),
        # Forms any reader reaches (the åtgärd plan's decision, shown to its approver).
        Permission.CASE_READ: True,
    }
    sections: dict[str, dict] = {"forms": {}, "extra_forms": {}}
    action_forms: dict = {}
    for action in ACTIONS.values():
        if not may[action.permission] or action.per == "track":
            continue  # a track's forms belong to its section (lex_page.tracks)
        if action.per == "action":
            for item in case.actions:
                key = f"{action.key}:{item.id}"
                action_forms[item.id] = page_form(action, case, submitted, item, key)
            continue
        form = page_form(action, case, submitted)
        if form.offered():
            sections[action.section][action.key] = form
    today = local_date(utcnow())
    notes = [note for note in case.notes if can_handle or note.kind == "submitter"]
    is_closed = lookups.status_types().get(case.status_code) == "closed"
    deadlines = case_queries.deadlines_for(case, today, is_closed)
    plan = action_plan_queries.plan_view(case, current_user, is_closed)
    state = case_steps.CaseState(
        kind=case.kind_code,
        is_closed=is_closed,
        has_handler=case.assigned_handler_id is not None,
        # As the deadline list: a mottagningsbekräftelse goes to whoever left contact
        # details, for every kind but an avvikelse (queries.cases.deadlines_for).
        acknowledgement_due=case.kind_code != "deviation"
        and not case.is_anonymous
        and bool(case.submitter_email or case.submitter_phone),
        acknowledged=case.acknowledged_on is not None,
        wants_feedback=case.wants_feedback,
        has_feedback=bool(case.feedback),
        plan=plan.state,
        may_review_plan=plan.can_review,
    )
    steps = case_steps.next_steps(state, can_handle=can_handle)
    steps = tuple(step for step in steps if step != case_steps.TAKE or "take" in sections["forms"])
    closing_problem = (
        deviation_queries.closing_problem(case) if can_handle and not is_closed else None
    )
    context = dict(
        case=case,
        labels=lookups.labels(),
        can_handle=can_handle,
        is_closed=is_closed,
        # Each deadline with the working days left (negative: overdue), None when met.
        deadlines=[
            (d, None if d.met_on or d.closed else case_steps.working_days_left(today, d.due))
            for d in deadlines
        ],
        steps=steps,
        missing=case_steps.missing_for_report(
            case.kind_code, case.source_code is not None, bool(case.categories)
        ),
        notices=_notices(),
        preview=_feedback_preview(case, submitted.get("feedback")),
        forms=sections["forms"],
        action_forms=action_forms,
        notes=notes,
        verdicts={item.code: item.label for item in EFFECT_VERDICTS},
        methods={item.code: item.label for item in FEEDBACK_METHODS},
        no_feedback_reasons=NO_FEEDBACK_REASONS,
        # Issue 19: an avvikelse's lagrum, händelsetyp and risk, and what blocks closing.
        deviation=(
            deviation_queries.classification(case) if case.kind_code == "deviation" else None
        ),
        closing_problem=closing_problem,
        closing_blockers=(
            _closing_blockers(
                case,
                closing_problem,
                plan_rules.closing_problem(plan.state, plan.role),
                escalation_queries.ivo_closing_problem(case) if not is_closed else None,
            )
            if can_handle
            else []
        ),
        # Issue 19: the åtgärd plan's approval (state, history, who may send or decide).
        plan=plan,
        plan_events=plan_rules.EVENT_LABELS,
        role_labels=ROLE_LABELS,
        analysis_done=(
            deviation_queries.analysis_recorded(case) if case.kind_code == "deviation" else False
        ),
        **lex_page.build(case, may[Permission.ESCALATION_RECORD]),
    )
    for view in context["tracks"]:
        _track_forms(view, case, submitted, may, sections["extra_forms"])
    context["extra_forms"] = sections["extra_forms"]
    unique_field_ids(context)
    return render_template("cases/detail.html", **context), status


def _closing_blockers(
    case: Case,
    closing_problem: str | None,
    plan_problem: str | None = None,
    ivo_problem: str | None = None,
) -> list[str]:
    """Everything that stands between an open case and its closing, named at once (the
    closing service refuses them one at a time, field by field)."""
    if case.status_code and case.closed_at is not None:
        return []
    blockers = []
    if case.kind_code != "praise" and not case.feedback:
        blockers.append(
            "Återkoppling: ge återkoppling, eller ange i formuläret varför ingen lämnas."
        )
    if closing_problem:
        blockers.append(closing_problem)
    if plan_problem:
        blockers.append(plan_problem)
    if ivo_problem:
        blockers.append(ivo_problem)
    if case.kind_code != "praise" and not case.source_code:
        blockers.append("Från vem ärendet kom (för redovisningen).")
    if case.kind_code != "praise" and not case.categories:
        blockers.append("Vad ärendet gällde, minst en kategori (för redovisningen).")
    return blockers


def _notices() -> dict:
    """This request's flashed messages by the section they belong to (None: the top)."""
    notices: dict = {}
    for category, message in get_flashed_messages(with_categories=True):
        kind, _, anchor = category.partition(NOTICE_AT)
        notices.setdefault(anchor or None, []).append((kind, message))
    return notices


def _feedback_preview(case: Case, form) -> dict | None:
    """The återkoppling as the person who raised the case will see it: on "Följ ditt
    ärende" and, when it is to be e-mailed, the letter. None unless asked for."""
    if form is None or not form.previews() or form.errors:
        return None
    methods = {item.code: item.label for item in FEEDBACK_METHODS}
    text = (form.summary.data or "").strip()
    preview = {
        "given_on": form.given_on.data,
        "method": methods.get(form.method.data, ""),
        "text": text,
        "letter": None,
    }
    if form.send_email.data and case.submitter_email and not case.is_anonymous:
        preview["letter"] = feedback_letter(current_user, case, text)
    return preview


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
