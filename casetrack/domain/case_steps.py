"""What a case needs next, and what it lacks for the tertial report (issue 20).

The case page puts the one or two actions a case needs now beside its summary: take the
case, send the mottagningsbekräftelse, give återkoppling, close it. The rule is here, pure,
so that it is written once and tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from casetrack.domain import action_plans as plans
from casetrack.domain.workdays import is_working_day

TAKE = "take"
ACKNOWLEDGE = "acknowledge"
FEEDBACK = "feedback"
CLOSE = "close"
# Issue 19, åtgärd plans that need approval.
APPROVE_PLAN = "approve_plan"  # the approver: "Godkänn åtgärdsplanen"
REWORK_PLAN = "rework_plan"  # sent back: "Arbeta om åtgärdsplanen"
SUBMIT_PLAN = "submit_plan"  # "Skicka åtgärdsplanen för godkännande"
PLAN_WAITING = "plan_waiting"  # the handler: the plan waits for the approver

# The order in which a case goes through its first steps (DESIGN §4).
ORDER = (TAKE, ACKNOWLEDGE, FEEDBACK, CLOSE)

# What the report counts a case by, besides its kind (DESIGN §5): a klagomål, synpunkt or
# avvikelse without them is the report's "saknar uppgift" warning.
MISSING_SOURCE = "source"
MISSING_CATEGORY = "category"


@dataclass(frozen=True)
class CaseState:
    """The facts of a case that decide its next step."""

    kind: str  # suggestion, complaint, praise, deviation
    is_closed: bool
    has_handler: bool
    acknowledgement_due: bool  # a mottagningsbekräftelse applies (contact details, not avvikelse)
    acknowledged: bool
    wants_feedback: bool
    has_feedback: bool
    # The åtgärd plan's state (casetrack.domain.action_plans; not_required when no
    # approval applies), and whether this user may approve it.
    plan: str = plans.NOT_REQUIRED
    may_review_plan: bool = False


def next_steps(state: CaseState, *, can_handle: bool, limit: int = 2) -> tuple[str, ...]:
    """The one or two steps the case needs now, in the order they are usually taken.

    Nothing for a reader who cannot handle the case, nor for a closed case. A case with
    no handler is taken first; a mottagningsbekräftelse comes before the återkoppling;
    the case is closed once its återkoppling is given (or none is wanted, or it is beröm,
    which needs none). Closing stays a separate decision: it is offered, never forced.

    An åtgärd plan that needs approval comes first for its approver; for the handler it is
    sent (or reworked and sent again) before closing, which waits while the plan does.
    """
    if not can_handle or state.is_closed:
        return ()
    steps = []
    if state.plan == plans.AWAITING and state.may_review_plan:
        steps.append(APPROVE_PLAN)
    if not state.has_handler:
        steps.append(TAKE)
    if state.acknowledgement_due and not state.acknowledged:
        steps.append(ACKNOWLEDGE)
    if state.plan == plans.RETURNED_FOR_REWORK:
        steps.append(REWORK_PLAN)
    elif state.plan in (plans.NOT_SUBMITTED, plans.CHANGED):
        steps.append(SUBMIT_PLAN)
    elif state.plan == plans.AWAITING and not state.may_review_plan:
        steps.append(PLAN_WAITING)
    needs_feedback = state.kind != "praise" and state.wants_feedback and not state.has_feedback
    if needs_feedback:
        steps.append(FEEDBACK)
    elif state.plan not in plans.BLOCKING:
        steps.append(CLOSE)
    return tuple(steps[:limit])


def missing_for_report(kind: str, has_source: bool, has_category: bool) -> tuple[str, ...]:
    """What the tertial report lacks for this case: its source (från vem) and category.

    Beröm is counted by its kind alone, so it lacks nothing.
    """
    if kind == "praise":
        return ()
    missing = []
    if not has_source:
        missing.append(MISSING_SOURCE)
    if not has_category:
        missing.append(MISSING_CATEGORY)
    return tuple(missing)


def working_days_left(today: date, due: date) -> int:
    """Working days from ``today`` to ``due``: 0 when due today, 1 when due the next
    working day, negative when overdue (-1: due the working day before today).

    Days are Swedish working days (weekends and public holidays excluded); a due date on a
    non-working day counts as the working day before it.
    """
    if due >= today:
        count, day = 0, today
        while day < due:
            day += timedelta(days=1)
            if is_working_day(day):
                count += 1
        return count
    count, day = 0, due
    while day < today:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return -count
