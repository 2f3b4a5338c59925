"""Keeping a case's searchable text up to date (read by casetrack.queries.cases)."""

from __future__ import annotations

import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import Case, CaseNote, CaseSearchDocument


def refresh_search_document(case: Case) -> None:
    """Rebuild the search text of ``case`` from its title, texts and notes."""
    notes = db.session.scalars(sa.select(CaseNote.body).where(CaseNote.case_id == case.id)).all()
    parts = [
        case.title,
        case.description,
        case.immediate_action,
        case.category_other_note,
        *notes,
    ]
    document = "\n".join(part for part in parts if part)
    existing = db.session.get(CaseSearchDocument, case.id)
    if existing is None:
        db.session.add(CaseSearchDocument(case_id=case.id, document=document))
    else:
        existing.document = document
