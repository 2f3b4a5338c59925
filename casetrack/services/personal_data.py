"""Registerutdrag: every case in the user's scope where a given person appears (GDPR art. 15).

The search itself is access-logged: one entry per case found (so loggkontroll shows whose
cases were disclosed) and one for the search, with the number of hits but never the
search terms (SECURITY.md K3-81).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from casetrack import audit
from casetrack.access import case_scope, unit_ids_for
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import Case, User

MAX_HITS = 500


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _like(value: str) -> str:
    escaped = value.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def find_person(
    user: User, *, name: str | None, email: str | None, phone: str | None
) -> list[Case]:
    """Cases the user may read, in units where they may search, that mention the person."""
    units = sorted(unit_ids_for(user, Permission.PERSONAL_DATA_SEARCH))
    conditions = []
    if name:
        pattern = _like(name)
        conditions += [
            sa.func.lower(column).like(pattern, escape="\\")
            for column in (Case.submitter_name, Case.person_concerned, Case.title, Case.description)
        ]
    if email:
        pattern = _like(email)
        conditions += [
            sa.func.lower(Case.submitter_email).like(pattern, escape="\\"),
            sa.func.lower(Case.description).like(pattern, escape="\\"),
        ]
    phone_digits = _digits(phone or "")
    if not conditions and not phone_digits:
        return []
    stmt = (
        sa.select(Case)
        .where(case_scope(user, Permission.CASE_READ), Case.org_unit_id.in_(units))
        .options(joinedload(Case.org_unit))
        .order_by(Case.received_on.desc(), Case.id.desc())
    )
    if conditions:
        candidates = list(db.session.scalars(stmt.where(sa.or_(*conditions)).limit(MAX_HITS)))
    else:
        candidates = []
    if phone_digits:
        # Phone numbers are written in many ways (070-123 45 67, +46 70 ...): compare digits
        # of the last eight positions in Python, over cases that have a phone number.
        tail = phone_digits[-8:]
        seen = {case.id for case in candidates}
        for case in db.session.scalars(stmt.where(Case.submitter_phone.is_not(None))):
            if case.id not in seen and tail in _digits(case.submitter_phone or ""):
                candidates.append(case)
    hits = candidates[:MAX_HITS]
    for case in hits:
        audit.log_access(user, "registerutdrag", case=case)
    audit.log_access(user, "registerutdrag", detail=f"träffar: {len(hits)}")
    return hits
