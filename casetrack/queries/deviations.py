"""Reads for an avvikelse's classification (issue 19): what it is now, and every change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from casetrack.access import case_scope
from casetrack.domain.deviations import (
    CONSEQUENCE_LEVELS,
    FALLS_FOR_RISK_ASSESSMENT,
    HARM_LABELS,
    LAGRUM_BY_CODE,
    NOT_GIVEN,
    PROBABILITY_LEVELS,
    analysis_required,
    risk_level,
    risk_value,
)
from casetrack.domain.escalation import ANALYSIS_THRESHOLD_KEY, FALL_WINDOW_KEY
from casetrack.domain.roles import Permission
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case, DeviationClassification, User
from casetrack.queries import event_analysis
from casetrack.queries import settings as org_settings
from casetrack.queries.lookups import event_type_labels


@dataclass(frozen=True)
class Classification:
    lagrum: str | None
    event_type_code: str | None
    harm: str | None
    consequence: str | None
    probability: int | None = None
    consequence_level: int | None = None

    @property
    def risk(self) -> int | None:
        return risk_value(self.probability, self.consequence_level)

    def risk_label(self) -> str:
        return risk_level(self.risk)[1] if self.risk else "Inte bedömd"

    def analysis_required(self) -> bool:
        return analysis_required(self.risk, analysis_threshold())

    def lagrum_label(self) -> str:
        return LAGRUM_BY_CODE[self.lagrum].label if self.lagrum else NOT_GIVEN

    def event_type_label(self) -> str:
        if not self.event_type_code:
            return NOT_GIVEN
        return event_type_labels().get(self.event_type_code, self.event_type_code)

    def harm_label(self) -> str:
        return HARM_LABELS.get(self.harm, NOT_GIVEN) if self.harm else NOT_GIVEN

    @property
    def complete(self) -> bool:
        return bool(self.lagrum and self.event_type_code)


UNCLASSIFIED = Classification(None, None, None, None)


def classification(case: Case) -> Classification:
    """The avvikelse's classification ("ej angivet" where nothing is recorded)."""
    row = db.session.get(DeviationClassification, case.id)
    if row is None:
        return UNCLASSIFIED
    return Classification(
        row.lagrum,
        row.event_type_code,
        row.harm,
        row.consequence,
        row.probability,
        row.consequence_level,
    )


def analysis_threshold() -> int:
    """The organisation's risk value from which a händelseanalys is required."""
    return org_settings.get_int(ANALYSIS_THRESHOLD_KEY)


def analysis_missing(case: Case) -> list[str]:
    """What the händelseanalys still lacks (empty: recorded): at least one entry in the
    händelseförlopp, one cause with its cause area, one participant, and the utredning's
    completion date (casetrack.domain.event_analysis.missing_for_analysis)."""
    return event_analysis.missing(case)


def analysis_recorded(case: Case) -> bool:
    """The structured händelseanalys is recorded (``analysis_missing`` is empty)."""
    return not analysis_missing(case)


def closing_problem(case: Case) -> str | None:
    """Why this avvikelse may not be closed yet, or None: above the threshold it needs its
    händelseanalys first (issue 19), and the message names everything still missing."""
    if case.kind_code != "deviation":
        return None
    current = classification(case)
    if not current.analysis_required():
        return None
    missing = analysis_missing(case)
    if not missing:
        return None
    return (
        f"Riskvärdet är {current.risk} ({current.risk_label().lower()}), och från "
        f"{analysis_threshold()} krävs en händelseanalys innan avvikelsen avslutas. "
        f"Det saknas: {', '.join(missing)}."
    )


@dataclass(frozen=True)
class ClassificationChange:
    occurred_at: datetime
    actor: str
    changes: list[tuple[str, str, str]]  # (what, before, after) in words


_FIELD_NAMES = {
    "lagrum": "Lagrum",
    "event_type_code": "Händelsetyp",
    "harm": "Skada",
    "probability": "Sannolikhet",
    "consequence_level": "Konsekvens",
    "person": "Brukare",
    "consequence": "Följder för brukaren",
}


def value_in_words(field: str, value) -> str:
    """A classification value as the history shows it (the case's Historik tab too)."""
    return _words(field, value)


