"""Case views: Mina ärenden, the list with filters, search and export, registering, the
case page and its history."""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from casetrack import audit
from casetrack.access import get_case_or_404, has_permission, may_handle, org_tree, unit_ids_for
from casetrack.access.guard import require
from casetrack.domain.dates import local_date
from casetrack.domain.numbers import ascii_int
from casetrack.domain.report_rows import GROUPS, row_key
from casetrack.domain.roles import Permission
from casetrack.exports.spreadsheet import CsvExport
from casetrack.models import Case, utcnow
from casetrack.queries import cases as case_queries
from casetrack.queries import history as history_queries
from casetrack.queries import lookups, pages, paging, start_pages
from casetrack.queries.report import MISSING_CATEGORY, MISSING_SOURCE, UNCLASSIFIED_DEVIATION
from casetrack.services import cases as case_service
from casetrack.services import new_information, saved_searches
from casetrack.web.cases import list_filters
from casetrack.web.cases.forms import CaseFilterForm, RegisterCaseForm, SearchForm
from casetrack.web.cases.history import describe
from casetrack.web.cases.page import render_case_page
from casetrack.web.common.rendered_options import tree_options
from casetrack.web.common.submit import form_status, run, save

bp = Blueprint("cases", __name__, url_prefix="/arenden")

PAGE_SIZE = 50
# The session holds only a random id for this login's saved searches; the words are kept
# on the server (casetrack.services.saved_searches), never in the cookie.
SEARCH_SESSION_KEY = "case_search_owner"


def _today() -> date:
    return local_date(utcnow())


def _handles(user) -> bool:
    return has_permission(user, Permission.CASE_HANDLE)


def _reads_cases(user) -> bool:
    """Case readers, staff (what they filed) and lex Sarah-utredare (what they are assigned:
    ``access.case_scope`` lists exactly those)."""
    return (
        has_permission(user, Permission.CASE_READ)
        or has_permission(user, Permission.CASE_READ_OWN)
        or has_permission(user, Permission.LEX_SARAH_INVESTIGATE)
    )


@bp.route("/mina")
@login_required
def my_work():
    """Mina ärenden: counts that open the case list, and one row per thing to do."""
    if not has_permission(current_user, Permission.CASE_HANDLE):
        return redirect(url_for("main.index"))
    start = start_pages.start_page(current_user, _today())
    # "Försenade" and "Frist snart" are disjoint and together exactly the header's count.
    g.reminder_count = start.reminder_count
    return render_template("cases/my_work.html", start=start, labels=lookups.labels())


@bp.route("/<int:case_id>/ny-information/last", methods=["POST"])
@login_required
def mark_information_read(case_id: int):
    """ "Markera som läst" on a row of Mina ärenden (CSRF checked app-wide)."""
    case = get_case_or_404(case_id, Permission.CASE_HANDLE)
    run(
        lambda: new_information.mark_read(current_user, case),
        f"Informationen i {case.reference} är markerad som läst.",
    )
    return redirect(url_for("cases.my_work", _anchor="att-gora"))


def _filter_form() -> CaseFilterForm:
    form = CaseFilterForm(request.args)
    # In tree order, indented, from the org tree cached per process (casetrack/access/org_tree.py).
    units = tree_options(org_tree.current(), unit_ids_for(current_user, Permission.CASE_READ))
    form.enhet.choices = [("", "Alla mina enheter"), *units]
    form.enhet.rendered_options = units
    form.typ.choices = [("", "Alla"), *lookups.options("kind", active_only=False)]
    form.status.choices = [
        ("", "Alla"),
        ("open", "Alla öppna"),
        ("closed", "Alla avslutade"),
        *lookups.options("status", active_only=False),
    ]
    form.kategori.choices = [("", "Alla"), *lookups.options("category", active_only=False)]
    form.kalla.choices = [("", "Alla"), *lookups.options("source", active_only=False)]
    form.rad.choices = report_row_choices()
    form.handlaggare.choices = [
        ("", "Alla"),
        ("none", "Ingen tilldelad"),
        *([("me_or_none", "Jag eller ingen tilldelad")] if _handles(current_user) else []),
        *[(str(uid), name) for uid, name in case_queries.handler_choices(current_user)],
    ]
    return form


def report_row_choices() -> list[tuple[str, str]]:
    choices = [("", "Alla")]
    for group in GROUPS:
        choices += [(row_key(row), f"{group.label}: {row.label}") for row in group.rows]
    choices += [
        (MISSING_SOURCE, "Saknar uppgift om från vem"),
        (MISSING_CATEGORY, "Saknar kategori"),
        (UNCLASSIFIED_DEVIATION, "Avvikelser utan lagrum eller händelsetyp"),
    ]
    return choices


