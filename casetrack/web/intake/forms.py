"""Forms of the public e-tjänst: submit a synpunkt, follow a case with the receipt code."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from casetrack.domain.numbers import ascii_int
from casetrack.services.intake import PUBLIC_MAX_TEXT, TOO_LONG
from casetrack.web.common.forms import SwedishForm, email_field, name_field, phone_field


def _unit_id(value) -> int | None:
    """Coerce the chosen unit; anything but an id in the schema's range becomes None (the
    service then refuses it with a clear message, never a 500)."""
    return value if isinstance(value, int) else ascii_int(value)


class PublicSubmissionForm(SwedishForm):
    org_unit_id = SelectField(
        "Verksamhet",
        coerce=_unit_id,
        validate_choice=False,  # the view checks the unit with a clear message
        validators=[InputRequired("Välj vilken verksamhet det gäller.")],
    )
    kind_code = RadioField(
        "Vad vill du lämna?",
        validate_choice=False,  # the service answers with a clear message
        validators=[InputRequired("Välj om det är en synpunkt, ett klagomål eller ett beröm.")],
    )
    description = TextAreaField(
        "Beskriv vad det gäller",
        validators=[
            DataRequired("Skriv vad det gäller."),
            Length(max=PUBLIC_MAX_TEXT, message=TOO_LONG),
        ],
    )
    is_anonymous = BooleanField("Jag vill vara anonym")
    wants_feedback = RadioField(
        "Vill du ha svar från oss?",
        choices=[("ja", "Ja, jag vill ha svar"), ("nej", "Nej, jag behöver inget svar")],
        default="ja",
        validators=[InputRequired("Välj om du vill ha svar.")],
    )
    submitter_name = name_field("Namn (valfritt)")
    submitter_email = email_field("E-post (valfritt)")
    submitter_phone = phone_field("Telefon (valfritt)")
    # Honeypot: hidden from people (CSS, aria-hidden, tabindex -1); bots fill it in.
    website = StringField("Lämna det här fältet tomt")


class FollowCaseForm(SwedishForm):
    reference = StringField(
        "Diarienummer",
        validators=[
            DataRequired("Skriv diarienumret, t.ex. AO-2026-00042."),
            Length(max=40, message="Diarienumret är för långt."),
        ],
    )
    receipt_code = StringField(
        "Kvittenskod",
        validators=[
            DataRequired("Skriv kvittenskoden."),
            Length(max=60, message="Kvittenskoden är för lång."),
        ],
    )


class AddInformationForm(SwedishForm):
    body = TextAreaField(
        "Det här vill jag lägga till",
        validators=[
            DataRequired("Skriv det du vill lägga till."),
            Length(max=PUBLIC_MAX_TEXT, message=TOO_LONG),
        ],
    )
