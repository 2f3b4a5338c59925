"""The tertial report page, its texts, fastställa, exports (issue #6)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from casetrack import audit
from casetrack.access import org_tree, unit_ids_for
from casetrack.domain.dates import local_date
from casetrack.domain.numbers import ascii_int
from casetrack.domain.report_rows import (
    COUNTING_RULES,
    ROW_KEYS,
    SUMMARY_COLUMN,
    TERTIAL_COLUMNS,
    TERTIAL_NAMES,
    TITLE,
    TOTAL_COLUMN,
    UNIT,
)
from casetrack.domain.roles import Permission
from casetrack.domain.tertials import tertial_bounds, tertial_of
from casetrack.exports import report as export
from casetrack.models import OrgUnit, utcnow
from casetrack.queries import pages
from casetrack.queries.report import (
    MISSING_CATEGORY,
    MISSING_SOURCE,
    QUALITY_KEYS,
    UNCLASSIFIED_DEVIATION,
    build_report,
)
from casetrack.services import reports as report_service
from casetrack.web.common.rendered_options import tree_options
from casetrack.web.common.submit import run
from casetrack.web.reports.chart import hbar, scale_top, trend_bars
from casetrack.web.reports.forms import (
    FreezeForm,
    PeriodForm,
    ReportChoiceForm,
    SummaryForm,
    UnfreezeForm,
)

bp = Blueprint("reports", __name__, url_prefix="/rapport")


def _units_in_scope():
    """The units the viewer may see reports for, in tree order, indented by depth: the
    org tree cached per process (casetrack/access/org_tree.py), memoised per set of units."""
    ids = unit_ids_for(current_user, Permission.REPORT_READ)
    if not ids:
        return ()
    return tree_options(org_tree.current(), ids)


def _unit_or_404(unit_id, permission: Permission = Permission.REPORT_READ) -> OrgUnit:
    unit_id = ascii_int(unit_id)
    if unit_id is None or unit_id not in unit_ids_for(current_user, permission):
        abort(404)
    return pages.unit(unit_id)


def _choice() -> tuple[ReportChoiceForm, OrgUnit | None, int, int]:
    units = _units_in_scope()
    if not units:
        abort(404)
    today = local_date(utcnow())
    # A link with only some of the choices (say ?ar=2025) means the defaults for the
    # rest: the first unit, this year, the current tertial.
    args = request.args.copy()
    if args:
        args.setdefault("enhet", units[0][0])
        args.setdefault("ar", str(today.year))
        args.setdefault("tertial", str(tertial_of(today)))
    form = ReportChoiceForm(args)
    form.enhet.choices = list(units)
    form.enhet.rendered_options = units
    if not request.args:
        first = pages.unit(int(units[0][0]))
        form.enhet.data = str(first.id)
        form.ar.data = today.year
        form.tertial.data = str(tertial_of(today))
        return form, first, today.year, tertial_of(today)
    if form.enhet.data:
        _unit_or_404(form.enhet.data)  # out of scope or unknown: 404, not a form error
    if not form.validate():
        return form, None, today.year, tertial_of(today)
    return form, _unit_or_404(form.enhet.data), form.ar.data, int(form.tertial.data)


def _period_note(year: int, tertial: int, today: date) -> str:
    """ "pågår" for a tertial that has not ended, "har inte börjat" for one in the future,
    "" for an ended one: an unfinished tertial is never shown as if it were complete."""
    start, end = tertial_bounds(year, tertial)
    if today > end:
        return ""
    return "pågår" if today >= start else "har inte börjat"


def _period_args(unit: OrgUnit, year: int, tertial: int) -> dict:
    return {"enhet": unit.id, "ar": year, "tertial": tertial}


@bp.route("/")
@login_required
def show():
    form, unit, year, up_to = _choice()
    if unit is None:
        return render_template("reports/report.html", form=form, report=None), 422
    report = build_report(unit, year, up_to)
    may_write = unit.id in unit_ids_for(current_user, Permission.REPORT_WRITE)
    may_unfreeze = unit.id in unit_ids_for(current_user, Permission.REPORT_UNFREEZE)

    def drill(key: str, start: date, end: date) -> str:
        # ``rapport`` (unit-year-tertial, codes only) lets the list name the cell and link
        # back to this report (issue 20).
        return url_for(
            "cases.list_cases",
            enhet=unit.id,
            fran=start.isoformat(),
            till=end.isoformat(),
            rad=key,
            rapport=f"{unit.id}-{year}-{up_to}",
        )

    today = local_date(utcnow())
    period_notes = {
        index: note
        for index, period in enumerate(report.trend_periods)
        if (note := _period_note(*period, today))
    }

    period_data = {"unit_id": unit.id, "year": year, "tertial": up_to}
    summary_forms = {
        row.key: SummaryForm(formdata=None, row_key=row.key, text=row.text, **period_data)
        for row in report.rows
    }
    return render_template(
        "reports/report.html",
        form=form,
        report=report,
        unit=unit,
        year=year,
        up_to=up_to,
        bounds={t: tertial_bounds(year, t) for t in (1, 2, 3)},
        year_start=date(year, 1, 1),
        drill=drill,
        tertial_names=TERTIAL_NAMES,
        columns=TERTIAL_COLUMNS,
        total_column=TOTAL_COLUMN,
        summary_column=SUMMARY_COLUMN,
        unit_label=UNIT,
        title=TITLE,
        rules=COUNTING_RULES,
        missing_source=MISSING_SOURCE,
        missing_category=MISSING_CATEGORY,
        unclassified_deviation=UNCLASSIFIED_DEVIATION,
        may_write=may_write,
        may_unfreeze=may_unfreeze,
        summary_forms=summary_forms,
        freeze_form=FreezeForm(formdata=None, **period_data),
        unfreeze_form=UnfreezeForm(formdata=None, **period_data),
        tertial_ended=tertial_bounds(year, up_to)[1] < today,
        up_to_note=_period_note(year, up_to, today),
        period_notes=period_notes,
        trend_names=[
            f"{TERTIAL_NAMES[t]} {y}"
            + (" (importerad)" if (y, t) in report.imported_periods else "")
            for y, t in report.trend_periods
        ],
        previous_imported=(year - 1, up_to) in report.imported_periods,
        now_imported=(year, up_to) in report.imported_periods,
        trend_bars=trend_bars,
        hbar=hbar,
        scale_top=scale_top,
        export_args=_period_args(unit, year, up_to),
    )


def _posted_period(form: PeriodForm, permission: Permission) -> tuple[OrgUnit, int, int]:
    """The unit, year and tertial of a POST (hidden fields the page wrote): 404 for a
    unit out of scope, 400 for a year or tertial the page never offers."""
    unit = _unit_or_404(form.unit_id.data, permission)
    year, tertial = ascii_int(form.year.data), ascii_int(form.tertial.data)
    if year is None or not 2000 <= year <= 2100 or tertial not in TERTIAL_NAMES:
        abort(400)
    return unit, year, tertial


def _row_anchor(row_key: str | None) -> str | None:
    """The report row's anchor on the page; only for rows the report has."""
    if row_key not in ROW_KEYS and row_key not in QUALITY_KEYS:
        return None
    return f"rad-{row_key.replace(':', '-')}"


