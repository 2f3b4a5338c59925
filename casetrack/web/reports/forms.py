"""Forms on the tertial report page."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from casetrack.services.reports import MAX_SUMMARY
from casetrack.web.common.forms import LargeSelect, SwedishForm

TERTIAL_CHOICES = [
    ("1", "T1 (januari–april)"),
    ("2", "T2 (maj–augusti)"),
    ("3", "VB (september–december)"),
]


class ReportChoiceForm(SwedishForm):
    """Which unit, year and tertial to report (GET: ids and numbers only)."""

    class Meta:
        csrf = False
        locales = ("sv_SE", "sv")

    enhet = SelectField("Enhet", validate_choice=True, default="", widget=LargeSelect())
    ar = IntegerField(
        "År",
        validators=[
            InputRequired("Ange ett år."),
            NumberRange(min=2000, max=2100, message="Ange ett år mellan 2000 och 2100."),
        ],
    )
    tertial = SelectField("Till och med", choices=TERTIAL_CHOICES, validate_choice=True)


class PeriodForm(SwedishForm):
    """The unit, year and tertial a POST on the report page applies to."""

    unit_id = HiddenField(validators=[InputRequired()])
    year = HiddenField(validators=[InputRequired()])
    tertial = HiddenField(validators=[InputRequired()])


class SummaryForm(PeriodForm):
    row_key = HiddenField(validators=[InputRequired()])
    text = TextAreaField(
        "Sammanfattning och planerade åtgärder",
        validators=[Length(max=MAX_SUMMARY, message=f"Högst {MAX_SUMMARY} tecken.")],
    )


class FreezeForm(PeriodForm):
    pass


class UnfreezeForm(PeriodForm):
    reason = TextAreaField(
        "Varför ska fastställandet hävas?",
        validators=[InputRequired("Ange varför fastställandet ska hävas."), Length(max=1000)],
    )


class PatientSafetyChoiceForm(SwedishForm):
    """Which unit and year the patientsäkerhetsberättelse's figures are for (GET)."""

    class Meta:
        csrf = False
        locales = ("sv_SE", "sv")

    enhet = SelectField("Enhet", validate_choice=True, default="", widget=LargeSelect())
    ar = IntegerField(
        "År",
        validators=[
            InputRequired("Ange ett år."),
            NumberRange(min=2000, max=2100, message="Ange ett år mellan 2000 och 2100."),
        ],
    )
