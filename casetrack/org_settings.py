"""Organisation settings stored in ``org_setting`` (key/value), with defaults in code.

Deadlines of the lex Sarah / lex Maria steps, the legal references shown to users and the
attachment size limit live here, so an organisation can change them without a release.
A key that is not stored answers its default from ``casetrack.domain.escalation``.
"""

from __future__ import annotations

from datetime import datetime

from casetrack import audit
from casetrack.domain.escalation import default_settings
from casetrack.extensions import db
from casetrack.models import OrgSetting, User, utcnow
from casetrack.services.errors import DomainError


def get(key: str) -> str:
    """The stored value of ``key``, else its default. Unknown keys raise KeyError."""
    row = db.session.get(OrgSetting, key)
    if row is not None:
        return row.value
    return default_settings()[key]


def get_int(key: str) -> int:
    """An integer setting; a stored value that is not a whole number falls back to the
    default, so a typo in a setting cannot take the case page down."""
    try:
        return int(get(key))
    except ValueError:
        return int(default_settings()[key])


def all_settings() -> dict[str, str]:
    """Every known setting with its current value."""
    values = default_settings()
    for row in db.session.query(OrgSetting).all():
        if row.key in values:
            values[row.key] = row.value
    return values


def set_setting(actor: User, key: str, value: str, *, now: datetime | None = None) -> None:
    """Store ``value`` for ``key``. Audited with the old and new value. Never commits."""
    now = now or utcnow()
    defaults = default_settings()
    if key not in defaults:
        raise DomainError("Okänd inställning.", "key")
    value = (value or "").strip()
    if not value:
        raise DomainError("Ange ett värde.", "value")
    if defaults[key].isdigit() and (not value.isdigit() or int(value) > 100_000_000_000):
        raise DomainError("Ange ett heltal.", "value")
    row = db.session.get(OrgSetting, key)
    before = row.value if row is not None else defaults[key]
    if row is None:
        row = OrgSetting(key=key, value=value, updated_at=now, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.value = value
        row.updated_at = now
        row.updated_by_id = actor.id
    audit.record(
        "setting.changed",
        entity_type="org_setting",
        entity_id=None,
        actor=actor,
        before={"key": key, "value": before},
        after={"key": key, "value": value},
        occurred_at=now,
    )
