"""The password policy refuses guessable passwords (issue 16): the person's own address or
name, padding with spaces, a season and a year; and a too long one gets its own message.

The pages that take a new password (the one-time link, Byt lösenord) show these messages
at the field; see tests/web/test_account_recovery.py."""

from __future__ import annotations

import pytest

from casetrack.domain.errors import DomainError
from casetrack.services import users

EMAIL = "nils.nyman@kommun.example"
NAME = "Nils Nyman"


@pytest.mark.parametrize(
    "password,message",
    [
        (EMAIL, "ditt namn eller din e-postadress"),
        ("Nils.Nyman@Kommun.Example", "ditt namn eller din e-postadress"),
        ("nilsnyman2026!", "ditt namn eller din e-postadress"),
        ("Nyman Nils 1234", "ditt namn eller din e-postadress"),
        (" " * 11 + "a", "minst 12 tecken"),
        ("a" + " " * 11, "minst 12 tecken"),
        ("Sommar2026!!", "lätt att gissa"),
        ("Vinter2025!!", "lätt att gissa"),
        ("Mamma1234567", "lätt att gissa"),
        ("abcdefghijkl", "lätt att gissa"),
        ("x" * 1025, "högst 1024 tecken"),
    ],
)
def test_guessable_passwords_are_refused_with_a_swedish_message(app, password, message):
    with pytest.raises(DomainError, match=message) as error:
        users.check_password_policy(password, email=EMAIL, name=NAME)
    assert error.value.field == "password"


@pytest.mark.parametrize(
    "password",
    [
        "tre gröna äpplen i en korg",
        "kaffe och kanelbullar på fredag",
        "korrekt-hast-batteri-häftstift",
        "x7#Lq2!vZp9@eR",
        "ett långt lösenord " + "med många ord " * 70,  # over zxcvbn's 72 characters
    ],
)
def test_strong_passwords_are_accepted(app, password):
    users.check_password_policy(password, email=EMAIL, name=NAME)


def test_the_shipped_list_is_still_checked(app):
    with pytest.raises(DomainError, match="för vanligt"):
        users.check_password_policy("password1234", email=EMAIL, name=NAME)
