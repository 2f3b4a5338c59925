"""The digital avvikelserapport-blankett: six fields, quick to fill in on a phone."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casetrack.domain.numbers import ascii_int
from casetrack.services.cases import MAX_TEXT
from casetrack.web.common.forms import MultiCheckboxField, SwedishForm


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
    # The service checks the codes ("Välj kategorier i listan.").
    category_codes = MultiCheckboxField("Vad gällde det? (valfritt)", validate_choice=False)
