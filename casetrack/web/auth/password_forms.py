"""Forms for a person's own password: the one-time link page and "Byt lösenord"."""

from __future__ import annotations

from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from casetrack.services.users import MAX_PASSWORD_LENGTH
from casetrack.web.common.forms import SwedishForm

TOO_LONG = f"Lösenordet får ha högst {MAX_PASSWORD_LENGTH} tecken."
NEW_HINT = (
    "Minst 12 tecken. Gärna en mening med fyra eller fler ord. Vanliga lösenord, årtal och "
    "mönster godtas inte, inte heller ditt namn eller din e-postadress."
)


def _new(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Skriv ett nytt lösenord."),
            Length(max=MAX_PASSWORD_LENGTH, message=TOO_LONG),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _again(other: str) -> PasswordField:
    return PasswordField(
        "Skriv det nya lösenordet igen",
        validators=[
            DataRequired("Skriv det nya lösenordet en gång till."),
            EqualTo(other, message="Lösenorden är inte likadana. Skriv samma lösenord två gånger."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChoosePasswordForm(SwedishForm):
    """The page behind the e-mailed link."""

    password = _new("Nytt lösenord")
    confirm = _again("password")


class ChangePasswordForm(SwedishForm):
    """Byt lösenord, logged in."""

    current_password = PasswordField(
        "Nuvarande lösenord",
        validators=[
            DataRequired("Skriv ditt nuvarande lösenord."),
            Length(max=MAX_PASSWORD_LENGTH, message=TOO_LONG),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new("Nytt lösenord")
    confirm = _again("new_password")
