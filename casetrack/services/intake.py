"""Cases that arrive without a handler: the staff avvikelse form and the public e-tjänst.

A public submitter gets a receipt code (kvittenskod): 80 random bits shown once, e-mailed
if they gave an address, and stored only as a SHA-256 hash. With the reference and the
code anyone can read the status and the återkoppling and add information.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from casetrack.domain.codes import FEEDBACK_METHODS
from casetrack.domain.dates import local_date
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Case, CaseNote, OrgUnit, Status, User, utcnow
from casetrack.queries import settings
from casetrack.queries.start_pages import has_unread_information
from casetrack.services import deviations, new_information
from casetrack.services.cases import NewCase, register_case
from casetrack.services.checks import clean_text
from casetrack.services.handling import save_note
from casetrack.services.mail import queue_mail

PUBLIC_KINDS = ("suggestion", "complaint", "praise")
# Crockford-style alphabet without look-alikes (no I, L, O, U, 0, 1).
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_CODE_LENGTH = 16  # 16 symbols of 30 ≈ 78 bits
PUBLIC_ACTOR = "e-tjänst"
# The public form takes shorter texts than a handler's registration (abuse protection).
PUBLIC_MAX_TEXT = 10_000
TOO_LONG = "Texten får vara högst 10 000 tecken. Korta texten eller dela upp den."


def new_receipt_code() -> str:
    """A fresh receipt code such as ``K7QM-2XRP-9DHT-W4NB``."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _CODE_LENGTH, 4))


def normalise_receipt_code(code: str) -> str:
    """Accept the code with any spacing, dashes or letter case."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def hash_receipt_code(code: str) -> str:
    return hashlib.sha256(normalise_receipt_code(code).encode()).hexdigest()


@dataclass
class PublicSubmission:
    kind_code: str
    org_unit_id: int
    description: str
    is_anonymous: bool
    wants_feedback: bool
    submitter_name: str | None = None
    submitter_email: str | None = None
    submitter_phone: str | None = None


def submit_public(data: PublicSubmission, *, now: datetime | None = None) -> tuple[Case, str]:
    """Register a synpunkt, klagomål or beröm from the public form; returns (case, code).

    The unit must be an active unit; the case is unassigned and appears at once on the
    lists of the unit's handlers.
    """
    now = now or utcnow()
    if data.kind_code not in PUBLIC_KINDS:
        raise DomainError("Välj om det är en synpunkt, ett klagomål eller ett beröm.", "kind_code")
    unit = db.session.get(OrgUnit, data.org_unit_id) if data.org_unit_id is not None else None
    if unit is None or not unit.active:
        raise DomainError("Välj en verksamhet i listan.", "org_unit_id")
    if len((data.description or "").strip()) > PUBLIC_MAX_TEXT:
        raise DomainError(TOO_LONG, "description")
    if (
        data.wants_feedback
        and not data.is_anonymous
        and not ((data.submitter_email or "").strip() or (data.submitter_phone or "").strip())
    ):
        raise DomainError(
            "Ange e-post eller telefon om du vill ha svar, eller välj att inte få svar. "
            "Du kan också följa ärendet med din kvittenskod.",
            "submitter_email",
        )
    code = new_receipt_code()
    case = register_case(
        None,
        NewCase(
            kind_code=data.kind_code,
            org_unit_id=unit.id,
            received_on=local_date(now),
            description=data.description,
            channel_code="e_tjanst",
            is_anonymous=data.is_anonymous,
            wants_feedback=data.wants_feedback,
            submitter_name=data.submitter_name,
            submitter_email=data.submitter_email,
            submitter_phone=data.submitter_phone,
        ),
        actor_label=PUBLIC_ACTOR,
        receipt_code_hash=hash_receipt_code(code),
        now=now,
    )
    return case, code


def find_by_receipt(reference: str, code: str) -> Case | None:
    """The case with this reference and receipt code, or None (never says which was wrong)."""
    digest = hash_receipt_code(code)
    case = db.session.scalars(sa.select(Case).where(Case.receipt_code_hash == digest)).one_or_none()
    # Compare bytes: compare_digest refuses str with non-ASCII characters (e.g. "Å"),
    # which anyone can type into the form.
    typed = normalise_reference(reference).encode()
    if case is None or not hmac.compare_digest(case.reference.encode(), typed):
        return None
    return case


def normalise_reference(reference: str) -> str:
    """A typed reference as stored: no surrounding spaces, upper case."""
    return (reference or "").strip().upper()


def add_submitter_information(case: Case, text: str, *, now: datetime | None = None) -> CaseNote:
    """The public submitter adds information to their case (visible to handlers). Audited.

    It reopens the question for the handlers (services/new_information.py): a row on Mina
    ärenden until one of them marks it as read or reopens the case, and an e-mail notice
    without the text, sent only for the first addition nobody has read yet (a second one
    before that adds to the same row instead of mailing again).
    """
    now = now or utcnow()
    text = clean_text(
        text,
        "body",
        max_length=PUBLIC_MAX_TEXT,
        required="Skriv det du vill lägga till.",
        too_long=TOO_LONG,
    )
    already_waiting = has_unread_information(case)
    note = save_note(case, "submitter", text, actor=None, actor_label=PUBLIC_ACTOR, now=now)
    if not already_waiting:
        new_information.queue_notice(case, actor_label=PUBLIC_ACTOR, now=now)
    return note


@dataclass
class DeviationReport:
    """The digital avvikelserapport-blankett: at most six fields."""

    org_unit_id: int
    occurred_on: date
    what_happened: str
    immediate_action: str
    person_concerned: str | None = None
    category_codes: list[str] | None = None
    # Issue 19: two optional taps on the blankett; the handler completes them.
    lagrum: str | None = None
    event_type_code: str | None = None


def file_deviation(staff: User, data: DeviationReport, *, now: datetime | None = None) -> Case:
    """A member of staff files an avvikelse; it is received today, from medarbetare."""
    now = now or utcnow()
    if not (data.immediate_action or "").strip():
        raise DomainError("Beskriv vad du gjorde direkt.", "immediate_action")
    # Checked before anything is added, so a wrong choice saves nothing.
    lagrum, event_type_code = deviations.checked_choice(data.lagrum, data.event_type_code)
    case = register_case(
        staff,
        NewCase(
            kind_code="deviation",
            org_unit_id=data.org_unit_id,
            received_on=local_date(now),
            occurred_on=data.occurred_on,
            description=data.what_happened,
            immediate_action=data.immediate_action,
            channel_code="avvikelseblankett",
            source_code="medarbetare",
            category_codes=data.category_codes or [],
            person_concerned=data.person_concerned,
            wants_feedback=True,
        ),
        permission=Permission.CASE_FILE_DEVIATION,
        now=now,
    )
    deviations.classify_when_filed(case, lagrum=lagrum, event_type_code=event_type_code)
    return case


RECEIPT_SUBJECT = "Kvittens: vi har tagit emot ditt ärende {reference}"
RECEIPT_BODY = """Hej!

