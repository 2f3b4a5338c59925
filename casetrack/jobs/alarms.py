"""The weekly digest, the unassigned-submission alarm and the tertial-close reminder."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from casetrack import audit
from casetrack.access import case_scope
from casetrack.domain.dates import local_date
from casetrack.domain.roles import Permission, Role
from casetrack.domain.tertials import tertial_bounds
from casetrack.domain.workdays import add_working_days, is_working_day
from casetrack.extensions import db
from casetrack.jobs.occurrences import claim
from casetrack.jobs.recipients import Recipients
from casetrack.jobs.reminders import (
    SCHEDULER_ACTOR,
    case_values,
    link,
    open_cases,
    setting,
    working_days_before,
)
from casetrack.models import Case
from casetrack.queries.cases import any_overdue
from casetrack.services.intake import PUBLIC_ACTOR
from casetrack.services.mail import queue_mail
from casetrack.services.messages import compose, swedish_date

DIGEST_MAX_LINES = 40


def _first_working_day_of_week(today: date) -> bool:
    monday = today - timedelta(days=today.weekday())
    day = monday
    while not is_working_day(day):
        day += timedelta(days=1)
    return day == today


def _audit(action: str, after: dict, now: datetime, case: Case | None = None) -> None:
    audit.record(
        action,
        entity_type="case" if case else "job",
        entity_id=case.id if case else None,
        case=case,
        actor=None,
        actor_label=SCHEDULER_ACTOR,
        after=after,
        occurred_at=now,
    )


def send_digest(now: datetime) -> int:
    """One e-mail per handler with open cases assigned to them, on the week's first
    working day (Tuesday after Easter Monday), only when there is something."""
    today = local_date(now)
    if not is_working_day(today) or not _first_working_day_of_week(today):
        return 0
    year, week, _ = today.isocalendar()
    occasion = f"{year}-W{week:02d}"
    recipients = Recipients()
    people = {u.id: u for role in (Role.HANDLER, Role.MANAGER) for u in recipients.with_role(role)}
    queued = 0
    for user in people.values():
        overdue = any_overdue(today)
        rows = db.session.execute(
            open_cases()
            .add_columns(overdue.label("overdue"))
            .where(Case.assigned_handler_id == user.id, case_scope(user, Permission.CASE_HANDLE))
            .order_by(Case.received_on, Case.id)
        ).all()
        if not rows or not claim("digest", f"user:{user.id}", occasion, now):
            continue
        late = sum(1 for row in rows if row.overdue)
        lines = [
            f"- {case.reference}, {case.org_unit.name}, inkom {swedish_date(case.received_on)}"
            + (" – försenat" if is_late else "")
            for case, is_late in rows[:DIGEST_MAX_LINES]
        ]
        if len(rows) > DIGEST_MAX_LINES:
            lines.append(f"… och {len(rows) - DIGEST_MAX_LINES} till.")
        values = {
            "mottagare": user.name,
            "antal": f"{len(rows)} (varav {late} försenade)" if late else str(len(rows)),
            "lista": "\n".join(lines),
            "lank": link("/arenden/mina"),
        }
        subject, body = compose("digest", values)
        queue_mail(user.email, subject, body, purpose="digest")
        _audit("digest.queued", {"user_id": user.id, "cases": len(rows), "week": occasion}, now)
        queued += 1
    return queued


def unassigned_alarm(now: datetime) -> int:
    """Alarm the enhetschefer when a public submission has no handler after one working
    day (sent on working days only, once per case)."""
    today = local_date(now)
    if not is_working_day(today):
        return 0
    window = setting("REMINDER_CATCH_UP_DAYS")
    stmt = open_cases().where(
        Case.assigned_handler_id.is_(None),
        Case.created_by_id.is_(None),
        Case.channel_code == "e_tjanst",
        Case.received_on >= today - timedelta(days=window + 10),
    )
    recipients = Recipients()
    queued = 0
    for case in db.session.scalars(stmt).unique():
        trigger = add_working_days(case.received_on, 1)
        if trigger > today or (today - trigger).days > window:
            continue
        managers = recipients.role_in_unit(Role.MANAGER, Permission.CASE_HANDLE, case.org_unit_id)
        if not managers or not claim("unassigned_alarm", f"case:{case.id}", "once", now):
            continue
        frist = add_working_days(case.received_on, setting("DEADLINE_ACKNOWLEDGEMENT_DAYS"))
        for user in managers:
            subject, body = compose(
                "unassigned_alarm", case_values(case, frist) | {"mottagare": user.name}
            )
            queue_mail(user.email, subject, body, purpose="unassigned_alarm", case=case)
            queued += 1
        _audit("alarm.unassigned", {"recipients": len(managers), "via": PUBLIC_ACTOR}, now, case)
    return queued


def tertial_close_reminder(now: datetime) -> int:
    """Remind kvalitetsansvariga five working days before a tertial ends."""
    today = local_date(now)
    if not is_working_day(today):
        return 0
    before = setting("TERTIAL_CLOSE_DAYS_BEFORE")
    window = setting("REMINDER_CATCH_UP_DAYS")
    queued = 0
    for tertial in (1, 2, 3):
        end = tertial_bounds(today.year, tertial)[1]
        trigger = working_days_before(end, before)
        if not (trigger <= today <= end and (today - trigger).days <= window):
            continue
        for user in Recipients().with_role(Role.QUALITY):
            if not claim("tertial_close", f"user:{user.id}", end.isoformat(), now):
                continue
            subject, body = compose(
                "tertial_close",
                {"mottagare": user.name, "tertial": swedish_date(end), "lank": link("/rapport/")},
            )
            queue_mail(user.email, subject, body, purpose="tertial_close")
            _audit("reminder.tertial_close", {"user_id": user.id, "tertial_end": end}, now)
            queued += 1
    return queued
