"""Reads for an avvikelse's åtgärd plan and its approval (issue 19): the organisation's
approving role, the plan's state and review history, who may send or decide it, and the
plans waiting for a user's decision (Mina ärenden)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload

from casetrack.access import case_scope, may_handle
from casetrack.access.role_holders import holds_role_on, units_with_role
from casetrack.domain import action_plans as rules
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Action, ActionPlanReview, Case, User
from casetrack.queries import settings as org_settings
from casetrack.queries.lookups import open_status_codes


def approval_role() -> str | None:
    """The role that approves åtgärd plans (a role code), or None: no approval."""
    return rules.approval_role(org_settings.get(rules.APPROVAL_ROLE_KEY))


def required(case: Case) -> bool:
    """Approval applies to this case: an avvikelse, and the setting names a role."""
    return case.kind_code in rules.KINDS and approval_role() is not None


def reviews(case: Case) -> list[ActionPlanReview]:
    """Every event of the case's plan, oldest first (the history; ids follow time)."""
    return list(
        db.session.scalars(
            sa.select(ActionPlanReview)
            .where(ActionPlanReview.case_id == case.id)
            .options(joinedload(ActionPlanReview.actor))
            .order_by(ActionPlanReview.id)
        )
    )


def _last(history: list[ActionPlanReview]) -> rules.LastReview | None:
    if not history:
        return None
    return rules.LastReview(history[-1].event, history[-1].action_count)


def action_count(case: Case) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Action).where(Action.case_id == case.id)
    )


def state(case: Case, history: list[ActionPlanReview] | None = None) -> str:
    """The plan's state (casetrack.domain.action_plans.plan_state)."""
    if not required(case):
        return rules.NOT_REQUIRED
    history = reviews(case) if history is None else history
    return rules.plan_state(required=True, action_count=action_count(case), last=_last(history))


def may_review(user: User, case: Case) -> bool:
    """True when ``user`` holds the approving role on the case's unit (or above)."""
    role = approval_role()
    return role is not None and holds_role_on(user, role, case.org_unit_id)


def closing_problem(case: Case) -> str | None:
    """Why the case may not be closed because of its plan, or None."""
    if not required(case):
        return None
    return rules.closing_problem(state(case), approval_role())


@dataclass(frozen=True)
class PlanView:
    """The plan as the case page shows it to one user."""

    state: str
    role: str | None
    history: list[ActionPlanReview]
    can_submit: bool  # a handler, and the plan may be sent now
    can_review: bool  # holds the approving role, and the plan waits

    @property
    def required(self) -> bool:
        return self.state != rules.NOT_REQUIRED

    @property
    def state_label(self) -> str:
        return rules.STATE_LABELS[self.state]

    @property
    def role_label(self) -> str:
        return rules.role_label(self.role)

    @property
    def returned(self) -> ActionPlanReview | None:
        """The review that sent the plan back, while it is being reworked."""
        if self.state == rules.RETURNED_FOR_REWORK:
            return self.history[-1]
        return None

    @property
    def submitted(self) -> ActionPlanReview | None:
        """The submission waiting for a decision."""
        if self.state == rules.AWAITING:
            return self.history[-1]
        return None


def plan_view(case: Case, user: User, is_closed: bool) -> PlanView:
    history = reviews(case) if required(case) else []
    current = state(case, history)
    open_case = not is_closed
    return PlanView(
        state=current,
        role=approval_role(),
        history=history,
        can_submit=open_case and current in rules.SUBMITTABLE and may_handle(user, case),
        can_review=open_case and current == rules.AWAITING and may_review(user, case),
    )


def _latest_events():
    """The review is its case's latest event: no later one exists (a probe of the case_id
    index per row, where a GROUP BY would read the whole table)."""
    later = aliased(ActionPlanReview)
    return ~sa.exists().where(
        later.case_id == ActionPlanReview.case_id, later.id > ActionPlanReview.id
    )


def awaiting_review(user: User) -> list[tuple[Case, datetime]]:
    """The open avvikelser whose plan waits for ``user``'s decision: the user holds the
    approving role on their unit and may read them. With when each was sent."""
    role = approval_role()
    if role is None:
        return []
    units = units_with_role(user, role)
    if not units:
        return []
    rows = db.session.execute(
        sa.select(Case, ActionPlanReview.occurred_at)
        .join(ActionPlanReview, ActionPlanReview.case_id == Case.id)
        .where(
            _latest_events(),
            ActionPlanReview.event == rules.SUBMITTED,
            Case.kind_code.in_(rules.KINDS),
            Case.status_code.in_(open_status_codes()),
            case_scope(user, Permission.CASE_READ, units),
        )
        .options(joinedload(Case.org_unit), selectinload(Case.actions))
        .order_by(ActionPlanReview.occurred_at, Case.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def returned_plans(case_ids: list[int]) -> dict[int, ActionPlanReview]:
    """Of these cases, those whose plan was sent back and not sent again: the review."""
    if not case_ids or approval_role() is None:
        return {}
    rows = db.session.scalars(
        sa.select(ActionPlanReview).where(
            _latest_events(),
            ActionPlanReview.event == rules.RETURNED,
            ActionPlanReview.case_id.in_(case_ids),
        )
    )
    return {row.case_id: row for row in rows}
