"""Swedish working days: weekends and Swedish public holidays are not working days.

Uses the ``holidays`` library's Swedish calendar; Sundays that it lists as holidays are
weekends anyway. Midsommarafton, julafton and nyårsafton count as days off, as in
municipal practice (they are de facto holidays under most collective agreements).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> frozenset[date]:
    swedish = holidays.country_holidays("SE", years=year, language="sv")
    days = {day for day, name in swedish.items() if name != "Söndag"}
    for day, name in swedish.items():
        if name == "Midsommardagen":
            days.add(day - timedelta(days=1))  # midsommarafton, always a Friday
    days.add(date(year, 12, 24))  # julafton
    days.add(date(year, 12, 31))  # nyårsafton
    return frozenset(days)


def is_working_day(day: date) -> bool:
    """True for Monday–Friday that is not a Swedish public holiday or de facto day off."""
    return day.weekday() < 5 and day not in _holidays_for(day.year)


@lru_cache(maxsize=65_536)
def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself is not counted).

    Memoised: a pure function of its dates, asked for the same deadlines on every page
    (each running lex track's steps for the header count, each list row's deadlines).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """The working days after ``start`` up to and including ``end`` (0 when ``end`` is
    not after ``start``): something received on ``start`` and done on ``end`` took this
    many working days, and is within a deadline of N days when this is at most N."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
