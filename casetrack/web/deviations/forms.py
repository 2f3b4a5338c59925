"""The digital avvikelserapport-blankett: six fields, quick to fill in on a phone."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casetrack.domain.numbers import ascii_int
from casetrack.services.cases import MAX_TEXT
from casetrack.web.common.forms import SwedishForm, VersionedForm


def _unit_id(value) -> int | None:
    """Coerce the chosen unit; anything but an id in the schema's range becomes None (the
    service then refuses it with a clear message, never a 500)."""
    return value if isinstance(value, int) else ascii_int(value)


class DeviationForm(SwedishForm):
    org_unit_id = SelectField(
        "Enhet",
        coerce=_unit_id,
        validate_choice=False,  # the service checks the unit with a clear message
        validators=[InputRequired("Välj enhet.")],
    )
    occurred_on = DateField(
        "Datum då det hände",
        validators=[InputRequired("Ange datum då det hände (ÅÅÅÅ-MM-DD).")],
    )
    # Issue 19: two optional taps; the service checks the codes and that they fit together.
    lagrum = RadioField("Vilket lagrum gäller?", validate_choice=False, validators=[Optional()])
    event_type_code = RadioField(
        "Vad för slags händelse var det?", validate_choice=False, validators=[Optional()]
    )
    what_happened = TextAreaField(
        "Vad hände?",
        validators=[
            DataRequired("Beskriv vad som hände."),
            Length(max=MAX_TEXT, message=f"Texten får vara högst {MAX_TEXT} tecken."),
        ],
    )
    immediate_action = TextAreaField(
        "Vad gjorde du direkt?",
        validators=[
            DataRequired("Beskriv vad du gjorde direkt."),
            Length(max=MAX_TEXT, message=f"Texten får vara högst {MAX_TEXT} tecken."),
        ],
    )
    person_concerned = StringField(
        "Berörd brukare (valfritt)",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
    )
    # The tertial table's categories are the handler's to fill in (issue 19): the blankett
    # asks for lagrum and händelsetyp instead.


def _level(value) -> int | None:
    """1–4 from a radio button; anything else None here, refused by the service."""
    number = value if isinstance(value, int) else ascii_int(value)
    return number if number is None or 0 <= number <= 99 else None


class ClassificationForm(VersionedForm):
    """The handler classifies an avvikelse (issue 19); every field may stay "ej angivet"
    while it is not known, and a correction keeps the earlier values in the history."""

    lagrum = RadioField("Lagrum", validate_choice=False, validators=[Optional()])
    event_type_code = SelectField("Händelsetyp", validate_choice=False, validators=[Optional()])
    harm = RadioField("Skada för brukaren", validate_choice=False, validators=[Optional()])
    probability = RadioField(
        "Sannolikhet – hur ofta kan det hända igen?",
        coerce=_level,
        validate_choice=False,
        validators=[Optional()],
    )
    consequence_level = RadioField(
        "Konsekvens – hur allvarligt blir det om det händer?",
        coerce=_level,
        validate_choice=False,
        validators=[Optional()],
    )
    # Never stored and never shown again: only its keyed pseudonym is kept (issue 19).
    personnummer = StringField(
        "Brukarens personnummer",
        validators=[Optional(), Length(max=20, message="Skriv ÅÅÅÅMMDD-NNNN.")],
    )
    unlink_person = BooleanField("Ta bort kopplingen till brukaren")
    consequence = TextAreaField(
        "Följder för brukaren",
        validators=[Optional(), Length(max=2000, message="Texten får vara högst 2000 tecken.")],
    )
