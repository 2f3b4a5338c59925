"""Forms for logging in and the second factor."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from casetrack.services import users
from casetrack.web.common.forms import CasetrackForm


class LoginForm(CasetrackForm):
    email = EmailField(
        "E-postadress",
        validators=[
            DataRequired("Ange din e-postadress."),
            Length(max=254, message="E-postadressen får vara högst 254 tecken."),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Lösenord",
        validators=[
            DataRequired("Ange ditt lösenord."),
            Length(
                max=users.MAX_PASSWORD_LENGTH,
                message=f"Lösenordet får vara högst {users.MAX_PASSWORD_LENGTH} tecken.",
            ),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(CasetrackForm):
    code = StringField(
        "Engångskod",
        validators=[
            DataRequired("Skriv koden från appen i din telefon."),
            Length(max=10, message="Koden är sex siffror."),
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "spellcheck": "false",
        },
    )


class SecurityKeyLoginForm(CasetrackForm):
    """Logging in with a security key: the script puts the browser's signed answer here."""

    credential = HiddenField("Säkerhetsnyckel")


class SecurityKeyForm(CasetrackForm):
    """Registering a security key: a name, and the browser's answer from the script."""

    name = StringField(
        "Namn på nyckeln",
        validators=[Length(max=100, message="Namnet får vara högst 100 tecken.")],
        render_kw={"autocomplete": "off"},
    )
    credential = HiddenField("Säkerhetsnyckel")


class PostForm(CasetrackForm):
    """POST-only form for buttons (CSRF protected): logout, keep-alive."""
