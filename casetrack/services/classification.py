"""Reclassification of a case and the IA marking (DESIGN §4 steps 6 and 8).

Both are handling changes (handler, manager) with the version check, audited with
before/after values so the history shows the original kind and every change.
"""

from __future__ import annotations

from datetime import date, datetime

from casetrack import audit
from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.models import Case, CaseKind, User, utcnow
from casetrack.services.cases import case_snapshot
from casetrack.services.checks import check_date, clean_text, touch
from casetrack.services.handling import audit_change, require_handler


def change_kind(
    actor: User,
    case: Case,
    kind_code: str,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Change the ärendetyp, e.g. a klagomål that turns out to be an avvikelse. Reports
    count the current kind; the audit trail keeps the original and every change."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    kind = db.session.get(CaseKind, kind_code or "")
    if kind is None or not kind.active:
        raise DomainError("Välj en ärendetyp i listan.", "kind_code")
    if kind.code == case.kind_code:
        raise DomainError("Ärendet har redan den ärendetypen.", "kind_code")
    before = case_snapshot(case)
    case.kind_code = kind.code
    touch(case, actor, now)
    audit_change(actor, case, before, now, action="case.reclassified")


def mark_ia(
    actor: User,
    case: Case,
    *,
    reported_on: date,
    reference: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """Mark the case as an arbetsmiljöhändelse reported in IA (date, IA reference).

    Such cases are left out of the lex Sarah / lex Maria rows of the report. Audited.
    """
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    check_date(reported_on, "ia_reported_on", now)
    reference = clean_text(
        reference, "ia_reference", max_length=60, required="Ange referensen (ärendenumret) i IA."
    )
    _set_ia(actor, case, reported_on, reference, now)


def unmark_ia(
    actor: User, case: Case, *, expected_version: int | None = None, now: datetime | None = None
) -> None:
    """Remove the IA marking (it was set by mistake). Audited."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    if case.ia_reported_on is None:
        raise DomainError("Ärendet är inte markerat som rapporterat i IA.")
    _set_ia(actor, case, None, None, now)


def _set_ia(actor: User, case: Case, reported_on, reference, now) -> None:
    before = {"ia_reported_on": case.ia_reported_on, "ia_reference": case.ia_reference}
    case.ia_reported_on = reported_on
    case.ia_reference = reference
    touch(case, actor, now)
    old, new = audit.diff(before, {"ia_reported_on": reported_on, "ia_reference": reference})
    audit.record(
        "case.ia_marked" if reported_on else "case.ia_unmarked",
        entity_type="case",
        entity_id=case.id,
        case=case,
        actor=actor,
        before=old,
        after=new,
        occurred_at=now,
    )
