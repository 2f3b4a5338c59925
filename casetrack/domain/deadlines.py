"""Deadlines in Swedish working days (DESIGN §4), configurable per organisation.

A deadline of N working days after the received date has passed when that day is before
today. ``latest_overdue_received_on`` turns this into a date cut-off so that lists can
filter overdue cases in SQL with ``received_on <= cutoff``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from casetrack.domain.workdays import add_working_days

DEFAULT_DEADLINES = {
    "acknowledgement": 2,
    "feedback": 10,
    "lex_sarah_investigation": 2,
}


@dataclass
class Deadline:
    """A deadline as the case page shows it: met on a day, overdue, or still open."""

    label: str
    due: date
    met_on: date | None
    overdue: bool
    # The case is closed: an unmet deadline is no longer "not done yet".
    closed: bool = False


def due_date(received_on: date, working_days: int) -> date:
    """The last day to act for something received on ``received_on``."""
    return add_working_days(received_on, working_days)


@lru_cache(maxsize=4_096)
def latest_overdue_received_on(today: date, working_days: int) -> date:
    """The latest received date whose deadline of ``working_days`` is already past."""
    candidate = today - timedelta(days=1)
    while add_working_days(candidate, working_days) >= today:
        candidate -= timedelta(days=1)
    return candidate
