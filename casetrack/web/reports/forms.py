"""Forms on the tertial report page."""

from __future__ import annotations

from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, StopValidation, ValidationError

from casetrack.domain.dates import local_date
from casetrack.models import utcnow
from casetrack.services.reports import MAX_SUMMARY
from casetrack.web.common.forms import LargeSelect, SwedishForm


class YearField(IntegerField):
    """A year typed in digits. Anything else gets one clear message (not WTForms' own
    "not a valid integer" beside the range's message), and a year that has not begun
    is refused: a report of it would compare nothing with last year."""

    def process_formdata(self, valuelist):
        text = valuelist[0].strip() if valuelist and valuelist[0] else ""
        if text and not (text.isascii() and text.isdigit()):
            self.data = None
            raise ValueError("Skriv året med siffror, till exempel 2026.")
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


def not_in_the_future(form, field) -> None:
    this_year = local_date(utcnow()).year
    if field.data is not None and field.data > this_year:
        raise ValidationError(f"{field.data} har inte börjat än. Välj {this_year} eller tidigare.")


TERTIAL_CHOICES = [
    ("1", "T1 (januari–april)"),
    ("2", "T2 (maj–augusti)"),
    ("3", "VB (september–december)"),
]


class UnitYearForm(SwedishForm):
    """Which unit and year (GET: ids and numbers only); the patientsäkerhetsberättelse's
    choice, and the tertial report's with its tertial."""

    class Meta:
        csrf = False
        locales = ("sv_SE", "sv")

    enhet = SelectField("Enhet", validate_choice=True, default="", widget=LargeSelect())
    ar = YearField(
        "År",
        validators=[
            InputRequired("Ange ett år."),
            NumberRange(min=2000, max=2100, message="Ange ett år mellan 2000 och 2100."),
            not_in_the_future,
        ],
    )


class ReportChoiceForm(UnitYearForm):
    """Which unit, year and tertial to report."""

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


class PatientSafetyChoiceForm(UnitYearForm):
    """Which unit and year the patientsäkerhetsberättelse's figures are for."""


class IndicatorChoiceForm(SwedishForm):
    """Which unit subtree the quality indicators are for (GET: an id only)."""

    class Meta:
        csrf = False
        locales = ("sv_SE", "sv")

    enhet = SelectField("Enhet", validate_choice=True, default="", widget=LargeSelect())
