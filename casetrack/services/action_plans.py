"""Sending an avvikelse's åtgärd plan for approval, and approving it or sending it back
for rework (issue 19). Each event is a row of ``action_plan_review`` (the history) and an
audit entry without the motivation's text. Never commits.

The handler sends the plan; a holder of the organisation's approving role on the case's
unit (or above) decides it, with a motivation either way. One person holding both roles
may approve a plan they sent themselves: it is allowed, and recorded (``own_plan``).
"""

from __future__ import annotations

from datetime import datetime

from casetrack import audit
from casetrack.domain import action_plans as rules
from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.extensions import db
from casetrack.models import ActionPlanReview, Case, User, utcnow
from casetrack.queries import action_plans as plans
from casetrack.queries.lookups import status_types
from casetrack.services.checks import check_version, clean_text, touch
from casetrack.services.handling import require_handler


def _require_open(case: Case) -> None:
    if status_types().get(case.status_code) == "closed":
        raise DomainError("Ärendet är avslutat. Öppna det igen för att ändra det.")


def _record(
    case: Case, actor: User, event: str, now: datetime, *, count: int, **fields
) -> ActionPlanReview:
    review = ActionPlanReview(
        case_id=case.id, event=event, actor_id=actor.id, action_count=count, occurred_at=now,
        **fields,
    )  # fmt: skip
    db.session.add(review)
    touch(case, actor, now)
    db.session.flush()
    after = {"event": event, "action_count": count}
    if fields.get("role"):
        after["role"] = fields["role"]
    if fields.get("motivation"):
        after["motivation"] = "(text)"
    if fields.get("own_plan"):
        after["own_plan"] = True
    audit.record(
        f"action_plan.{event}",
        entity_type="action_plan_review",
        entity_id=review.id,
        case=case,
        actor=actor,
        after=after,
        occurred_at=now,
    )
    return review


def submit_plan(
    actor: User,
    case: Case,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ActionPlanReview:
    """The handler sends the case's åtgärd plan (its åtgärder as they are) for approval."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    _require_open(case)
    refusal = rules.submit_refusal(plans.state(case))
    if refusal:
        raise DomainError(refusal)
    return _record(case, actor, rules.SUBMITTED, now, count=plans.action_count(case))


def review_plan(
    actor: User,
    case: Case,
    *,
    approve: bool,
    motivation: str | None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ActionPlanReview:
    """Approve the waiting plan, or send it back for rework, with a motivation."""
    now = now or utcnow()
    role = plans.approval_role()
    if role is None or not plans.may_review(actor, case):
        raise NotPermitted(
            f"Åtgärdsplanen godkänns av {rules.role_label(role).lower()} för ärendets enhet. "
            "Du har inte den rollen där."
        )
    check_version(case, expected_version)
    _require_open(case)
    history = plans.reviews(case)
    refusal = rules.review_refusal(plans.state(case, history))
    if refusal:
        raise DomainError(refusal)
    motivation = clean_text(
        motivation,
        "motivation",
        max_length=rules.MAX_MOTIVATION,
        required=(
            "Skriv en motivering till beslutet."
            if approve
            else "Skriv vad som behöver arbetas om, så att handläggaren vet vad som ska ändras."
        ),
        too_long=f"Motiveringen får vara högst {rules.MAX_MOTIVATION} tecken.",
    )
    submitted = history[-1]
    return _record(
        case,
        actor,
        rules.APPROVED if approve else rules.RETURNED,
        now,
        count=plans.action_count(case),
        role=role,
        motivation=motivation,
        own_plan=submitted.actor_id == actor.id,
    )
