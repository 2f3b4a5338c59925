"""The forms every blueprint shares: the base of every form (``CasetrackForm``), the Swedish
form, the versioned edit form and the widgets for long lists and check boxes.

The base of every form in casetrack: input that no field may carry is refused at the
field, with a Swedish message, before any validator, query or service sees it.

- A NUL character: PostgreSQL cannot store it in a text column (the insert fails), and no
  one types it; it is refused in every field, hidden ones included.
- Other control characters (an ANSI escape in a phone number): nobody types them either,
  and stored they reach exports, log lines and terminals. Tab, line feed and carriage
  return are ordinary text.
- A date outside 1900–2199: date arithmetic on the far ends of Python's calendar (a
  deadline after 9999-12-31, the local midnight of 0001-01-01 in UTC) overflows.

Every date field of a form that is posted is a text field (``DATE_WIDGET``), not the
browser's date control (filter forms sent by GET keep the control, see ``bind_field``): a
browser cannot show a value its control does not accept, so what a person typed in another
format vanished from the field when the page came back with the error. Now the text stays,
``read_typed_date`` also reads 2026/03/02, 2026.03.02 and 20260302, and the message says
what is wrong: the format, the month, or a day the month does not have (2026-02-30).

The checks run as process errors, so the other fields are still validated and the page
shows every message at once.
"""

from __future__ import annotations

import re
from datetime import date

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField, EmailField, HiddenField, SelectMultipleField, StringField, widgets
from wtforms.validators import Email, InputRequired, Length, Optional

from casetrack.domain.dates import TypedDateError, read_typed_date

NUL_MESSAGE = "Fältet innehåller ett otillåtet tecken (NUL-tecken). Ta bort det och försök igen."
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
DATE_RANGE_MESSAGE = (
    f"Ange ett datum mellan {EARLIEST_DATE.isoformat()} och {LATEST_DATE.isoformat()}."
)


CONTROL_MESSAGE = (
    "Fältet innehåller ett otillåtet styrtecken (osynligt tecken). Ta bort det och försök igen."
)
# Control characters nobody types (tab, line feed and carriage return are text): stored,
# they reach exports, log lines and terminals, where an escape sequence can act.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _texts(raw_data):
    for value in raw_data or ():
        text = value if isinstance(value, str) else getattr(value, "filename", None)
        if isinstance(text, str):
            yield text


def _has_nul(raw_data) -> bool:
    return any("\x00" in text for text in _texts(raw_data))


def _has_control(raw_data) -> bool:
    return any(_CONTROL.search(text) for text in _texts(raw_data))


# WTForms' own Swedish messages that are wrong or unclear to a user (its sv catalogue has
# "Felaktigt val; kunde inte ceorce:a" for a choice that is not a number).
CORRECTED_MESSAGES = {
    "Invalid Choice: could not coerce.": "Ogiltigt val. Välj ett av alternativen i listan.",
    "Not a valid choice.": "Ogiltigt val. Välj ett av alternativen i listan.",
}


class _CorrectedTranslations:
    def __init__(self, inner) -> None:
        self._inner = inner

    def gettext(self, string: str) -> str:
        if string in CORRECTED_MESSAGES:
            return CORRECTED_MESSAGES[string]
        return self._inner.gettext(string) if self._inner is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self._inner is not None:
            return self._inner.ngettext(singular, plural, n)
        return singular if n == 1 else plural


# A date is typed as text (see the module docstring); the hint beside each date field says
# the format, and a phone shows its ordinary keyboard, which has the dash.
DATE_WIDGET = widgets.TextInput()


class CasetrackForm(FlaskForm):
    """Every form's base (tests/unit/test_forms.py checks that each form derives from it)."""

    class Meta:
        def get_translations(self, form):
            return _CorrectedTranslations(super().get_translations(form))

        def bind_field(self, form, unbound_field, options):
            # A filter form without CSRF is sent by GET, into the address: there the
            # browser's date control stays, since it can only send a date, so nothing
            # typed (a name in the wrong field) can reach a URL or an access log (K3-54).
            if issubclass(unbound_field.field_class, DateField) and self.csrf:
                options = {**options, "widget": DATE_WIDGET}
            return super().bind_field(form, unbound_field, options)

    def validate(self, extra_validators=None) -> bool:
        for field in self:
            if _has_nul(field.raw_data):
                _refuse(field, NUL_MESSAGE)
            elif _has_control(field.raw_data):
                _refuse(field, CONTROL_MESSAGE)
            elif isinstance(field, DateField) and field.data is None and field.process_errors:
                _read_typed_date(field)
            if (
                isinstance(field, DateField)
                and isinstance(field.data, date)
                and not EARLIEST_DATE <= field.data <= LATEST_DATE
            ):
                _refuse(field, DATE_RANGE_MESSAGE)
        return super().validate(extra_validators)


def _read_typed_date(field) -> None:
    """A date WTForms could not parse: read it as a person types it, or replace WTForms'
    "not a valid date" with what is actually wrong. The typed text stays in the field."""
    typed = " ".join(_texts(field.raw_data)).strip()
    if not typed:
        return  # empty: InputRequired or Optional decides
    try:
        field.data = read_typed_date(typed)
    except TypedDateError as problem:
        field.process_errors[:] = [str(problem)]
    else:
        field.process_errors[:] = []


def _refuse(field, message: str) -> None:
    if message not in field.process_errors:
        field.process_errors.append(message)


class SwedishForm(CasetrackForm):
    class Meta:
        locales = ("sv_SE", "sv")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class VersionedForm(SwedishForm):
    """A form that changes a record carries the version it was opened at (every form that
    changes a case does)."""

    version = HiddenField(validators=[InputRequired()])
    opened_at = HiddenField()


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


# The contact fields of whoever raised a case, the same on the handler's registration form
# and the public form (the public one labels them "(valfritt)"); limits as the columns'.
def name_field(label: str = "Namn") -> StringField:
    return StringField(label, validators=[Optional(), Length(max=200, message="Högst 200 tecken.")])


def email_field(label: str = "E-post") -> EmailField:
    return EmailField(
        label,
        validators=[
            Optional(),
            Length(max=254, message="Högst 254 tecken."),
            Email(
                "Ange en giltig e-postadress, t.ex. namn@exempel.se.", check_deliverability=False
            ),
        ],
    )


def phone_field(label: str = "Telefon") -> StringField:
    return StringField(label, validators=[Optional(), Length(max=40, message="Högst 40 tecken.")])
