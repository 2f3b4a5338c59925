"""Issue 16: search finds only what the searcher may read on the case page.

Internal notes are shown to those who handle the case's unit (handläggare, enhetschef);
kvalitetsansvarig, MAS, SAS and the medarbetare who filed an avvikelse read the case
without them, so a word that stands only in an internal note must not find the case for
them, while a word in the description finds it for everyone who may read the case.
"""

from __future__ import annotations

from datetime import date

import pytest

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.services import handling
from casetrack.services.intake import add_submitter_information
from tests.web.test_case_list import _search

INTERNAL_WORD = "flamingodräkten"
DESCRIPTION_WORD = "vattenläckan"
SUBMITTER_WORD = "rollatorhjulet"


@pytest.fixture
def world(org, make):
    unit = org["a"]
    people = {
        "handler": make.user([(Role.HANDLER, unit)], email="handler@test.example"),
        "manager": make.user([(Role.MANAGER, unit)], email="manager@test.example"),
        "quality": make.user([(Role.QUALITY, org["root"])], email="quality@test.example"),
        "mas": make.user([(Role.MAS, org["root"])], email="mas@test.example"),
        "sas": make.user([(Role.SAS, org["root"])], email="sas@test.example"),
        "staff": make.user([(Role.STAFF, unit)], email="staff@test.example"),
        # Handles another unit only: reads nothing here at all.
        "handler_b": make.user([(Role.HANDLER, org["b"])], email="handlerb@test.example"),
    }
    deviation = make.case(
        unit,
        by=people["staff"],
        kind_code="deviation",
        received_on=date(2026, 3, 2),
        description=f"En {DESCRIPTION_WORD} i tvättstugan.",
        immediate_action="Stängde av vattnet.",
    )
    handling.add_note(people["handler"], deviation, f"Ring om {INTERNAL_WORD} i morgon.")
    complaint = make.case(unit, by=people["handler"], description="Maten kom kall.")
    handling.add_note(people["handler"], complaint, f"Intern: {INTERNAL_WORD} igen.")
    add_submitter_information(complaint, f"Jag glömde säga: {SUBMITTER_WORD}.")
    db.session.commit()
    return people, deviation, complaint


def _finds(client, auth, email: str, word: str, case) -> bool:
    auth.login(email)
    page = _search(client, word)
    auth.logout()
    assert page.status_code == 200
    return case.reference in page.text


@pytest.mark.parametrize("role", ["quality", "mas", "sas", "staff"])
def test_a_word_only_in_an_internal_note_is_not_found_by_those_who_cannot_read_it(
    client, auth, world, role
):
    people, deviation, _complaint = world
    assert not _finds(client, auth, people[role].email, INTERNAL_WORD, deviation)
    # ... while the description finds the same case for them (they may read it).
    assert _finds(client, auth, people[role].email, DESCRIPTION_WORD, deviation)


@pytest.mark.parametrize("role", ["handler", "manager"])
def test_those_who_handle_the_unit_find_the_internal_note(client, auth, world, role):
    people, deviation, complaint = world
    assert _finds(client, auth, people[role].email, INTERNAL_WORD, deviation)
    assert _finds(client, auth, people[role].email, INTERNAL_WORD, complaint)
    assert _finds(client, auth, people[role].email, DESCRIPTION_WORD, deviation)


@pytest.mark.parametrize("role", ["quality", "mas", "sas", "handler"])
def test_what_the_submitter_added_is_found_by_every_reader(client, auth, world, role):
    """The submitter's own additions are shown on the case page to every reader."""
    people, _deviation, complaint = world
    assert _finds(client, auth, people[role].email, SUBMITTER_WORD, complaint)


def test_a_handler_of_another_unit_finds_nothing(client, auth, world):
    people, deviation, _complaint = world
    assert not _finds(client, auth, people["handler_b"].email, INTERNAL_WORD, deviation)
    assert not _finds(client, auth, people["handler_b"].email, DESCRIPTION_WORD, deviation)