def _saved_search(key: str | None) -> str | None:
    """The saved words under ``key`` (looked up once per request)."""
    cache = g.setdefault("_saved_searches", {})
    if key not in cache:
        owner = session.get(SEARCH_SESSION_KEY)
        cache[key] = saved_searches.text_for(current_user, owner, key)
    return cache[key]


def _current_filter(form: CaseFilterForm) -> case_queries.CaseFilter | None:
    """The filter from valid GET parameters; None when the form has errors."""
    if request.args and not form.validate():
        return None
    return case_queries.CaseFilter(
        unit_id=int(form.enhet.data) if form.enhet.data else None,
        kind=form.typ.data or None,
        status=form.status.data or None,
        category=form.kategori.data or None,
        source=form.kalla.data or None,
        handler=form.handlaggare.data or None,
        received_from=form.fran.data,
        received_to=form.till.data,
        overdue=bool(form.forsenade.data),
        due_soon=bool(form.frist_snart.data),
        handled_units=bool(form.mina_enheter.data),
        text=_saved_search(request.args.get("sokning")),
        report_row=form.rad.data or None,
        figure=form.psb.data or None,
        indicator=form.ind.data or None,
        sort=form.sortering.data or "inkom_desc",
    )


def _query_args(**changes) -> dict:
    args = {k: v for k, v in request.args.items() if v}
    args.update(changes)
    return {k: v for k, v in args.items() if v not in (None, "")}


@bp.route("/")
@require(_reads_cases)
def list_cases():
    """Cases the user may read, filtered, searched, sorted and paginated."""
    form = _filter_form()
    flt = _current_filter(form)
    search_key = request.args.get("sokning")
    search_form = SearchForm(text=_saved_search(search_key))
    if search_key and _saved_search(search_key) is None:
        # Search words live on the server only (never in a URL): an old link, or one
        # from another login, shows the list without them, and says so.
        flash("Sökningen finns inte längre, så listan visas utan den. Sök igen.", "info")
    pagination = None
    if flt is not None:
        stmt = case_queries.filtered(current_user, flt, _today())
        # A page number that is not plain digits, or is absurdly large, is page 1 (a
        # huge OFFSET overflows the database's 64-bit integer).
        page = ascii_int(request.args.get("sida", "1"), maximum=paging.MAX_PAGE) or 1
        pagination = paging.paginate(
            stmt,
            page=page,
            per_page=PAGE_SIZE,
            options=(joinedload(Case.org_unit), joinedload(Case.assigned_handler)),
        )
        if page > 1 and not pagination.items:  # an old link, or a page typed in by hand
            flash(f"Listan har ingen sida {page}. Här är första sidan.", "info")
            return redirect(url_for("cases.list_cases", **_query_args(sida=None)))
    status = 200 if flt is not None else 422
    return (
        render_template(
            "cases/list.html",
            chips=list_filters.chips(form, _query_args, flt.text) if flt is not None else [],
            drill_heading=(
                list_filters.drill_heading(
                    form, pagination, (request.args.get("rapport") or "").startswith("psb-")
                )
                if flt is not None
                else None
            ),
            report_link=list_filters.report_link(
                request.args.get("rapport"), form.rad.data or form.psb.data or form.ind.data
            ),
            form=form,
            search_form=search_form,
            search_key=search_key if _saved_search(search_key) else None,
            pagination=pagination,
            labels=lookups.labels(),
            query_args=_query_args,
            can_register=has_permission(current_user, Permission.CASE_REGISTER),
        ),
        status,
    )


@bp.route("/sok", methods=["POST"])
@require(_reads_cases)
def search():
    """Keep the search words on the server and show the list under an opaque key."""
    form = SearchForm()
    args = {k: v for k, v in request.args.items() if v and k not in ("sokning", "sida")}
    if not form.validate_on_submit():
        flash(form.text.errors[0] if form.text.errors else "Skriv något att söka efter.", "error")
        return redirect(url_for("cases.list_cases", **args))
    owner = session.get(SEARCH_SESSION_KEY)
    if not isinstance(owner, str) or not owner:
        owner = saved_searches.new_owner()
    saved = save(form, lambda: saved_searches.save(current_user, owner, form.text.data))
    if not saved:
        flash(saved.error.message, "error")
        return redirect(url_for("cases.list_cases", **args))
    key = saved.value
    session[SEARCH_SESSION_KEY] = owner
    return redirect(url_for("cases.list_cases", sokning=key, **args))


