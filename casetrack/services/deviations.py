"""Classifying an avvikelse (issue 19): lagrum, händelsetyp, harm and the consequence for
the brukare. The care worker gives lagrum and händelsetyp when filing (both optional, two
taps); the handler completes and corrects them. Every change is audited with before and
after values: that is the reclassification history the case page shows.
"""

from __future__ import annotations

from datetime import datetime

from casetrack import audit
from casetrack.domain.deviations import HARM_LABELS, check_classification
from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.infra import pseudonyms
from casetrack.models import Case, DeviationClassification, EventType, User, utcnow
from casetrack.services.checks import clean_text, touch
from casetrack.services.handling import require_handler

MAX_CONSEQUENCE = 2_000
# Free text is not copied into the audit trail (as for the case's own text).
REDACTED = "(text)"
LINKED = "(kopplad)"
RELINKED = "(kopplad till en annan brukare)"


def _event_type(code: str | None, *, new: bool) -> EventType | None:
    if not code:
        return None
    row = db.session.get(EventType, code)
    # An inactive type stays on the avvikelser that have it, but is not chosen anew.
    if row is None or (new and not row.active):
        raise DomainError("Välj en händelsetyp i listan.", "event_type_code")
    return row


def _checked(lagrum: str | None, event_type_code: str | None, current: str | None):
    event = _event_type(event_type_code, new=event_type_code != current)
    lagrum = check_classification(lagrum or None, event.lagrum_group if event else None)
    return lagrum, event


def checked_choice(
    lagrum: str | None, event_type_code: str | None
) -> tuple[str | None, str | None]:
    """The (lagrum, händelsetyp) to store for what the care worker chose on the blankett;
    DomainError at the field when the event type is not under the lagrum or not offered."""
    lagrum, event = _checked(lagrum, event_type_code, None)
    return lagrum, event.code if event else None


def classify_when_filed(
    case: Case, *, lagrum: str | None, event_type_code: str | None
) -> DeviationClassification | None:
    """Store a choice ``checked_choice`` accepted (nothing when neither was chosen). The
    filing is audited as the case's creation; this adds the classification's entry."""
    if not lagrum and not event_type_code:
        return None
    row = DeviationClassification(case_id=case.id, lagrum=lagrum, event_type_code=event_type_code)
    db.session.add(row)
    db.session.flush()
    audit.record(
        "deviation.classified",
        entity_type="case",
        entity_id=case.id,
        case=case,
        actor=case.created_by,
        before={},
        after={"lagrum": lagrum, "event_type_code": row.event_type_code},
    )
    return row


def classify(
    actor: User,
    case: Case,
    *,
    lagrum: str | None,
    event_type_code: str | None,
    harm: str | None,
    consequence: str | None,
    probability: int | None = None,
    consequence_level: int | None = None,
    personnummer: str | None = None,
    unlink_person: bool = False,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> None:
    """The handler's classification (a correction keeps the earlier one in the audit
    trail). Only avvikelser are classified this way.

    ``personnummer`` links the avvikelse to the brukare's keyed pseudonym (the number is
    never stored); left empty, an existing link stays; ``unlink_person`` removes it."""
    now = now or utcnow()
    require_handler(actor, case, expected_version)
    if case.kind_code != "deviation":
        raise DomainError("Bara avvikelser klassificeras med lagrum och händelsetyp.")
    row = db.session.get(DeviationClassification, case.id)
    current = row.event_type_code if row else None
    lagrum, event = _checked(lagrum, event_type_code, current)
    if harm and harm not in HARM_LABELS:
        raise DomainError("Välj skada i listan.", "harm")
    for name, level in (("probability", probability), ("consequence_level", consequence_level)):
        if level is not None and level not in (1, 2, 3, 4):
            raise DomainError("Välj en nivå mellan 1 och 4.", name)
    if (probability is None) != (consequence_level is None):
        field = "consequence_level" if consequence_level is None else "probability"
        raise DomainError("Bedöm både sannolikhet och konsekvens, eller ingen av dem ännu.", field)
    consequence = clean_text(
        consequence,
        "consequence",
        max_length=MAX_CONSEQUENCE,
        too_long=f"Texten får vara högst {MAX_CONSEQUENCE} tecken.",
    )
    person_key = _person_key(personnummer)
    before = _snapshot(row)
    relinked = (
        row is not None
        and row.person_key is not None
        and person_key
        not in (
            None,
            row.person_key,
        )
    )
    if row is None:
        row = DeviationClassification(case_id=case.id)
        db.session.add(row)
    row.lagrum = lagrum
    row.event_type_code = event.code if event else None
    row.harm = harm or None
    row.probability = probability
    row.consequence_level = consequence_level
    row.consequence = consequence
    if unlink_person:
        row.person_key = None
    elif person_key is not None:
        row.person_key = person_key
    row.updated_at = now
    old, new = audit.diff(before, _snapshot(row))
    if relinked and not unlink_person:  # another brukare: the labels alone look the same
        old["person"], new["person"] = LINKED, RELINKED
    if not new:
        raise DomainError("Ingenting ändrades.")
    touch(case, actor, now)
    audit.record(
        "deviation.classified",
        entity_type="case",
        entity_id=case.id,
        case=case,
        actor=actor,
        before=old,
        after=new,
        occurred_at=now,
    )


def _person_key(personnummer: str | None) -> str | None:
    if not (personnummer or "").strip():
        return None
    try:
        return pseudonyms.pseudonym(personnummer)
    except pseudonyms.InvalidPersonnummer:
        raise DomainError(
            "Det är inte ett giltigt personnummer. Skriv ÅÅÅÅMMDD-NNNN, till exempel "
            "19420317-2392; kontrollsiffran måste stämma.",
            "personnummer",
        ) from None
    except pseudonyms.PseudonymKeyMissing:
        raise DomainError(
            "Avvikelser kan inte kopplas till en brukare här ännu: nyckeln för pseudonymer "
            "saknas. Kontakta systemförvaltningen.",
            "personnummer",
        ) from None


def _snapshot(row: DeviationClassification | None) -> dict:
    if row is None:
        return dict.fromkeys(
            (
                "lagrum",
                "event_type_code",
                "harm",
                "probability",
                "consequence_level",
                "consequence",
                "person",
            )
        )
    return {
        "lagrum": row.lagrum,
        "event_type_code": row.event_type_code,
        "harm": row.harm,
        "probability": row.probability,
        "consequence_level": row.consequence_level,
        "consequence": REDACTED if row.consequence else None,
        # The pseudonym is not copied into the trail either: only that a link was made.
        "person": LINKED if row.person_key else None,
    }
