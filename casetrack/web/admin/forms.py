"""Forms for the admin screens (Swedish messages, WTForms)."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from casetrack.domain.codes import BLOCK_REASONS, UNIT_LEVEL_LABELS
from casetrack.domain.roles import ROLE_LABELS
from casetrack.web.common.forms import SwedishForm


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class UserForm(SwedishForm):
    name = StringField(
        "Namn",
        validators=[
            DataRequired("Ange personens namn."),
            Length(max=200, message="Högst 200 tecken."),
        ],
    )
    email = EmailField(
        "E-postadress",
        validators=[
            DataRequired("Ange personens e-postadress."),
            Length(max=254, message="Högst 254 tecken."),
            Email("Ange en giltig e-postadress, t.ex. namn@kommun.se.", check_deliverability=False),
        ],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )


class RoleForm(SwedishForm):
    role = SelectField(
        "Roll",
        choices=[(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[InputRequired("Välj en roll.")],
    )
    org_unit_id = SelectField(
        "Enhet", coerce=int, validators=[InputRequired("Välj vilken enhet rollen gäller.")]
    )


class UnitForm(SwedishForm):
    name = StringField(
        "Namn",
        validators=[
            DataRequired("Ange enhetens namn."),
            Length(max=200, message="Högst 200 tecken."),
        ],
    )
    parent_id = SelectField("Överordnad enhet", coerce=_optional_int, validate_choice=True)
    reference_prefix = StringField(
        "Prefix för diarienummer (valfritt)",
        validators=[Optional(), Length(max=6, message="Högst 6 bokstäver.")],
    )
    active = BooleanField("Aktiv – nya ärenden kan registreras på enheten", default=True)


class EditUnitForm(UnitForm):
    version = HiddenField()  # the unit's version when the form was opened


class NewUnitForm(UnitForm):
    code = StringField(
        "Kod",
        validators=[
            DataRequired("Ange en kort kod för enheten, t.ex. ASP-HT."),
            Length(max=40, message="Högst 40 tecken."),
        ],
    )
    level = SelectField(
        "Nivå",
        choices=list(UNIT_LEVEL_LABELS.items()),
        validators=[InputRequired("Välj nivå.")],
    )


class ReferenceForm(SwedishForm):
    label = StringField(
        "Benämning",
        validators=[
            DataRequired("Ange en benämning."),
            Length(max=200, message="Högst 200 tecken."),
        ],
    )
    sort_order = IntegerField(
        "Ordning i listor",
        validators=[
            InputRequired("Ange ett heltal."),
            NumberRange(min=0, max=999, message="Ange ett heltal mellan 0 och 999."),
        ],
    )
    active = BooleanField("Aktiv – kan väljas för nya ärenden")
    version = HiddenField()  # the row's version when the form was opened
    retention_years = IntegerField(
        "Gallras (anonymiseras) antal år efter avslut",
        validators=[
            Optional(),
            NumberRange(min=1, max=100, message="Ange ett antal år mellan 1 och 100."),
        ],
    )
    # A händelsetyp's description and example, shown at the choice on the blankett.
    description = TextAreaField(
        "Beskrivning", validators=[Optional(), Length(max=300, message="Högst 300 tecken.")]
    )
    example = TextAreaField(
        "Exempel", validators=[Optional(), Length(max=300, message="Högst 300 tecken.")]
    )


class BlockForm(SwedishForm):
    """Spärra an account on the incident page: a reason category, never free text.

    One form per row, told apart by a prefix; the CSRF token is the page's ordinary
    ``csrf_token`` field, checked for every POST by CSRFProtect.
    """

    class Meta:
        csrf = False
        locales = ("sv_SE", "sv")

    reason = SelectField(
        "Orsak",
        choices=[("", "Välj orsak"), *BLOCK_REASONS],
        validators=[DataRequired("Välj varför kontot spärras.")],
        validate_choice=True,
    )
