"""Exactly once under concurrency: two scheduler runs at the same moment, each with its
own connection, queue every reminder once between them (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date

import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.jobs import reminders
from casetrack.jobs.scheduler import run_job
from casetrack.models import JobOccurrence, OutboxMessage
from tests.integration.test_scheduler_jobs import at, contact_case, people  # noqa: F401


def test_two_scheduler_runs_at_once_send_each_reminder_once(app, make, org, people, monkeypatch):  # noqa: F811
    cases = [contact_case(make, org, people, date(2026, 3, 2)) for _ in range(6)]
    db.session.commit()
    db.session.remove()
    postgres = db.engine.dialect.name == "postgresql"
    # On PostgreSQL both runs reach their first INSERT together, so the unique key decides.
    # SQLite takes its write lock when a transaction begins, so the runs start together
    # and the second waits for the first to commit.
    inner = threading.Barrier(2, timeout=10)
    real_claim = reminders.claim
    first = threading.local()

    def racing_claim(*args, **kwargs):
        if postgres and not getattr(first, "done", False):
            first.done = True
            inner.wait()
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(reminders, "claim", racing_claim)
    start = threading.Barrier(2, timeout=10)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(run_job(app, "reminders", at(date(2026, 3, 12))))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    # Each case is due one reminder on 12 March (återkoppling due 16 March); between them
    # the two runs queued each exactly once.
    assert sum(results) == len(cases)
    db.session.expire_all()
    messages = db.session.scalars(sa.select(OutboxMessage)).all()
    assert len(messages) == len(cases)
    assert len({(m.purpose, m.case_id) for m in messages}) == len(messages)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobOccurrence)) == len(messages)
