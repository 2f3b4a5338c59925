"""``casetrack scheduler``: APScheduler's BlockingScheduler in its own process.

Never started inside web workers: several gunicorn workers (or the reloader) would run
every job several times. Even so, two schedulers at once send nothing twice
(``occurrences.claim``); the outbox sender claims each message itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Flask

from casetrack.extensions import db
from casetrack.infra.mailer import send_pending
from casetrack.jobs.alarms import (
    access_alarm,
    send_digest,
    tertial_close_reminder,
    unassigned_alarm,
)
from casetrack.jobs.reminders import run_reminders, send_acknowledgements
from casetrack.jobs.role_review import role_review_reminder
from casetrack.models import utcnow
from casetrack.services import retention

if TYPE_CHECKING:
    from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)
TIMEZONE = "Europe/Stockholm"


def _retention(now: datetime) -> int:
    return len(retention.run(dry_run=False, now=now).due)


def _send_mail(now: datetime) -> int:
    return send_pending(now=now).sent


# name -> (job function, cron fields). Jobs that send to staff check for working days
# themselves (a cron trigger does not know Swedish holidays).
JOBS: dict[str, tuple[Callable[[datetime], int], dict]] = {
    "reminders": (run_reminders, {"day_of_week": "mon-fri", "hour": 7, "minute": 0}),
    "acknowledgements": (send_acknowledgements, {"minute": "*/10"}),
    "send-mail": (_send_mail, {"minute": "*"}),
    "digest": (send_digest, {"day_of_week": "mon-fri", "hour": 7, "minute": 30}),
    "unassigned-alarm": (unassigned_alarm, {"day_of_week": "mon-fri", "hour": "7-17", "minute": 5}),
    "tertial-close": (tertial_close_reminder, {"day_of_week": "mon-fri", "hour": 7, "minute": 15}),
    "role-review": (role_review_reminder, {"day_of_week": "mon-fri", "hour": 7, "minute": 20}),
    "retention": (_retention, {"hour": 2, "minute": 30}),
    "access-alarm": (access_alarm, {"minute": "*/10"}),
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
    # local import: start-up cost (APScheduler, ~35 ms, runs only in `casetrack scheduler`;
    # every app loads the CLI and so this module)
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

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
