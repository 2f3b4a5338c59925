"""Loggkontroll: quality leads and managers review who read which cases (K3-72, K3-79).

Filters are sent by POST (a case reference is typed free text; K3-54). The CSV export is
itself access-logged. Each entry is said in Swedish (casetrack/domain/access_log.py); the
page shows one row per visit (one person's reads of one case within half an hour), the
CSV export every entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from casetrack import audit
from casetrack.access import unit_ids_for
from casetrack.access.guard import guard_blueprint
from casetrack.domain.access_log import describe, visits
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


@dataclass(frozen=True)
class VisitRow:
    """One row of loggkontroll: one read, or a visit of several reads of one case."""

    first: datetime
    last: datetime
    reads: int
    user_name: str
    text: str
    reference: str | None
    remote_addr: str | None
    flags: tuple[str, ...]


def _visit_key(row: access_review.Row):
    entry = row.entry
    if entry.case_id is None:
        return None  # an export or a search: each is a row of its own
    return (entry.user_id, entry.case_id, entry.what, entry.remote_addr)


def _visit_rows(rows: list[access_review.Row]) -> list[VisitRow]:
    result = []
    for visit in visits(rows, key=_visit_key, at=lambda row: row.entry.occurred_at):
        entry = visit[-1].entry
        flags = tuple(dict.fromkeys(flag for row in visit for flag in row.flags))
        result.append(
            VisitRow(
                first=visit[0].entry.occurred_at,
                last=entry.occurred_at,
                reads=len(visit),
                user_name=entry.user.name if entry.user else "",
                text=_text(entry),
                reference=visit[-1].reference,
                remote_addr=entry.remote_addr,
                flags=flags,
            )
        )
    return result


def _text(entry) -> str:
    return describe(entry.what, entry.detail, has_case=entry.case_id is not None)


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
        rows=_visit_rows(rows),
        reads=len(rows),
        flagged=sum(1 for row in rows if row.flags),
        max_rows=access_review.MAX_ROWS,
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
                _text(entry),
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
