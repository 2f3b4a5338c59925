"""Staff file avvikelser (the digital avvikelserapport-blankett) and follow their own."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from casetrack import audit
from casetrack.access import get_case_or_404, has_permission
from casetrack.domain.dates import local_date
from casetrack.domain.deviations import (
    CONSEQUENCE_LEVELS,
    GROUP_LABELS,
    HARM_LEVELS,
    LAGRUM,
    NOT_GIVEN,
    PROBABILITY_LEVELS,
    risk_matrix,
)
from casetrack.domain.numbers import ascii_int
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.infra import pseudonyms
from casetrack.models import utcnow
from casetrack.queries import accounts, lookups, pages
from casetrack.queries import deviations as deviation_queries
from casetrack.services import cases as case_service
from casetrack.services import deviations as deviation_service
from casetrack.services import intake
from casetrack.web.common.submit import form_status, save
from casetrack.web.deviations.forms import ClassificationForm, DeviationForm

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
    event_types = lookups.event_types()
    form.lagrum.choices = [(item.code, item.label) for item in LAGRUM]
    form.event_type_code.choices = [(item.code, item.label) for item in event_types]
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
            lagrum=form.lagrum.data or None,
            event_type_code=form.event_type_code.data or None,
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
    return render_template(
        "deviations/new.html",
        form=form,
        lagrum=LAGRUM,
        event_types=event_types,
        group_labels=GROUP_LABELS,
    ), form_status(form, saved)


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
    return render_template(
        "deviations/detail.html",
        case=case,
        labels=lookups.labels(),
        classification=deviation_queries.classification(case),
    )


@bp.route("/<int:case_id>/klassificering", methods=["GET", "POST"])
@login_required
def classify(case_id: int):
    """The handler classifies an avvikelse: lagrum, händelsetyp, harm and consequence
    (issue 19), with every earlier classification below. 404 outside the handler's units
    and for cases that are not avvikelser."""
    case = get_case_or_404(case_id, Permission.CASE_HANDLE)
    if case.kind_code != "deviation":
        abort(404)
    current = deviation_queries.classification(case)
    form = ClassificationForm()
    event_types = lookups.event_types(active_only=False)
    offered = [item for item in event_types if item.active or item.code == current.event_type_code]
    form.lagrum.choices = [("", NOT_GIVEN)] + [(item.code, item.label) for item in LAGRUM]
    # "Ej angivet", then one group per list, so HSL and SoL/LSS types are told apart in
    # the list itself (WTForms makes every key of a dict a group, so the first is a group
    # of its own only in the data; the template renders it as a plain option).
    form.event_type_code.choices = {"": [("", NOT_GIVEN)]} | {
        GROUP_LABELS[group]: [
            (item.code, ("– " if item.parent_code else "") + item.label)
            for item in offered
            if item.group == group
        ]
        for group in GROUP_LABELS
    }
    form.harm.choices = [("", NOT_GIVEN)] + [(item.code, item.label) for item in HARM_LEVELS]
    form.probability.choices = [("", "Inte bedömd")] + [
        (level.value, f"{level.value} {level.label} – {level.description}")
        for level in PROBABILITY_LEVELS
    ]
    form.consequence_level.choices = [("", "Inte bedömd")] + [
        (level.value, f"{level.value} {level.label} – {level.description}")
        for level in CONSEQUENCE_LEVELS
    ]
    if request.method == "GET":
        form.lagrum.data = current.lagrum or ""
        form.event_type_code.data = current.event_type_code or ""
        form.harm.data = current.harm or ""
        form.consequence.data = current.consequence
        form.probability.data = current.probability
        form.consequence_level.data = current.consequence_level
        form.version.data = str(case.version)
    saved = None
    if form.validate_on_submit():
        saved = save(
            form,
            lambda: deviation_service.classify(
                current_user,
                case,
                lagrum=form.lagrum.data or None,
                event_type_code=form.event_type_code.data or None,
                harm=form.harm.data or None,
                consequence=form.consequence.data,
                probability=form.probability.data,
                consequence_level=form.consequence_level.data,
                personnummer=form.personnummer.data,
                unlink_person=form.unlink_person.data,
                # Versions start at 1: an unreadable one is refused as stale (409).
                expected_version=ascii_int(form.version.data) or 0,
            ),
        )
        if saved:
            flash("Klassificeringen är sparad.", "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    # The page shows the case: its read is logged. A refused POST answers 4xx, after which
    # nothing is committed for it (casetrack.audit), and the refusal rolled its change
    # back, so the entry is committed here on its own.
    form.personnummer.data = None  # never sent back to the browser
    audit.log_access(current_user, "deviation.classification", case=case)
    related = deviation_queries.same_brukare(case, current_user)
    if request.method == "POST":
        db.session.commit()
    return render_template(
        "deviations/classify.html",
        case=case,
        form=form,
        current=current,
        history=deviation_queries.classification_history(case),
        groups=GROUP_LABELS,
        matrix=risk_matrix(),
        probabilities=PROBABILITY_LEVELS,
        threshold=deviation_queries.analysis_threshold(),
        linked=deviation_queries.is_linked(case),
        related=related,
        fall_flag=deviation_queries.fall_risk_flag(case, related),
        pseudonyms_available=pseudonyms.available(),
    ), form_status(form, saved)
