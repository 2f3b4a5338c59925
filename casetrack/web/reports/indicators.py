"""The quality indicators page: the follow-up of the work itself (issue 23)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required

from casetrack import audit
from casetrack.domain.dates import local_date
from casetrack.domain.report_rows import TERTIAL_NAMES
from casetrack.domain.tertials import tertial_bounds
from casetrack.exports import indicators as export
from casetrack.models import OrgUnit, utcnow
from casetrack.queries import indicators
from casetrack.web.reports.chart import hbar, trend_bars
from casetrack.web.reports.forms import IndicatorChoiceForm
from casetrack.web.reports.views import _unit_or_404, _units_in_scope

bp = Blueprint("indicators", __name__, url_prefix="/rapport/kvalitetsindikatorer")


def _choice() -> tuple[IndicatorChoiceForm, OrgUnit]:
    units = _units_in_scope()
    if not units:
        abort(404)
    form = IndicatorChoiceForm(request.args)
    form.enhet.choices = list(units)
    form.enhet.rendered_options = units
    if not form.enhet.data:
        form.enhet.data = str(units[0][0])
    return form, _unit_or_404(form.enhet.data)  # out of scope or unknown: 404


GROUPS = (
    ("svar", "Mottagningsbekräftelse och återkoppling"),
    ("atg", "Åtgärder och deras effekt"),
    ("lex", "Lex Sarah och lex Maria"),
    ("ater", "Ärenden som öppnats igen"),
)


def group_of(measure: indicators.Measure) -> str:
    prefix = measure.code.split(":")[0]
    return prefix if prefix in ("atg", "lex", "ater") else "svar"


def days(value) -> str:
    """A median in working days, with a decimal comma for a half day."""
    text = f"{value:g}".replace(".", ",")
    return f"{text} {'arbetsdag' if value == 1 else 'arbetsdagar'}"


def trend_chart(report: indicators.IndicatorReport, row: indicators.IndicatorRow):
    """A share's bars on the scale 0–100 over the tertials that have cases behind them
    (a tertial without cases is left out, never drawn as 0 %); None for fewer than two."""
    shown = [i for i, cell in enumerate(row.cells) if cell.value is not None]
    if row.measure.kind != "share" or len(shown) < 2:
        return None
    return trend_bars(
        [row.cells[i].value for i in shown],
        100,
        f"{row.measure.label} (procent)",
        [period_name(report.periods[i]) for i in shown],
        {j: report.open_periods[i] for j, i in enumerate(shown) if i in report.open_periods},
    )


def period_name(period: tuple[int, int]) -> str:
    year, tertial = period
    return f"{TERTIAL_NAMES[tertial]} {year}"


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    _form, unit = _choice()
    audit.log_access(current_user, "indicators.export", detail=f"xlsx {unit.code}")
    report = indicators.build_report(unit, local_date(utcnow()))
    return Response(
        export.to_xlsx(report, utcnow()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="kvalitetsindikatorer-{unit.code}.xlsx"'
        },
    )


@bp.route("/")
@login_required
def show():
    form, unit = _choice()
    today = local_date(utcnow())
    report = indicators.build_report(unit, today)

    def drill(key: str, period: tuple[int, int], target: OrgUnit | None = None) -> str:
        start, end = tertial_bounds(*period)
        return url_for(
            "cases.list_cases",
            enhet=(target or unit).id,
            fran=start.isoformat(),
            till=end.isoformat(),
            ind=key,
            rapport=f"ind-{unit.id}",
        )

    return render_template(
        "reports/indicators.html",
        form=form,
        report=report,
        unit=unit,
        drill=drill,
        period_name=period_name,
        few_text=indicators.FEW_TEXT,
        groups=GROUPS,
        group_of=group_of,
        days=days,
        chart=lambda row: trend_chart(report, row),
        report_labels=indicators.figure_labels(),
        hbar=hbar,
        rules=indicators.counting_rules(report),
    )
