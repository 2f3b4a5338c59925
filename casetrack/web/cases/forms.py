"""Forms for registering and listing cases, and the handling forms of the case page, each
with its own choices (``fill``) and blank data (``initial``)."""

from __future__ import annotations

from flask_login import current_user
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from casetrack.domain import action_plans as plan_rules
from casetrack.domain.codes import EFFECT_VERDICTS, FEEDBACK_METHODS, NO_FEEDBACK_REASONS
from casetrack.domain.dates import local_date
from casetrack.models import Case, utcnow
from casetrack.queries import cases as case_queries
from casetrack.queries import indicators, lookups, patient_safety
from casetrack.services import escalation as escalation_service
from casetrack.services import investigation as investigation_service
from casetrack.services.cases import MAX_TEXT, MAX_TITLE
from casetrack.web.common.forms import (
    LargeSelect,
    MultiCheckboxField,
    SwedishForm,
    VersionedForm,
    email_field,
    name_field,
    phone_field,
)


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
    submitter_name = name_field()
    submitter_email = email_field()
    submitter_phone = phone_field()


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
    frist_snart = BooleanField("Bara frist snart (inte försenade)")
    mina_enheter = BooleanField("Bara enheter som jag handlägger")
    rad = SelectField("Rad i tertialrapporten", validate_choice=True, default="")
    # A figure of the patientsäkerhetsberättelse (drill-down, issue 19): codes only.
    psb = StringField("Siffra i patientsäkerhetsberättelsen", default="")
    # A figure of the quality indicators (drill-down, issue 23): codes only.
    ind = StringField("Kvalitetsindikator", default="")
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

    def validate_psb(self, field):
        if field.data and not patient_safety.is_figure_key(field.data):
            raise ValidationError("Siffran finns inte i patientsäkerhetsberättelsen.")

    def validate_ind(self, field):
        if field.data and not indicators.is_figure_key(field.data):
            raise ValidationError("Siffran finns inte bland kvalitetsindikatorerna.")

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


class CasePageForm(SwedishForm):
    """A form on the case page. It fills its own choices (``fill``: on the blank form the
    page shows, and on a submitted one before it is validated) and says what a blank one
    holds (``initial``); ``casetrack.web.cases.page`` builds the page from the registered
    actions (``case_action``), so a new form needs no change there."""

    def fill(self, case: Case, item=None) -> None:
        """Set the choices; ``item`` is the action or lex track the form belongs to."""

    @classmethod
    def initial(cls, case: Case, item=None) -> dict:
        """The data of the blank form."""
        return {}

    # A lex track's decision step that the form records (a decider's form, on the page
    # while the track allows the step); None for every other form.
    decides: str | None = None

    def offered(self) -> bool:
        """False when the form has nothing to offer (the page leaves it out)."""
        return True

    def previews(self) -> bool:
        """True when the user asked to see the result before saving it (the page is shown
        again with the form, nothing is saved)."""
        return False

    @classmethod
    def blank(cls, case: Case, item=None):
        """The form as the page shows it, opened at the case's current version."""
        form = cls(formdata=None, **cls.initial(case, item))
        if "version" in form:
            form.version.data = case.version
            form.opened_at.data = utcnow().isoformat()
        return form


class CaseChangeForm(VersionedForm, CasePageForm):
    """A case page form that changes the case: it carries the version it was opened at."""


def today():
    """Today in Sweden: the date a blank form suggests."""
    return local_date(utcnow())


