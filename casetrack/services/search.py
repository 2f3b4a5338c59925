"""Keeping a case's searchable text up to date (read by casetrack.queries.cases)."""

from __future__ import annotations

import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import Case, CaseNote, CaseSearchDocument


def _document(case: Case, notes: list[str]) -> str:
    parts = [case.title, case.description, case.immediate_action, case.category_other_note]
    return "\n".join(part for part in (*parts, *notes) if part)


def add_search_document(case: Case) -> None:
    """Add the search text of a case just registered (it has no notes yet)."""
    db.session.add(CaseSearchDocument(case_id=case.id, document=_document(case, [])))


def refresh_search_document(case: Case) -> None:
    """Rebuild the search text of ``case`` from its title, texts and notes."""
    notes = db.session.scalars(sa.select(CaseNote.body).where(CaseNote.case_id == case.id)).all()
    document = _document(case, list(notes))
    existing = db.session.get(CaseSearchDocument, case.id)
    if existing is None:
        db.session.add(CaseSearchDocument(case_id=case.id, document=document))
    else:
        existing.document = document
