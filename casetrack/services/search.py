"""Keeping a case's searchable text up to date (read by casetrack.queries.cases).

The text is kept in two parts by who may read it on the case page (issue 16):
``document`` is what every reader of the case sees (title, description, immediate action,
the "annat" note, what the submitter added); ``internal_document`` is the internal notes,
shown only to those who handle the case's unit, and searched only for them.
"""

from __future__ import annotations

import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import Case, CaseNote, CaseSearchDocument


def _join(parts) -> str:
    return "\n".join(part for part in parts if part)


def _documents(case: Case, notes: list[tuple[str, str]]) -> tuple[str, str]:
    """(what every reader sees, what only the unit's handlers see)."""
    shared = [case.title, case.description, case.immediate_action, case.category_other_note]
    shared += [body for kind, body in notes if kind == "submitter"]
    internal = [body for kind, body in notes if kind != "submitter"]
    return _join(shared), _join(internal)


def add_search_document(case: Case) -> None:
    """Add the search text of a case just registered (it has no notes yet)."""
    document, internal = _documents(case, [])
    db.session.add(
        CaseSearchDocument(case_id=case.id, document=document, internal_document=internal)
    )


def refresh_search_document(case: Case) -> None:
    """Rebuild the search texts of ``case`` from its title, texts and notes."""
    notes = db.session.execute(
        sa.select(CaseNote.kind, CaseNote.body)
        .where(CaseNote.case_id == case.id)
        .order_by(CaseNote.id)
    ).all()
    document, internal = _documents(case, [(row.kind, row.body) for row in notes])
    existing = db.session.get(CaseSearchDocument, case.id)
    if existing is None:
        db.session.add(
            CaseSearchDocument(case_id=case.id, document=document, internal_document=internal)
        )
    else:
        existing.document, existing.internal_document = document, internal
