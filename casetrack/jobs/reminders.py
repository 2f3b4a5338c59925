"""Deadline reminders to staff, and the mottagningsbekräftelse to the public.

A reminder *kind* is one small function ``kind(today, recipients) -> Iterable[Due]`` in
``REMINDERS``: it says which objects are due, on which working day (``trigger``), under
which occasion key, with which template. ``run_reminders`` does the rest: skips weekends
and holidays, claims (job, object, occasion) exactly once, picks recipients through
``unit_ids_for``, queues one e-mail each and has it audited (services.mail). Adding a reminder is
adding one function to ``REMINDERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from casetrack.domain import escalation as rules
from casetrack.domain.dates import local_date
from casetrack.domain.deadlines import due_date
from casetrack.domain.roles import Permission, Role
from casetrack.domain.workdays import add_working_days, is_working_day
from casetrack.extensions import db
from casetrack.jobs.occurrences import claim
from casetrack.jobs.recipients import Recipients
from casetrack.models import Action, Case, Escalation, Feedback, Status, User
from casetrack.queries.cases import deadline_days
from casetrack.queries.escalation import step_deadline_settings, track_step_dues
from casetrack.services import handling
from casetrack.services.mail import queue_mail, record_scheduled_mail
from casetrack.services.messages import compose, swedish_date


def setting(name: str) -> int:
    return int(current_app.config["CASETRACK"][name])


def link(path: str) -> str:
    return current_app.config["CASETRACK"]["BASE_URL"].rstrip("/") + path


def working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_day_on_or_before(day: date) -> date:
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_days_before(day: date, days: int) -> date:
    """The working day that lies ``days`` working days before ``day``."""
    current = day
    while days:
        current -= timedelta(days=1)
        if is_working_day(current):
            days -= 1
    return current


def open_cases() -> sa.Select:
    """Open, not anonymised cases; closed cases never get reminders."""
    return (
        sa.select(Case)
        .join(Status, Status.code == Case.status_code)
        .where(Status.type == "open", Case.anonymised_at.is_(None))
        .options(joinedload(Case.org_unit), joinedload(Case.assigned_handler))
    )


@dataclass
class Due:
    case: Case
    object_key: str
    occasion: str
    trigger: date  # the working day the reminder is sent
    frist: date | None
    template: str
    # None: the case's handler (or its enhetschefer while unassigned).
    recipients: list[User] | None = None
    extra: dict = field(default_factory=dict)


# --- reminder kinds ------------------------------------------------------------------------


def acknowledgement_due(today: date, recipients: Recipients) -> Iterable[Due]:
    """Mottagningsbekräftelse not recorded by its deadline day."""
    stmt = open_cases().where(
        Case.kind_code != "deviation",
        Case.is_anonymous.is_(False),
        sa.or_(Case.submitter_email.is_not(None), Case.submitter_phone.is_not(None)),
        Case.acknowledged_on.is_(None),
    )
    days = deadline_days("acknowledgement")
    for case in db.session.scalars(stmt).unique():
        due = due_date(case.received_on, days)
        yield Due(case, f"case:{case.id}", due.isoformat(), due, due, "reminder_acknowledgement")


def _awaiting_feedback() -> sa.Select:
    return open_cases().where(
        Case.kind_code != "praise",
        Case.wants_feedback.is_(True),
        ~sa.exists().where(Feedback.case_id == Case.id),
    )


def feedback_due(today: date, recipients: Recipients) -> Iterable[Due]:
    """Återkoppling due soon: a few working days before its deadline."""
    days, before = deadline_days("feedback"), setting("FEEDBACK_REMINDER_DAYS_BEFORE")
    for case in db.session.scalars(_awaiting_feedback()).unique():
        due = due_date(case.received_on, days)
        trigger = working_days_before(due, before)
        yield Due(case, f"case:{case.id}", due.isoformat(), trigger, due, "reminder_feedback_due")


def feedback_overdue(today: date, recipients: Recipients) -> Iterable[Due]:
    """Återkoppling not given by its deadline: the first working day after it."""
    days = deadline_days("feedback")
    for case in db.session.scalars(_awaiting_feedback()).unique():
        due = due_date(case.received_on, days)
        trigger = working_day_on_or_after(due + timedelta(days=1))
        yield Due(
            case, f"case:{case.id}", due.isoformat(), trigger, due, "reminder_feedback_overdue"
        )


def action_due(today: date, recipients: Recipients) -> Iterable[Due]:
    """Open åtgärder on their due date (the working day before, if it is a day off)."""
    stmt = (
        sa.select(Action, Case)
        .join(Case, Case.id == Action.case_id)
        .where(
            Case.id.in_(open_cases().with_only_columns(Case.id)),
            Action.done_on.is_(None),
            Action.due_on.is_not(None),
        )
    )
    for action, case in db.session.execute(stmt):
        trigger = working_day_on_or_before(action.due_on)
        yield Due(
            case,
            f"action:{action.id}",
            action.due_on.isoformat(),
            trigger,
            action.due_on,
            "reminder_action_due",
        )


def effect_followup_due(today: date, recipients: Recipients) -> Iterable[Due]:
    """Done åtgärder without a verdict or waiver, 30 days after done."""
    stmt = (
        sa.select(Action, Case)
        .join(Case, Case.id == Action.case_id)
        .where(
            Case.id.in_(open_cases().with_only_columns(Case.id)),
            Action.done_on.is_not(None),
            Action.effect_verdict.is_(None),
            Action.effect_waived_reason.is_(None),
        )
    )
    days = setting("EFFECT_FOLLOWUP_DAYS")
    for action, case in db.session.execute(stmt):
        trigger = working_day_on_or_after(action.done_on + timedelta(days=days))
        yield Due(
            case,
            f"action:{action.id}",
            trigger.isoformat(),
            trigger,
            add_working_days(trigger, 10),
            "reminder_effect_followup",
        )


LEX_ROLES = {"lex_sarah": Role.SAS, "lex_maria": Role.MAS}


def lex_steps_due(today: date, recipients: Recipients) -> Iterable[Due]:
    """Lex Sarah / lex Maria: each step with a deadline (an organisation setting, in
    working days, the same ones the case page shows) that is not recorded yet.

    One reminder on the last day, and one the next working day if it is still missing;
    to the track's SAS (lex Sarah) or MAS (lex Maria) and the case's handler.
    """
    deadlines = list(step_deadline_settings())
    stmt = (
        sa.select(Escalation)
        .join(Case, Case.id == Escalation.case_id)
        .where(
            Case.id.in_(open_cases().with_only_columns(Case.id)),
            Escalation.completed_on.is_(None),
        )
        .options(joinedload(Escalation.case).joinedload(Case.org_unit))
    )
    for track in db.session.scalars(stmt).unique():
        case = track.case
        people = None
        for step, due, met in track_step_dues(track, deadlines):
            if met is not None:
                continue
            if people is None:
                people = recipients.role_in_unit(
                    LEX_ROLES[track.track], Permission.CASE_READ, case.org_unit_id
                )
                people += [u for u in recipients.for_case(case) if u not in people]
            label = rules.step_label(track.track, step)
            key = f"escalation:{track.id}:{step}"
            extra = {"steg": label}
            on_time = working_day_on_or_after(due)
            late = add_working_days(due, 1)
            yield Due(case, key, f"due:{due.isoformat()}", on_time, due, "reminder_lex_step",
                      recipients=people, extra=extra)  # fmt: skip
            yield Due(case, key, f"overdue:{due.isoformat()}", late, due,
                      "reminder_lex_step_overdue", recipients=people, extra=extra)  # fmt: skip


REMINDERS: dict[str, Callable[[date, Recipients], Iterable[Due]]] = {
    "reminder_acknowledgement": acknowledgement_due,
    "reminder_feedback_due": feedback_due,
    "reminder_feedback_overdue": feedback_overdue,
    "reminder_action_due": action_due,
    "reminder_effect_followup": effect_followup_due,
    "reminder_lex_step": lex_steps_due,
}


def is_current(due: Due, today: date) -> bool:
    """Due today, or missed within the catch-up window (the scheduler was down).

    Older occasions are not sent at all: the first run after installing casetrack must
    not mail every overdue case of the past years; the weekly digest lists them.
    """
    return due.trigger <= today and (today - due.trigger).days <= setting("REMINDER_CATCH_UP_DAYS")


def case_values(case: Case, frist: date | None) -> dict:
    return {
        "diarienummer": case.reference,
        "enhet": case.org_unit.name,
        "handlaggare": case.assigned_handler.name if case.assigned_handler else "",
        "frist": swedish_date(frist),
        "lank": link(f"/arenden/{case.id}"),
    }


def run_reminders(now: datetime, kinds: Iterable[str] | None = None) -> int:
    """Queue every reminder due today, exactly once. Nothing on weekends and holidays."""
    today = local_date(now)
    if not is_working_day(today):
        return 0
    recipients = Recipients()
    queued = 0
    for kind in kinds or REMINDERS:
        for due in REMINDERS[kind](today, recipients):
            if not is_current(due, today):
                continue
            people = due.recipients if due.recipients is not None else recipients.for_case(due.case)
            if not people or not claim(kind, due.object_key, due.occasion, now):
                continue
            for user in people:
                values = case_values(due.case, due.frist) | {"mottagare": user.name}
                subject, body = compose(due.template, values | due.extra)
                queue_mail(user.email, subject, body, purpose=kind[:40], case=due.case)
                queued += 1
            record_scheduled_mail(
                "reminder.queued",
                {"kind": kind, "occasion": due.occasion, "recipients": len(people)},
                now,
                case=due.case,
            )
    return queued


def send_acknowledgements(now: datetime) -> int:
    """Mottagningsbekräftelse naming the handler, once a handler is assigned.

    Only for cases with an e-mail address whose acknowledgement is not yet recorded (a
    handler may have acknowledged by telephone: that is respected). ``acknowledged_on`` is
    set when the message is queued.
    """
    today = local_date(now)
    stmt = open_cases().where(
        Case.kind_code != "deviation",
        Case.is_anonymous.is_(False),
        Case.submitter_email.is_not(None),
        Case.acknowledged_on.is_(None),
        Case.assigned_handler_id.is_not(None),
    )
    queued = 0
    for case in db.session.scalars(stmt).unique():
        if not claim("acknowledgement", f"case:{case.id}", "sent", now):
            continue
        frist = due_date(case.received_on, deadline_days("feedback"))
        subject, body = compose("acknowledgement", case_values(case, frist) | {"lank": ""})
        queue_mail(case.submitter_email, subject, body, purpose="acknowledgement", case=case)
        handling.acknowledged_by_mail(case, max(today, case.received_on), now)
        queued += 1
    return queued
