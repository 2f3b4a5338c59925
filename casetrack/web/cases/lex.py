"""Endpoints for the utredning, the lex Sarah / lex Maria tracks, IA, ärendetyp and
attachments. Each POST follows the case page's pattern (``handling._handle``): load the
case for the permission (404 out of scope), validate, call one service, commit, redirect.
"""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from casetrack import audit
from casetrack.access import get_case_or_404, unit_ids_for
from casetrack.domain.dates import local_date
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Attachment, Escalation, OrgUnit, User, utcnow
from casetrack.queries import settings as org_settings
from casetrack.services import attachments as attachment_service
from casetrack.services import classification
from casetrack.services import escalation as escalation_service
from casetrack.services import investigation as investigation_service
from casetrack.web.cases import lex_forms as forms
from casetrack.web.cases.handling import _handle

bp = Blueprint("escalation", __name__, url_prefix="/arenden/<int:case_id>")
new_bp = Blueprint("lex_sarah", __name__, url_prefix="/lex-sarah")

RECORD = Permission.ESCALATION_RECORD


def _track(case, escalation_id: int) -> Escalation:
    track = db.session.get(Escalation, escalation_id)
    if track is None or track.case_id != case.id:
        abort(404)
    return track


def _deciders_only(case_id: int, escalation_id: int) -> None:
    """Refuse a decision POST from someone who may read the case but not decide (403:
    they can see that the case exists, so 404 would hide nothing)."""
    case = get_case_or_404(case_id, RECORD)
    track = _track(case, escalation_id)
    if not escalation_service.may_decide(current_user, case, track.track):
        abort(403)


@bp.route("/utredning", methods=["POST"])
@login_required
def investigation(case_id: int):
    def change(case, form, expected):
        investigation_service.save_investigation(
            current_user,
            case,
            started_on=form.started_on.data,
            what_happened=form.what_happened.data,
            assessment=form.assessment.data,
            conclusion=form.conclusion.data,
            completed_on=form.completed_on.data,
            expected_version=expected,
        )

    return _handle(
        case_id, "investigation", forms.InvestigationForm, change,
        "Utredningen är sparad.", "utredning", permission=RECORD,
    )  # fmt: skip


@bp.route("/utredning/orsaker", methods=["POST"])
@login_required
def add_cause(case_id: int):
    def change(case, form, expected):
        investigation_service.add_cause(
            current_user, case, form.description.data, expected_version=expected
        )

    return _handle(
        case_id, "cause", forms.CauseForm, change, "Orsaken är tillagd.", "utredning",
        permission=RECORD,
    )  # fmt: skip


@bp.route("/lex", methods=["POST"])
@login_required
def start_track(case_id: int):
    def change(case, form, expected):
        escalation_service.start_track(
            current_user,
            case,
            track=form.track.data,
            reported_on=form.reported_on.data,
            reporter_name=form.reporter_name.data,
            text=form.text.data,
            expected_version=expected,
        )

    return _handle(
        case_id, "start_track", forms.StartTrackForm, change,
        "Utredningen enligt lex Sarah eller lex Maria är startad.", "lex", permission=RECORD,
    )  # fmt: skip


@bp.route("/lex/<int:escalation_id>/steg", methods=["POST"])
@login_required
def record_step(case_id: int, escalation_id: int):
    _track(get_case_or_404(case_id, RECORD), escalation_id)  # 404 for a foreign track

    def change(case, form, expected):
        escalation_service.record_step(
            current_user,
            _track(case, escalation_id),
            step=form.step.data,
            occurred_on=form.occurred_on.data,
            text=form.text.data,
            expected_version=expected,
        )

    key = f"step:{escalation_id}"
    return _handle(
        case_id, key, forms.StepForm, change, "Steget är registrerat.",
        f"lex-{escalation_id}", permission=RECORD,
    )  # fmt: skip


@bp.route("/lex/<int:escalation_id>/stallningstagande", methods=["POST"])
@login_required
def decide(case_id: int, escalation_id: int):
    _deciders_only(case_id, escalation_id)

    def change(case, form, expected):
        escalation_service.record_decision(
            current_user,
            _track(case, escalation_id),
            decided_on=form.decided_on.data,
            is_confirmed=form.is_confirmed.data,
            is_risk=form.is_risk.data,
            is_serious=form.is_serious.data,
            text=form.text.data,
            expected_version=expected,
        )

    key = f"decision:{escalation_id}"
    return _handle(
        case_id, key, forms.DecisionForm, change, "Ställningstagandet är registrerat.",
        f"lex-{escalation_id}", permission=RECORD,
    )  # fmt: skip


@bp.route("/lex/<int:escalation_id>/ivo", methods=["POST"])
@login_required
def ivo_report(case_id: int, escalation_id: int):
    _deciders_only(case_id, escalation_id)

    def change(case, form, expected):
        escalation_service.record_ivo_report(
            current_user,
            _track(case, escalation_id),
            reported_on=form.reported_on.data,
            ivo_reference=form.ivo_reference.data,
            reported_by=db.session.get(User, int(form.reported_by_id.data)),
            text=form.text.data,
            expected_version=expected,
        )

    key = f"ivo:{escalation_id}"
    return _handle(
        case_id, key, forms.IvoReportForm, change, "Anmälan till IVO är registrerad.",
        f"lex-{escalation_id}", permission=RECORD,
    )  # fmt: skip


