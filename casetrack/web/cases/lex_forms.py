"""Forms for the utredning, the lex Sarah / lex Maria tracks, IA, ärendetyp and
attachments on the case page, and the "Ny lex Sarah-rapport" page."""

from __future__ import annotations

from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casetrack.domain import escalation as rules
from casetrack.models import Investigation
from casetrack.queries import deviations as deviation_queries
from casetrack.queries import lookups
from casetrack.services import escalation as escalation_service
from casetrack.services import investigation as investigation_service
from casetrack.services.cases import MAX_TEXT
from casetrack.web.cases.forms import CaseChangeForm, today
from casetrack.web.common.forms import SwedishForm

DATE_MESSAGE = "Ange datum (ÅÅÅÅ-MM-DD)."


class InvestigationForm(CaseChangeForm):
    started_on = DateField("Utredningen påbörjad", validators=[Optional()])
    what_happened = TextAreaField("Vad hände", validators=[Optional(), Length(max=MAX_TEXT)])
    assessment = TextAreaField("Bedömning", validators=[Optional(), Length(max=MAX_TEXT)])
    conclusion = TextAreaField("Slutsats", validators=[Optional(), Length(max=MAX_TEXT)])
    completed_on = DateField("Utredningen avslutad", validators=[Optional()])

    @classmethod
    def initial(cls, case, item=None):
        investigation: Investigation | None = investigation_service.investigation_of(case)
        names = ("started_on", "what_happened", "assessment", "conclusion", "completed_on")
        return {name: getattr(investigation, name) if investigation else None for name in names}


class CauseForm(CaseChangeForm):
    description = TextAreaField(
        "Bidragande orsak",
        validators=[DataRequired("Beskriv orsaken."), Length(max=MAX_TEXT)],
    )


class StartTrackForm(CaseChangeForm):
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

    track_hint: str | None = None

    @classmethod
    def initial(cls, case, item=None):
        suggested = _track_for_lagrum(case)
        return {"reported_on": today(), **({"track": suggested[0]} if suggested else {})}

    def fill(self, case, item=None):
        if not escalation_service.may_start(current_user, case):
            self.track.choices = []  # an independent utredare reaches only their track
            return
        existing = {t.track for t in escalation_service.tracks_of(case)}
        self.track.choices = [
            (code, label) for code, label in rules.TRACK_LABELS.items() if code not in existing
        ]
        suggested = _track_for_lagrum(case)
        if suggested and suggested[0] not in existing:
            # The avvikelse's lagrum says which chain applies: that one first, and why.
            self.track.choices.sort(key=lambda choice: choice[0] != suggested[0])
            self.track_hint = suggested[1]

    def offered(self) -> bool:
        return bool(self.track.choices)  # both tracks are started


class StepForm(CaseChangeForm):
    """One per lex track (``item``)."""

    step = SelectField("Steg", validate_choice=True)
    occurred_on = DateField("Datum", validators=[InputRequired(DATE_MESSAGE)])
    text = TextAreaField("Text", validators=[Optional(), Length(max=MAX_TEXT)])

    @classmethod
    def initial(cls, case, item=None):
        return {"occurred_on": today()}

    def fill(self, case, item=None):
        if item is not None and not escalation_service.may_record(current_user, case, item.track):
            self.step.choices = []  # e.g. the lex Maria track, for a lex Sarah-utredare
            return
        recorded = [s.step for s in item.steps] if item else []
        serious = item.is_serious if item else None
        steps = rules.STEPS[item.track] if item else {}
        self.step.choices = [
            (code, step.label)
            for code, step in steps.items()
            if code in rules.PLAIN_STEPS
            and rules.refusal(item.track, code, recorded, serious) is None
        ]
        # A submitted step that is no longer available is refused by the service with
        # the reason, rather than by the choice check with a generic message.
        chosen = self.step.data
        if chosen and chosen in steps and chosen not in {c for c, _ in self.step.choices}:
            self.step.choices.append((chosen, steps[chosen].label))

    def offered(self) -> bool:
        return bool(self.step.choices)


class DecisionForm(CaseChangeForm):
    decides = rules.DECISION
    decided_on = DateField("Datum för ställningstagandet", validators=[InputRequired(DATE_MESSAGE)])
    assessment = RadioField(
        "Ställningstagande",
        validate_choice=False,
        validators=[InputRequired("Välj ställningstagandet.")],
    )
    text = TextAreaField(
        "Motivering",
        validators=[DataRequired("Motivera ställningstagandet."), Length(max=MAX_TEXT)],
    )

    @classmethod
    def initial(cls, case, item=None):
        return {"decided_on": today()}

    def fill(self, case, item=None):
        # An unknown code is refused by the service, at the field, with the same words.
        self.assessment.choices = list(rules.ASSESSMENTS[item.track]) if item else []


