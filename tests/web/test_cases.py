"""The walking skeleton: register a klagomål, find it in the list, open it, see its audit."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case


@pytest.fixture
def people(org, make):
    people = {
        "handler": make.user(
            [(Role.HANDLER, org["a"])], email="handler@test.example", name="Lena Berg"
        ),
        "handler_b": make.user([(Role.HANDLER, org["b"])], email="handlerb@test.example"),
        "manager": make.user([(Role.MANAGER, org["dept"])], email="manager@test.example"),
        "staff": make.user([(Role.STAFF, org["a1"])], email="staff@test.example"),
        "colleague": make.user([(Role.STAFF, org["a1"])], email="colleague@test.example"),
        "quality": make.user([(Role.QUALITY, org["root"])], email="quality@test.example"),
        "admin": make.user([(Role.ADMIN, org["root"])], email="admin@test.example"),
    }
    db.session.commit()
    return people


def _register(auth, **overrides):
    data = {
        "kind_code": "complaint",
        "org_unit_id": "",
        "received_on": "2026-03-02",
        "source_code": "narstaende",
        "channel_code": "telefon",
        "category_codes": ["bemotande", "bemanning"],
        "description": "Dottern ringde: mamma fick ingen hjälp med frukosten i tisdags.",
        "wants_feedback": "y",
        "submitter_name": "Dottern",
        "submitter_phone": "070-000 00 00",
    }
    data.update(overrides)
    return auth.post("/arenden/nytt", data)


def test_a_handler_registers_a_klagomal_finds_it_and_its_audit_entry(client, auth, org, people):
    auth.login("handler@test.example")
    response = _register(auth, org_unit_id=str(org["a"].id))
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case)).one()
    assert response.headers["Location"] == f"/arenden/{case.id}"
    assert case.reference == "AO-2026-00001"
    assert sorted(c.code for c in case.categories) == ["bemanning", "bemotande"]
    assert case.created_by_id == people["handler"].id

    listing = client.get("/arenden/")
    assert "AO-2026-00001" in listing.text
    assert "Dottern ringde" in listing.text

    detail = client.get(f"/arenden/{case.id}")
    assert detail.status_code == 200
    text = detail.text
    assert "Klagomål" in text
    assert "Bemötande" in text and "Bemanning (Kontinuitet, vikarieanskaffning)" in text
    assert "Närstående (anhörig, god man, etc.)" in text
    history = client.get(f"/arenden/{case.id}/historik").text
    assert "Lena Berg</strong> registrerade ärendet" in history

    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.case_id == case.id)).one()
    assert entry.action == "case.registered"
    assert entry.actor_id == people["handler"].id


def test_another_units_case_answers_404_like_a_missing_one(client, auth, org, people, make):
    other = make.case(org["b"], by=people["handler_b"])
    db.session.commit()
    auth.login("handler@test.example")
    assert client.get(f"/arenden/{other.id}").status_code == 404
    assert client.get("/arenden/987654").status_code == 404
    assert other.reference not in client.get("/arenden/").text


def test_registering_for_a_unit_outside_ones_scope_is_refused_at_the_field(
    client, auth, org, people
):
    auth.login("handler@test.example")
    response = _register(auth, org_unit_id=str(org["b"].id))
    assert response.status_code == 422
    assert "Enhet" in response.text and "Not a valid choice" not in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"description": ""}, "Beskriv vad ärendet gäller."),
        ({"received_on": "2099-01-01"}, "Datumet kan inte vara i framtiden."),
        ({"received_on": "1999-12-31"}, "Datumet kan inte vara före år 2000."),
        ({"received_on": "igår"}, "Inkom datum"),
        ({"kind_code": ""}, "Välj ärendetyp."),
        ({"submitter_email": "inte-en-adress"}, "Ange en giltig e-postadress"),
        ({"title": "x" * 201}, "Rubriken får vara högst 200 tecken."),
    ],
)
def test_bad_input_gets_a_swedish_message_and_saves_nothing(auth, org, people, overrides, message):
    auth.login("handler@test.example")
    response = _register(auth, org_unit_id=str(org["a"].id), **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert "Det finns fel i formuläret" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.case_id.is_not(None))
        )
        == 0
    )


def test_the_form_offers_only_the_units_the_handler_may_register_for(client, auth, org, people):
    auth.login("handler@test.example")
    page = client.get("/arenden/nytt").text
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]+)</option>', page)
    assert {name for _, name in options} == {"Enhet A", "Arbetsgrupp A1"}


LIST_AND_DETAIL = [
    # (who, case unit/filer, list shows it, detail status)
    ("handler", "a", True, 200),
    ("handler", "b", False, 404),
    ("manager", "b", True, 200),
    ("quality", "b", True, 200),
    ("handler_b", "a", False, 404),
    ("staff", "own", True, 200),
    ("staff", "colleague", False, 404),
    ("staff", "a", False, 404),
    ("admin", "a", False, 404),
]


@pytest.mark.parametrize(("who", "which", "listed", "status"), LIST_AND_DETAIL)
def test_who_sees_which_case(client, auth, org, people, make, who, which, listed, status):
    if which == "own":
        case = make.case(org["a1"], by=people["staff"], kind_code="deviation")
    elif which == "colleague":
        case = make.case(org["a1"], by=people["colleague"], kind_code="deviation")
    else:
        case = make.case(org[which], by=people["handler" if which == "a" else "handler_b"])
    db.session.commit()
    auth.login(f"{people[who].email}")
    assert client.get(f"/arenden/{case.id}").status_code == status
    listing = client.get("/arenden/", follow_redirects=True)
    assert (case.reference in listing.text) is listed


@pytest.mark.parametrize("who", ["staff", "quality", "admin"])
def test_roles_without_registration_right_cannot_register(client, auth, org, people, who):
    auth.login(people[who].email)
    assert client.get("/arenden/nytt").status_code == 302
    response = client.post("/arenden/nytt", data={})
    assert response.status_code in (302, 400)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_the_admin_start_page_says_there_is_no_case_access(client, auth, people):
    auth.login("admin@test.example")
    page = client.get("/", follow_redirects=True)
    assert "Ärenden ser du bara om du också har en roll som ger tillgång till dem" in page.text
    assert "Kontakta din systemadministratör" not in page.text  # they are the one


def test_the_list_is_paginated(client, auth, org, people, make):
    for _ in range(55):
        make.case(org["a"], by=people["handler"])
    db.session.commit()
    auth.login("handler@test.example")
    first = client.get("/arenden/")
    assert "55 ärenden. Sida 1 av 2." in first.text
    assert first.text.count("/arenden/") >= 50
    second = client.get("/arenden/?sida=2")
    assert "Sida 2 av 2" in second.text


def test_a_single_case_is_one_arende(client, auth, org, people, make):
    make.case(org["a"], by=people["handler"])
    db.session.commit()
    auth.login("handler@test.example")
    assert "1 ärende. Sida 1 av 1." in client.get("/arenden/").text


def test_a_closed_case_does_not_say_its_deadlines_are_not_done_yet(client, auth, org, people, make):
    from casetrack.services import handling

    case = make.case(
        org["a"], by=people["handler"], submitter_phone="070-000 00 00",
        source_code="narstaende", category_codes=["bemanning"],
    )  # fmt: skip
    handling.close_case(people["handler"], case, no_feedback_reason="ej_nabar")
    db.session.commit()
    auth.login("handler@test.example")
    page = client.get(f"/arenden/{case.id}").text
    assert "Mottagningsbekräftelse" in page and "Återkoppling" in page
    assert "inte klar än" not in page
    assert page.count("inte gjord – ärendet är avslutat") == 2