Tack för att du hörde av dig till {organisation}. Vi har tagit emot det du skrev till
{unit}.

Diarienummer: {reference}
Kvittenskod:  {code}

Med diarienumret och kvittenskoden kan du se hur ärendet går, läsa vår återkoppling och
lägga till information på sidan "Följ ditt ärende" i vår e-tjänst. Spara koden, men visa
den inte för någon annan: den som har koden kan läsa återkopplingen.

Det här mejlet går inte att svara på.
"""


def queue_receipt_mail(case: Case, code: str) -> None:
    """Queue the receipt e-mail (reference and code) when the submitter gave an address.

    The code sits in the outbox only until the message is sent; the mailer then removes it
    from the stored body (the code is otherwise kept only as a hash).
    """
    if not case.submitter_email:
        return
    queue_mail(
        case.submitter_email,
        RECEIPT_SUBJECT.format(reference=case.reference),
        RECEIPT_BODY.format(
            reference=case.reference,
            code=code,
            unit=case.org_unit.name,
            organisation=settings.organisation_name(),
        ),
        purpose="receipt",
        case=case,
    )


@dataclass
class PublicFeedback:
    given_on: date
    method: str
    summary: str


@dataclass
class PublicCaseView:
    """What the receipt-code page may show (SECURITY.md K3-53): status and återkoppling,
    no internal notes, no handler names."""

    reference: str
    kind_code: str
    unit_name: str
    received_on: date
    status_label: str
    is_closed: bool
    feedback: list[PublicFeedback]
    added_information: list[tuple[datetime, str]]


def public_view(case: Case) -> PublicCaseView:
    """The submitter's view of their case: of the återkoppling only the answer written to
    them (``Feedback.summary``, "Svar till den som lämnade ärendet"), and of the notes only
    what they added themselves. Internal notes, including the one written with an
    återkoppling, never reach it."""
    methods = {item.code: item.label for item in FEEDBACK_METHODS}
    status = db.session.get(Status, case.status_code)
    return PublicCaseView(
        reference=case.reference,
        kind_code=case.kind_code,
        unit_name=case.org_unit.name,
        received_on=case.received_on,
        status_label=status.label,
        is_closed=status.type == "closed",
        feedback=[
            PublicFeedback(item.given_on, methods.get(item.method, item.method), item.summary)
            for item in case.feedback
        ],
        added_information=[
            (note.created_at, note.body) for note in case.notes if note.kind == "submitter"
        ],
    )
