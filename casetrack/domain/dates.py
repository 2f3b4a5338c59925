"""Dates in the organisation's calendar (Europe/Stockholm)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
EARLIEST_CASE_DATE = date(2000, 1, 1)


def local_date(moment: datetime) -> date:
    """The Stockholm calendar date of an aware ``moment``."""
    return moment.astimezone(STOCKHOLM).date()


def local_datetime(moment: datetime) -> datetime:
    """``moment`` expressed in Stockholm time, for display."""
    return moment.astimezone(STOCKHOLM)


def stockholm_today() -> date:
    """Today's date in Stockholm (the date users see), whatever the machine's time zone."""
    return datetime.now(STOCKHOLM).date()
