"""Behörighetsgranskning: which roles are privileged, when a review is due and overdue,
and which due period a reminder belongs to (injected dates, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from casetrack.domain.role_review import (
    Intervals,
    ReviewStatus,
    due_on,
    reminder_occasion,
    status,
)
from casetrack.domain.roles import PRIVILEGED_ROLES, Role, is_privileged


def test_roles_that_reach_beyond_their_own_work_are_privileged():
    assert {
        Role.ADMIN,
        Role.MANAGER,
        Role.QUALITY,
        Role.MAS,
        Role.SAS,
        Role.INVESTIGATOR,
    } == PRIVILEGED_ROLES
    assert not is_privileged("staff") and not is_privileged(Role.HANDLER)


def test_privileged_roles_are_reviewed_monthly_and_the_others_quarterly():
    spans = Intervals(privileged_days=30, other_days=91, notice_days=7)
    assert spans.days_for("quality") == 30
    assert spans.days_for(Role.HANDLER) == 91


def test_a_never_reviewed_assignment_is_due_counted_from_when_it_was_given():
    given = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    assert due_on(given, None, 30) == date(2026, 2, 9)
    reviewed = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert due_on(given, reviewed, 91) == date(2026, 5, 31)


def test_the_due_date_counts_from_the_stockholm_calendar_day():
    # 23:30 UTC on 31 January is already 1 February in Stockholm.
    late_evening = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert due_on(late_evening, None, 30) == date(2026, 3, 3)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 1), ReviewStatus.OK),
        (date(2026, 3, 2), ReviewStatus.DUE),  # seven days before
        (date(2026, 3, 9), ReviewStatus.DUE),  # the last day
        (date(2026, 3, 10), ReviewStatus.OVERDUE),
        (date(2026, 9, 1), ReviewStatus.OVERDUE),
    ],
)
def test_due_from_the_notice_days_before_and_overdue_after_the_last_day(today, expected):
    assert status(date(2026, 3, 9), today, notice_days=7) == expected


def test_a_reminder_belongs_to_one_due_period_and_repeats_once_per_interval():
    due = date(2026, 3, 9)
    occasions = {
        day: reminder_occasion(due, day, interval_days=30, notice_days=7)
        for day in (
            date(2026, 3, 1),
            date(2026, 3, 2),
            date(2026, 3, 9),
            date(2026, 4, 7),
            date(2026, 4, 8),
            date(2026, 5, 7),
            date(2026, 5, 8),
        )
    }
    assert occasions == {
        date(2026, 3, 1): None,  # not yet due
        date(2026, 3, 2): due,
        date(2026, 3, 9): due,
        date(2026, 4, 7): due,  # still the first period: no second reminder yet
        date(2026, 4, 8): date(2026, 4, 8),  # still not reviewed 30 days later
        date(2026, 5, 7): date(2026, 4, 8),
        date(2026, 5, 8): date(2026, 5, 8),
    }
