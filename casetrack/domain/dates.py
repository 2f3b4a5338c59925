"""Dates in the organisation's calendar (Europe/Stockholm)."""

from __future__ import annotations

import calendar
import re
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


# What a person types for a date: ÅÅÅÅ-MM-DD, or the same digits with "/", "." or a space
# between them, or none at all (20260302). Day-first dates (30/2/2026) are refused with a
# message that says to write the year first: 03/02/2026 is 3 February to a Swede and
# 2 March to others, so guessing would store the wrong date without anyone noticing.
_YEAR_FIRST = re.compile(
    r"(?P<year>[0-9]{4})(?:[-/. ](?P<month>[0-9]{1,2})[-/. ](?P<day>[0-9]{1,2})"
    r"|(?P<month8>[0-9]{2})(?P<day8>[0-9]{2}))"
)
_YEAR_LAST = re.compile(r"[0-9]{1,2}[-/. ][0-9]{1,2}[-/. ][0-9]{2,4}")
MONTH_NAMES = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip
DATE_FORMAT_MESSAGE = "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-02."


class TypedDateError(ValueError):
    """A typed date that is not a date; the message says what is wrong, in Swedish."""


def read_typed_date(text: str) -> date:
    """The date in ``text`` as a person types it (see above), or TypedDateError saying
    exactly what is wrong: the format, the month, or a day the month does not have."""
    typed = text.strip()
    match = _YEAR_FIRST.fullmatch(typed)
    if match is None:
        if _YEAR_LAST.fullmatch(typed):
            raise TypedDateError(
                "Skriv året först, som ÅÅÅÅ-MM-DD, till exempel 2026-03-02 för 2 mars 2026."
            )
        raise TypedDateError(DATE_FORMAT_MESSAGE)
    typed_month = match["month"] or match["month8"]
    year, month = int(match["year"]), int(typed_month)
    day = int(match["day"] or match["day8"])
    if year < 1:
        raise TypedDateError(f"Året {match['year']} finns inte. {DATE_FORMAT_MESSAGE}")
    if not 1 <= month <= 12:
        raise TypedDateError(f"Månaden ska vara 01–12 (du skrev {typed_month}).")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise TypedDateError(
            f"{year}-{month:02d}-{day:02d} finns inte: "
            f"{MONTH_NAMES[month - 1]} {year} har {days} dagar."
        )
    return date(year, month, day)
