"""The staff avvikelse form and "Mina avvikelser" through HTTP with CSRF on."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.dates import local_date
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case, DeviationClassification, User, utcnow
from casetrack.services import handling


@pytest.fixture
def people(org, make):
    people = {
        "staff": make.user([(Role.STAFF, org["a1"])], email="staff@test.example"),
        "colleague": make.user([(Role.STAFF, org["a1"])], email="colleague@test.example"),
        "handler": make.user([(Role.HANDLER, org["a"])], email="handler@test.example"),
        "manager": make.user([(Role.MANAGER, org["dept"])], email="manager@test.example"),
        "quality": make.user([(Role.QUALITY, org["root"])], email="quality@test.example"),
        "admin": make.user([(Role.ADMIN, org["root"])], email="admin@test.example"),
    }
    db.session.commit()
    return people


def _file(auth, org, **overrides):
    data = {
        "org_unit_id": str(org["a1"].id),
        "occurred_on": local_date(utcnow()).isoformat(),
        "what_happened": "Läkemedel gavs inte kl. 08 hos brukaren.",
        "immediate_action": "Ringde sjuksköterskan, som gav ny ordination.",
        "person_concerned": "A. B.",
        "lagrum": "hsl",
        "event_type_code": "lakemedel_utebliven_dos",
    }
    data.update(overrides)
    return auth.post("/avvikelser/ny", data)


def test_staff_files_an_avvikelse_and_sees_the_reference(client, auth, org, people):
    auth.login("staff@test.example")
    page = client.get("/avvikelser/ny")
    assert page.status_code == 200
    # Own unit preselected, today's date filled in, at most six fields.
    assert f'<option selected value="{org["a1"].id}">' in page.text
    assert f'value="{local_date(utcnow()).isoformat()}"' in page.text
    assert 'name="viewport"' in page.text

    response = _file(auth, org)
    case = db.session.scalars(sa.select(Case)).one()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/avvikelser/{case.id}"
    assert case.kind_code == "deviation"
    assert case.channel_code == "avvikelseblankett"
    assert case.source_code == "medarbetare"
    assert case.created_by_id == people["staff"].id
    assert case.immediate_action.startswith("Ringde")
    # Issue 19: classified by lagrum and händelsetyp; the report's categories are the
    # handler's to fill in.
    classification = db.session.get(DeviationClassification, case.id)
    assert (classification.lagrum, classification.event_type_code) == (
        "hsl",
        "lakemedel_utebliven_dos",
    )
    assert case.categories == []
    confirmation = client.get(response.headers["Location"])
    assert case.reference in confirmation.text
    assert "Tack! Avvikelsen är registrerad" in confirmation.text
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "case.registered")
    ).one()
    assert entry.actor_id == people["staff"].id

    # The unit's handler sees it on the case list at once.
    auth.logout()
    auth.login("handler@test.example")
    assert case.reference in client.get("/arenden/").text
    # ...and on the case page who reported it, not empty name and e-post fields.
    page = client.get(f"/arenden/{case.id}").text
    assert "Den som rapporterade avvikelsen" in page
    assert f"{people['staff'].name}, på avvikelseblanketten." in page
    assert "Den som lämnade ärendet" not in page


def test_mina_avvikelser_shows_only_my_own_and_the_aterkoppling_i_got(
    client, auth, org, people, make
):
    mine = make.case(
        org["a1"],
        by=people["staff"],
        kind_code="deviation",
        channel_code="avvikelseblankett",
        description="Min avvikelse om larmet",
    )
    theirs = make.case(
        org["a1"],
        by=people["colleague"],
        kind_code="deviation",
        channel_code="avvikelseblankett",
        description="Kollegans avvikelse om maten",
    )
    handler = db.session.get(User, people["handler"].id)
    handling.give_feedback(
        handler,
        mine,
        given_on=mine.received_on,
        given_to="Medarbetaren",
        method="mote",
        summary="Larmet är bytt, tack för att du skrev.",
    )
    db.session.commit()

    auth.login("staff@test.example")
    page = client.get("/avvikelser/")
    assert page.status_code == 200
    assert mine.reference in page.text
    assert "Larmet är bytt, tack för att du skrev." in page.text
    assert theirs.reference not in page.text
    assert client.get(f"/avvikelser/{mine.id}").status_code == 200
    assert client.get(f"/avvikelser/{theirs.id}").status_code == 404
    assert client.get("/avvikelser/999999").status_code == 404


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"immediate_action": ""}, "Beskriv vad du gjorde direkt."),
        ({"what_happened": ""}, "Beskriv vad som hände."),
        ({"occurred_on": "2099-01-01"}, "Datumet kan inte vara i framtiden."),
        ({"occurred_on": "1999-12-31"}, "Datumet kan inte vara före år 2000."),
        ({"occurred_on": "igår"}, "Skriv datumet som ÅÅÅÅ-MM-DD"),
        ({"org_unit_id": ""}, "Välj enhet."),
        ({"event_type_code": "finns_inte"}, "Välj en händelsetyp i listan."),
        ({"lagrum": "sol", "event_type_code": "fall"}, "Händelsetypen hör inte till Socialtjänst"),
        ({"lagrum": "xyz"}, "Välj lagrum i listan."),
        ({"what_happened": "x" * 20_001}, "högst 20000 tecken"),
    ],
)
def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(
    client, auth, org, people, overrides, message
):
    auth.login("staff@test.example")
    response = _file(auth, org, **overrides)
    assert response.status_code == 422
    assert message in response.text
    assert "Det finns fel i formuläret" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_unit_outside_my_own_is_refused(client, auth, org, people):
    auth.login("staff@test.example")
    response = _file(auth, org, org_unit_id=str(org["b"].id))
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_yesterdays_event_can_be_filed(client, auth, org, people):
    auth.login("staff@test.example")
    yesterday = local_date(utcnow()) - timedelta(days=1)
    assert _file(auth, org, occurred_on=yesterday.isoformat()).status_code == 302
    assert db.session.scalars(sa.select(Case)).one().occurred_on == yesterday


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("staff", True),
        ("handler", True),
        ("manager", True),
        ("quality", False),
        ("admin", False),
    ],
)
@pytest.mark.parametrize("url", ["/avvikelser/ny", "/avvikelser/"])
def test_only_roles_that_file_avvikelser_reach_the_pages(client, auth, people, who, allowed, url):
    auth.login(f"{who}@test.example")
    response = client.get(url)
    assert response.status_code == (200 if allowed else 302)
    home = client.get("/", follow_redirects=True)
    assert ("Mina avvikelser" in home.text) is allowed


def test_the_pages_need_a_login(client):
    for url in ("/avvikelser/ny", "/avvikelser/", "/avvikelser/1"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/logga-in" in response.headers["Location"]
