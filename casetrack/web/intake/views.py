"""The public e-tjänst (no login): leave a synpunkt, klagomål or beröm; follow a case.

The receipt code (kvittenskod) is shown once on the receipt page the POST redirects to
(POST/redirect/GET since issue 20, so a reload never submits again; the grant that carries
it is casetrack.services.receipts), e-mailed when an address was given, typed back into a
POST form to follow the case, and never put in a URL, a log line or the session cookie.
Abuse protection without CAPTCHA: rate limits per client address (Flask-Limiter), a
honeypot field, size limits, and a lock on a reference after repeated wrong codes.

The lock (issue 16). References are sequential, so a lock on the reference alone let
anyone shut a submitter out of their case with ten wrong codes from ten addresses. Wrong
codes are counted three ways in the limiter storage:

- per (reference, client address), FOLLOW_REFERENCE_FAILURES (10 per 15 minutes): that
  address is then refused for that reference for the rest of the window;
- per reference from all addresses, FOLLOW_REFERENCE_BACKSTOP (30 per 15 minutes): above
  it the reference is under attack, and each address may fail only
  FOLLOW_GUARDED_FAILURES (1 per 15 minutes) times for it;
- the page's own per-address rate limit (FOLLOW_RATE_LIMIT) stays as it was.

So the backstop never refuses an address that has not failed: the submitter, typing the
right code from their own address, always gets in; an attacker gets one guess per address
per window against a 78-bit code. Every wrong code is audited and security-logged
("security.follow_failed", without the code); a refused attempt is too
("security.follow_locked").

The grant that opens the case page is kept on the server (casetrack.services.follow);
the session holds only its random token.
"""

from __future__ import annotations

import logging
import secrets

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from limits import parse_many

from casetrack.extensions import db, limiter
from casetrack.models import Case
from casetrack.queries import lookups, pages
from casetrack.queries.settings import organisation_name
from casetrack.services import follow as follow_service
from casetrack.services import intake, receipts, sessions
from casetrack.web.common.submit import form_status, save
from casetrack.web.intake.forms import AddInformationForm, FollowCaseForm, PublicSubmissionForm

bp = Blueprint("intake", __name__)
log = logging.getLogger(__name__)

# The session holds the token of the server-side grant (casetrack.services.follow),
# which opens the case for 15 minutes after a correct reference and code.
FOLLOW_SESSION_KEY = "_follow_grant"
FOLLOW_SESSION_SECONDS = follow_service.GRANT_SECONDS
# The session holds the token of the receipt grant (casetrack.services.receipts) between
# the POST of the public form and its receipt page, and a random id of this browser that
# recognises the same submission sent twice from it.
RECEIPT_SESSION_KEY = "_receipt_grant"
BROWSER_SESSION_KEY = "_intake_browser"
RECEIPT_GONE = (
    "Kvittensen visas bara en kort stund efter att du har skickat ditt meddelande. "
    "Här kan du följa ditt ärende med diarienumret och kvittenskoden."
)
# Levels a member of the public chooses among (enheter and their verksamheter).
PUBLIC_LEVELS = ("enhet", "verksamhet")

SUBMIT_LIMIT_MESSAGE = (
    "Du har skickat in många meddelanden på kort tid. Vänta en stund och försök igen. "
    "Brådskande? Ring kommunens kontaktcenter."
)
FOLLOW_LIMIT_MESSAGE = (
    "Du har försökt många gånger på kort tid. Av säkerhetsskäl får du vänta en stund "
    "innan du kan försöka igen."
)
INVALID_RECEIPT = (
    "Diarienumret och kvittenskoden hör inte ihop. Kontrollera att du har skrivit av dem rätt."
)
REFERENCE_LOCKED = (
    "Det har gjorts för många felaktiga försök för det här diarienumret. "
    "Vänta 15 minuter och försök igen. Kopiera gärna koden från kvittensen eller mejlet."
)


def _submit_limit() -> str:
    return current_app.config["CASETRACK"]["PUBLIC_RATE_LIMIT"]


