"""Tertials: T1 = January–April, T2 = May–August, T3 = September–December (DESIGN §2)."""

from __future__ import annotations

import calendar
from datetime import date

TERTIAL_START_MONTH = {1: 1, 2: 5, 3: 9}


def tertial_of(day: date) -> int:
    """The tertial (1, 2 or 3) a calendar date falls in."""
    return (day.month - 1) // 4 + 1


def tertial_bounds(year: int, tertial: int) -> tuple[date, date]:
    """First and last calendar date of ``tertial`` in ``year`` (both inclusive)."""
    if tertial not in TERTIAL_START_MONTH:
        raise ValueError("tertial must be 1, 2 or 3")
    start_month = TERTIAL_START_MONTH[tertial]
    end_month = start_month + 3
    return date(year, start_month, 1), date(
        year, end_month, calendar.monthrange(year, end_month)[1]
    )
