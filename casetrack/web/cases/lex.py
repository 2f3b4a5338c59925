"""Endpoints for the utredning, the lex Sarah / lex Maria tracks, IA, ärendetyp and
attachments. Each POST is a registered case action (``page.case_action``): load the
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
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Escalation, utcnow
from casetrack.queries import accounts, pages
from casetrack.queries import settings as org_settings
from casetrack.services import attachments as attachment_service
from casetrack.services import classification
from casetrack.services import escalation as escalation_service
from casetrack.services import investigation as investigation_service
from casetrack.web.cases import lex_forms as forms
from casetrack.web.cases.page import case_action
from casetrack.web.common.submit import form_status, save

bp = Blueprint("escalation", __name__, url_prefix="/arenden/<int:case_id>")
new_bp = Blueprint("lex_sarah", __name__, url_prefix="/lex-sarah")

RECORD = Permission.ESCALATION_RECORD
EXTRA = "extra_forms"  # these forms sit in the page's extra_forms


def _track(case, escalation_id: int) -> Escalation:
    track = pages.track_of(case, escalation_id)
    if track is None:
        abort(404)
    return track


def _recorded_track(case, escalation_id: int) -> Escalation:
    """The track of a step POST: 404 for a foreign one, 403 for someone who may read the
    case but not record the track's steps (issue 19: the enhetschef while an independent
    lex Sarah-utredare does the utredning)."""
    track = _track(case, escalation_id)
    if not escalation_service.may_record(current_user, case, track.track):
        abort(403)
    return track


def _decided_track(case, escalation_id: int) -> Escalation:
    """The track of a decision POST: 404 for a foreign one, and 403 for someone who may
    read the case but not decide (they can see that the case exists, so 404 would hide
    nothing)."""
    track = _track(case, escalation_id)
    if not escalation_service.may_decide(current_user, case, track.track):
        abort(403)
    return track


def _open_utredning(case) -> None:
    """Guard of the utredning's POSTs: 403 for someone who may read the case but not the
    utredning (the enhetschef while an independent lex Sarah-utredare does it, issue 19)."""
    if not escalation_service.may_record(current_user, case):
        abort(403)


@bp.route("/utredning", methods=["POST"])
@case_action(
    "investigation", forms.InvestigationForm, anchor="utredning",
    success="Utredningen är sparad.", permission=RECORD, section=EXTRA,
    item=_open_utredning,
)  # fmt: skip
def investigation(case, form, expected, _item=None):
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


@bp.route("/utredning/orsaker", methods=["POST"])
@case_action(
    "cause", forms.CauseForm, anchor="utredning", success="Orsaken är tillagd.",
    permission=RECORD, section=EXTRA, item=_open_utredning,
)  # fmt: skip
def add_cause(case, form, expected, _item=None):
    investigation_service.add_cause(
        current_user, case, form.description.data, expected_version=expected
    )


@bp.route("/bilagor", methods=["POST"])
@case_action(
    "attachment", forms.AttachmentForm, anchor="bilagor", success="Bilagan är sparad.",
    permission=RECORD, section=EXTRA, item=_open_utredning,
)  # fmt: skip
def upload(case, form, expected, _item=None):
    """Attach a file. The size setting is checked by the service; a body larger than
    CASETRACK_MAX_CONTENT_LENGTH is refused before this view with the Swedish 413 page."""
    upload = form.file.data
    attachment_service.upload(
        current_user,
        case,
        filename=getattr(upload, "filename", None),
        content=upload.read() if upload else b"",
        expected_version=expected,
    )


def _may_start(case) -> None:
    """Guard of "Starta lex Sarah eller lex Maria": 403 for an independent utredare, who
    reaches the case for its lex Sarah utredning only (issue 19)."""
    if not escalation_service.may_start(current_user, case):
        abort(403)


@bp.route("/lex", methods=["POST"])
@case_action(
    "start_track", forms.StartTrackForm, anchor="lex",
    success="Utredningen enligt lex Sarah eller lex Maria är startad.",
    permission=RECORD, section=EXTRA, item=_may_start,
)  # fmt: skip
def start_track(case, form, expected, _item=None):
    escalation_service.start_track(
        current_user,
        case,
        track=form.track.data,
        reported_on=form.reported_on.data,
        reporter_name=form.reporter_name.data,
        text=form.text.data,
        expected_version=expected,
    )


@bp.route("/lex/<int:escalation_id>/steg", methods=["POST"])
@case_action(
    "step", forms.StepForm, anchor="lex-{escalation_id}", success="Steget är registrerat.",
    permission=RECORD, section=EXTRA, per="track", item=_recorded_track,
)  # fmt: skip
def record_step(case, form, expected, track: Escalation):
    escalation_service.record_step(
        current_user,
        track,
        step=form.step.data,
        occurred_on=form.occurred_on.data,
        text=form.text.data,
        expected_version=expected,
    )


@bp.route("/lex/<int:escalation_id>/stallningstagande", methods=["POST"])
@case_action(
    "decision", forms.DecisionForm, anchor="lex-{escalation_id}",
    success="Ställningstagandet är registrerat.", permission=RECORD, section=EXTRA,
    per="track", item=_decided_track,
)  # fmt: skip
def decide(case, form, expected, track: Escalation):
    escalation_service.record_decision(
        current_user,
        track,
        decided_on=form.decided_on.data,
        assessment=form.assessment.data,
        text=form.text.data,
        expected_version=expected,
    )


def _assignable_track(case, escalation_id: int) -> Escalation:
    """The track of an "Utse utredare" POST: 404 for a foreign one, 403 for someone who
    may read the case but not name its utredare."""
    track = _track(case, escalation_id)
    if not escalation_service.may_assign_investigator(current_user, case, track):
        abort(403)
    return track


@bp.route("/lex/<int:escalation_id>/utredare", methods=["POST"])
@case_action(
    "investigator", forms.InvestigatorForm, anchor="lex-{escalation_id}",
    success="Utredaren är utsedd.", permission=RECORD, section=EXTRA, per="track",
    item=_assignable_track,
)  # fmt: skip
def assign_investigator(case, form, expected, track: Escalation):
    chosen = form.investigator_id.data
    escalation_service.assign_investigator(
        current_user,
        track,
        accounts.user(int(chosen)) if chosen else None,
        expected_version=expected,
    )


@bp.route("/lex/<int:escalation_id>/ivo", methods=["POST"])
@case_action(
    "ivo", forms.IvoReportForm, anchor="lex-{escalation_id}",
    success="Anmälan till IVO är registrerad.", permission=RECORD, section=EXTRA,
    per="track", item=_decided_track,
)  # fmt: skip
def ivo_report(case, form, expected, track: Escalation):
    escalation_service.record_ivo_report(
        current_user,
        track,
        reported_on=form.reported_on.data,
        ivo_reference=form.ivo_reference.data,
        reported_by=accounts.user(int(form.reported_by_id.data)),
        text=form.text.data,
        expected_version=expected,
    )


@bp.route("/lex/<int:escalation_id>/ingen-anmalan", methods=["POST"])
@case_action(
    "no_ivo", forms.NoIvoReportForm, anchor="lex-{escalation_id}",
    success="Beslutet att inte anmäla till IVO är registrerat.", permission=RECORD,
    section=EXTRA, per="track", item=_decided_track,
)  # fmt: skip
def no_ivo_report(case, form, expected, track: Escalation):
    escalation_service.record_no_ivo_report(
        current_user,
        track,
        decided_on=form.decided_on.data,
        reason=form.reason.data,
        expected_version=expected,
    )


@bp.route("/ia", methods=["POST"])
@case_action(
    "ia", forms.IaForm, anchor="ia", success="Ärendet är markerat som rapporterat i IA.",
    section=EXTRA,
)  # fmt: skip
def mark_ia(case, form, expected):
    classification.mark_ia(
        current_user,
        case,
        reported_on=form.ia_reported_on.data,
        reference=form.ia_reference.data,
        expected_version=expected,
    )


@bp.route("/ia/ta-bort", methods=["POST"])
@case_action(
    "unmark_ia", forms.UnmarkIaForm, anchor="ia", success="IA-markeringen är borttagen.",
    section=EXTRA,
)  # fmt: skip
def unmark_ia(case, form, expected):
    classification.unmark_ia(current_user, case, expected_version=expected)


@bp.route("/arendetyp", methods=["POST"])
@case_action(
    "kind", forms.KindForm, anchor="arendetyp", success="Ärendetypen är ändrad.", section=EXTRA
)
def change_kind(case, form, expected):
    classification.change_kind(current_user, case, form.kind_code.data, expected_version=expected)


@bp.route("/bilagor/<int:attachment_id>")
@login_required
def download(case_id: int, attachment_id: int):
    """Stream an attachment as a download, within the reader's unit scope (404 else)."""
    case = get_case_or_404(case_id)
    if not escalation_service.may_read_investigation(current_user, case):
        # Staff who filed the case do not read its attachments, nor does the unit while
        # an independent lex Sarah-utredare does the utredning (issue 19).
        abort(404)
    attachment = pages.attachment_of(case, attachment_id)
    if attachment is None:
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
    units = pages.units_by_name(unit_ids, active_only=True)
    form.org_unit_id.choices = [(unit.id, unit.name) for unit in units]
    if request.method == "GET":
        form.reported_on.data = local_date(utcnow())
    saved = None
    if form.validate_on_submit():
        saved = save(form, lambda: escalation_service.start_lex_sarah_report(
            current_user,
            org_unit_id=form.org_unit_id.data,
            reported_on=form.reported_on.data,
            reporter_name=form.reporter_name.data,
            description=form.description.data,
            occurred_on=form.occurred_on.data,
            person_concerned=form.person_concerned.data,
        ))  # fmt: skip
        if saved:
            case = saved.value
            flash(f"Lex Sarah-rapporten är registrerad som {case.reference}.", "success#lex")
            return redirect(url_for("cases.detail", case_id=case.id, _anchor="lex"))
    return render_template(
        "lex/new.html", form=form, legal_reference=org_settings.get("legal.lex_sarah")
    ), form_status(form, saved)