class IvoReportForm(CaseChangeForm):
    decides = rules.IVO_REPORT
    reported_on = DateField("Anmälan skickad till IVO", validators=[InputRequired(DATE_MESSAGE)])
    ivo_reference = StringField(
        "IVO:s diarienummer",
        validators=[DataRequired("Ange IVO:s diarienummer."), Length(max=60)],
    )
    reported_by_id = SelectField("Vem gjorde anmälan", validate_choice=True)
    text = TextAreaField("Kommentar", validators=[Optional(), Length(max=MAX_TEXT)])

    @classmethod
    def initial(cls, case, item=None):
        return {"reported_on": today(), "reported_by_id": str(current_user.id)}

    def fill(self, case, item=None):
        users = escalation_service.deciders_for(case, item.track) if item else []
        self.reported_by_id.choices = [(str(u.id), u.name) for u in users]


class NoIvoReportForm(CaseChangeForm):
    decides = rules.NO_IVO_REPORT
    decided_on = DateField("Datum", validators=[InputRequired(DATE_MESSAGE)])
    reason = TextAreaField(
        "Skäl till att ingen anmälan görs",
        validators=[DataRequired("Ange skälet till att ingen anmälan görs."), Length(max=MAX_TEXT)],
    )

    @classmethod
    def initial(cls, case, item=None):
        return {"decided_on": today()}


class InvestigatorForm(CaseChangeForm):
    """ "Utse utredare": the independent lex Sarah-utredare of a track (``item``)."""

    investigator_id = SelectField("Lex Sarah-utredare", validate_choice=True)

    @classmethod
    def initial(cls, case, item=None):
        current = escalation_service.current_investigator(case)
        return {"investigator_id": str(current.investigator_id) if current else ""}

    def fill(self, case, item=None):
        self.may_assign = item is not None and escalation_service.may_assign_investigator(
            current_user, case, item
        )
        current = escalation_service.current_investigator(case)
        choices = [(str(u.id), u.name) for u in escalation_service.investigator_choices(case)]
        if current is not None:
            choices.insert(0, ("", "Ingen oberoende utredare (utredningen görs i enheten)"))
        self.investigator_id.choices = choices
        self.has_current = current is not None

    def offered(self) -> bool:
        return self.may_assign and bool(self.investigator_id.choices)


class IaForm(CaseChangeForm):
    ia_reported_on = DateField("Rapporterad i IA", validators=[InputRequired(DATE_MESSAGE)])
    ia_reference = StringField(
        "Referens i IA",
        validators=[DataRequired("Ange referensen (ärendenumret) i IA."), Length(max=60)],
    )

    @classmethod
    def initial(cls, case, item=None):
        return {"ia_reported_on": case.ia_reported_on or today(), "ia_reference": case.ia_reference}


class UnmarkIaForm(CaseChangeForm):
    pass


class KindForm(CaseChangeForm):
    kind_code = SelectField("Ny ärendetyp", validate_choice=True)

    def fill(self, case, item=None):
        self.kind_code.choices = [
            (code, label) for code, label in lookups.options("kind") if code != case.kind_code
        ]


class AttachmentForm(CaseChangeForm):
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


def _track_for_lagrum(case) -> tuple[str, str] | None:
    """(track, why) for an avvikelse classified by lagrum: HSL → lex Maria, SoL and LSS →
    lex Sarah (issue 19); None for other cases or an avvikelse without a lagrum."""
    if case.kind_code != "deviation":
        return None
    lagrum = deviation_queries.classification(case).lagrum
    if lagrum == "hsl":
        return rules.LEX_MARIA, (
            "Avvikelsen gäller hälso- och sjukvård (HSL): en vårdskada eller risk för "
            "vårdskada utreds enligt lex Maria."
        )
    if lagrum in ("sol", "lss"):
        return rules.LEX_SARAH, (
            f"Avvikelsen gäller {'socialtjänst (SoL)' if lagrum == 'sol' else 'LSS'}: ett "
            "missförhållande eller en påtaglig risk för ett utreds enligt lex Sarah."
        )
    return None
