"""The state of an åtgärd plan that needs approval (issue 19), what it allows, and where
it puts the plan in the Nästa steg box."""

from __future__ import annotations

import pytest

from casetrack.domain import action_plans as plans
from casetrack.domain.action_plans import LastReview, plan_state
from casetrack.domain.case_steps import (
    APPROVE_PLAN,
    CLOSE,
    FEEDBACK,
    PLAN_WAITING,
    REWORK_PLAN,
    SUBMIT_PLAN,
    CaseState,
    next_steps,
)


@pytest.mark.parametrize(
    ("required", "count", "last", "state"),
    [
        (False, 3, None, plans.NOT_REQUIRED),
        (False, 3, LastReview(plans.SUBMITTED, 3), plans.NOT_REQUIRED),
        (True, 0, None, plans.NO_PLAN),
        (True, 2, None, plans.NOT_SUBMITTED),
        (True, 2, LastReview(plans.SUBMITTED, 2), plans.AWAITING),
        # An åtgärd added while the plan waits is part of what the approver decides on.
        (True, 3, LastReview(plans.SUBMITTED, 2), plans.AWAITING),
        (True, 2, LastReview(plans.RETURNED, 2), plans.RETURNED_FOR_REWORK),
        (True, 3, LastReview(plans.RETURNED, 2), plans.RETURNED_FOR_REWORK),
        (True, 2, LastReview(plans.APPROVED, 2), plans.APPROVED_PLAN),
        # Adding an åtgärd after the approval needs a new approval.
        (True, 3, LastReview(plans.APPROVED, 2), plans.CHANGED),
    ],
)
def test_plan_state(required, count, last, state):
    assert plan_state(required=required, action_count=count, last=last) == state


def test_what_each_state_allows():
    for state in (plans.NOT_SUBMITTED, plans.RETURNED_FOR_REWORK, plans.CHANGED):
        assert plans.submit_refusal(state) is None
        assert plans.closing_problem(state, "manager")
    for state in (plans.NOT_REQUIRED, plans.NO_PLAN, plans.AWAITING, plans.APPROVED_PLAN):
        assert plans.submit_refusal(state)
    assert plans.review_refusal(plans.AWAITING) is None
    for state in set(plans.STATE_LABELS) - {plans.AWAITING}:
        assert plans.review_refusal(state)
    # Closing waits for an approved plan; no plan, or no approval, blocks nothing.
    assert plans.closing_problem(plans.AWAITING, "manager") == (
        "Åtgärdsplanen väntar på godkännande av enhetschef."
    )
    for state in (plans.NOT_REQUIRED, plans.NO_PLAN, plans.APPROVED_PLAN):
        assert plans.closing_problem(state, "manager") is None


@pytest.mark.parametrize(
    ("value", "role", "refused"),
    [
        ("manager", "manager", False),
        ("handler", "handler", False),
        (" none ", None, False),
        ("quality", "manager", True),  # reads, does not handle: refused, default used
        ("staff", "manager", True),
        ("admin", "manager", True),
        ("enhetschef", "manager", True),
        ("", "manager", True),
    ],
)
def test_the_setting(value, role, refused):
    assert plans.approval_role(value) == role
    assert bool(plans.setting_refusal(value)) is refused


BASE = CaseState(
    kind="deviation",
    is_closed=False,
    has_handler=True,
    acknowledgement_due=False,
    acknowledged=False,
    wants_feedback=False,
    has_feedback=False,
)


def steps(plan: str, may_review: bool = False, **changes) -> tuple[str, ...]:
    state = CaseState(**{**BASE.__dict__, "plan": plan, "may_review_plan": may_review, **changes})
    return next_steps(state, can_handle=True)


def test_the_plan_in_the_next_step_box():
    assert steps(plans.NOT_REQUIRED) == (CLOSE,)
    assert steps(plans.NO_PLAN) == (CLOSE,)
    assert steps(plans.APPROVED_PLAN) == (CLOSE,)
    assert steps(plans.NOT_SUBMITTED) == (SUBMIT_PLAN,)
    assert steps(plans.CHANGED) == (SUBMIT_PLAN,)
    assert steps(plans.RETURNED_FOR_REWORK) == (REWORK_PLAN,)
    assert steps(plans.AWAITING) == (PLAN_WAITING,)
    # The approver's decision comes first; closing waits for it.
    assert steps(plans.AWAITING, may_review=True) == (APPROVE_PLAN,)
    assert steps(plans.AWAITING, may_review=True, wants_feedback=True) == (APPROVE_PLAN, FEEDBACK)
    assert steps(plans.RETURNED_FOR_REWORK, wants_feedback=True) == (REWORK_PLAN, FEEDBACK)