def _follow_limit() -> str:
    return current_app.config["CASETRACK"]["FOLLOW_RATE_LIMIT"]


def unit_choices() -> dict[str, list[tuple[int, str]]]:
    """Active enheter and verksamheter grouped by their avdelning (for <optgroup>)."""
    units = pages.active_units()
    by_id = {unit.id: unit for unit in units}
    groups: dict[str, list[tuple[int, str]]] = {}
    for unit in units:
        if unit.level not in PUBLIC_LEVELS:
            continue
        parent = by_id.get(unit.parent_id) if unit.parent_id else None
        while parent is not None and parent.level != "avdelning":
            parent = by_id.get(parent.parent_id) if parent.parent_id else None
        group = parent.name if parent is not None else "Övriga verksamheter"
        groups.setdefault(group, []).append((unit.id, unit.name))
    return {
        group: sorted(options, key=lambda option: option[1].casefold())
        for group, options in sorted(groups.items(), key=lambda item: item[0].casefold())
    }


@bp.app_context_processor
def _organisation_name() -> dict:
    """``organisation_name()`` for the public pages' header and title (a callable: only
    the pages that show it read the setting)."""
    return {"organisation_name": organisation_name}


def _browser() -> str:
    """A random id of this browser in its session (for recognising a double submission)."""
    value = session.get(BROWSER_SESSION_KEY)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(16)
        session[BROWSER_SESSION_KEY] = value
    return value


