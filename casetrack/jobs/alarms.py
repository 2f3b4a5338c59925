"""The weekly digest, the unassigned-submission alarm, the tertial-close reminder and the
loggkontroll alarm to the security contact."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from casetrack.access import case_scope
from casetrack.domain.dates import STOCKHOLM, local_date
from casetrack.domain.roles import Permission, Role
from casetrack.domain.tertials import tertial_bounds
from casetrack.domain.workdays import add_working_days, is_working_day
from casetrack.extensions import db
from casetrack.jobs.occurrences import claim
from casetrack.jobs.recipients import Recipients
from casetrack.jobs.reminders import (
    case_values,
    link,
    open_cases,
    setting,
    working_days_before,
)
from casetrack.models import AccessLogEntry, Case, JobOccurrence
from casetrack.queries.cases import any_overdue
from casetrack.services import access_review
from casetrack.services.intake import PUBLIC_ACTOR
from casetrack.services.mail import queue_mail, record_scheduled_mail
from casetrack.services.messages import compose, swedish_date

DIGEST_MAX_LINES = 40


def _first_working_day_of_week(today: date) -> bool:
    monday = today - timedelta(days=today.weekday())
    day = monday
    while not is_working_day(day):
        day += timedelta(days=1)
    return day == today


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
        record_scheduled_mail(
            "digest.queued", {"user_id": user.id, "cases": len(rows), "week": occasion}, now
        )
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
        record_scheduled_mail(
            "alarm.unassigned", {"recipients": len(managers), "via": PUBLIC_ACTOR}, now, case=case
        )
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
            record_scheduled_mail(
                "reminder.tertial_close", {"user_id": user.id, "tertial_end": end}, now
            )
            queued += 1
    return queued


# --- loggkontroll alarm (K3-79) ------------------------------------------------------------

ACCESS_ALARM_JOB = "access_alarm"
ACCESS_ALARM_RUN = "access_alarm.run"
# Each run looks back to the previous run minus this overlap, so an access-log entry whose
# transaction committed a little after the previous run began is still seen; the claims
# make the overlap harmless.
ACCESS_ALARM_OVERLAP = timedelta(minutes=15)
FIRST_RUN_LOOKBACK = timedelta(days=1)
FLAG_TEXTS = {
    "outside_units": "öppnade ärenden i en enhet där personen inte har behörighet i dag",
    "many_cases": "öppnade många olika ärenden på kort tid",
}


def security_contacts() -> list[str]:
    raw = current_app.config["CASETRACK"].get("SECURITY_CONTACT_EMAIL") or ""
    return [address.strip() for address in raw.split(",") if address.strip()]


def _scan_start(now: datetime) -> datetime:
    """Where this run starts reading: the previous run (minus the overlap), at most the
    catch-up window back; the first run ever looks one day back."""
    last = db.session.scalar(
        sa.select(sa.func.max(JobOccurrence.handled_at)).where(
            JobOccurrence.job == ACCESS_ALARM_RUN, JobOccurrence.handled_at < now
        )
    )
    floor = now - timedelta(days=setting("REMINDER_CATCH_UP_DAYS"))
    start = (last - ACCESS_ALARM_OVERLAP) if last is not None else now - FIRST_RUN_LOOKBACK
    return max(start, floor)


def access_alarm(now: datetime) -> int:
    """E-mail the security contact when loggkontroll flags a new access-log entry.

    Once per person, kind of flag and (Stockholm) day: the first flagged access raises
    the alarm, later ones that day are in loggkontroll. Every day, weekends included. No
    contact configured (CASETRACK_SECURITY_CONTACT_EMAIL): nothing is read or sent.
    """
    contacts = security_contacts()
    if not contacts:
        return 0
    since = _scan_start(now)
    claim(ACCESS_ALARM_RUN, "scan", now.isoformat(), now)
    window = timedelta(minutes=setting("ACCESS_BURST_MINUTES"))
    entries = db.session.scalars(
        sa.select(AccessLogEntry)
        .where(
            AccessLogEntry.occurred_at >= since - window,
            AccessLogEntry.occurred_at <= now,
            AccessLogEntry.user_id.is_not(None),
            AccessLogEntry.case_id.is_not(None),
        )
        .options(joinedload(AccessLogEntry.user))
        .order_by(AccessLogEntry.occurred_at, AccessLogEntry.id)
    ).all()
    rows = [access_review.Row(entry, None) for entry in entries]
    access_review.flag_rows(rows)
    found: dict[tuple[int, str, date], list[AccessLogEntry]] = {}
    for row in rows:
        if row.entry.occurred_at < since:
            continue
        for flag in row.flags:
            code = access_review.FLAG_CODES[flag]
            key = (row.entry.user_id, code, local_date(row.entry.occurred_at))
            found.setdefault(key, []).append(row.entry)
    queued = 0
    for (user_id, code, day), flagged in sorted(found.items(), key=lambda item: item[0]):
        if not claim(ACCESS_ALARM_JOB, f"user:{user_id}:{code}", day.isoformat(), now):
            continue
        user = flagged[0].user
        first = flagged[0].occurred_at.astimezone(STOCKHOLM)
        subject = f"Larm från loggkontrollen: ovanlig åtkomst av {user.name}"
        body = (
            "Loggkontrollen i casetrack har flaggat ovanlig åtkomst.\n\n"
            f"Användare: {user.name} (användar-id {user.id})\n"
            f"Flagga: {access_review.FLAG_TEXTS_BY_CODE[code]} – {FLAG_TEXTS[code]}\n"
            f"Första flaggade åtkomsten: {first:%Y-%m-%d %H:%M}\n"
            f"Flaggade åtkomster hittills i dag: {len(flagged)}\n\n"
            f"Granska i loggkontrollen: {link('/loggkontroll/')}\n"
            "Filtrera på användaren och dagen. Du får inget nytt larm om samma sak i dag.\n"
        )
        for address in contacts:
            queue_mail(address, subject, body, purpose="security_alarm")
            queued += 1
        record_scheduled_mail(
            "security.access_alarm",
            {"user_id": user.id, "flag": code, "day": day, "recipients": len(contacts)},
            now,
            user_id=user.id,
        )
    return queued