def _after_post(unit: OrgUnit, year: int, tertial: int, anchor: str | None = None):
    return redirect(url_for("reports.show", _anchor=anchor, **_period_args(unit, year, tertial)))


@bp.route("/sammanfattning", methods=["POST"])
@login_required
def save_summary():
    form = SummaryForm()
    unit, year, tertial = _posted_period(form, Permission.REPORT_WRITE)
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "error")
        return _after_post(unit, year, tertial, _row_anchor(form.row_key.data))
    run(
        lambda: report_service.save_summary(
            current_user, unit, year, tertial, form.row_key.data, form.text.data
        ),
        "Texten är sparad.",
    )
    return _after_post(unit, year, tertial, _row_anchor(form.row_key.data))


@bp.route("/faststall", methods=["POST"])
@login_required
def freeze():
    form = FreezeForm()
    unit, year, tertial = _posted_period(form, Permission.REPORT_WRITE)
    if form.validate_on_submit():
        run(
            lambda: report_service.freeze(current_user, unit, year, tertial),
            f"{TERTIAL_NAMES[tertial]} {year} är fastställd.",
        )
    return _after_post(unit, year, tertial)


@bp.route("/hav-faststallande", methods=["POST"])
@login_required
def unfreeze():
    form = UnfreezeForm()
    unit, year, tertial = _posted_period(form, Permission.REPORT_UNFREEZE)
    if not form.validate_on_submit():
        flash("Ange varför fastställandet ska hävas.", "error")
        return _after_post(unit, year, tertial, "faststall")
    run(
        lambda: report_service.unfreeze(current_user, unit, year, tertial, form.reason.data),
        f"Fastställandet av {TERTIAL_NAMES[tertial]} {year} är hävt.",
    )
    return _after_post(unit, year, tertial)


def _export_report(fmt: str):
    _form, unit, year, up_to = _choice()
    if unit is None:
        abort(400)
    audit.log_access(current_user, "report.export", detail=f"{fmt} {unit.code} {year} T{up_to}")
    return build_report(unit, year, up_to)


def _filename(report, extension: str) -> str:
    return f"synpunkter-{report.unit.code}-{report.year}-{TERTIAL_NAMES[report.up_to]}.{extension}"


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    report = _export_report("xlsx")
    return Response(
        export.to_xlsx(report, utcnow()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "xlsx")}"'},
    )


@bp.route("/export.csv")
@login_required
def export_csv():
    report = _export_report("csv")
    return Response(
        export.to_csv(report),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'},
    )
