"""Editable message templates: compose e-mails from them, let admins change them."""

from __future__ import annotations

from datetime import date, datetime

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.domain.messages import (
    PLACEHOLDERS,
    body_placeholders,
    decorated_placeholders,
    placeholders_in,
    render,
    render_subject,
    subject_placeholders,
    unknown_placeholders,
)
from casetrack.extensions import db
from casetrack.models import MessageTemplate, User, utcnow
from casetrack.services.mail import queue_mail


def swedish_date(day: date | None) -> str:
    return day.isoformat() if day else ""


def compose(code: str, values: dict) -> tuple[str, str]:
    """(subject, body) of template ``code`` with ``values`` filled in."""
    template = db.session.get(MessageTemplate, code)
    if template is None:
        raise LookupError(f"message template {code!r} is missing; run casetrack db upgrade")
    subject = " ".join(render_subject(code, template.subject, values).split())[:200]
    return subject, render(template.body, values)


def _check(text: str, field: str) -> None:
    try:
        unknown = unknown_placeholders(text)
    except ValueError as error:
        raise DomainError(
            "Texten har en ensam { eller }. Skriv platshållare som {diarienummer}.", field
        ) from error
    if unknown:
        names = ", ".join("{" + name + "}" for name in sorted(unknown))
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise DomainError(
            f"Okänd platshållare: {names}. Du kan använda {known}.",
            field,
        )


def _check_plain(text: str, field: str) -> None:
    """Placeholders are plain names: a format or conversion could fail when sending."""
    decorated = decorated_placeholders(text)
    if decorated:
        example = "{" + sorted(placeholders_in(text) & set(PLACEHOLDERS))[0] + "}"
        raise DomainError(
            f"Skriv platshållare som {example}, utan tillägg efter namnet: "
            f"{', '.join(sorted(decorated))} går inte att fylla i.",
            field,
        )


def _check_body(code: str, body: str) -> None:
    """The text uses only placeholders its message is given (others would stay empty)."""
    never = placeholders_in(body) - body_placeholders(code)
    if never:
        names = ", ".join("{" + name + "}" for name in sorted(never))
        allowed = ", ".join("{" + name + "}" for name in sorted(body_placeholders(code)))
        raise DomainError(
            f"{names} fylls aldrig i för det här meddelandet och skulle bli tomt. "
            f"Här kan du använda {allowed}.",
            "body",
        )


def _check_subject(code: str, subject: str) -> None:
    """The subject uses only placeholders its message is given, and never case text."""
    refused = placeholders_in(subject) - subject_placeholders(code)
    if refused:
        names = ", ".join("{" + name + "}" for name in sorted(refused))
        allowed = ", ".join("{" + name + "}" for name in sorted(subject_placeholders(code)))
        raise DomainError(
            f"Ämnesraden får inte innehålla {names}. Ämnesraden syns i mejlprogrammens "
            "listor och aviseringar, så den får aldrig bära ärendets text. "
            f"I ämnesraden för det här meddelandet kan du använda {allowed}.",
            "subject",
        )


def update_template(
    actor: User, code: str, *, subject: str, body: str, now: datetime | None = None
) -> MessageTemplate:
    """Change a template's subject and body; unknown placeholders are refused. Audited."""
    now = now or utcnow()
    template = db.session.get(MessageTemplate, code)
    if template is None:
        raise DomainError("Meddelandet finns inte.")
    subject, body = subject.strip(), body.strip() + "\n"
    if not subject:
        raise DomainError("Skriv en ämnesrad.", "subject")
    if len(subject) > 200:
        raise DomainError("Högst 200 tecken.", "subject")
    if not body.strip():
        raise DomainError("Skriv en text.", "body")
    _check(subject, "subject")
    _check_subject(code, subject)
    _check(body, "body")
    _check_plain(subject, "subject")
    _check_plain(body, "body")
    _check_body(code, body)
    before = {"subject": template.subject, "body_length": len(template.body)}
    template.subject, template.body = subject, body
    template.updated_at, template.updated_by_id = now, actor.id
    audit.record(
        "message_template.updated",
        entity_type="message_template",
        entity_id=None,
        actor=actor,
        before=before,
        after={"code": code, "subject": subject, "body_length": len(body)},
        occurred_at=now,
    )
    return template


def feedback_letter(actor: User, case, text: str, *, base_url: str = "") -> tuple[str, str]:
    """(subject, body) of the återkoppling e-mail carrying ``text``: what is sent, and
    what the case page previews before it is saved."""
    values = {
        "diarienummer": case.reference,
        "enhet": case.org_unit.name,
        "handlaggare": actor.name,
        "text": text,
        "lank": base_url,
    }
    return compose("feedback_letter", values)


def send_feedback_letter(actor: User, case, feedback, *, base_url: str = "") -> None:
    """Queue the återkoppling text as an e-mail to whoever raised the case. Audited.

    The one message that carries case text: the handler's own återkoppling, written to be
    read by the recipient. Never to anonymous submitters or cases without an address.
    """
    if case.is_anonymous or not case.submitter_email:
        raise DomainError("Ärendet har ingen e-postadress att skicka till.", "send_email")
    subject, body = feedback_letter(actor, case, feedback.summary, base_url=base_url)
    queue_mail(case.submitter_email, subject, body, purpose="feedback_letter", case=case)
    audit.record(
        "feedback.emailed",
        entity_type="feedback",
        entity_id=feedback.id,
        case=case,
        actor=actor,
        after={"method": "e-post"},
    )
