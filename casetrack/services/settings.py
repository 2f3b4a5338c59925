"""Changing an organisation setting (deadlines, legal references, attachment limit).

The read side, with the defaults and bounds, is ``casetrack.queries.settings``.
"""

from __future__ import annotations

from datetime import datetime

from casetrack import audit
from casetrack.domain import action_plans as plan_rules
from casetrack.domain.errors import DomainError
from casetrack.domain.escalation import default_settings
from casetrack.domain.numbers import ascii_int
from casetrack.extensions import db
from casetrack.models import OrgSetting, User, utcnow
from casetrack.queries import settings
from casetrack.services.checks import touch


def set_setting(actor: User, key: str, value: str, *, now: datetime | None = None) -> None:
    """Store ``value`` for ``key``. Audited with the old and new value. Never commits."""
    now = now or utcnow()
    defaults = default_settings()
    if key not in defaults:
        raise DomainError("Okänd inställning.", "key")
    value = (value or "").strip()
    if not value:
        raise DomainError("Ange ett värde.", "value")
    if key == settings.ORGANISATION_NAME and (
        len(value) > settings.ORGANISATION_NAME_MAX or "\n" in value or "\r" in value
    ):
        raise DomainError(
            f"Skriv namnet på en rad, högst {settings.ORGANISATION_NAME_MAX} tecken.", "value"
        )
    if key == plan_rules.APPROVAL_ROLE_KEY:
        refusal = plan_rules.setting_refusal(value)
        if refusal:
            raise DomainError(refusal, "value")
    limits = settings.bounds(key)
    if limits is not None:
        number = ascii_int(value, maximum=100_000_000_000)
        if number is None or not limits[0] <= number <= limits[1]:
            raise DomainError(f"Ange ett heltal mellan {limits[0]} och {limits[1]}.", "value")
    elif defaults[key].isdigit() and ascii_int(value, maximum=100_000_000_000) is None:
        raise DomainError("Ange ett heltal.", "value")
    row = db.session.get(OrgSetting, key)
    before = row.value if row is not None else defaults[key]
    if row is None:
        row = OrgSetting(key=key, value=value, updated_at=now, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.value = value
        touch(row, actor, now)
    settings.forget_for_request()
    audit.record(
        "setting.changed",
        entity_type="org_setting",
        entity_id=None,
        actor=actor,
        before={"key": key, "value": before},
        after={"key": key, "value": value},
        occurred_at=now,
    )
