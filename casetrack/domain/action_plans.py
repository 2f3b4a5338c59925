"""Åtgärd plans that need approval (issue 19): the organisation names the role that
accepts an avvikelse's åtgärd plan with a motivation or sends it back for rework.

Pure Python: the state of a plan follows from whether approval applies, how many åtgärder
the case has, and the latest review event (submitted, approved, returned). The services
ask ``submit_refusal`` and ``review_refusal``; the case page, the closing rule and Mina
ärenden read ``plan_state``.
"""

from __future__ import annotations

from dataclasses import dataclass

from casetrack.domain.roles import ROLE_LABELS, ROLE_PERMISSIONS, Permission, Role

# The organisation setting: a role code, or "none" for no approval step.
APPROVAL_ROLE_KEY = "deviation.action_approval_role"
NO_APPROVAL = "none"
DEFAULT_APPROVAL_ROLE = Role.MANAGER.value

# The roles that may be named: those that handle the cases of a unit, so that the
# approver has the case page's Nästa steg and Mina ärenden to work from. Roles that only
# read (kvalitet, MAS, SAS) and staff and the administrator are refused.
APPROVER_ROLES = tuple(
    role.value
    for role in (Role.MANAGER, Role.HANDLER)
    if Permission.CASE_HANDLE in ROLE_PERMISSIONS[role]
)

# Plans need approval for these kinds of case.
KINDS = frozenset({"deviation"})

# Review events, in the order of a plan's life.
SUBMITTED = "submitted"
APPROVED = "approved"
RETURNED = "returned"
EVENTS = (SUBMITTED, APPROVED, RETURNED)
EVENT_LABELS = {
    SUBMITTED: "Skickad för godkännande",
    APPROVED: "Godkänd",
    RETURNED: "Skickad tillbaka för omarbetning",
}
MAX_MOTIVATION = 4000

# Plan states.
NOT_REQUIRED = "not_required"  # the setting is "none", or not an avvikelse
NO_PLAN = "no_plan"  # no åtgärder: nothing to approve
NOT_SUBMITTED = "not_submitted"  # åtgärder, never sent for approval
AWAITING = "awaiting"  # sent, waiting for the approver
RETURNED_FOR_REWORK = "returned"  # sent back with a motivation: rework and send again
APPROVED_PLAN = "approved"
CHANGED = "changed"  # åtgärder added after the approval: needs a new approval

STATE_LABELS = {
    NOT_REQUIRED: "Inget godkännande krävs",
    NO_PLAN: "Inga åtgärder ännu",
    NOT_SUBMITTED: "Inte skickad för godkännande",
    AWAITING: "Väntar på godkännande",
    RETURNED_FOR_REWORK: "Skickad tillbaka för omarbetning",
    APPROVED_PLAN: "Godkänd",
    CHANGED: "Ändrad efter godkännandet – behöver godkännas på nytt",
}

# States in which the case may not be closed (the plan is not approved as it stands).
BLOCKING = frozenset({NOT_SUBMITTED, AWAITING, RETURNED_FOR_REWORK, CHANGED})
# States from which the handler sends the plan for approval.
SUBMITTABLE = frozenset({NOT_SUBMITTED, RETURNED_FOR_REWORK, CHANGED})


@dataclass(frozen=True)
class LastReview:
    """The latest review event of a plan, and how many åtgärder the plan had then."""

    event: str
    action_count: int


def approval_role(setting: str | None) -> str | None:
    """The role that approves plans, or None when the setting says "none". An unknown
    stored value falls back to the default, so a typo cannot switch approval off."""
    value = (setting or "").strip()
    if value == NO_APPROVAL:
        return None
    return value if value in APPROVER_ROLES else DEFAULT_APPROVAL_ROLE


def setting_refusal(value: str) -> str | None:
    """Why ``value`` is not a valid approval-role setting (a Swedish sentence), or None."""
    value = (value or "").strip()
    if value == NO_APPROVAL or value in APPROVER_ROLES:
        return None
    allowed = ", ".join(f"{code} ({ROLE_LABELS[Role(code)]})" for code in APPROVER_ROLES)
    if value in {role.value for role in Role}:
        return (
            f"{ROLE_LABELS[Role(value)]} handlägger inte enhetens ärenden och kan inte godkänna "
            f"åtgärdsplaner. Ange {allowed}, eller {NO_APPROVAL} (inget godkännande)."
        )
    return f"Ange en roll: {allowed}, eller {NO_APPROVAL} (inget godkännande)."


def role_label(role: str | None) -> str:
    return ROLE_LABELS[Role(role)] if role else "ingen"


def plan_state(*, required: bool, action_count: int, last: LastReview | None) -> str:
    """The state of a case's åtgärd plan.

    ``required``: approval applies (the setting names a role and the case is an
    avvikelse). Adding an åtgärd after the approval makes the plan need a new one; an
    åtgärd added while the plan waits is part of what the approver decides on (the page
    shows it, and the approval records how many åtgärder it covered). Marking an åtgärd
    done and following up its effect is carrying out the plan, not changing it.
    """
    if not required:
        return NOT_REQUIRED
    if last is None:
        return NOT_SUBMITTED if action_count else NO_PLAN
    if last.event == SUBMITTED:
        return AWAITING
    if last.event == RETURNED:
        return RETURNED_FOR_REWORK
    return CHANGED if action_count > last.action_count else APPROVED_PLAN


def submit_refusal(state: str) -> str | None:
    """Why the plan may not be sent for approval now, or None."""
    if state == NOT_REQUIRED:
        return "Åtgärdsplaner behöver inte godkännas här."
    if state == NO_PLAN:
        return "Lägg till minst en åtgärd innan du skickar åtgärdsplanen för godkännande."
    if state == AWAITING:
        return "Åtgärdsplanen väntar redan på godkännande."
    if state == APPROVED_PLAN:
        return "Åtgärdsplanen är redan godkänd. Lägg till en åtgärd om planen ska ändras."
    return None


def review_refusal(state: str) -> str | None:
    """Why the plan may not be approved or sent back now, or None."""
    if state == AWAITING:
        return None
    if state == APPROVED_PLAN:
        return "Åtgärdsplanen är redan godkänd."
    if state == RETURNED_FOR_REWORK:
        return "Åtgärdsplanen är skickad tillbaka och har inte skickats in igen."
    return "Åtgärdsplanen väntar inte på godkännande."


def closing_problem(state: str, role: str | None) -> str | None:
    """Why the case may not be closed because of its plan, or None."""
    if state not in BLOCKING:
        return None
    who = role_label(role).lower()
    if state == AWAITING:
        return f"Åtgärdsplanen väntar på godkännande av {who}."
    if state == RETURNED_FOR_REWORK:
        return (
            "Åtgärdsplanen är skickad tillbaka för omarbetning. Arbeta om den och skicka den igen."
        )
    if state == CHANGED:
        return (
            "Åtgärdsplanen har ändrats efter godkännandet. Skicka den för godkännande "
            f"av {who} igen."
        )
    return f"Åtgärdsplanen ska godkännas av {who}. Skicka den för godkännande."
