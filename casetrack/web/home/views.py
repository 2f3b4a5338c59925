"""The start page, the health check and the tillgänglighetsredogörelse (public)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from casetrack.access import has_permission
from casetrack.domain.roles import Permission

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    if has_permission(current_user, Permission.CASE_HANDLE):
        return redirect(url_for("cases.my_work"))
    if has_permission(current_user, Permission.REPORT_WRITE):
        return redirect(url_for("reports.show"))
    if has_permission(current_user, Permission.CASE_READ):
        return redirect(url_for("cases.list_cases"))
    # A lex Sarah-utredare: the cases whose utredning they are assigned (issue 19).
    if has_permission(current_user, Permission.LEX_SARAH_INVESTIGATE):
        return redirect(url_for("cases.list_cases"))
    # Medarbetare: the avvikelser they filed and "Ny avvikelse", made for a phone.
    if has_permission(current_user, Permission.CASE_FILE_DEVIATION):
        return redirect(url_for("deviations.mine"))
    if has_permission(current_user, Permission.CASE_READ_OWN):
        return redirect(url_for("cases.list_cases"))
    return render_template("main/index.html")


@bp.route("/halsa")
def health():
    """Liveness for load balancers and monitoring: a tiny answer, no login, no database.

    It is also the framework floor in the throughput benchmark (docs/BENCHMARKS.md).
    """
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.route("/tillganglighet")
def accessibility_statement():
    """The accessibility statement that DOS-lagen (2018:1937) requires; public."""
    return render_template("main/accessibility.html")
