"""The patientsäkerhetsberättelse's figures: page, XLSX export (issue 19)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required

from casetrack import audit
from casetrack.domain.dates import local_date
from casetrack.exports import patient_safety as export
from casetrack.models import OrgUnit, utcnow
from casetrack.queries import pages
from casetrack.queries import patient_safety as psb
from casetrack.queries.report import UNCLASSIFIED_DEVIATION
from casetrack.web.reports.forms import PatientSafetyChoiceForm
from casetrack.web.reports.views import _unit_or_404, _units_in_scope

bp = Blueprint("psb", __name__, url_prefix="/rapport/patientsakerhet")


def _choice() -> tuple[PatientSafetyChoiceForm, OrgUnit | None, int]:
    units = _units_in_scope()
    if not units:
        abort(404)
    today = local_date(utcnow())
    args = request.args.copy()
    if args:
        args.setdefault("enhet", units[0][0])
        args.setdefault("ar", str(psb.default_year(today)))
    form = PatientSafetyChoiceForm(args)
    form.enhet.choices = list(units)
    form.enhet.rendered_options = units
    if not request.args:
        first = pages.unit(int(units[0][0]))
        form.enhet.data = str(first.id)
        form.ar.data = psb.default_year(today)
        return form, first, psb.default_year(today)
    if form.enhet.data:
        _unit_or_404(form.enhet.data)  # out of scope or unknown: 404, not a form error
    if not form.validate():
        return form, None, psb.default_year(today)
    return form, _unit_or_404(form.enhet.data), form.ar.data


def drill_args(unit: OrgUnit, report_year: int, key: str, year: int) -> dict:
    """The case list's parameters for one figure: the unit, the year's dates and the key,
    with ``rapport`` leading back to this page."""
    return {
        "enhet": unit.id,
        "fran": date(year, 1, 1).isoformat(),
        "till": date(year, 12, 31).isoformat(),
        "psb": key,
        "rapport": f"psb-{unit.id}-{report_year}",
    }


@bp.route("/")
@login_required
def show():
    form, unit, year = _choice()
    if unit is None:
        return render_template("reports/patient_safety.html", form=form, report=None), 422
    report = psb.build_report(unit, year)
    today = local_date(utcnow())

    def drill(key: str, figure_year: int) -> str:
        return url_for("cases.list_cases", **drill_args(unit, year, key, figure_year))

    # The tertial table's own row for avvikelser without lagrum or händelsetyp.
    unclassified_url = url_for(
        "cases.list_cases",
        enhet=unit.id,
        fran=date(year, 1, 1).isoformat(),
        till=date(year, 12, 31).isoformat(),
        rad=UNCLASSIFIED_DEVIATION,
        rapport=f"psb-{unit.id}-{year}",
    )

    return render_template(
        "reports/patient_safety.html",
        form=form,
        report=report,
        unit=unit,
        year=year,
        drill=drill,
        unclassified_url=unclassified_url,
        harm_columns=psb.HARM_COLUMNS,
        rules=[rule.format(threshold=report.threshold) for rule in psb.COUNTING_RULES],
        year_note=(
            "pågår" if year == today.year else ("har inte börjat" if year > today.year else "")
        ),
        today=today,
        export_args={"enhet": unit.id, "ar": year},
    )


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    _form, unit, year = _choice()
    if unit is None:
        abort(400)
    audit.log_access(current_user, "psb.export", detail=f"xlsx {unit.code} {year}")
    report = psb.build_report(unit, year)
    filename = f"patientsakerhet-{unit.code}-{year}.xlsx"
    return Response(
        export.to_xlsx(report, utcnow()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
