"""Issue 19: the rules of an avvikelse's classification and risk assessment."""

from __future__ import annotations

import pytest

from casetrack.domain.deviations import (
    EVENT_TYPES,
    analysis_required,
    check_classification,
    risk_level,
    risk_matrix,
    risk_value,
)
from casetrack.domain.errors import DomainError


def test_every_event_type_is_in_one_list_and_subtypes_sit_under_a_parent_of_that_list():
    codes = {item.code: item for item in EVENT_TYPES}
    assert len(codes) == len(EVENT_TYPES)
    for item in EVENT_TYPES:
        assert item.group in ("hsl", "sol_lss")
        assert item.description and item.example
        if item.parent:
            assert codes[item.parent].group == item.group


@pytest.mark.parametrize(
    ("lagrum", "group", "stored"),
    [(None, "hsl", "hsl"), (None, "sol_lss", None), ("lss", "sol_lss", "lss"),
     ("sol", None, "sol"), (None, None, None)],
)  # fmt: skip
def test_the_lagrum_stored_follows_from_the_choices(lagrum, group, stored):
    assert check_classification(lagrum, group) == stored


def test_an_event_type_outside_the_lagrums_list_is_refused_at_the_event_type():
    with pytest.raises(DomainError) as refused:
        check_classification("hsl", "sol_lss")
    assert refused.value.field == "event_type_code"


@pytest.mark.parametrize(
    ("probability", "consequence", "value", "level"),
    [(1, 1, 1, "lag"), (3, 1, 3, "lag"), (2, 2, 4, "mattlig"), (3, 2, 6, "mattlig"),
     (2, 4, 8, "hog"), (3, 3, 9, "hog"), (4, 3, 12, "mycket_hog"), (4, 4, 16, "mycket_hog")],
)  # fmt: skip
def test_risk_is_probability_times_consequence_with_its_level(
    probability, consequence, value, level
):
    assert risk_value(probability, consequence) == value
    assert risk_level(value)[0] == level


def test_an_unassessed_risk_requires_nothing_and_the_threshold_is_inclusive():
    assert risk_value(None, 3) is None
    assert not analysis_required(None, 8)
    assert analysis_required(8, 8) and not analysis_required(6, 8)


def test_the_matrix_has_the_highest_consequence_on_top():
    rows = risk_matrix()
    assert [row[0].value for row in rows] == [4, 3, 2, 1]
    assert [cell[0] for cell in rows[0][1]] == [4, 8, 12, 16]
    assert [cell[0] for cell in rows[-1][1]] == [1, 2, 3, 4]
