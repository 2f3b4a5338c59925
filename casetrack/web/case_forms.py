"""Forms for registering and editing cases, with WTForms' Swedish messages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from casetrack.services.cases import MAX_TEXT, MAX_TITLE


class SwedishForm(FlaskForm):
    class Meta:
        locales = ("sv_SE", "sv")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _optional_code(value: str | None) -> str | None:
    return value or None


class RegisterCaseForm(SwedishForm):
    """A handler registers a synpunkt, klagomål, beröm or avvikelse received by them."""

    kind_code = RadioField("Ärendetyp", validators=[InputRequired("Välj ärendetyp.")])
    org_unit_id = SelectField(
        "Enhet",
        coerce=int,
        validators=[InputRequired("Välj vilken enhet ärendet gäller.")],
    )
    received_on = DateField(
        "Inkom datum",
        validators=[InputRequired("Ange datum då ärendet kom in (ÅÅÅÅ-MM-DD).")],
    )
    source_code = SelectField("Från vem", coerce=_optional_code, validate_choice=True)
    channel_code = SelectField("Kanal", coerce=_optional_code, validate_choice=True)
    category_codes = MultiCheckboxField("Vad gällde det? (en eller flera)")
    category_other_note = StringField(
        "Om Annat: ange vad",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
    )
    title = StringField(
        "Rubrik (valfri)",
        validators=[
            Optional(),
            Length(max=MAX_TITLE, message=f"Rubriken får vara högst {MAX_TITLE} tecken."),
        ],
    )
    description = TextAreaField(
        "Beskrivning",
        validators=[
            DataRequired("Beskriv vad ärendet gäller."),
            Length(max=MAX_TEXT, message=f"Beskrivningen får vara högst {MAX_TEXT} tecken."),
        ],
    )
    person_concerned = StringField(
        "Berörd brukare (valfritt, så lite som möjligt, t.ex. initialer)",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
    )
    is_anonymous = BooleanField("Anonym – den som lämnade ärendet vill inte uppge vem hen är")
    wants_feedback = BooleanField("Vill ha återkoppling", default=True)
    submitter_name = StringField(
        "Namn", validators=[Optional(), Length(max=200, message="Högst 200 tecken.")]
    )
    submitter_email = EmailField(
        "E-post",
        validators=[
            Optional(),
            Length(max=254, message="Högst 254 tecken."),
            Email(
                "Ange en giltig e-postadress, t.ex. namn@exempel.se.", check_deliverability=False
            ),
        ],
    )
    submitter_phone = StringField(
        "Telefon", validators=[Optional(), Length(max=40, message="Högst 40 tecken.")]
    )
