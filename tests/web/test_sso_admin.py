"""The administrator's side of the organisation's login (issue 18): the group → role
mappings page, where roles came from on the account and review pages, and the switch
that limits or turns off password login."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, ExternalIdentity, GroupRoleMapping, RoleAssignment
from casetrack.services import identity
from tests.conftest import csrf_from

PROVIDERS = """
[[provider]]
key = "entra"
protocol = "oidc"
name = "Stadens konto (Entra ID)"
metadata_url = "http://127.0.0.1:1/.well-known/openid-configuration"
client_id = "casetrack"
client_secret = "test-only"  # pragma: allowlist secret
required_amr = ["mfa"]
"""


@pytest.fixture
def app_settings():
    return {"SSO_PROVIDERS": PROVIDERS}


def test_the_login_page_offers_each_provider_by_name(client):
    page = client.get("/logga-in")
    assert page.status_code == 200
    assert "Logga in med Stadens konto (Entra ID)" in page.text
    assert 'href="/logga-in/via/entra"' in page.text
    # An unknown provider is a 404, not an error.
    assert client.get("/logga-in/via/okand").status_code == 404


def test_an_admin_maps_a_group_to_a_role_and_removes_it_again(auth, client, org, people):
    auth.login("admin@test.example")
    page = client.get("/admin/inloggning")
    assert "Stadens konto (Entra ID)" in page.text
    assert "Inga kopplingar ännu" in page.text
    response = client.post(
        "/admin/inloggning/grupper",
        data={
            "csrf_token": csrf_from(client.get("/admin/inloggning").text),
            "provider": "entra",
            "group_ref": "6f1c2d3e-grupp",
            "label": "Enhet A – chefer",
            "role": "manager",
            "org_unit_id": str(org["a"].id),
        },
        follow_redirects=True,
    )
    assert "Kopplingen är sparad" in response.text
    assert "Enhet A – chefer" in response.text
    mapping = db.session.scalars(sa.select(GroupRoleMapping)).one()
    assert (mapping.provider, mapping.role, mapping.org_unit_id) == (
        "entra",
        "manager",
        org["a"].id,
    )
    assert db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity_type == "group_role_mapping")
    ).all() == ["group_mapping.created"]

    question = client.get(f"/admin/inloggning/grupper/{mapping.id}/ta-bort")
    assert "förlorar rollen vid sin nästa inloggning" in question.text
    client.post(
        f"/admin/inloggning/grupper/{mapping.id}/ta-bort",
        data={"csrf_token": csrf_from(question.text)},
    )
    assert db.session.scalars(sa.select(GroupRoleMapping)).all() == []


def test_a_bad_mapping_gets_its_message_at_the_field_and_nothing_is_saved(
    auth, client, org, people
):
    auth.login("admin@test.example")
    token = csrf_from(client.get("/admin/inloggning").text)
    response = client.post(
        "/admin/inloggning/grupper",
        data={"csrf_token": token, "provider": "", "group_ref": " ", "role": "staff",
              "org_unit_id": str(org["a"].id)},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Ange gruppens id eller namn" in response.text
    response = client.post(
        "/admin/inloggning/grupper",
        data={"csrf_token": token, "provider": "ldap", "group_ref": "g", "role": "admin",
              "org_unit_id": "999999"},
    )  # fmt: skip
    assert response.status_code == 422
    assert db.session.scalars(sa.select(GroupRoleMapping)).all() == []


def test_only_administrators_reach_the_mappings(auth, client, people):
    auth.login("m@test.example")
    assert client.get("/admin/inloggning").status_code == 404


def test_account_and_review_pages_say_where_each_role_came_from(auth, client, org, people):
    nina = people["staff"]
    db.session.add(ExternalIdentity(user_id=nina.id, provider="entra", subject="oid-nina"))
    grant = db.session.scalars(
        sa.select(RoleAssignment).where(RoleAssignment.user_id == nina.id)
    ).one()
    identity.add_mapping(
        people["admin"], provider="entra", group_ref="grp-a-handl", label="", role=Role.HANDLER,
        unit_id=org["a"].id,
    )  # fmt: skip
    identity.sync_group_roles(nina, "entra", {"grp-a-handl"}, actor_label="test")
    db.session.commit()
    auth.login("admin@test.example")
    page = client.get(f"/admin/anvandare/{nina.id}")
    assert "Stadens konto (Entra ID)" in page.text
    assert "Grupp <code>grp-a-handl</code> i Stadens konto (Entra ID)" in page.text
    assert "tilldelad för hand till ett konto vars roller annars kommer från grupper" in page.text
    review = client.get("/behorighetsgranskning/")
    assert "Grupp <code>grp-a-handl</code>" in review.text
    assert "kontot loggar in via organisationens inloggning" in review.text
    question = client.get(f"/admin/anvandare/{nina.id}/roller/{grant.id}/ta-bort")
    assert "kommer från gruppen" not in question.text


def test_password_login_can_be_limited_to_administrators(app, auth, client, people):
    app.config["CASETRACK"]["LOCAL_LOGIN"] = "admin"
    page = client.get("/logga-in")
    assert "Administratör: logga in med lösenord" in page.text
    response = auth.login("h@test.example")
    assert response.status_code == 403
    assert "Lösenord används bara av administratörer här" in response.text
    assert client.get("/").status_code == 302  # not logged in
    assert auth.login("admin@test.example").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_password_login_can_be_switched_off(app, client, people):
    app.config["CASETRACK"]["LOCAL_LOGIN"] = "off"
    page = client.get("/logga-in")
    assert "Logga in med Stadens konto (Entra ID)" in page.text
    assert 'name="password"' not in page.text
    # Even a hand-made POST with a valid token (from another page) is refused.
    token = csrf_from(client.get("/folj-arende").text)
    response = client.post(
        "/logga-in", data={"email": "admin@test.example", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 403
    assert "Inloggning med lösenord är avstängd" in response.text
    assert client.get("/admin/").status_code == 302
