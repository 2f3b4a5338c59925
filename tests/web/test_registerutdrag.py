"""Registerutdrag: find a person's cases in the user's scope; the search is access-logged."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AccessLogEntry
from tests.conftest import csrf_from


@pytest.fixture
def world(org, make):
    manager = make.user([(Role.MANAGER, org["a"])], email="chef@test.example")
    handler_b = make.user([(Role.HANDLER, org["b"])])
    in_a = make.case(
        org["a"], by=manager, submitter_name="Karin Ek", submitter_phone="070-123 45 67",
        submitter_email="karin.ek@example.se",
    )  # fmt: skip
    about_her = make.case(org["a"], by=manager, person_concerned="Karin Ek")
    in_b = make.case(org["b"], by=handler_b, submitter_name="Karin Ek")
    other = make.case(org["a"], by=manager, submitter_name="Per Holm")
    db.session.commit()
    return {"in_a": in_a, "about_her": about_her, "in_b": in_b, "other": other}


def _search(client, **data):
    token = csrf_from(client.get("/registerutdrag/").text)
    return client.post("/registerutdrag/", data={"csrf_token": token, **data})


def test_the_search_finds_the_persons_cases_in_scope_only(client, auth, world):
    auth.login("chef@test.example")
    page = _search(client, name="karin ek")
    assert page.status_code == 200
    assert "Personen förekommer i 2 ärenden." in page.text
    assert world["in_a"].reference in page.text
    assert world["about_her"].reference in page.text
    assert world["in_b"].reference not in page.text
    assert world["other"].reference not in page.text


def test_phone_numbers_match_however_they_are_written(client, auth, world):
    auth.login("chef@test.example")
    page = _search(client, phone="+46 70 123 45 67")
    assert world["in_a"].reference in page.text
    assert "Personen förekommer i 1 ärenden." in page.text


def test_the_search_is_access_logged_without_the_search_terms(client, auth, world):
    auth.login("chef@test.example")
    _search(client, email="KARIN.EK@example.se")
    entries = db.session.scalars(
        sa.select(AccessLogEntry).where(AccessLogEntry.what == "registerutdrag")
    ).all()
    assert {e.case_id for e in entries} == {world["in_a"].id, None}
    assert [e.detail for e in entries if e.case_id is None] == ["träffar: 1"]
    assert all("karin" not in (e.detail or "").lower() for e in entries)


def test_an_empty_search_gets_a_message_at_the_field(client, auth, world):
    auth.login("chef@test.example")
    page = _search(client)
    assert page.status_code == 422
    assert "Fyll i namn, e-postadress eller telefonnummer." in page.text
    assert "/registerutdrag/?" not in page.text
