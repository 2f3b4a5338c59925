"""Handling a case: assignment, status, återkoppling and åtgärder (DESIGN §4 steps 3–5)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from casetrack import audit
from casetrack.access import may_handle, unit_ids_for
from casetrack.domain.codes import EFFECT_VERDICTS, FEEDBACK_METHODS, NO_FEEDBACK_REASONS
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import (
    Action,
    Case,
    CaseNote,
    Category,
    Channel,
    Feedback,
    InvestigationCause,
    Source,
    Status,
    User,
    utcnow,
)
from casetrack.queries import action_plans as action_plan_queries
from casetrack.queries import deviations as deviation_queries
from casetrack.queries import escalation as escalation_queries
from casetrack.services.cases import case_snapshot
from casetrack.services.checks import BEFORE_RECEIVED, check_date, check_version, clean_text, touch
from casetrack.services.mail import record_scheduled_mail
from casetrack.services.search import refresh_search_document

MAX_NOTE = 20_000


def require_handler(actor: User, case: Case, expected_version: int | None = None) -> None:
    """The actor must handle the case's unit, and the form must not be stale."""
    if not may_handle(actor, case):
        raise NotPermitted("Du kan inte handlägga det här ärendet.")
    check_version(case, expected_version)


def _require_open(case: Case) -> None:
    if db.session.get(Status, case.status_code).type == "closed":
        raise DomainError("Ärendet är avslutat. Öppna det igen för att ändra det.")


def assign_handler(
    actor: User,
    case: Case,
    handler: User | None,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
):
    """Make ``handler`` responsible for ``case`` (None: unassign). Audited."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    if handler is not None and case.org_unit_id not in unit_ids_for(
        handler, Permission.CASE_HANDLE
    ):
        raise DomainError("Personen är inte handläggare för ärendets enhet.", "handler_id")
    before = case_snapshot(case)
    case.assigned_handler = handler
    case.assigned_handler_id = handler.id if handler else None
    touch(case, actor, now)
    audit_change(actor, case, before, now)


def change_status(
    actor: User,
    case: Case,
    status_code: str,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
):
    """Move an open case to another open status. Closing and reopening have their own
    services because closing has a rule. Audited."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    _require_open(case)
    status = db.session.get(Status, status_code)
    if status is None or not status.active:
        raise DomainError("Välj en status i listan.", "status_code")
    if status.type == "closed":
        raise DomainError("Använd Avsluta ärendet för att stänga det.", "status_code")
    before = case_snapshot(case)
    case.status_code = status_code
    touch(case, actor, now)
    audit_change(actor, case, before, now)


