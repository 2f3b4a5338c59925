"""Forms of the händelseanalys page (issue 19). Each carries the case version it was opened
at; the service checks the values again and names the field at fault."""

from __future__ import annotations

import re
from datetime import time

from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casetrack.domain.event_analysis import CAUSE_AREAS
from casetrack.services.cases import MAX_TEXT
from casetrack.web.common.forms import VersionedForm

DATE_MESSAGE = "Ange datum (ÅÅÅÅ-MM-DD)."
TIME_MESSAGE = "Ange klockslag som TT:MM, till exempel 07:45, eller lämna tomt."
_TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")


class TimeText(StringField):
    """An optional time of day typed as 07:45 (or 7.45); the data is a ``time`` or None."""

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        match = _TIME.match(self.raw)
        if match is None:
            raise ValueError(TIME_MESSAGE)
        self.data = time(int(match.group(1)), int(match.group(2)))

    def _value(self):
        if self.data is not None:
            return self.data.strftime("%H:%M")
        return getattr(self, "raw", "") or ""


def area_choices() -> list[tuple[str, str]]:
    return [(area.code, area.label) for area in CAUSE_AREAS]


class EventForm(VersionedForm):
    occurred_on = DateField("Datum", validators=[InputRequired(DATE_MESSAGE)])
    occurred_time = TimeText("Klockslag (om det är känt)", validators=[Optional()])
    description = TextAreaField(
        "Vad hände",
        validators=[
            DataRequired("Beskriv vad som hände."),
            Length(max=MAX_TEXT, message=f"Högst {MAX_TEXT} tecken."),
        ],
    )


class CauseForm(VersionedForm):
    description = TextAreaField(
        "Orsak",
        validators=[
            DataRequired("Beskriv orsaken."),
            Length(max=MAX_TEXT, message=f"Högst {MAX_TEXT} tecken."),
        ],
    )
    # Checked by the service with a clear message ("Välj ett orsaksområde.").
    area = RadioField("Orsaksområde", validate_choice=False, validators=[Optional()])

    def fill(self) -> VersionedForm:
        self.area.choices = area_choices()
        return self


class CauseAreaForm(VersionedForm):
    area = RadioField("Orsaksområde", validate_choice=False, validators=[Optional()])

    def fill(self) -> VersionedForm:
        self.area.choices = area_choices()
        return self


class ParticipantForm(VersionedForm):
    name = StringField(
        "Namn",
        validators=[DataRequired("Ange namnet."), Length(max=200, message="Högst 200 tecken.")],
    )
    role = StringField(
        "Funktion eller yrkesroll",
        validators=[
            DataRequired("Ange funktion eller yrkesroll."),
            Length(max=200, message="Högst 200 tecken."),
        ],
    )


class ReportedBackForm(VersionedForm):
    reported_back_on = DateField("Återrapporterad", validators=[InputRequired(DATE_MESSAGE)])
    reported_back_how = StringField(
        "Hur (valfritt)", validators=[Optional(), Length(max=200, message="Högst 200 tecken.")]
    )


class RemoveForm(VersionedForm):
    """A remove button: the CSRF token and the version only."""
