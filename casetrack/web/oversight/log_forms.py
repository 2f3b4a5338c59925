"""Filter form for loggkontroll, and the registerutdrag search form."""

from __future__ import annotations

from wtforms import DateField, EmailField, SelectField, StringField
from wtforms.validators import Email, Length, Optional

from casetrack.web.common.forms import SwedishForm


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class AccessLogFilterForm(SwedishForm):
    user_id = SelectField("Användare", coerce=_optional_int, validate_choice=True)
    unit_id = SelectField("Enhet", coerce=_optional_int, validate_choice=True)
    reference = StringField(
        "Diarienummer",
        validators=[Optional(), Length(max=24, message="Högst 24 tecken.")],
        render_kw={"spellcheck": "false"},
    )
    date_from = DateField("Från och med", validators=[Optional()])
    date_to = DateField("Till och med", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        dates = (self.date_from.data, self.date_to.data)
        if ok and all(dates) and dates[1] < dates[0]:
            self.date_to.errors.append("Slutdatumet kan inte vara före startdatumet.")
            return False
        return ok


class PersonSearchForm(SwedishForm):
    name = StringField(
        "Namn",
        validators=[Optional(), Length(min=3, max=200, message="Skriv 3–200 tecken.")],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    email = EmailField(
        "E-postadress",
        validators=[
            Optional(),
            Length(max=254, message="Högst 254 tecken."),
            Email(
                "Ange en giltig e-postadress, t.ex. namn@exempel.se.", check_deliverability=False
            ),
        ],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    phone = StringField(
        "Telefonnummer",
        validators=[Optional(), Length(min=5, max=40, message="Skriv 5–40 tecken.")],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and not (self.name.data or self.email.data or self.phone.data):
            self.name.errors.append("Fyll i namn, e-postadress eller telefonnummer.")
            return False
        return ok