def short(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


class AssignForm(CaseChangeForm):
    handler_id = SelectField("Handläggare", coerce=str, validate_choice=True)

    @classmethod
    def initial(cls, case, item=None):
        return {"handler_id": str(case.assigned_handler_id or "")}

    def fill(self, case, item=None):
        self.handler_id.choices = [
            ("", "Ingen tilldelad"),
            *[(str(uid), n) for uid, n in case_queries.handler_choices(current_user)],
        ]


class StatusForm(CaseChangeForm):
    status_code = SelectField("Ny status", validate_choice=True)

    @classmethod
    def initial(cls, case, item=None):
        return {"status_code": case.status_code}

    def fill(self, case, item=None):
        self.status_code.choices = [
            (code, label)
            for code, label in lookups.options("status")
            if lookups.status_types().get(code) == "open"
        ]


class DetailsForm(CaseChangeForm):
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

    @classmethod
    def initial(cls, case, item=None):
        return {
            "title": case.title,
            "source_code": case.source_code or "",
            "channel_code": case.channel_code or "",
            "category_codes": [c.code for c in case.categories],
            "category_other_note": case.category_other_note,
        }

    def fill(self, case, item=None):
        self.source_code.choices = [("", "Ej angivet"), *lookups.options("source")]
        self.channel_code.choices = [("", "Ej angivet"), *lookups.options("channel")]
        self.category_codes.choices = lookups.options("category")


class FeedbackForm(CaseChangeForm):
    given_on = DateField("Datum", validators=[InputRequired("Ange datum (ÅÅÅÅ-MM-DD).")])
    given_to = StringField(
        "Till vem",
        validators=[DataRequired("Ange vem som fick återkopplingen."), Length(max=200)],
    )
    method = SelectField("Hur", validate_choice=True)
    # The answer to the person who raised the case: published word for word on "Följ
    # ditt ärende" and in the e-mail. The posted name stays "summary" (the column's name).
    summary = TextAreaField(
        "Svar till den som lämnade ärendet – visas på Följ ditt ärende och i e-post",
        validators=[
            DataRequired("Skriv svaret till den som lämnade ärendet."),
            Length(max=MAX_TEXT),
        ],
    )
    internal_note = TextAreaField(
        "Intern anteckning – visas inte för den som lämnade ärendet (valfri)",
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    # Label set on the case page with the address ("Skicka som e-post till …").
    send_email = BooleanField("Skicka som e-post")
    # "Förhandsgranska": show the answer as its reader will see it, without saving.
    preview = SubmitField("Förhandsgranska")

    def previews(self) -> bool:
        return bool(self.preview.data)

    @classmethod
    def initial(cls, case, item=None):
        if filed_by_staff(case):  # the medarbetare who wrote the avvikelse
            given_to = case.created_by.name if case.created_by else ""
        else:
            given_to = "" if case.is_anonymous else (case.submitter_name or "")
        return {"given_on": today(), "given_to": given_to}

    def fill(self, case, item=None):
        self.method.choices = [(m.code, m.label) for m in FEEDBACK_METHODS]
        self.send_email.label.text = f"Skicka som e-post till {case.submitter_email}"
        if filed_by_staff(case):
            self.summary.label.text = (
                "Svar till medarbetaren som skrev avvikelsen – visas i Mina avvikelser"
            )


def filed_by_staff(case) -> bool:
    """An avvikelse a member of staff filed: its answer is read in Mina avvikelser."""
    return (
        case.kind_code == "deviation"
        and case.channel_code == "avvikelseblankett"
        and case.created_by_id is not None
    )


class ActionForm(CaseChangeForm):
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

    @classmethod
    def initial(cls, case, item=None):
        return {"responsible": current_user.name}

    def fill(self, case, item=None):
        # The causes are the utredning's: not offered to those who may not read it (the
        # enhetschef while an independent lex Sarah-utredare works, issue 19).
        causes = (
            investigation_service.causes_of(case)
            if escalation_service.may_read_investigation(current_user, case)
            else []
        )
        self.cause_id.choices = [
            ("", "Ingen särskild orsak"),
            *[(str(c.id), short(c.description)) for c in causes],
        ]


class CompleteActionForm(CaseChangeForm):
    """One per åtgärd (``item``)."""

    done_on = DateField("Genomförd datum", validators=[InputRequired("Ange datum (ÅÅÅÅ-MM-DD).")])
    effect_evaluated_on = DateField("Effekten följdes upp", validators=[Optional()])
    effect_verdict = SelectField("Effekt", validate_choice=True)
    effect_waived_reason = StringField(
        "Eller: skäl att inte följa upp effekten",
        validators=[Optional(), Length(max=500, message="Högst 500 tecken.")],
    )

    @classmethod
    def initial(cls, case, item=None):
        return {
            "done_on": item.done_on or today(),
            "effect_evaluated_on": item.effect_evaluated_on,
            "effect_verdict": item.effect_verdict or "",
            "effect_waived_reason": item.effect_waived_reason,
        }

    def fill(self, case, item=None):
        self.effect_verdict.choices = [
            ("", "Inte bedömd ännu"),
            *[(v.code, v.label) for v in EFFECT_VERDICTS],
        ]


class SubmitPlanForm(CaseChangeForm):
    """ "Skicka åtgärdsplanen för godkännande": the handler sends the åtgärder as they are
    (issue 19)."""


class ReviewPlanForm(CaseChangeForm):
    """The approver's decision on a waiting åtgärd plan: a motivation and one of two
    buttons (the service says what the motivation must hold)."""

    motivation = TextAreaField(
        "Motivering",
        validators=[
            Optional(),
            Length(
                max=plan_rules.MAX_MOTIVATION,
                message=f"Motiveringen får vara högst {plan_rules.MAX_MOTIVATION} tecken.",
            ),
        ],
    )
    approve = SubmitField("Godkänn")
    send_back = SubmitField("Skicka tillbaka för omarbetning")

    def validate_motivation(self, field):
        if not self.approve.data and not self.send_back.data:
            raise ValidationError("Välj Godkänn eller Skicka tillbaka för omarbetning.")


class NoteForm(CasePageForm):
    body = TextAreaField(
        "Intern anteckning",
        validators=[DataRequired("Skriv anteckningen."), Length(max=MAX_TEXT)],
    )


class AcknowledgeForm(CaseChangeForm):
    acknowledged_on = DateField(
        "Mottagningsbekräftelse skickad", validators=[InputRequired("Ange datum (ÅÅÅÅ-MM-DD).")]
    )

    @classmethod
    def initial(cls, case, item=None):
        return {"acknowledged_on": today()}


class CloseForm(CaseChangeForm):
    """Closing asks for what the tertial report counts the case by when it is missing:
    från vem and at least one category (the page shows those fields only then; the
    service checks them whatever was posted)."""

    no_feedback_reason = SelectField("Om ingen återkoppling lämnats: varför", validate_choice=True)
    # Checked by the service (only when the case lacks a source; not posted otherwise).
    source_code = SelectField("Från vem", coerce=_optional_code, validate_choice=False)
    category_codes = MultiCheckboxField("Vad gällde det? (en eller flera)")
    category_other_note = StringField(
        "Om Annat: ange vad", validators=[Optional(), Length(max=200, message="Högst 200 tecken.")]
    )

    def fill(self, case, item=None):
        self.no_feedback_reason.choices = [
            ("", "Återkoppling är lämnad" if case.feedback else "Välj skäl"),
            *NO_FEEDBACK_REASONS.items(),
        ]
        self.source_code.choices = [("", "Välj från vem"), *lookups.options("source")]
        self.category_codes.choices = lookups.options("category")


class TakeForm(CaseChangeForm):
    """ "Ta ärendet": the user makes themself the case's handler."""


class ReopenForm(CaseChangeForm):
    pass