@bp.route("/export.csv")
@require(_reads_cases)
def export_csv():
    """The filtered list as CSV (semicolon-separated, UTF-8 with BOM for Excel).

    Only the fields the list needs; no free text or contact details (SECURITY.md K3-60).
    """
    flt = _current_filter(_filter_form())
    if flt is None:
        abort(400)
    labels = lookups.labels()
    stmt = case_queries.filtered(current_user, flt, _today())
    out = CsvExport()
    out.row(
        [
            "Diarienummer",
            "Ärendetyp",
            "Enhet",
            "Inkom",
            "Status",
            "Från vem",
            "Kanal",
            "Kategorier",
            "Handläggare",
            "Återkoppling lämnad",
            "Åtgärder genomförda",
        ]
    )
    exported = 0
    for case in pages.cases_for_export(stmt):
        exported += 1
        out.row(
            (
                case.reference,
                labels["kind"].get(case.kind_code),
                case.org_unit.name,
                case.received_on.isoformat(),
                labels["status"].get(case.status_code),
                labels["source"].get(case.source_code, ""),
                labels["channel"].get(case.channel_code, ""),
                ", ".join(c.label for c in case.categories),
                case.assigned_handler.name if case.assigned_handler else "",
                "ja" if case.feedback else "nej",
                sum(1 for a in case.actions if a.done_on),
            )
        )
    audit.log_access(current_user, "cases.export", detail=f"{exported} ärenden")
    filename = f"arenden-{_today().isoformat()}.csv"
    return Response(
        out.text(),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _fill_choices(form: RegisterCaseForm) -> None:
    units = case_service.units_for_registration(current_user, Permission.CASE_REGISTER)
    form.org_unit_id.choices = [(unit.id, unit.name) for unit in units]
    form.kind_code.choices = lookups.options("kind")
    form.source_code.choices = [("", "Välj (kan fyllas i senare)"), *lookups.options("source")]
    form.channel_code.choices = [
        ("", "Välj (kan fyllas i senare)"),
        *[
            (code, label)
            for code, label in lookups.options("channel")
            if code not in ("e_tjanst", "avvikelseblankett")
        ],
    ]
    form.category_codes.choices = lookups.options("category")


@bp.route("/nytt", methods=["GET", "POST"])
@login_required
def register():
    """A handler or manager registers a case received by telefon, brev, besök ..."""
    if not has_permission(current_user, Permission.CASE_REGISTER):
        return redirect(url_for("main.index"))
    form = RegisterCaseForm()
    _fill_choices(form)
    saved = None
    if request.method == "GET":
        form.received_on.data = _today()
        if len(form.org_unit_id.choices) == 1:
            form.org_unit_id.data = form.org_unit_id.choices[0][0]
    if form.validate_on_submit():
        data = case_service.NewCase(
            kind_code=form.kind_code.data,
            org_unit_id=form.org_unit_id.data,
            received_on=form.received_on.data,
            description=form.description.data,
            title=form.title.data,
            channel_code=form.channel_code.data,
            source_code=form.source_code.data,
            category_codes=form.category_codes.data or [],
            category_other_note=form.category_other_note.data,
            is_anonymous=form.is_anonymous.data,
            wants_feedback=form.wants_feedback.data,
            submitter_name=form.submitter_name.data,
            submitter_email=form.submitter_email.data,
            submitter_phone=form.submitter_phone.data,
            person_concerned=form.person_concerned.data,
        )
        saved = save(form, lambda: case_service.register_case(current_user, data))
        if saved:
            case = saved.value
            flash(f"Ärendet är registrerat med diarienummer {case.reference}.", "success")
            return redirect(url_for("cases.detail", case_id=case.id))
    return render_template("cases/new.html", form=form), form_status(form, saved)


@bp.route("/<int:case_id>")
@login_required
def detail(case_id: int):
    case = get_case_or_404(case_id)
    audit.log_access(current_user, "case.view", case=case)
    return render_case_page(case)


@bp.route("/<int:case_id>/historik")
@login_required
def history(case_id: int):
    case = get_case_or_404(case_id)
    audit.log_access(current_user, "case.history", case=case)
    return render_template(
        "cases/history.html",
        case=case,
        labels=lookups.labels(),
        history=describe(history_queries.entries_for_case(case)),
        can_handle=may_handle(current_user, case),
    )