@bp.route("/lex/<int:escalation_id>/ingen-anmalan", methods=["POST"])
@login_required
def no_ivo_report(case_id: int, escalation_id: int):
    _deciders_only(case_id, escalation_id)

    def change(case, form, expected):
        escalation_service.record_no_ivo_report(
            current_user,
            _track(case, escalation_id),
            decided_on=form.decided_on.data,
            reason=form.reason.data,
            expected_version=expected,
        )

    key = f"no_ivo:{escalation_id}"
    return _handle(
        case_id, key, forms.NoIvoReportForm, change,
        "Beslutet att inte anmäla till IVO är registrerat.", f"lex-{escalation_id}",
        permission=RECORD,
    )  # fmt: skip


@bp.route("/ia", methods=["POST"])
@login_required
def mark_ia(case_id: int):
    def change(case, form, expected):
        classification.mark_ia(
            current_user,
            case,
            reported_on=form.ia_reported_on.data,
            reference=form.ia_reference.data,
            expected_version=expected,
        )

    return _handle(
        case_id, "ia", forms.IaForm, change, "Ärendet är markerat som rapporterat i IA.", "ia"
    )


@bp.route("/ia/ta-bort", methods=["POST"])
@login_required
def unmark_ia(case_id: int):
    def change(case, form, expected):
        classification.unmark_ia(current_user, case, expected_version=expected)

    return _handle(
        case_id, "unmark_ia", forms.UnmarkIaForm, change, "IA-markeringen är borttagen.", "ia"
    )


@bp.route("/arendetyp", methods=["POST"])
@login_required
def change_kind(case_id: int):
    def change(case, form, expected):
        classification.change_kind(
            current_user, case, form.kind_code.data, expected_version=expected
        )

    return _handle(case_id, "kind", forms.KindForm, change, "Ärendetypen är ändrad.", "arendetyp")


@bp.route("/bilagor", methods=["POST"])
@login_required
def upload(case_id: int):
    """Attach a file. The size setting is checked by the service; a body larger than
    CASETRACK_MAX_CONTENT_LENGTH is refused before this view with the Swedish 413 page."""

    def change(case, form, expected):
        upload = form.file.data
        attachment_service.upload(
            current_user,
            case,
            filename=getattr(upload, "filename", None),
            content=upload.read() if upload else b"",
            expected_version=expected,
        )

    return _handle(
        case_id, "attachment", forms.AttachmentForm, change, "Bilagan är sparad.", "bilagor",
        permission=RECORD,
    )  # fmt: skip


@bp.route("/bilagor/<int:attachment_id>")
@login_required
def download(case_id: int, attachment_id: int):
    """Stream an attachment as a download, within the reader's unit scope (404 else)."""
    case = get_case_or_404(case_id)
    if case.org_unit_id not in unit_ids_for(current_user, Permission.CASE_READ):
        abort(404)  # staff who filed the case do not read its attachments
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case.id:
        abort(404)
    try:
        content = attachment_service.open_for_download(current_user, case, attachment)
    except FileNotFoundError:
        abort(404)
    audit.log_access(current_user, "attachment.download", case=case, detail=str(attachment.id))
    db.session.commit()
    response = send_file(
        io.BytesIO(content),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        conditional=False,
        etag=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@new_bp.route("/ny", methods=["GET", "POST"])
@login_required
def new_report():
    """Ny lex Sarah-rapport: an avvikelse from medarbetare with its lex Sarah track."""
    unit_ids = unit_ids_for(current_user, RECORD)
    if not unit_ids:
        abort(404)
    form = forms.NewLexSarahForm()
    units = db.session.scalars(
        db.select(OrgUnit)
        .where(OrgUnit.id.in_(sorted(unit_ids)), OrgUnit.active.is_(True))
        .order_by(OrgUnit.name)
    ).all()
    form.org_unit_id.choices = [(unit.id, unit.name) for unit in units]
    if request.method == "GET":
        form.reported_on.data = local_date(utcnow())
    if form.validate_on_submit():
        try:
            case = escalation_service.start_lex_sarah_report(
                current_user,
                org_unit_id=form.org_unit_id.data,
                reported_on=form.reported_on.data,
                reporter_name=form.reporter_name.data,
                description=form.description.data,
                occurred_on=form.occurred_on.data,
                person_concerned=form.person_concerned.data,
            )
        except DomainError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None)
            (field.errors if field is not None else form.form_errors).append(error.message)
        else:
            db.session.commit()
            flash(f"Lex Sarah-rapporten är registrerad som {case.reference}.", "success")
            return redirect(url_for("cases.detail", case_id=case.id, _anchor="lex"))
    status = 422 if form.errors or form.form_errors else 200
    return (
        render_template(
            "lex/new.html", form=form, legal_reference=org_settings.get("legal.lex_sarah")
        ),
        status,
    )
