"""Loggkontroll: quality leads and managers review who read which cases (K3-72, K3-79).

Filters are sent by POST (a case reference is typed free text; K3-54). The CSV export is
itself access-logged.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from casetrack import audit
from casetrack.access import unit_ids_for
from casetrack.access.guard import guard_blueprint
from casetrack.domain.codes import WHAT_LABELS
from casetrack.domain.dates import local_date
from casetrack.domain.roles import Permission
from casetrack.exports.spreadsheet import CsvExport
from casetrack.extensions import db
from casetrack.models import utcnow
from casetrack.queries import pages
from casetrack.services import access_review
from casetrack.web.common.template_helpers import format_datetime
from casetrack.web.oversight.log_forms import AccessLogFilterForm

bp = Blueprint("logs", __name__, url_prefix="/loggkontroll")
guard_blueprint(bp, Permission.ACCESS_LOG_READ)


def _form() -> AccessLogFilterForm:
    form = AccessLogFilterForm()
    people = access_review.people_in_scope(current_user)
    form.user_id.choices = [("", "Alla")] + [(u.id, f"{u.name} ({u.email})") for u in people]
    units = pages.units_by_name(unit_ids_for(current_user, Permission.ACCESS_LOG_READ))
    form.unit_id.choices = [("", "Alla")] + [(u.id, u.name) for u in units]
    return form


def _filters(form: AccessLogFilterForm) -> access_review.Filters:
    return access_review.Filters(
        user_id=form.user_id.data,
        unit_id=form.unit_id.data,
        reference=form.reference.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )


@bp.route("/", methods=["GET", "POST"])
def access_log():
    form = _form()
    status = 200
    if request.method == "GET":
        # Yesterday and today: at ten past midnight the last hour is still on the page.
        form.date_from.data = local_date(utcnow()) - timedelta(days=1)
        rows = access_review.find(current_user, _filters(form))
    elif form.validate_on_submit():
        rows = access_review.find(current_user, _filters(form))
    else:
        rows, status = [], 422
    return render_template(
        "logs/access_log.html",
        form=form,
        rows=rows,
        max_rows=access_review.MAX_ROWS,
        what_labels=WHAT_LABELS,
    ), status


@bp.route("/export", methods=["POST"])
def export():
    form = _form()
    if not form.validate_on_submit():
        abort(400)
    rows = access_review.find(current_user, _filters(form))
    out = CsvExport()
    out.row(["Tid", "Användare", "E-post", "Vad", "Diarienummer", "IP-adress", "Flaggor"])
    for row in rows:
        entry = row.entry
        out.row(
            [
                format_datetime(entry.occurred_at),
                entry.user.name if entry.user else "",
                entry.user.email if entry.user else "",
                WHAT_LABELS.get(entry.what, entry.what),
                row.reference or "",
                entry.remote_addr or "",
                ", ".join(row.flags),
            ]
        )
    audit.log_access(current_user, "accesslog.export", detail=f"rader: {len(rows)}")
    db.session.commit()
    return Response(
        out.text(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="loggkontroll.csv"'},
    )
