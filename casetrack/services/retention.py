"""Retention (gallring): anonymise closed cases past their kind's retention period.

A case is due when its status is of type "closed", it has not been anonymised yet, and
its closing (``closed_at``; ``updated_at`` for a case closed before that column existed)
lies more than the kind's ``retention_years`` ago. Anonymising removes names, contact
details and free text from the case, its notes, återkoppling, åtgärder, search text and
e-mails, and the utredning's and händelseanalys' texts and participants; it keeps kind,
unit, dates, source, categories, status and the outcome flags, so every count in the
tertial report stays the same. Audit entries hold no free text (see
services.cases.case_snapshot), so the trail is left as it is. This module runs without a
user (a CLI command, later a scheduled job).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from casetrack import audit
from casetrack.extensions import db
from casetrack.models import (
    ActionPlanReview,
    Case,
    CaseKind,
    CaseSearchDocument,
    DeviationClassification,
    Investigation,
    OutboxMessage,
    Status,
    utcnow,
)

REMOVED = "(gallrad)"


@dataclass
class RetentionResult:
    due: list[str]  # references
    anonymised: bool


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def due_cases(now: datetime) -> list[Case]:
    """Closed, not yet anonymised cases whose retention period has run out."""
    closed = sa.select(Status.code).where(Status.type == "closed")
    due: list[Case] = []
    for kind in db.session.scalars(sa.select(CaseKind)):
        cutoff = _years_before(now, kind.retention_years)
        due += db.session.scalars(
            sa.select(Case)
            .where(
                Case.kind_code == kind.code,
                Case.status_code.in_(closed),
                Case.anonymised_at.is_(None),
                sa.func.coalesce(Case.closed_at, Case.updated_at) < cutoff,
            )
            .options(
                selectinload(Case.feedback), selectinload(Case.actions), selectinload(Case.notes)
            )
            .order_by(Case.id)
        ).all()
    return due


def anonymise(case: Case, now: datetime) -> None:
    """Remove personal data and free text from one case (audited as "gallring")."""
    case.title = REMOVED
    case.description = REMOVED
    case.category_other_note = REMOVED if case.category_other_note else None
    case.submitter_name = None
    case.submitter_email = None
    case.submitter_phone = None
    case.person_concerned = None
    case.immediate_action = REMOVED if case.immediate_action else None
    # The receipt code no longer opens anything once the content is gone.
    case.receipt_code_hash = None
    for note in case.notes:
        note.body = REMOVED
    search = db.session.get(CaseSearchDocument, case.id)
    if search is not None:
        search.document = search.internal_document = ""
    for message in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.case_id == case.id)
    ):
        message.to_address = REMOVED
        message.body = REMOVED
    for item in case.feedback:
        item.given_to = REMOVED
        item.summary = REMOVED
    # The avvikelse's lagrum, händelsetyp and harm are statistics and stay; the
    # consequence for the brukare is free text about a person (issue 19).
    classified = db.session.get(DeviationClassification, case.id)
    if classified is not None and classified.consequence:
        classified.consequence = REMOVED
    _anonymise_investigation(case)
    for action in case.actions:
        action.description = REMOVED
        action.responsible = REMOVED
        action.effect_waived_reason = REMOVED if action.effect_waived_reason else None
    # The åtgärd plan's reviews keep who, when and the decision; the motivation is text.
    db.session.execute(
        sa.update(ActionPlanReview)
        .where(ActionPlanReview.case_id == case.id, ActionPlanReview.motivation.is_not(None))
        .values(motivation=REMOVED)
    )
    case.anonymised_at = now
    audit.record(
        "case.anonymised",
        entity_type="case",
        entity_id=case.id,
        actor=None,
        actor_label="gallring",
        case=case,
        after={"anonymised": True},
    )


def _anonymise_investigation(case: Case) -> None:
    """The utredning and its händelseanalys (issue 19): the texts, the participants' names
    and functions and how the result was reported back go; the rows, dates and cause areas
    stay, so the case still counts as having a recorded händelseanalys."""
    investigation = db.session.scalar(
        sa.select(Investigation).where(Investigation.case_id == case.id)
    )
    if investigation is None:
        return
    for name in ("what_happened", "assessment", "conclusion", "reported_back_how"):
        if getattr(investigation, name):
            setattr(investigation, name, REMOVED)
    for cause in investigation.causes:
        cause.description = REMOVED
    for event in investigation.events:
        event.description = REMOVED
    for participant in investigation.participants:
        participant.name = participant.role = REMOVED


def run(*, dry_run: bool, now: datetime | None = None) -> RetentionResult:
    """Anonymise every due case (or only list them with ``dry_run``). Never commits."""
    now = now or utcnow()
    cases = due_cases(now)
    if not dry_run:
        for case in cases:
            anonymise(case, now)
    return RetentionResult(due=[case.reference for case in cases], anonymised=not dry_run)
