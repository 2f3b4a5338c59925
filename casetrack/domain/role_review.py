"""Behörighetsgranskning: when a role assignment is due for review (SECURITY.md K3-18).

Pure date arithmetic, no database. An assignment is due ``interval`` days after its last
review, or after it was given when it was never reviewed. Privileged roles (see
``roles.PRIVILEGED_ROLES``) have the short interval, the others the long one. It counts as
*due* from ``notice`` days before that date and as *overdue* the day after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from casetrack.domain.dates import local_date
from casetrack.domain.roles import Role, is_privileged


@dataclass(frozen=True)
class Intervals:
    privileged_days: int = 30
    other_days: int = 91
    notice_days: int = 7

    def days_for(self, role: Role | str) -> int:
        return self.privileged_days if is_privileged(role) else self.other_days


class ReviewStatus(StrEnum):
    OK = "ok"
    DUE = "due"
    OVERDUE = "overdue"


STATUS_LABELS = {
    ReviewStatus.OK: "Granskad",
    ReviewStatus.DUE: "Ska granskas",
    ReviewStatus.OVERDUE: "Försenad",
}


def due_on(assigned_at: datetime, last_reviewed_at: datetime | None, interval_days: int) -> date:
    """The last day the next review should be done by (Stockholm calendar)."""
    return local_date(last_reviewed_at or assigned_at) + timedelta(days=interval_days)


def status(due: date, today: date, notice_days: int) -> ReviewStatus:
    if today > due:
        return ReviewStatus.OVERDUE
    if today >= due - timedelta(days=notice_days):
        return ReviewStatus.DUE
    return ReviewStatus.OK


def reminder_occasion(due: date, today: date, interval_days: int, notice_days: int) -> date | None:
    """The due period ``today`` falls in, named by its date; None while not yet due.

    The first period starts ``notice_days`` before the due date and is named by it. An
    assignment still not reviewed starts a new period every ``interval_days`` after the
    due date, so it is reminded again once per interval (monthly for privileged roles)
    rather than once only or every day.
    """
    if today < due - timedelta(days=notice_days):
        return None
    if today <= due:
        return due
    periods = (today - due).days // interval_days
    return due + timedelta(days=periods * interval_days)
