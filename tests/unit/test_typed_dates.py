"""A date as a person types it: the ISO form and its near variants are read; anything else
gets a message that says what is wrong (casetrack.domain.dates.read_typed_date)."""

from __future__ import annotations

from datetime import date

import pytest

from casetrack.domain.dates import DATE_FORMAT_MESSAGE, TypedDateError, read_typed_date


@pytest.mark.parametrize(
    "typed,expected",
    [("2026-03-02", date(2026, 3, 2)), ("2026-3-2", date(2026, 3, 2)),
     ("2026/03/02", date(2026, 3, 2)), ("2026.03.02", date(2026, 3, 2)),
     ("20260302", date(2026, 3, 2)), (" 2024-02-29 ", date(2024, 2, 29))],
)  # fmt: skip
def test_the_iso_date_and_its_near_variants_are_read(typed, expected):
    assert read_typed_date(typed) == expected


@pytest.mark.parametrize(
    "typed,message",
    [("2026-02-30", "2026-02-30 finns inte: februari 2026 har 28 dagar."),
     ("2025-04-31", "2025-04-31 finns inte: april 2025 har 30 dagar."),
     ("2026-13-01", "Månaden ska vara 01–12 (du skrev 13)."),
     ("30/2/2026", "Skriv året först, som ÅÅÅÅ-MM-DD, till exempel 2026-03-02 för 2 mars 2026."),
     ("02.03.2026", "Skriv året först, som ÅÅÅÅ-MM-DD, till exempel 2026-03-02 för 2 mars 2026."),
     ("2026123", DATE_FORMAT_MESSAGE), ("20261301", "Månaden ska vara 01–12 (du skrev 13)."),
     ("igår", "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-02."),
     ("0000-01-01", "Året 0000 finns inte. " + DATE_FORMAT_MESSAGE)],
)  # fmt: skip
def test_a_date_that_is_not_one_is_refused_with_what_is_wrong(typed, message):
    with pytest.raises(TypedDateError) as refused:
        read_typed_date(typed)
    assert str(refused.value) == message
