"""Every form refuses NUL characters and far-off dates (casetrack/web/common/forms.py), and
numbers from requests are read as ASCII digits within the schema's range."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from flask_wtf import FlaskForm

import casetrack.web
from casetrack.domain.numbers import MAX_ID, ascii_int
from casetrack.web.common.forms import CasetrackForm


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_derives_from_the_base_that_refuses_bad_input():
    for module in pkgutil.iter_modules(casetrack.web.__path__):
        importlib.import_module(f"casetrack.web.{module.name}")
    forms = [c for c in _subclasses(FlaskForm) if c.__module__.startswith("casetrack.")]
    assert len(forms) > 30
    outside = [
        f"{c.__module__}.{c.__qualname__}" for c in forms if not issubclass(c, CasetrackForm)
    ]
    assert not outside, f"forms that do not derive from CasetrackForm: {outside}"


@pytest.mark.parametrize(
    "text,number",
    [("0", 0), ("17", 17), ("007", 7), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None),
     ("²", None), ("①", None), ("٣", None), (" 3", None), ("+3", None), ("3_000", None),
     ("-1", None), ("1.0", None), ("", None), (None, None), ("9" * 40, None)],
)  # fmt: skip
def test_numbers_from_requests_are_plain_ascii_digits_in_range(text, number):
    assert ascii_int(text) == number
