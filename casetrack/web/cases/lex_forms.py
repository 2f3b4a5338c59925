"""Forms for the utredning, the lex Sarah / lex Maria tracks, IA, ärendetyp and
attachments on the case page, and the "Ny lex Sarah-rapport" page."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casetrack.services.cases import MAX_TEXT
from casetrack.web.cases.forms import SwedishForm, VersionedForm

DATE_MESSAGE = "Ange datum (ÅÅÅÅ-MM-DD)."


class InvestigationForm(VersionedForm):
    started_on = DateField("Utredningen påbörjad", validators=[Optional()])
    what_happened = TextAreaField("Vad hände", validators=[Optional(), Length(max=MAX_TEXT)])
    assessment = TextAreaField("Bedömning", validators=[Optional(), Length(max=MAX_TEXT)])
    conclusion = TextAreaField("Slutsats", validators=[Optional(), Length(max=MAX_TEXT)])
    completed_on = DateField("Utredningen avslutad", validators=[Optional()])


class CauseForm(VersionedForm):
    description = TextAreaField(
        "Bidragande orsak",
        validators=[DataRequired("Beskriv orsaken."), Length(max=MAX_TEXT)],
    )


class StartTrackForm(VersionedForm):
    track = SelectField("Vilken utredning", validate_choice=True)
    reported_on = DateField("Rapporten mottogs", validators=[InputRequired(DATE_MESSAGE)])
    reporter_name = StringField(
        "Rapportör (namn)",
        validators=[
            DataRequired("Ange vem som rapporterade. En lex Sarah-rapport kan inte vara anonym."),
            Length(max=200, message="Högst 200 tecken."),
        ],
    )
    text = TextAreaField(
        "Vad rapporten gäller",
        validators=[DataRequired("Beskriv vad rapporten gäller."), Length(max=MAX_TEXT)],
    )


class StepForm(VersionedForm):
    step = SelectField("Steg", validate_choice=True)
    occurred_on = DateField("Datum", validators=[InputRequired(DATE_MESSAGE)])
    text = TextAreaField("Text", validators=[Optional(), Length(max=MAX_TEXT)])


class DecisionForm(VersionedForm):
    decided_on = DateField("Datum för ställningstagandet", validators=[InputRequired(DATE_MESSAGE)])
    is_confirmed = BooleanField("Missförhållande")
    is_risk = BooleanField("Påtaglig risk för missförhållande")
    is_serious = BooleanField("Allvarligt")
    text = TextAreaField(
        "Motivering",
        validators=[DataRequired("Motivera ställningstagandet."), Length(max=MAX_TEXT)],
    )


class IvoReportForm(VersionedForm):
    reported_on = DateField("Anmälan skickad till IVO", validators=[InputRequired(DATE_MESSAGE)])
    ivo_reference = StringField(
        "IVO:s diarienummer",
        validators=[DataRequired("Ange IVO:s diarienummer."), Length(max=60)],
    )
    reported_by_id = SelectField("Vem gjorde anmälan", validate_choice=True)
    text = TextAreaField("Kommentar", validators=[Optional(), Length(max=MAX_TEXT)])


class NoIvoReportForm(VersionedForm):
    decided_on = DateField("Datum", validators=[InputRequired(DATE_MESSAGE)])
    reason = TextAreaField(
        "Skäl till att ingen anmälan görs",
        validators=[DataRequired("Ange skälet till att ingen anmälan görs."), Length(max=MAX_TEXT)],
    )


class IaForm(VersionedForm):
    ia_reported_on = DateField("Rapporterad i IA", validators=[InputRequired(DATE_MESSAGE)])
    ia_reference = StringField(
        "Referens i IA",
        validators=[DataRequired("Ange referensen (ärendenumret) i IA."), Length(max=60)],
    )


class UnmarkIaForm(VersionedForm):
    pass


class KindForm(VersionedForm):
    kind_code = SelectField("Ny ärendetyp", validate_choice=True)


class AttachmentForm(VersionedForm):
    file = FileField("Fil")


class NewLexSarahForm(SwedishForm):
    org_unit_id = SelectField(
        "Enhet", coerce=int, validators=[InputRequired("Välj vilken enhet rapporten gäller.")]
    )
    reported_on = DateField("Rapporten mottogs", validators=[InputRequired(DATE_MESSAGE)])
    reporter_name = StringField(
        "Rapportör (namn)",
        validators=[
            DataRequired("Ange vem som rapporterade. En lex Sarah-rapport kan inte vara anonym."),
            Length(max=200, message="Högst 200 tecken."),
        ],
    )
    occurred_on = DateField("Händelsedatum", validators=[Optional()])
    person_concerned = StringField(
        "Berörd brukare (så lite som möjligt, t.ex. initialer)",
        validators=[Optional(), Length(max=200, message="Högst 200 tecken.")],
    )
    description = TextAreaField(
        "Vad rapporten gäller",
        validators=[DataRequired("Beskriv vad rapporten gäller."), Length(max=MAX_TEXT)],
    )