@bp.route("/lamna-synpunkt", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"], error_message=SUBMIT_LIMIT_MESSAGE)
def submit():
    """The public form. A valid POST redirects to the receipt page (POST/redirect/GET):
    the code travels in no URL and a reload of the receipt submits nothing."""
    form = PublicSubmissionForm()
    browser = _browser()
    groups = unit_choices()
    form.org_unit_id.choices = groups
    kinds = dict(lookups.options("kind"))
    form.kind_code.choices = [(code, kinds[code]) for code in intake.PUBLIC_KINDS if code in kinds]
    if request.method == "POST" and form.website.data:
        # A bot filled in the honeypot: pretend success, save nothing.
        log.info("public submission dropped: honeypot field filled in")
        return render_template("intake/thanks.html")
    if form.validate_on_submit():
        offered = {unit_id for options in groups.values() for unit_id, _ in options}
        if form.org_unit_id.data not in offered:
            form.org_unit_id.errors.append("Välj en verksamhet i listan.")
        else:
            data = intake.PublicSubmission(
                kind_code=form.kind_code.data,
                org_unit_id=form.org_unit_id.data,
                description=form.description.data,
                is_anonymous=form.is_anonymous.data,
                wants_feedback=form.wants_feedback.data == "ja",
                submitter_name=form.submitter_name.data,
                submitter_email=form.submitter_email.data,
                submitter_phone=form.submitter_phone.data,
            )
            saved = save(form, lambda: receipts.submit(data, browser))
            if saved:
                session[RECEIPT_SESSION_KEY] = saved.value.token
                return redirect(url_for("intake.receipt"))
    return render_template("intake/submit.html", form=form), form_status(form)


@bp.route("/lamna-synpunkt/kvittens")
def receipt():
    """The receipt: the diarienummer, and the code the first time it is opened. A reload
    shows the diarienummer only; without a live grant, "Följ ditt ärende"."""
    shown = receipts.open_receipt(session.get(RECEIPT_SESSION_KEY))
    if shown is None:
        session.pop(RECEIPT_SESSION_KEY, None)
        flash(RECEIPT_GONE, "info")
        return redirect(url_for("intake.follow"))
    db.session.commit()  # the code is erased from the grant: shown once
    return render_template("intake/receipt.html", receipt=shown)


def _limits(setting: str):
    return parse_many(current_app.config["CASETRACK"][setting])


def _refused(reference: str, address: str) -> bool:
    """True when ``address`` may not try a code for ``reference`` now (see the module)."""
    strategy = limiter.limiter
    if any(
        not strategy.test(item, "follow-reference", reference, address)
        for item in _limits("FOLLOW_REFERENCE_FAILURES")
    ):
        return True
    under_attack = any(
        not strategy.test(item, "follow-reference-all", reference)
        for item in _limits("FOLLOW_REFERENCE_BACKSTOP")
    )
    return under_attack and any(
        not strategy.test(item, "follow-reference-guarded", reference, address)
        for item in _limits("FOLLOW_GUARDED_FAILURES")
    )


def _count_failure(reference: str, address: str) -> None:
    strategy = limiter.limiter
    for item in _limits("FOLLOW_REFERENCE_FAILURES"):
        strategy.hit(item, "follow-reference", reference, address)
    for item in _limits("FOLLOW_GUARDED_FAILURES"):
        strategy.hit(item, "follow-reference-guarded", reference, address)
    for item in _limits("FOLLOW_REFERENCE_BACKSTOP"):
        strategy.hit(item, "follow-reference-all", reference)


def _log_attempt(action: str, reference: str) -> None:
    """Audit (and so security-log) a wrong or refused attempt, committed at once."""
    sessions.follow_refused(action, reference)
    db.session.commit()


def _authorised_case() -> Case | None:
    """The case this browser proved it has the code for, within the last 15 minutes."""
    case_id = follow_service.granted_case_id(session.get(FOLLOW_SESSION_KEY))
    case = pages.case_by_id(case_id) if case_id is not None else None
    if case is None or case.receipt_code_hash is None:
        session.pop(FOLLOW_SESSION_KEY, None)
        return None
    return case


@bp.route("/folj-arende", methods=["GET", "POST"])
@limiter.limit(_follow_limit, methods=["POST"], error_message=FOLLOW_LIMIT_MESSAGE)
def follow():
    """Reference + receipt code by POST. Every wrong combination gets the same message."""
    form = FollowCaseForm()
    status = 200
    if form.validate_on_submit():
        reference = intake.normalise_reference(form.reference.data)
        address = get_remote_address() or "-"
        if _refused(reference, address):
            _log_attempt("security.follow_locked", reference)
            form.receipt_code.errors.append(REFERENCE_LOCKED)
            status = 429
        else:
            case = intake.find_by_receipt(reference, form.receipt_code.data)
            if case is None:
                _count_failure(reference, address)
                _log_attempt("security.follow_failed", reference)
                form.receipt_code.errors.append(INVALID_RECEIPT)
            else:
                follow_service.end(session.get(FOLLOW_SESSION_KEY))
                token = follow_service.grant(case)
                db.session.commit()
                session[FOLLOW_SESSION_KEY] = token
                return redirect(url_for("intake.followed_case"))
    if form.errors and status == 200:
        status = 422
    return render_template("intake/follow.html", form=form), status


@bp.route("/folj-arende/ditt-arende", methods=["GET", "POST"])
def followed_case():
    """Status and återkoppling of the case, and a form to add information (POST)."""
    case = _authorised_case()
    if case is None:
        return redirect(url_for("intake.follow"))
    form = AddInformationForm()
    if form.validate_on_submit() and save(
        form, lambda: intake.add_submitter_information(case, form.body.data), default_field="body"
    ):
        return redirect(url_for("intake.followed_case", _anchor="lagt-till"))
    return render_template(
        "intake/case.html", view=intake.public_view(case), form=form, labels=lookups.labels()
    ), form_status(form)


@bp.route("/folj-arende/avsluta", methods=["POST"])
def stop_following():
    """The "Logga ut från ärendet" button: forget the case in this browser (e.g. on a
    shared computer); the case itself goes on (issue 20: "Stäng ärendet" read as
    withdrawing the complaint). The grant is deleted on the server, so a copy of the
    cookie opens nothing. CSRFProtect has already checked the token."""
    follow_service.end(session.pop(FOLLOW_SESSION_KEY, None))
    db.session.commit()
    flash(
        "Du är utloggad från ärendet. Ärendet är inte återkallat utan handläggs som vanligt; "
        "du kan öppna det igen med diarienumret och kvittenskoden.",
        "success",
    )
    return redirect(url_for("intake.follow"))
