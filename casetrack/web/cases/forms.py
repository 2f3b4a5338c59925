"""Forms for registering and editing cases, with WTForms' Swedish messages."""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from casetrack.services.cases import MAX_TEXT, MAX_TITLE
from casetrack.web.common.forms import CasetrackForm


class SwedishForm(CasetrackForm):
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


class LargeSelect(widgets.Select):
    """A <select> for long lists (a förvaltning has some 1,650 verksamheter): the same
    HTML as WTForms' widget, built as one string with markupsafe's C ``escape`` for every
    value and label, instead of a widget call and ``html_params`` per option (which cost a
    quality lead's list page some 25 ms). When the field has ``rendered_options`` (a
    ``RenderedOptions`` that is the tail of its choices), their HTML built once is reused."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        current = "" if field.data is None else str(field.data)
        rendered = getattr(field, "rendered_options", None)
        plain = field.choices[: len(field.choices) - len(rendered)] if rendered else field.choices
        options = "".join(
            f'<option value="{escape(value)}"{" selected" if str(value) == current else ""}>'
            f"{escape(label)}</option>"
            for value, label in plain
        )
        if rendered is not None:
            html, index = rendered.html
            selected = index.get(current)
            if selected is None:
                options += "".join(html)
            else:
                chosen = html[selected].replace("<option ", "<option selected ", 1)
                options += "".join((*html[:selected], chosen, *html[selected + 1 :]))
        attributes = widgets.html_params(name=field.name, **kwargs)  # escapes the values
        # Every piece above is escaped; see .ci/accepted-findings.toml (B704).
        return Markup(f"<select {attributes}>{options}</select>")  # noqa: S704


class CaseFilterForm(SwedishForm):
    """The list filters: GET parameters with codes and ids only, never personal data."""

    class Meta:
        csrf = False
        locales = ("sv_SE", "sv")

    enhet = SelectField("Enhet", coerce=str, validate_choice=True, default="", widget=LargeSelect())
    typ = SelectField("Ärendetyp", validate_choice=True, default="")
    status = SelectField("Status", validate_choice=True, default="")
    kategori = SelectField("Kategori", validate_choice=True, default="")
    kalla = SelectField("Från vem", validate_choice=True, default="")
    handlaggare = SelectField("Handläggare", validate_choice=True, default="")
    fran = DateField("Inkom från", validators=[Optional()])
    till = DateField("Inkom till", validators=[Optional()])
    forsenade = BooleanField("Bara försenade")
    rad = SelectField("Rad i tertialrapporten", validate_choice=True, default="")
    sortering = SelectField(
        "Sortering",
        choices=[
            ("inkom_desc", "Senast inkomna först"),
            ("inkom_asc", "Äldst först"),
            ("diarienummer", "Diarienummer"),
            ("status", "Status"),
        ],
        default="inkom_desc",
        validate_choice=True,
    )

    def validate_till(self, field):
        if field.data and self.fran.data and field.data < self.fran.data:
            raise ValidationError("Slutdatum kan inte vara före startdatum.")


class SearchForm(SwedishForm):
    """Free-text search, sent by POST so the words never appear in a URL (K3-54)."""

    text = StringField(
        "Sök i rubrik, beskrivning och anteckningar, eller på diarienummer",
        validators=[
            DataRequired("Skriv något att söka efter."),
            Length(max=200, message="Högst 200 tecken."),
        ],
    )


class VersionedForm(SwedishForm):
    """Every form that changes a case carries the version it was opened at."""

    version = HiddenField(validators=[InputRequired()])
    opened_at = HiddenField()


class AssignForm(VersionedForm):
    handler_id = SelectField("Handläggare", coerce=str, validate_choice=True)


class StatusForm(VersionedForm):
    status_code = SelectField("Ny status", validate_choice=True)


class DetailsForm(VersionedForm):
    title = StringField(
        "Rubrik",
        validators=[
            DataRequired("Ange en rubrik."),
            Length(max=MAX_TITLE, message=f"Rubriken får vara högst {MAX_TITLE} tecken."),
        ],
    )
    source_code = SelectField("Från vem", validate_choice=True)
    channel_code = SelectField("Kanal", validate_choice=True)
    category_codes = MultiCheckboxField("Vad gällde det? (en eller flera)")
    category_other_note = StringField(
        "Om Annat: ange vad", validators=[Optional(), Length(max=200, message="Högst 200 tecken.")]
    )


class FeedbackForm(VersionedForm):
    given_on = DateField("Datum", validators=[InputRequired("Ange datum (ÅÅÅÅ-MM-DD).")])
    given_to = StringField(
        "Till vem",
        validators=[DataRequired("Ange vem som fick återkopplingen."), Length(max=200)],
    )
    method = SelectField("Hur", validate_choice=True)
    summary = TextAreaField(
        "Sammanfattning",
        validators=[DataRequired("Sammanfatta återkopplingen."), Length(max=MAX_TEXT)],
    )
    # Label set on the case page with the address ("Skicka som e-post till …").
    send_email = BooleanField("Skicka som e-post")


class ActionForm(VersionedForm):
    description = TextAreaField(
        "Åtgärd", validators=[DataRequired("Beskriv åtgärden."), Length(max=MAX_TEXT)]
    )
    responsible = StringField(
        "Ansvarig", validators=[DataRequired("Ange vem som är ansvarig."), Length(max=200)]
    )
    due_on = DateField("Klar senast", validators=[Optional()])
    # Checked by the service (the cause must belong to this case's utredning).
    cause_id = SelectField(
        "Vilken orsak åtgärden avser (valfritt)", coerce=_optional_code, validate_choice=False
    )


class CompleteActionForm(VersionedForm):
    done_on = DateField("Genomförd datum", validators=[InputRequired("Ange datum (ÅÅÅÅ-MM-DD).")])
    effect_evaluated_on = DateField("Effekten följdes upp", validators=[Optional()])
    effect_verdict = SelectField("Effekt", validate_choice=True)
    effect_waived_reason = StringField(
        "Eller: skäl att inte följa upp effekten",
        validators=[Optional(), Length(max=500, message="Högst 500 tecken.")],
    )


class NoteForm(SwedishForm):
    body = TextAreaField(
        "Intern anteckning",
        validators=[DataRequired("Skriv anteckningen."), Length(max=MAX_TEXT)],
    )


class AcknowledgeForm(VersionedForm):
    acknowledged_on = DateField(
        "Mottagningsbekräftelse skickad", validators=[InputRequired("Ange datum (ÅÅÅÅ-MM-DD).")]
    )


class CloseForm(VersionedForm):
    no_feedback_reason = SelectField("Om ingen återkoppling lämnats: varför", validate_choice=True)


class ReopenForm(VersionedForm):
    pass
