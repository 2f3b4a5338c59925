"""Admin screens: accounts, roles, org tree and reference data — every write audited."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casetrack.domain.dates import local_date
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import (
    AuditEntry,
    Category,
    OrgUnit,
    OrgUnitPeriod,
    OutboxMessage,
    RoleAssignment,
    User,
    utcnow,
)
from tests.conftest import Auth, csrf_from


@pytest.fixture
def people(org, make):
    result = {
        "admin": make.user([(Role.ADMIN, org["root"])], email="admin@test.example"),
        "handler": make.user([(Role.HANDLER, org["a"])], email="lena@test.example"),
    }
    db.session.commit()
    return result


@pytest.fixture
def admin_client(client, auth, people):
    auth.login("admin@test.example")
    return client


def _last_audit() -> AuditEntry:
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()


def _button(client, page_url: str, action_url: str):
    token = csrf_from(client.get(page_url).text)
    return client.post(action_url, data={"csrf_token": token}, follow_redirects=True)


@pytest.mark.parametrize("who", ["handler", None])
def test_only_administrators_reach_the_admin_pages(client, auth, people, who):
    if who:
        auth.login(people[who].email)
        assert client.get("/admin/").status_code == 404
        assert client.get("/admin/anvandare").status_code == 404
    else:
        assert client.get("/admin/").status_code == 302


def test_the_admin_creates_an_account_and_the_person_gets_a_link(admin_client, auth):
    """No start password any more (issue 16): the person chooses one through the link."""
    response = auth.post("/admin/anvandare/ny", {"name": "Nils Nyman", "email": "not-an-address"})
    assert response.status_code == 422
    assert "Ange en giltig e-postadress" in response.text
    response = auth.post(
        "/admin/anvandare/ny", {"name": "Nils Nyman", "email": "Nils@Test.Example"}
    )
    assert response.status_code == 302
    user = db.session.scalars(sa.select(User).where(User.email == "nils@test.example")).one()
    entry = _last_audit()
    assert (entry.action, entry.entity_id) == ("user.password_link_sent", user.id)
    created = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.created")
    ).one()
    assert created.entity_id == user.id and created.actor_id is not None
    letter = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == "nils@test.example")
    ).one()
    assert "/konto/nytt-losenord?kod=" in letter.body


def test_a_duplicate_address_is_refused_at_the_field(admin_client, auth):
    response = auth.post("/admin/anvandare/ny", {"name": "Lena", "email": "lena@test.example"})
    assert response.status_code == 422
    assert "Det finns redan ett konto med den e-postadressen." in response.text


def test_roles_are_added_and_an_admin_account_gets_no_case_roles(admin_client, auth, org, people):
    url = f"/admin/anvandare/{people['handler'].id}"
    token = csrf_from(admin_client.get(url).text)
    response = admin_client.post(
        f"{url}/roller", data={"role": "manager", "org_unit_id": org["b"].id, "csrf_token": token}
    )
    assert response.status_code == 302
    assert _last_audit().action == "role.assigned"
    response = admin_client.post(
        f"{url}/roller", data={"role": "admin", "org_unit_id": org["root"].id, "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Ett administratörskonto kan inte ha roller i ärenden." in response.text


@pytest.mark.parametrize(
    "who,role,unit,message",
    [
        # A case role for an administrator account ...
        ("admin", "handler", "a", "Kontot är ett administratörskonto och kan inte få roller i "
         "ärenden."),
        # ... and the admin role for an account with a case role (SECURITY.md K3-16).
        ("handler", "admin", "root", "Ett administratörskonto kan inte ha roller i ärenden. "
         "Skapa ett separat konto."),
    ],
)  # fmt: skip
def test_admin_and_case_roles_are_never_held_by_one_account(
    admin_client, org, people, who, role, unit, message
):
    account = people[who]
    url = f"/admin/anvandare/{account.id}"
    token = csrf_from(admin_client.get(url).text)
    response = admin_client.post(
        f"{url}/roller", data={"role": role, "org_unit_id": org[unit].id, "csrf_token": token}
    )
    assert response.status_code == 422
    # At the field (with its id for the error summary link), in plain Swedish.
    field_error = re.search(
        r'<p class="field-error" id="role-error">(.*?)</p>', response.text, re.S
    )
    assert field_error and message in field_error.group(1)
    assert 'href="#role"' in response.text
    db.session.expire_all()
    held = db.session.scalars(
        sa.select(RoleAssignment.role).where(RoleAssignment.user_id == account.id)
    ).all()
    assert held == [who]  # nothing was added
    assert _last_audit().action != "role.assigned"


def test_deactivating_a_user_ends_their_session_at_the_next_request(app, admin_client, people):
    other = app.test_client()
    Auth(other).login("lena@test.example")
    assert other.get("/arenden/").status_code == 200
    user_url = f"/admin/anvandare/{people['handler'].id}"
    question = admin_client.get(f"{user_url}/inaktivera")
    assert "loggas ut direkt" in question.text  # asking changes nothing
    assert other.get("/arenden/").status_code == 200
    page = _button(admin_client, f"{user_url}/inaktivera", f"{user_url}/inaktivera")
    assert "Kontot är inaktiverat" in page.text
    assert other.get("/arenden/").status_code == 302
    assert _last_audit().action == "user.deactivated"
    page = _button(admin_client, user_url, f"{user_url}/aktivera")
    assert _last_audit().action == "user.activated"


def test_removing_a_role_takes_effect_at_the_next_request(app, admin_client, make, org, people):
    case = make.case(org["a"], by=people["handler"])
    db.session.commit()
    other = app.test_client()
    Auth(other).login("lena@test.example")
    assert other.get(f"/arenden/{case.id}").status_code == 200
    assignment = people["handler"].role_assignments[0]
    user_url = f"/admin/anvandare/{people['handler'].id}"
    confirm_url = f"{user_url}/roller/{assignment.id}/ta-bort"
    # The account page links to a question first; asking removes nothing.
    assert f'href="{confirm_url}"' in admin_client.get(user_url).text
    question = admin_client.get(confirm_url)
    assert question.status_code == 200
    assert "Ta bort rollen ”Biträdande enhetschef / handläggare” på Enhet A?" in question.text
    assert "Alla inloggningar för" in question.text and "enda roll" in question.text
    assert other.get(f"/arenden/{case.id}").status_code == 200
    _button(admin_client, confirm_url, confirm_url)
    entry = _last_audit()
    assert entry.action == "role.removed"
    assert other.get(f"/arenden/{case.id}").status_code in (302, 404)
    Auth(other).login("lena@test.example")
    assert other.get(f"/arenden/{case.id}").status_code == 404
    assert entry.before == {"user_id": people["handler"].id, "role": "handler",
                            "org_unit_id": org["a"].id}  # fmt: skip


def test_the_last_administrator_can_be_neither_deactivated_nor_demoted(admin_client, people):
    admin = people["admin"]
    user_url = f"/admin/anvandare/{admin.id}"
    page = _button(admin_client, user_url, f"{user_url}/inaktivera")
    assert "Det måste finnas minst en aktiv systemadministratör" in page.text
    assignment = admin.role_assignments[0]
    page = _button(admin_client, user_url, f"{user_url}/roller/{assignment.id}/ta-bort")
    assert "Det måste finnas minst en aktiv systemadministratör" in page.text
    db.session.expire_all()
    assert db.session.get(User, admin.id).active
    assert db.session.get(RoleAssignment, assignment.id) is not None


def test_resetting_the_second_factor_is_audited(admin_client, auth, make, org, people):
    """Asked for by one administrator, approved by another (issue 16)."""
    second = make.user([(Role.ADMIN, org["root"])], email="admin2@test.example")
    second.mfa_secret = "JBSWY3DPEHPK3PXP"
    db.session.commit()
    user_url = f"/admin/anvandare/{second.id}"
    page = _button(admin_client, user_url, f"{user_url}/tvastegsverifiering")
    assert "Återställningen är begärd" in page.text
    assert _last_audit().action == "user.mfa_reset_requested"
    third = make.user([(Role.ADMIN, org["root"])], email="admin3@test.example")
    db.session.commit()
    auth.logout()
    auth.login(third.email)
    page = _button(admin_client, user_url, f"{user_url}/tvastegsverifiering/godkann")
    assert "Tvåstegsverifieringen är återställd" in page.text
    db.session.expire_all()
    assert db.session.get(User, second.id).mfa_secret is None
    assert "user.mfa_reset" in db.session.scalars(sa.select(AuditEntry.action)).all()


def test_units_are_created_renamed_moved_and_deactivated(admin_client, auth, org):
    response = auth.post(
        "/admin/organisation/ny",
        {"code": "c1", "name": "Enhet C", "level": "enhet", "parent_id": org["dept"].id},
    )
    assert response.status_code == 302
    unit = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == "C1")).one()
    assert _last_audit().action == "unit.created"
    response = auth.post(
        f"/admin/organisation/{unit.id}",
        {"name": "Enhet C-huset", "parent_id": org["a"].id, "reference_prefix": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    unit = db.session.get(OrgUnit, unit.id)
    assert (unit.name, unit.parent_id, unit.active) == ("Enhet C-huset", org["a"].id, False)
    entry = _last_audit()
    assert entry.action == "unit.updated"
    today = local_date(utcnow())
    assert entry.after == {
        "name": "Enhet C-huset", "parent_id": org["a"].id, "active": False,
        "closed_on": today.isoformat(),
    }  # fmt: skip
    # Created and moved on one day: one period in the tree's history, under the new parent.
    periods = db.session.execute(
        sa.select(OrgUnitPeriod.parent_id, OrgUnitPeriod.valid_from, OrgUnitPeriod.valid_to).where(
            OrgUnitPeriod.org_unit_id == unit.id
        )
    ).all()
    assert periods == [(org["a"].id, today, None)]


def test_a_new_unit_starts_under_the_forvaltning_as_an_enhet(admin_client, org):
    page = admin_client.get("/admin/organisation/ny").text
    parent = re.search(r'<select[^>]*name="parent_id".*?</select>', page, re.S).group(0)
    assert re.search(rf'<option selected value="{org["root"].id}">', parent)
    level = re.search(r'<select[^>]*name="level".*?</select>', page, re.S).group(0)
    assert '<option selected value="enhet">' in level
    assert "bara för en ny förvaltning" in page


def test_a_unit_cannot_be_moved_below_itself(admin_client, auth, org):
    response = auth.post(
        f"/admin/organisation/{org['dept'].id}",
        {"name": "Äldreomsorg", "parent_id": org["a1"].id, "active": "y"},
    )
    assert response.status_code == 422
    assert "under sig själv" in response.text


def test_a_unit_with_cases_can_only_be_deactivated(admin_client, make, org, people):
    make.case(org["b"], by=make.user([(Role.HANDLER, org["b"])]))
    empty = make.unit("Tom enhet", parent=org["dept"], code="EMPTY")
    db.session.commit()
    page = _button(
        admin_client, "/admin/organisation", f"/admin/organisation/{org['b'].id}/ta-bort"
    )
    assert "Enheten har ärenden och kan inte tas bort" in page.text
    assert db.session.get(OrgUnit, org["b"].id) is not None
    question_url = f"/admin/organisation/{empty.id}/ta-bort"
    assert f'href="{question_url}"' in admin_client.get("/admin/organisation").text
    assert "Ta bort enheten Tom enhet?" in admin_client.get(question_url).text
    assert db.session.get(OrgUnit, empty.id) is not None  # asking changes nothing
    page = _button(admin_client, question_url, question_url)
    assert "Enheten Tom enhet är borttagen." in page.text
    assert _last_audit().action == "unit.deleted"


def test_reference_labels_change_but_never_their_code(admin_client, auth):
    response = auth.post(
        "/admin/referensdata/category/bemotande",
        {"label": "Bemötande och respekt", "sort_order": "3", "active": "y", "code": "hackad"},
    )
    assert response.status_code == 302
    row = db.session.get(Category, "bemotande")
    db.session.refresh(row)
    assert row.label == "Bemötande och respekt"
    assert db.session.get(Category, "hackad") is None
    entry = _last_audit()
    assert entry.action == "reference.category.updated"
    assert entry.after["label"] == "Bemötande och respekt"
    response = auth.post("/admin/referensdata/category/bemotande", {"label": "", "sort_order": "x"})
    assert response.status_code == 422
    assert "Ange en benämning." in response.text
    assert "Ange ett heltal" in response.text


def test_retention_years_are_set_per_case_kind(admin_client, auth):
    response = auth.post(
        "/admin/referensdata/kind/complaint",
        {"label": "Klagomål", "sort_order": "2", "active": "y", "retention_years": "4"},
    )
    assert response.status_code == 302
    assert _last_audit().after["retention_years"] == 4


def test_the_admin_cannot_open_case_content(admin_client, make, org, people):
    case = make.case(org["a"], by=people["handler"])
    db.session.commit()
    assert admin_client.get(f"/arenden/{case.id}").status_code == 404
