"""Forms for the behörighetsgranskning page (K3-18)."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired

from casetrack.web.common.forms import SwedishForm


class ReviewFilterForm(SwedishForm):
    """GET filters: a unit id and a flag only, never names (no personal data in URLs)."""

    class Meta:
        csrf = False
        locales = ("sv_SE", "sv")

    enhet = SelectField("Enhet", coerce=str, validate_choice=True, default="")
    att_granska = BooleanField("Visa bara de som ska granskas nu eller är försenade")


class ReviewManyForm(SwedishForm):
    """ "Granskad" for every ticked row at once."""

    assignment_ids = SelectMultipleField(
        "Markerade behörigheter",
        coerce=int,
        validate_choice=False,
        validators=[DataRequired("Markera minst en behörighet i listan.")],
    )
