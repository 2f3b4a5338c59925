"""The next step a case needs, what it lacks for the report, and working days left."""

from __future__ import annotations

from datetime import date

from casetrack.domain.case_steps import (
    ACKNOWLEDGE,
    CLOSE,
    FEEDBACK,
    MISSING_CATEGORY,
    MISSING_SOURCE,
    TAKE,
    CaseState,
    missing_for_report,
    next_steps,
    working_days_left,
)

NEW = CaseState(
    kind="complaint",
    is_closed=False,
    has_handler=False,
    acknowledgement_due=True,
    acknowledged=False,
    wants_feedback=True,
    has_feedback=False,
)


def with_(**changes) -> CaseState:
    return CaseState(**{**NEW.__dict__, **changes})


def test_a_new_case_is_taken_and_acknowledged_first():
    assert next_steps(NEW, can_handle=True) == (TAKE, ACKNOWLEDGE)


def test_a_taken_case_is_acknowledged_then_answered():
    assert next_steps(with_(has_handler=True), can_handle=True) == (ACKNOWLEDGE, FEEDBACK)
    state = with_(has_handler=True, acknowledged=True)
    assert next_steps(state, can_handle=True) == (FEEDBACK,)


def test_an_answered_case_is_offered_closing():
    state = with_(has_handler=True, acknowledged=True, has_feedback=True)
    assert next_steps(state, can_handle=True) == (CLOSE,)


def test_without_contact_details_there_is_no_acknowledgement():
    state = with_(acknowledgement_due=False)
    assert next_steps(state, can_handle=True) == (TAKE, FEEDBACK)


def test_praise_and_cases_that_want_no_answer_go_straight_to_closing():
    praise = with_(kind="praise", has_handler=True, acknowledged=True)
    assert next_steps(praise, can_handle=True) == (CLOSE,)
    declined = with_(wants_feedback=False, has_handler=True, acknowledgement_due=False)
    assert next_steps(declined, can_handle=True) == (CLOSE,)


def test_at_most_two_steps_and_none_for_readers_or_closed_cases():
    assert len(next_steps(NEW, can_handle=True)) == 2
    assert next_steps(NEW, can_handle=True, limit=3) == (TAKE, ACKNOWLEDGE, FEEDBACK)
    assert next_steps(NEW, can_handle=False) == ()
    assert next_steps(with_(is_closed=True), can_handle=True) == ()


def test_missing_for_report_names_source_and_category_except_for_praise():
    assert missing_for_report("complaint", False, False) == (MISSING_SOURCE, MISSING_CATEGORY)
    assert missing_for_report("deviation", True, False) == (MISSING_CATEGORY,)
    assert missing_for_report("suggestion", True, True) == ()
    assert missing_for_report("praise", False, False) == ()


def test_working_days_left_skips_weekends_and_holidays():
    friday = date(2026, 12, 4)
    monday = date(2026, 12, 7)
    assert working_days_left(friday, friday) == 0
    assert working_days_left(friday, monday) == 1
    assert working_days_left(monday, friday) == -1
    # Christmas Eve (a de facto holiday), Christmas Day and Boxing Day, then a weekend.
    assert working_days_left(date(2026, 12, 23), date(2026, 12, 28)) == 1
    assert working_days_left(date(2026, 12, 28), date(2026, 12, 23)) == -1