def give_feedback(
    actor: User,
    case: Case,
    *,
    given_on: date,
    given_to: str,
    method: str,
    summary: str,
    internal_note: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Feedback:
    """Record återkoppling given to whoever raised the case. Audited.

    ``summary`` is the answer to that person, shown to them word for word on "Följ ditt
    ärende" and in the e-mail; ``internal_note`` (optional) is for handlers only and is
    kept as an internal note on the case, never on the public page.
    """
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    check_date(given_on, "given_on", now, earliest=case.received_on)
    if method not in {item.code for item in FEEDBACK_METHODS}:
        raise DomainError("Välj hur återkopplingen gavs.", "method")
    given_to = clean_text(
        given_to, "given_to", max_length=200, required="Ange vem som fick återkopplingen."
    )
    summary = clean_text(
        summary,
        "summary",
        max_length=MAX_NOTE,
        required="Skriv svaret till den som lämnade ärendet.",
    )
    internal_note = clean_text(internal_note, "internal_note", max_length=MAX_NOTE)
    feedback = Feedback(
        case=case,
        given_on=given_on,
        given_to=given_to,
        method=method,
        summary=summary,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(feedback)
    touch(case, actor, now)
    db.session.flush()
    audit.record(
        "feedback.given",
        entity_type="feedback",
        entity_id=feedback.id,
        case=case,
        actor=actor,
        after={"given_on": given_on, "method": method},
        occurred_at=now,
    )
    if internal_note:
        save_note(case, "internal", internal_note, actor=actor, now=now)
    return feedback


def add_action(
    actor: User,
    case: Case,
    *,
    description: str,
    responsible: str,
    due_on: date | None = None,
    cause_id: int | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Action:
    """Add an åtgärd to ``case``, optionally linked to the utredning's cause it addresses.
    Audited."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    description = clean_text(
        description, "description", max_length=MAX_NOTE, required="Beskriv åtgärden."
    )
    responsible = clean_text(
        responsible, "responsible", max_length=200, required="Ange vem som är ansvarig."
    )
    if due_on is not None and due_on < case.received_on:
        raise DomainError(BEFORE_RECEIVED, "due_on")
    if cause_id is not None:
        cause = db.session.get(InvestigationCause, cause_id)
        if cause is None or cause.investigation.case_id != case.id:
            raise DomainError("Välj en orsak i listan.", "cause_id")
    action = Action(
        case=case,
        description=description,
        responsible=responsible,
        due_on=due_on,
        cause_id=cause_id,
        created_at=now,
        created_by_id=actor.id,
    )
    db.session.add(action)
    touch(case, actor, now)
    db.session.flush()
    audit.record(
        "action.added",
        entity_type="action",
        entity_id=action.id,
        case=case,
        actor=actor,
        after={"due_on": due_on, "responsible": "(text)", "cause_id": cause_id},
        occurred_at=now,
    )
    return action


def complete_action(
    actor: User,
    action: Action,
    *,
    done_on: date,
    effect_evaluated_on: date | None = None,
    effect_verdict: str | None = None,
    effect_waived_reason: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Mark an åtgärd done and record its effect follow-up, or waive it with a reason.

    An åtgärd is complete when it is done and its effect is evaluated or waived. Audited.
    """
    now = now or utcnow()
    case = action.case
    require_handler(actor, case, expected_version)
    effect_waived_reason = (effect_waived_reason or "").strip() or None
    if effect_waived_reason and effect_verdict:
        raise DomainError(
            "Välj antingen en bedömning av effekten eller ett skäl att avstå.",
            "effect_waived_reason",
        )
    if effect_waived_reason and len(effect_waived_reason) > 500:
        raise DomainError("Högst 500 tecken.", "effect_waived_reason")
    check_date(done_on, "done_on", now, earliest=case.received_on)
    if effect_verdict is not None:
        if effect_verdict not in {item.code for item in EFFECT_VERDICTS}:
            raise DomainError("Välj en bedömning av effekten.", "effect_verdict")
        if effect_evaluated_on is None:
            raise DomainError("Ange när effekten följdes upp.", "effect_evaluated_on")
        check_date(effect_evaluated_on, "effect_evaluated_on", now, earliest=done_on)
    fields = ("done_on", "effect_evaluated_on", "effect_verdict", "effect_waived_reason")
    before = {name: getattr(action, name) for name in fields}
    action.done_on = done_on
    action.effect_evaluated_on = effect_evaluated_on if effect_verdict else None
    action.effect_verdict = effect_verdict
    action.effect_waived_reason = effect_waived_reason
    touch(case, actor, now)
    after = {name: getattr(action, name) for name in fields}
    if after["effect_waived_reason"]:
        after["effect_waived_reason"] = "(text)"
    if before["effect_waived_reason"]:
        before["effect_waived_reason"] = "(text)"
    old, new = audit.diff(before, after)
    audit.record(
        "action.updated",
        entity_type="action",
        entity_id=action.id,
        case=case,
        actor=actor,
        before=old,
        after=new,
        occurred_at=now,
    )


def acknowledged_by_mail(case: Case, acknowledged_on: date, now: datetime) -> None:
    """The scheduler queued the mottagningsbekräftelse (jobs/reminders). Audited."""
    case.acknowledged_on = acknowledged_on
    record_scheduled_mail(
        "case.acknowledged", {"acknowledged_on": acknowledged_on, "by": "e-post"}, now, case=case
    )


def audit_change(
    actor: User, case: Case, before: dict, now: datetime, action: str = "case.updated"
) -> None:
    old, new = audit.diff(before, case_snapshot(case))
    if new:
        audit.record(
            action,
            entity_type="case",
            entity_id=case.id,
            case=case,
            actor=actor,
            before=old,
            after=new,
            occurred_at=now,
        )


def update_details(
    actor: User,
    case: Case,
    *,
    source_code: str | None,
    channel_code: str | None,
    category_codes: list[str],
    category_other_note: str | None,
    title: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Complete or correct source, channel, categories and title. Audited with a diff."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    if source_code and db.session.get(Source, source_code) is None:
        raise DomainError("Välj från vem ärendet kom.", "source_code")
    if channel_code and db.session.get(Channel, channel_code) is None:
        raise DomainError("Välj en kanal i listan.", "channel_code")
    categories = []
    for code in dict.fromkeys(category_codes):
        category = db.session.get(Category, code)
        if category is None:
            raise DomainError("Välj kategorier i listan.", "category_codes")
        categories.append(category)
    title = clean_text(
        title,
        "title",
        max_length=200,
        required="Ange en rubrik.",
        too_long="Rubriken får vara högst 200 tecken.",
    )
    note = clean_text(category_other_note, "category_other_note", max_length=200)
    before = case_snapshot(case)
    case.source_code = source_code or None
    case.channel_code = channel_code or None
    case.categories = categories
    case.category_other_note = note if "annat" in {c.code for c in categories} else None
    case.title = title
    touch(case, actor, now)
    refresh_search_document(case)
    audit_change(actor, case, before, now)


def add_note(
    actor: User, case: Case, body: str, *, kind: str = "internal", now: datetime | None = None
) -> CaseNote:
    """Add an internal note (handlers only see it). Audited without the text."""
    now = now or utcnow()
    require_handler(actor, case)
    body = clean_text(
        body,
        "body",
        max_length=MAX_NOTE,
        required="Skriv anteckningen.",
        too_long=f"Anteckningen får vara högst {MAX_NOTE} tecken.",
    )
    return save_note(case, kind, body, actor=actor, now=now)


def save_note(
    case: Case,
    kind: str,
    body: str,
    *,
    actor: User | None,
    actor_label: str | None = None,
    now: datetime,
) -> CaseNote:
    """Store a checked note on ``case``, searchable, audited without the text."""
    note = CaseNote(
        case=case,
        kind=kind,
        body=body,
        created_at=now,
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(note)
    db.session.flush()
    refresh_search_document(case)
    audit.record(
        "note.added",
        entity_type="note",
        entity_id=note.id,
        case=case,
        actor=actor,
        actor_label=actor_label,
        after={"kind": kind},
        occurred_at=now,
    )
    return note


def acknowledge(
    actor: User,
    case: Case,
    *,
    acknowledged_on: date,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Record that a mottagningsbekräftelse was sent. Audited."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    check_date(acknowledged_on, "acknowledged_on", now, earliest=case.received_on)
    before = case_snapshot(case)
    case.acknowledged_on = acknowledged_on
    touch(case, actor, now)
    audit_change(actor, case, before, now)


def close_case(
    actor: User,
    case: Case,
    *,
    status_code: str = "avslutad",
    no_feedback_reason: str | None = None,
    source_code: str | None = None,
    category_codes: list[str] | None = None,
    category_other_note: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Close a case. It needs at least one återkoppling or a recorded reason why not
    (anonym, avböjt, ej nåbar); beröm needs neither. Audited.

    An avvikelse whose assessed risk is at or above the organisation's threshold needs its
    händelseanalys recorded first (casetrack.queries.deviations.closing_problem), and
    an åtgärd plan that needs approval must be approved as it stands
    (casetrack.queries.action_plans.closing_problem); a lex track whose ställningstagande
    is serious needs its anmälan to IVO (casetrack.queries.escalation.ivo_closing_problem).

    A klagomål, synpunkt or avvikelse also needs what the tertial report counts it by:
    från vem and at least one category. When the case lacks them, they are given here
    (``source_code``, ``category_codes``) and saved with the closing, or the case stays
    open and nothing is saved. A source that is not known is "annan", whose report row
    reads "Annan (t.ex. okänd)"; "annat" as category needs its "ange vad" note.
    """
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    _require_open(case)
    status = db.session.get(Status, status_code)
    if status is None or status.type != "closed":
        raise DomainError("Välj en avslutande status.", "status_code")
    has_feedback = db.session.scalar(
        sa.select(sa.func.count()).select_from(Feedback).where(Feedback.case_id == case.id)
    )
    if no_feedback_reason and no_feedback_reason not in NO_FEEDBACK_REASONS:
        raise DomainError("Välj ett skäl i listan.", "no_feedback_reason")
    if not has_feedback and not no_feedback_reason and case.kind_code != "praise":
        raise DomainError(
            "Ärendet kan inte avslutas utan återkoppling. Registrera återkopplingen, "
            "eller ange varför ingen återkoppling lämnas.",
            "no_feedback_reason",
        )
    # Issue 19: above the organisation's risk threshold an avvikelse needs its
    # händelseanalys first.
    problem = deviation_queries.closing_problem(case)
    if problem is not None:
        raise DomainError(problem)
    # Issue 19: an åtgärd plan that needs approval is approved as it stands.
    problem = action_plan_queries.closing_problem(case)
    if problem is not None:
        raise DomainError(problem)
    # Issue 19: a serious ställningstagande holds the case open until IVO has its anmälan.
    problem = escalation_queries.ivo_closing_problem(case)
    if problem is not None:
        raise DomainError(problem)
    source, categories, other_note = _report_facts_at_closing(
        case, source_code, category_codes or [], category_other_note
    )
    before = case_snapshot(case)
    if source is not None:
        case.source_code = source
    if categories is not None:
        case.categories = categories
        case.category_other_note = other_note
        refresh_search_document(case)  # the "annat" note is searchable
    case.status_code = status.code
    case.no_feedback_reason = None if has_feedback else no_feedback_reason
    case.closed_at = now
    touch(case, actor, now)
    audit_change(actor, case, before, now, action="case.closed")


def _report_facts_at_closing(
    case: Case, source_code: str | None, category_codes: list[str], other_note: str | None
) -> tuple[str | None, list[Category] | None, str | None]:
    """Check the source and categories a closing gives for a case that lacks them.

    Returns what to set: (source or None to keep it, categories or None to keep them, the
    "annat" note). Raises ``DomainError`` at the field before anything is changed.
    """
    if case.kind_code == "praise":
        return None, None, None
    source = None
    if case.source_code is None:
        if not source_code:
            raise DomainError(
                "Ange från vem ärendet kom. Går det inte att veta: välj Annan (t.ex. okänd).",
                "source_code",
            )
        if db.session.get(Source, source_code) is None:
            raise DomainError("Välj från vem ärendet kom i listan.", "source_code")
        source = source_code
    if case.categories:
        return source, None, None
    categories = []
    for code in dict.fromkeys(category_codes):
        category = db.session.get(Category, code)
        if category is None:
            raise DomainError("Välj kategorier i listan.", "category_codes")
        categories.append(category)
    if not categories:
        raise DomainError(
            "Välj minst en kategori: vad gällde ärendet? Passar ingen: välj Annat och ange vad.",
            "category_codes",
        )
    note = clean_text(other_note, "category_other_note", max_length=200)
    if "annat" in {category.code for category in categories}:
        if not note:
            raise DomainError("Ange vad ärendet gällde när du väljer Annat.", "category_other_note")
        return source, categories, note
    return source, categories, None


def reopen_case(
    actor: User,
    case: Case,
    *,
    status_code: str = "under_utredning",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Reopen a closed case. Audited."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    if db.session.get(Status, case.status_code).type != "closed":
        raise DomainError("Ärendet är redan öppet.")
    status = db.session.get(Status, status_code)
    if status is None or status.type != "open":
        raise DomainError("Välj en öppen status.", "status_code")
    before = case_snapshot(case)
    case.status_code = status.code
    case.closed_at = None
    case.no_feedback_reason = None
    touch(case, actor, now)
    audit_change(actor, case, before, now, action="case.reopened")
