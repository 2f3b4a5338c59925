"""The public e-tjänst (no login): leave a synpunkt, klagomål or beröm; follow a case.

The receipt code (kvittenskod) is shown once on the page that answers the POST, e-mailed
when an address was given, typed back into a POST form to follow the case, and never put
in a URL or a log line. Abuse protection without CAPTCHA: rate limits per client address
(Flask-Limiter), a honeypot field, size limits, and a lock on a reference after repeated
wrong codes.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from limits import parse_many

from casetrack import lookups
from casetrack.extensions import db, limiter
from casetrack.models import Case, OrgUnit
from casetrack.services import intake
from casetrack.services.errors import DomainError
from casetrack.web.intake_forms import AddInformationForm, FollowCaseForm, PublicSubmissionForm

bp = Blueprint("intake", __name__)
log = logging.getLogger(__name__)

# The session remembers a correct reference and code for this long (add information).
FOLLOW_SESSION_KEY = "_follow_case"
FOLLOW_SESSION_SECONDS = 15 * 60
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
    "Vänta 15 minuter och försök igen."
)


def _submit_limit() -> str:
    return current_app.config["CASETRACK"]["PUBLIC_RATE_LIMIT"]


def _follow_limit() -> str:
    return current_app.config["CASETRACK"]["FOLLOW_RATE_LIMIT"]


def unit_choices() -> dict[str, list[tuple[int, str]]]:
    """Active enheter and verksamheter grouped by their avdelning (for <optgroup>)."""
    units = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.active.is_(True))).all()
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


@bp.route("/lamna-synpunkt", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"], error_message=SUBMIT_LIMIT_MESSAGE)
def submit():
    """The public form. A valid POST is answered with the receipt page directly (no
    redirect), so the code is shown once and never travels in a URL."""
    form = PublicSubmissionForm()
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
            try:
                case, code = intake.submit_public(data)
                intake.queue_receipt_mail(case, code)
            except DomainError as error:
                db.session.rollback()
                field = getattr(form, error.field or "", None)
                (field.errors if field is not None else form.form_errors).append(error.message)
            else:
                reference, emailed = case.reference, bool(case.submitter_email)
                unit_name = case.org_unit.name
                db.session.commit()
                return render_template(
                    "intake/receipt.html",
                    reference=reference,
                    code=code,
                    emailed=emailed,
                    unit_name=unit_name,
                )
    status = 422 if form.errors or form.form_errors else 200
    return render_template("intake/submit.html", form=form), status


def _reference_lock():
    """(limiter, limit items) counting failed codes per reference in the limiter storage."""
    items = parse_many(current_app.config["CASETRACK"]["FOLLOW_REFERENCE_FAILURES"])
    return limiter.limiter, items


def _reference_locked(reference: str) -> bool:
    strategy, items = _reference_lock()
    return any(not strategy.test(item, "follow-reference", reference) for item in items)


def _count_failure(reference: str) -> None:
    strategy, items = _reference_lock()
    for item in items:
        strategy.hit(item, "follow-reference", reference)


def _authorised_case() -> Case | None:
    """The case this browser proved it has the code for, within the last 15 minutes."""
    grant = session.get(FOLLOW_SESSION_KEY)
    if not isinstance(grant, dict):
        return None
    if time.time() - float(grant.get("at", 0)) > FOLLOW_SESSION_SECONDS:
        session.pop(FOLLOW_SESSION_KEY, None)
        return None
    case = db.session.get(Case, grant.get("id"))
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
        if _reference_locked(reference):
            form.receipt_code.errors.append(REFERENCE_LOCKED)
            status = 429
        else:
            case = intake.find_by_receipt(reference, form.receipt_code.data)
            if case is None:
                _count_failure(reference)
                form.receipt_code.errors.append(INVALID_RECEIPT)
            else:
                session[FOLLOW_SESSION_KEY] = {"id": case.id, "at": time.time()}
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
    if form.validate_on_submit():
        try:
            intake.add_submitter_information(case, form.body.data)
        except DomainError as error:
            db.session.rollback()
            form.body.errors.append(error.message)
        else:
            db.session.commit()
            return redirect(url_for("intake.followed_case", _anchor="lagt-till"))
    status = 422 if form.errors else 200
    return render_template(
        "intake/case.html", view=intake.public_view(case), form=form, labels=lookups.labels()
    ), status


@bp.route("/folj-arende/avsluta", methods=["POST"])
def stop_following():
    """Forget the case in this browser (e.g. on a shared computer). CSRFProtect has
    already checked the token."""
    session.pop(FOLLOW_SESSION_KEY, None)
    return redirect(url_for("intake.follow"))