def _words(field: str, value) -> str:
    if value is None:
        return NOT_GIVEN
    if field == "person":
        return {
            "(kopplad)": "kopplad",
            "(kopplad till en annan brukare)": "kopplad till en annan brukare",
        }.get(value, str(value))
    if field == "lagrum":
        return LAGRUM_BY_CODE[value].label if value in LAGRUM_BY_CODE else str(value)
    if field == "event_type_code":
        return event_type_labels().get(value, str(value))
    if field == "harm":
        return HARM_LABELS.get(value, str(value))
    if field in ("probability", "consequence_level"):
        levels = PROBABILITY_LEVELS if field == "probability" else CONSEQUENCE_LEVELS
        return next((f"{lv.value} {lv.label.lower()}" for lv in levels if lv.value == value), "")
    return "ändrad" if field == "consequence" else str(value)


def classification_history(case: Case) -> list[ClassificationChange]:
    """Every classification and reclassification of the avvikelse, oldest first."""
    rows = db.session.execute(
        sa.select(AuditEntry.occurred_at, AuditEntry.before, AuditEntry.after, User.name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.case_id == case.id, AuditEntry.action == "deviation.classified")
        .order_by(AuditEntry.occurred_at, AuditEntry.id)
    ).all()
    history = []
    for occurred_at, before, after, name in rows:
        before, after = before or {}, after or {}
        changes = [
            (label, _words(field, before.get(field)), _words(field, after.get(field)))
            for field, label in _FIELD_NAMES.items()
            if field in after or field in before
        ]
        history.append(ClassificationChange(occurred_at, name or "Okänd", changes))
    return history


@dataclass(frozen=True)
class RelatedDeviation:
    case_id: int
    reference: str
    received_on: date
    occurred_on: date | None
    event_type_code: str | None

    def event_type_label(self) -> str:
        if not self.event_type_code:
            return NOT_GIVEN
        return event_type_labels().get(self.event_type_code, self.event_type_code)


def is_linked(case: Case) -> bool:
    """True when the avvikelse is linked to a brukare's pseudonym."""
    row = db.session.get(DeviationClassification, case.id)
    return row is not None and row.person_key is not None


def same_brukare(case: Case, user: User) -> list[RelatedDeviation]:
    """The other avvikelser linked to the same brukare (keyed pseudonym) that ``user`` may
    read, newest first. Outside the user's scope nothing is shown, not even a count."""
    row = db.session.get(DeviationClassification, case.id)
    if row is None or row.person_key is None:
        return []
    rows = db.session.execute(
        sa.select(
            Case.id,
            Case.reference,
            Case.received_on,
            Case.occurred_on,
            DeviationClassification.event_type_code,
        )
        .join(DeviationClassification, DeviationClassification.case_id == Case.id)
        .where(
            DeviationClassification.person_key == row.person_key,
            Case.id != case.id,
            case_scope(user, Permission.CASE_READ),
        )
        .order_by(Case.received_on.desc(), Case.id.desc())
    ).all()
    return [RelatedDeviation(*item) for item in rows]


def _event_day(item: RelatedDeviation | Case) -> date:
    return item.occurred_on or item.received_on


def fall_risk_flag(case: Case, related: list[RelatedDeviation]) -> str | None:
    """The flag when this fall is at least the third for the same brukare within the
    organisation's window before it (counted among the avvikelser the viewer may read)."""
    current = classification(case)
    if current.event_type_code != "fall":
        return None
    window = org_settings.get_int(FALL_WINDOW_KEY)
    day = _event_day(case)
    # This fall and the falls before it within the window (a later fall is flagged itself).
    falls = 1 + sum(
        1
        for item in related
        if item.event_type_code == "fall"
        and 0 <= (day - _event_day(item)).days <= window
        and (_event_day(item), item.case_id) < (day, case.id)
    )
    if falls < FALLS_FOR_RISK_ASSESSMENT:
        return None
    return (
        f"{falls} fall för samma brukare inom {window} dagar: gör en fallriskbedömning "
        "(till exempel Downton eller ROL) och se över åtgärderna."
    )
