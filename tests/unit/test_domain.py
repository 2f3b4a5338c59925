from datetime import date

import pytest

from casetrack.domain.case_numbers import format_reference
from casetrack.domain.tertials import tertial_bounds, tertial_of
from casetrack.domain.workdays import add_working_days, is_working_day


@pytest.mark.parametrize(
    ("day", "tertial"),
    [
        (date(2026, 1, 1), 1),
        (date(2026, 4, 30), 1),
        (date(2026, 5, 1), 2),
        (date(2026, 8, 31), 2),
        (date(2026, 9, 1), 3),
        (date(2026, 12, 31), 3),
    ],
)
def test_a_date_falls_in_the_tertial_of_its_month(day, tertial):
    assert tertial_of(day) == tertial


def test_tertial_bounds_cover_the_whole_year_without_gaps():
    assert tertial_bounds(2024, 1) == (date(2024, 1, 1), date(2024, 4, 30))
    assert tertial_bounds(2024, 2) == (date(2024, 5, 1), date(2024, 8, 31))
    assert tertial_bounds(2024, 3) == (date(2024, 9, 1), date(2024, 12, 31))
    with pytest.raises(ValueError):
        tertial_bounds(2024, 4)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # nyårsdagen
        date(2026, 1, 6),  # trettondedag jul
        date(2026, 4, 3),  # långfredagen
        date(2026, 4, 6),  # annandag påsk
        date(2026, 5, 1),  # första maj
        date(2026, 5, 14),  # Kristi himmelsfärd
        date(2026, 6, 19),  # midsommarafton
        date(2026, 12, 24),  # julafton
        date(2026, 12, 31),  # nyårsafton
        date(2026, 11, 21),  # a Saturday
    ],
)
def test_swedish_holidays_and_weekends_are_not_working_days(day):
    assert not is_working_day(day)


def test_working_days_skip_weekends_and_easter():
    # Thursday before Easter 2026 + 2 working days: Good Friday and Easter Monday are off.
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)
    assert add_working_days(date(2026, 4, 2), 2) == date(2026, 4, 8)
    # Friday + 1 working day is Monday.
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)
    assert add_working_days(date(2026, 11, 20), 0) == date(2026, 11, 20)


def test_references_are_zero_padded_per_prefix_and_year():
    assert format_reference("AO", 2026, 42) == "AO-2026-00042"
    assert format_reference("FN", 2027, 123456) == "FN-2027-123456"
    with pytest.raises(ValueError):
        format_reference("AO", 2026, 0)


def test_overdue_cut_off_matches_the_working_day_deadline():
    from datetime import timedelta

    from casetrack.domain.deadlines import due_date, latest_overdue_received_on

    today = date(2026, 4, 9)  # Thursday after Easter
    cutoff = latest_overdue_received_on(today, 2)
    # Received Thursday 2 April: due Wednesday 8 April (Good Friday, Easter Monday off).
    assert due_date(date(2026, 4, 2), 2) == date(2026, 4, 8)
    # Something received on Easter Monday is due Wednesday 8 April as well.
    assert cutoff == date(2026, 4, 6)
    for offset in range(60):
        received = today - timedelta(days=offset)
        assert (received <= cutoff) is (due_date(received, 2) < today)


def test_report_rows_are_exactly_the_units_table():
    import json
    from pathlib import Path

    from casetrack.domain import report_rows

    spec = json.loads(
        (Path(__file__).parent.parent / "data" / "ils_report_rows.json").read_text("utf-8")
    )
    assert spec["title"] == report_rows.TITLE
    assert spec["first_column_header"] == report_rows.FIRST_COLUMN
    assert spec["unit_label"] == report_rows.UNIT
    assert spec["columns"] == [
        *report_rows.TERTIAL_COLUMNS,
        report_rows.TOTAL_COLUMN,
        report_rows.SUMMARY_COLUMN,
    ]
    ours = [
        (group.code, group.label, [(row.code, row.label) for row in group.rows])
        for group in report_rows.GROUPS
    ]
    theirs = [
        (group["code"], group["label"], [(row["code"], row["label"]) for row in group["rows"]])
        for group in spec["groups"]
    ]
    assert ours == theirs
