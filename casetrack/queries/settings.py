"""Organisation settings stored in ``org_setting`` (key/value), with defaults in code.

Deadlines of the lex Sarah / lex Maria steps, the legal references shown to users and the
attachment size limit live here, so an organisation can change them without a release.
A key that is not stored answers its default from ``casetrack.domain.escalation``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context

from casetrack.domain.deadlines import DEFAULT_DEADLINES
from casetrack.domain.escalation import ANALYSIS_THRESHOLD_KEY, FALL_WINDOW_KEY, default_settings
from casetrack.domain.numbers import ascii_int
from casetrack.extensions import db
from casetrack.models import OrgSetting, OrgUnit


def _stored() -> dict[str, str]:
    """The stored values, read in one statement once per request (a page asks for the
    eight lex step deadlines one by one)."""
    if has_request_context() and "_org_settings" in g:
        return g._org_settings
    values = dict(db.session.execute(sa.select(OrgSetting.key, OrgSetting.value)).all())
    if has_request_context():
        g._org_settings = values
    return values


def get(key: str) -> str:
    """The stored value of ``key``, else its default. Unknown keys raise KeyError."""
    stored = _stored()
    if key in stored:
        return stored[key]
    return default_settings()[key]


# Step deadlines are at most a year of working days: a lex Sarah or lex Maria step is
# "genast", "utan dröjsmål" or "snarast", and a deadline of millions of days overflowed
# the calendar on every handler's page (found by the fresh-eyes check after issue 16).
MAX_DEADLINE_WORKING_DAYS = 260
MIN_ATTACHMENT_BYTES = 1024


def bounds(key: str) -> tuple[int, int] | None:
    """(lowest, highest) value of an integer setting, or None for a text setting."""
    if key.startswith("deadline."):
        return 0, MAX_DEADLINE_WORKING_DAYS
    if key == ANALYSIS_THRESHOLD_KEY:
        return 1, 16
    if key == FALL_WINDOW_KEY:
        return 1, 730
    if key == "attachment.max_bytes":
        # The server refuses a larger request body anyway (CASETRACK_MAX_CONTENT_LENGTH).
        highest = current_app.config.get("MAX_CONTENT_LENGTH") if has_app_context() else None
        return MIN_ATTACHMENT_BYTES, int(highest or 10 * 1024 * 1024)
    return None


def get_int(key: str) -> int:
    """An integer setting; a stored value that is not a whole number within its bounds
    falls back to the default, so a typo in a setting cannot take the case page down."""
    value = ascii_int(get(key).strip(), maximum=100_000_000_000)
    limits = bounds(key)
    if value is None or (limits is not None and not limits[0] <= value <= limits[1]):
        return int(default_settings()[key])
    return value


def version(key: str) -> int:
    """The stored setting's version (optimistic locking on its form); 0 for a default."""
    row = db.session.get(OrgSetting, key)
    return row.version if row is not None else 0


def all_settings() -> dict[str, str]:
    """Every known setting with its current value."""
    values = default_settings()
    for key, value in _stored().items():
        if key in values:
            values[key] = value
    return values


ORGANISATION_NAME = "organisation.name"
ORGANISATION_NAME_MAX = 120
# Without a stored name and without exactly one top unit.
FALLBACK_ORGANISATION_NAME = "casetrack"


def organisation_name() -> str:
    """The organisation's name as the public pages show it (issue 20): the stored
    setting, else the name of the one active top unit of the org tree (in the demo
    "Hägersten-Älvsjö stadsdelsförvaltning"), else "casetrack"."""
    stored = _stored().get(ORGANISATION_NAME, "").strip()
    if stored:
        return stored
    tops = db.session.scalars(
        sa.select(OrgUnit.name)
        .where(OrgUnit.parent_id.is_(None), OrgUnit.active.is_(True))
        .order_by(OrgUnit.id)
        .limit(2)
    ).all()
    return tops[0] if len(tops) == 1 else FALLBACK_ORGANISATION_NAME


def forget_for_request() -> None:
    """Drop this request's copy of the stored settings (after a setting was changed)."""
    if has_request_context():
        g.pop("_org_settings", None)


def deadline_days(name: str) -> int:
    """The organisation's deadline ``name`` ("acknowledgement", "feedback") in working
    days (moved here from queries/cases so the indicators can read it without a cycle)."""
    settings = current_app.config["CASETRACK"]
    return int(settings.get(f"DEADLINE_{name.upper()}_DAYS", DEFAULT_DEADLINES[name]))
