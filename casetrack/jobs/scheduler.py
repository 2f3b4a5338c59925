"""``casetrack scheduler``: APScheduler's BlockingScheduler in its own process.

Never started inside web workers: several gunicorn workers (or the reloader) would run
every job several times. Even so, two schedulers at once send nothing twice
(``occurrences.claim``); the outbox sender claims each message itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from casetrack.extensions import db
from casetrack.models import utcnow

log = logging.getLogger(__name__)
TIMEZONE = "Europe/Stockholm"


def _retention(now: datetime) -> int:
    from casetrack.services import retention

    return len(retention.run(dry_run=False, now=now).due)


def _send_mail(now: datetime) -> int:
    from casetrack.infra.mailer import send_pending

    return send_pending(now=now).sent


def _reminders(now: datetime) -> int:
    from casetrack.jobs.reminders import run_reminders

    return run_reminders(now)


def _acknowledgements(now: datetime) -> int:
    from casetrack.jobs.reminders import send_acknowledgements

    return send_acknowledgements(now)


def _alarm(now: datetime) -> int:
    from casetrack.jobs.alarms import unassigned_alarm

    return unassigned_alarm(now)


def _digest(now: datetime) -> int:
    from casetrack.jobs.alarms import send_digest

    return send_digest(now)


def _tertial(now: datetime) -> int:
    from casetrack.jobs.alarms import tertial_close_reminder

    return tertial_close_reminder(now)


def _role_review(now: datetime) -> int:
    from casetrack.jobs.role_review import role_review_reminder

    return role_review_reminder(now)


def _access_alarm(now: datetime) -> int:
    from casetrack.jobs.alarms import access_alarm

    return access_alarm(now)


# name -> (job function, cron fields). Jobs that send to staff check for working days
# themselves (a cron trigger does not know Swedish holidays).
JOBS: dict[str, tuple[Callable[[datetime], int], dict]] = {
    "reminders": (_reminders, {"day_of_week": "mon-fri", "hour": 7, "minute": 0}),
    "acknowledgements": (_acknowledgements, {"minute": "*/10"}),
    "send-mail": (_send_mail, {"minute": "*"}),
    "digest": (_digest, {"day_of_week": "mon-fri", "hour": 7, "minute": 30}),
    "unassigned-alarm": (_alarm, {"day_of_week": "mon-fri", "hour": "7-17", "minute": 5}),
    "tertial-close": (_tertial, {"day_of_week": "mon-fri", "hour": 7, "minute": 15}),
    "role-review": (_role_review, {"day_of_week": "mon-fri", "hour": 7, "minute": 20}),
    "retention": (_retention, {"hour": 2, "minute": 30}),
    "access-alarm": (_access_alarm, {"minute": "*/10"}),
}


def run_job(app: Flask, name: str, now: datetime | None = None) -> int:
    """Run one job in its own app context and transaction; commit once, roll back on error."""
    function = JOBS[name][0]
    with app.app_context():
        try:
            count = function(now or utcnow())
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    log.info("scheduled job %s done: %d", name, count)
    return count


def build_scheduler(app: Flask) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=TIMEZONE)
    for name, (_, cron) in JOBS.items():
        scheduler.add_job(
            _safe_run,
            CronTrigger(timezone=TIMEZONE, **cron),
            args=(app, name),
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=300,
        )
    return scheduler


def _safe_run(app: Flask, name: str) -> None:
    try:
        run_job(app, name)
    except Exception:  # the scheduler keeps running; the next run tries again
        log.exception("scheduled job %s failed", name)
