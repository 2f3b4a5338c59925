"""The base of every form in casetrack: input that no field may carry is refused at the
field, with a Swedish message, before any validator, query or service sees it.

- A NUL character: PostgreSQL cannot store it in a text column (the insert fails), and no
  one types it; it is refused in every field, hidden ones included.
- A date outside 1900–2199: date arithmetic on the far ends of Python's calendar (a
  deadline after 9999-12-31, the local midnight of 0001-01-01 in UTC) overflows.

The checks run as process errors, so the other fields are still validated and the page
shows every message at once.
"""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField

NUL_MESSAGE = "Fältet innehåller ett otillåtet tecken (NUL-tecken). Ta bort det och försök igen."
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
DATE_RANGE_MESSAGE = (
    f"Ange ett datum mellan {EARLIEST_DATE.isoformat()} och {LATEST_DATE.isoformat()}."
)


def _has_nul(raw_data) -> bool:
    for value in raw_data or ():
        text = value if isinstance(value, str) else getattr(value, "filename", None)
        if isinstance(text, str) and "\x00" in text:
            return True
    return False


class CasetrackForm(FlaskForm):
    """Every form's base (tests/unit/test_forms.py checks that each form derives from it)."""

    def validate(self, extra_validators=None) -> bool:
        for field in self:
            if _has_nul(field.raw_data):
                _refuse(field, NUL_MESSAGE)
            elif (
                isinstance(field, DateField)
                and isinstance(field.data, date)
                and not EARLIEST_DATE <= field.data <= LATEST_DATE
            ):
                _refuse(field, DATE_RANGE_MESSAGE)
        return super().validate(extra_validators)


def _refuse(field, message: str) -> None:
    if message not in field.process_errors:
        field.process_errors.append(message)
