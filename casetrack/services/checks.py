"""The checks that the writes share: the form's version of the case, dates, text, and
marking the case as changed. Each raises ``DomainError`` naming the field at fault."""

from __future__ import annotations

from datetime import date, datetime

from casetrack.domain.dates import local_date
from casetrack.domain.errors import DomainError, StaleCase
from casetrack.models import Case, Investigation, OrgSetting, User

NO_DATE = "Ange datum (ÅÅÅÅ-MM-DD)."
FUTURE_DATE = "Datumet kan inte vara i framtiden."
BEFORE_RECEIVED = "Datumet kan inte vara före det datum ärendet kom in."


def check_version(case: Case, expected_version: int | None) -> None:
    """The form was made from the case as it is now (None: the caller has no form)."""
    if expected_version is not None and expected_version != case.version:
        raise StaleCase(expected_version, case.version)


def check_date(
    value: date | None,
    field: str,
    now: datetime,
    earliest: date | None = None,
    *,
    too_early: str = BEFORE_RECEIVED,
) -> None:
    """A date is given, not in the future and not before ``earliest``; ``too_early`` may
    name the earliest date as ``{earliest}``."""
    if value is None:
        raise DomainError(NO_DATE, field)
    if value > local_date(now):
        raise DomainError(FUTURE_DATE, field)
    if earliest is not None and value < earliest:
        raise DomainError(too_early.format(earliest=earliest.isoformat()), field)


def clean_text(
    value: str | None,
    field: str,
    *,
    max_length: int,
    required: str | None = None,
    too_long: str | None = None,
) -> str | None:
    """``value`` without surrounding white space, None when that leaves nothing.

    ``required`` is the message when nothing is left and something must be; longer than
    ``max_length`` is refused with ``too_long`` (default "Högst N tecken.")."""
    text = (value or "").strip() or None
    if text is None:
        if required:
            raise DomainError(required, field)
        return None
    if len(text) > max_length:
        raise DomainError(too_long or f"Högst {max_length} tecken.", field)
    return text


def touch(row: Case | Investigation | OrgSetting, actor: User, now: datetime) -> None:
    """Mark ``row`` as changed by ``actor`` now (a case's version goes up when it is
    flushed)."""
    row.updated_at = now
    row.updated_by_id = actor.id
