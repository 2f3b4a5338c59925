"""SCIM 2.0 provisioning (issue 18) through the HTTP API, as Entra ID sends it: accounts
created and deactivated, sessions ended at once, group membership giving and taking
roles, filters and paging, and refused tokens."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra.passwords import hash_password
from casetrack.models import (
    AuditEntry,
    ExternalIdentity,
    GroupRoleMapping,
    RoleAssignment,
    ScimToken,
    User,
)
from casetrack.services import scim as scim_service
from tests.conftest import PASSWORD, Auth

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def app_settings(security_file):
    return {"SECURITY_LOG": str(security_file), "SCIM_REFUSED_LIMIT_PER_IP": "3 per 15 minutes"}


@pytest.fixture
def secret(app):
    _, secret = scim_service.create_token("entra-id")
    db.session.commit()
    return secret


class Scim:
    """A SCIM client over the Flask test client, with the bearer token."""

    def __init__(self, client, secret):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def call(self, method: str, path: str, body=None, **kwargs):
        headers = dict(self.headers)
        data = None
        if body is not None:
            headers["Content-Type"] = "application/scim+json"
            data = json.dumps(body)
        return self.client.open(
            "/scim/v2" + path, method=method, headers=headers, data=data, **kwargs
        )

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, body):
        return self.call("POST", path, body)

    def patch(self, path, *operations):
        return self.call("PATCH", path, {"schemas": [PATCH_SCHEMA], "Operations": list(operations)})

    def delete(self, path):
        return self.call("DELETE", path)

    def create_user(self, email: str, name: str = "Anna Berg", external_id: str | None = None):
        body = {
            "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": email,
            "displayName": name,
            "active": True,
            # What Entra ID's default mappings send besides: kept out of casetrack.
            "name": {"givenName": name.split()[0], "familyName": name.split()[-1]},
            "emails": [{"type": "work", "value": email, "primary": True}],
            "title": "Undersköterska",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "X"},
        }
        if external_id is not None:
            body["externalId"] = external_id
        response = self.post("/Users", body)
        assert response.status_code == 201, response.text
        return response.json


@pytest.fixture
def scim(client, secret):
    return Scim(client, secret)


def account(email: str) -> User:
    db.session.expire_all()
    return db.session.scalars(sa.select(User).where(User.email == email)).one()


def scim_events(security_file, name: str) -> list[dict]:
    if not security_file.exists():
        return []
    lines = security_file.read_text("utf-8").splitlines()
    return [event for event in map(json.loads, lines) if event["event"] == name]


# --- users -----------------------------------------------------------------------------


def test_a_created_user_is_an_account_of_origin_scim_linked_by_its_external_id(scim):
    created = scim.create_user("Anna.Berg@Kommun.se", external_id="oid-1111")

    user = account("anna.berg@kommun.se")
    assert user.origin == "scim" and user.active and user.name == "Anna Berg"
    assert created["id"] == str(user.id)
    assert created["userName"] == "anna.berg@kommun.se"
    assert created["externalId"] == "oid-1111"
    assert created["meta"]["resourceType"] == "User"
    assert created["meta"]["location"].endswith(f"/scim/v2/Users/{user.id}")
    assert "title" not in created and "name" not in created
    link = db.session.scalars(
        sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
    ).one()
    assert (link.provider, link.subject) == ("scim", "oid-1111")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.created")
    ).one()
    assert entry.actor_label == "SCIM (entra-id)" and entry.entity_id == user.id

    fetched = scim.get(f"/Users/{user.id}")
    assert fetched.status_code == 200
    assert fetched.json["displayName"] == "Anna Berg"
    assert fetched.json["active"] is True
    assert fetched.headers["Content-Type"].startswith("application/scim+json")
    assert "Set-Cookie" not in fetched.headers


def test_a_second_post_for_the_same_address_is_a_conflict(scim):
    scim.create_user("anna@kommun.se")
    again = scim.post(
        "/Users",
        {
            "schemas": [USER_SCHEMA],
            "userName": "ANNA@kommun.se",
            "displayName": "A",
            "active": True,
        },
    )
    assert again.status_code == 409
    assert again.json["scimType"] == "uniqueness"
    assert ERROR_SCHEMA in again.json["schemas"]


def test_an_existing_local_account_is_taken_over_but_never_an_administrator(scim, people):
    taken = scim.post(
        "/Users",
        {"schemas": [USER_SCHEMA], "userName": "h@test.example", "displayName": "Lena Berg",
         "active": True, "externalId": "oid-lena"},
    )  # fmt: skip
    assert taken.status_code == 201
    assert taken.json["id"] == str(people["handler"].id)
    assert account("h@test.example").origin == "local"  # it was not created by SCIM

    refused = scim.post(
        "/Users",
        {"schemas": [USER_SCHEMA], "userName": "admin@test.example", "displayName": "Per",
         "active": True},
    )  # fmt: skip
    assert refused.status_code == 409
    assert "administratörskonto" in refused.json["detail"]
    # Accounts SCIM does not manage are not in its directory at all.
    assert scim.get(f"/Users/{people['admin'].id}").status_code == 404
    listed = scim.get("/Users").json
    assert [r["userName"] for r in listed["Resources"]] == ["h@test.example"]


def test_a_user_without_a_display_name_or_with_a_non_address_user_name_is_refused(scim):
    missing = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "x@kommun.se"})
    assert missing.status_code == 400
    assert missing.json["status"] == "400"
    not_address = scim.post(
        "/Users",
        {"schemas": [USER_SCHEMA], "userName": "bjensen", "displayName": "B", "active": True},
    )
    assert not_address.status_code == 400
    assert "e-postadress" in not_address.json["detail"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_patch_active_false_ends_the_users_logged_in_session_at_once(app, scim, org, security_file):
    created = scim.create_user("anna@kommun.se", external_id="oid-anna")
    user = account("anna@kommun.se")
    user.password_hash = hash_password(PASSWORD)
    db.session.add(RoleAssignment(user_id=user.id, role=Role.STAFF.value, org_unit_id=org["a"].id))
    db.session.commit()
    browser = app.test_client()
    Auth(browser).login("anna@kommun.se")
    assert browser.get("/arenden/").status_code == 200

    # Entra ID: an unassigned or soft-deleted user.
    response = scim.patch(
        f"/Users/{created['id']}", {"op": "Replace", "path": "active", "value": "False"}
    )
    assert response.status_code == 200, response.text
    assert response.json["active"] is False

    page = browser.get("/arenden/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/logga-in")
    assert not account("anna@kommun.se").active
    assert "Fel e-postadress eller lösenord." in Auth(browser).login("anna@kommun.se").text
    [event] = scim_events(security_file, "user.deactivated")
    assert event["actor_label"] == "SCIM (entra-id)" and event["entity_id"] == user.id

    # Reactivation restores the account with the roles it held.
    restored = scim.patch(f"/Users/{created['id']}", {"op": "replace", "value": {"active": True}})
    assert restored.json["active"] is True
    Auth(browser).login("anna@kommun.se")
    assert browser.get("/arenden/").status_code == 200


def test_a_pathless_replace_with_a_value_object_changes_several_attributes(scim):
    created = scim.create_user("anna@kommun.se", external_id="oid-anna")
    response = scim.patch(
        f"/Users/{created['id']}",
        {
            "op": "Replace",
            "value": {
                "displayName": "Anna Lind",
                "userName": "anna.lind@kommun.se",
                "name.givenName": "Anna",
                "externalId": "oid-anna-2",
            },
        },
    )
    assert response.status_code == 200, response.text
    user = account("anna.lind@kommun.se")
    assert user.name == "Anna Lind"
    assert response.json["externalId"] == "oid-anna-2"
    changed = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.updated")
    ).one()
    assert changed.after == {"name": "Anna Lind", "email": "anna.lind@kommun.se"}


def test_put_replaces_and_delete_deactivates_without_deleting_the_row(app, scim, org):
    created = scim.create_user("anna@kommun.se", external_id="oid-anna")
    put = scim.call(
        "PUT",
        f"/Users/{created['id']}",
        {"schemas": [USER_SCHEMA], "userName": "anna@kommun.se", "displayName": "Anna B",
         "active": True},
    )  # fmt: skip
    assert put.status_code == 200, put.text
    assert put.json["displayName"] == "Anna B" and "externalId" not in put.json

    user = account("anna@kommun.se")
    generation = user.session_generation
    deleted = scim.delete(f"/Users/{created['id']}")
    assert deleted.status_code == 204
    assert scim.get(f"/Users/{created['id']}").status_code == 404
    user = account("anna@kommun.se")
    assert not user.active and user.session_generation > generation
    assert scim.get('/Users?filter=userName eq "anna@kommun.se"').json["totalResults"] == 0

    # The identity system provisions the person again: the same account comes back.
    again = scim.create_user("anna@kommun.se", external_id="oid-anna")
    assert again["id"] == created["id"] and again["active"] is True


def test_filters_by_user_name_and_external_id_and_pages(scim):
    ids = [
        scim.create_user(f"person{n}@kommun.se", f"Person {n}", f"oid-{n}")["id"] for n in range(5)
    ]
    found = scim.get('/Users?filter=userName eq "PERSON3@kommun.se"').json
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == ids[3]
    by_external = scim.get('/Users?filter=externalId eq "oid-4"').json
    assert [r["id"] for r in by_external["Resources"]] == [ids[4]]
    assert scim.get('/Users?filter=externalId eq "OID-4"').json["totalResults"] == 0
    assert scim.get('/Users?filter=userName eq "nobody@kommun.se"').json["Resources"] == []

    page = scim.get("/Users?startIndex=2&count=2").json
    assert page["totalResults"] == 5
    assert page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["id"] for r in page["Resources"]] == ids[1:3]
    last = scim.get("/Users?startIndex=5&count=2").json
    assert [r["id"] for r in last["Resources"]] == ids[4:]
    counted = scim.get("/Users?count=0").json
    assert counted["totalResults"] == 5 and not counted.get("Resources")
    projected = scim.get('/Users?filter=displayName sw "person 1"&attributes=userName').json
    assert projected["Resources"] == [
        {"schemas": [USER_SCHEMA], "id": ids[1], "userName": "person1@kommun.se"}
    ]

    bad = scim.get('/Users?filter=nickName eq "x"')
    assert bad.status_code == 400 and bad.json["scimType"] == "invalidFilter"


# --- groups ----------------------------------------------------------------------------


@pytest.fixture
def mapping(org):
    mapping = GroupRoleMapping(
        provider=None, group_ref="grp-hemtjanst-a", label="Hemtjänst A", role="staff",
        org_unit_id=org["a"].id,
    )  # fmt: skip
    db.session.add(mapping)
    db.session.commit()
    return mapping


def roles_of(email: str) -> list[tuple[str, int, str, str | None, str | None]]:
    user = account(email)
    return [
        (a.role, a.org_unit_id, a.source, a.source_provider, a.source_group)
        for a in user.role_assignments
    ]


def test_group_membership_gives_the_mapped_role_and_removal_takes_it(app, scim, org, mapping):
    anna = scim.create_user("anna@kommun.se", external_id="oid-anna")
    bo = scim.create_user("bo@kommun.se", "Bo Ek", external_id="oid-bo")
    group = scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Hemtjänst A", "externalId": "grp-hemtjanst-a"},
    )
    assert group.status_code == 201, group.text
    group_id = group.json["id"]
    assert "members" not in group.json
    assert roles_of("anna@kommun.se") == []

    # Entra ID adds members with a path and a list of values.
    added = scim.patch(
        f"/Groups/{group_id}",
        {"op": "Add", "path": "members", "value": [{"value": anna["id"]}, {"value": bo["id"]}]},
    )
    assert added.status_code == 200, added.text
    assert {m["value"] for m in added.json["members"]} == {anna["id"], bo["id"]}
    assert roles_of("anna@kommun.se") == [
        ("staff", org["a"].id, "group", "scim", "grp-hemtjanst-a")
    ]
    assignment = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "role.assigned")
    ).first()
    assert assignment.actor_label == "SCIM (entra-id)"
    user = scim.get(f"/Users/{anna['id']}").json
    assert user["groups"] == [
        {"value": group_id, "$ref": user["groups"][0]["$ref"], "display": "Hemtjänst A"}
    ]

    # Log Anna in, then remove her: the role goes and her session ends.
    anna_account = account("anna@kommun.se")
    anna_account.password_hash = hash_password(PASSWORD)
    db.session.commit()
    browser = app.test_client()
    Auth(browser).login("anna@kommun.se")
    assert browser.get("/arenden/").status_code == 200

    removed = scim.patch(
        f"/Groups/{group_id}",
        {"op": "Remove", "path": f'members[value eq "{anna["id"]}"]'},
    )
    assert removed.status_code == 200, removed.text
    assert [m["value"] for m in removed.json["members"]] == [bo["id"]]
    assert roles_of("anna@kommun.se") == []
    assert roles_of("bo@kommun.se") == [("staff", org["a"].id, "group", "scim", "grp-hemtjanst-a")]
    assert browser.get("/arenden/").status_code == 302

    # Entra ID's other spelling of a removal: the member named in "value".
    scim.patch(
        f"/Groups/{group_id}", {"op": "Remove", "path": "members", "value": [{"value": bo["id"]}]}
    )
    assert roles_of("bo@kommun.se") == []
    assert scim.get(f"/Groups/{group_id}").json.get("members") is None


def test_a_group_mapped_by_its_display_name_follows_a_rename(scim, org):
    db.session.add(
        GroupRoleMapping(provider="scim", group_ref="Kvalitet", role="quality",
                         org_unit_id=org["root"].id)
    )  # fmt: skip
    db.session.commit()
    anna = scim.create_user("anna@kommun.se")
    group = scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Kvalitet", "members": [{"value": anna["id"]}]},
    ).json
    assert [r[0] for r in roles_of("anna@kommun.se")] == ["quality"]
    scim.patch(f"/Groups/{group['id']}", {"op": "Replace", "path": "displayName", "value": "Annat"})
    assert roles_of("anna@kommun.se") == []
    assert scim.delete(f"/Groups/{group['id']}").status_code == 204
    assert scim.get(f"/Groups/{group['id']}").status_code == 404


def test_deleting_a_group_removes_its_roles(scim, org, mapping):
    anna = scim.create_user("anna@kommun.se")
    group = scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Hemtjänst A",
         "externalId": "grp-hemtjanst-a", "members": [{"value": anna["id"]}]},
    ).json  # fmt: skip
    assert len(roles_of("anna@kommun.se")) == 1
    assert scim.delete(f"/Groups/{group['id']}").status_code == 204
    assert roles_of("anna@kommun.se") == []


def test_a_member_that_is_no_scim_user_is_refused_and_nothing_is_saved(scim, people):
    response = scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "G",
         "members": [{"value": str(people["handler"].id)}]},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json["scimType"] == "invalidValue"
    assert scim.get("/Groups").json["totalResults"] == 0


def test_groups_are_filtered_by_display_name_and_member(scim):
    anna = scim.create_user("anna@kommun.se")
    one = scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Ett", "members": [{"value": anna["id"]}]},
    ).json
    scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Två"})
    named = scim.get('/Groups?filter=displayName eq "ett"&excludedAttributes=members').json
    assert [g["id"] for g in named["Resources"]] == [one["id"]]
    assert "members" not in named["Resources"][0]
    # Entra ID asks whether a user is a member like this.
    member = scim.get(f'/Groups?filter=id eq "{one["id"]}" and members eq "{anna["id"]}"').json
    assert member["totalResults"] == 1
    assert scim.get('/Groups?filter=members eq "99999"').json["totalResults"] == 0


# --- discovery and tokens -------------------------------------------------------------


def test_discovery_endpoints_describe_what_casetrack_keeps(scim, client):
    config = client.get("/scim/v2/ServiceProviderConfig")  # no token needed (RFC 7644 §4)
    assert config.status_code == 200
    assert config.json["patch"]["supported"] is True
    assert config.json["filter"]["supported"] is True
    assert config.json["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim.get("/ResourceTypes").json
    assert {t["name"] for t in types["Resources"]} == {"User", "Group"}
    schema = scim.get(f"/Schemas/{USER_SCHEMA}").json
    assert [a["name"] for a in schema["attributes"]] == [
        "userName", "displayName", "active", "groups"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer ctscim_wrong", "Basic ZW50cmE6aWQ="],
)
def test_a_missing_or_wrong_token_is_a_401_scim_error(client, secret, authorization, security_file):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/scim/v2/Users", headers=headers)
    assert response.status_code == 401
    assert response.json["schemas"] == [ERROR_SCHEMA]
    assert response.json["status"] == "401"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    [event] = scim_events(security_file, "security.scim_token_refused")
    assert event["outcome"] == "denied" and event["ip"] == "127.0.0.1"
    assert secret not in security_file.read_text("utf-8")


def test_a_revoked_token_is_refused_and_last_use_is_recorded(scim, client, secret, security_file):
    assert scim.get("/Users").status_code == 200
    token = db.session.scalars(sa.select(ScimToken)).one()
    db.session.refresh(token)
    assert token.last_used_at is not None
    assert token.token_hash != secret and secret not in token.token_hash

    scim_service.revoke_token("entra-id")
    db.session.commit()
    refused = scim.get("/Users")
    assert refused.status_code == 401
    [event] = scim_events(security_file, "security.scim_token_refused")
    assert event["entity_id"] == token.id
    assert event["details"] == {"reason": "revoked", "throttled": False}
    [revoked] = scim_events(security_file, "security.scim_token_revoked")
    assert revoked["actor_label"] == "cli"


def test_refused_tokens_are_rate_limited_per_address(client, secret, security_file):
    for _ in range(3):
        assert (
            client.get("/scim/v2/Users", headers={"Authorization": "Bearer x"}).status_code == 401
        )
    limited = client.get("/scim/v2/Users", headers={"Authorization": "Bearer x"})
    assert limited.status_code == 429
    assert limited.json["status"] == "429" and int(limited.headers["Retry-After"]) > 0
    assert scim_events(security_file, "security.scim_token_refused")[-1]["details"] == {
        "reason": "unknown",
        "throttled": True,
    }
    # A valid token is still served: the identity system shares its addresses with others.
    good = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"})
    assert good.status_code == 200


def test_no_session_cookie_is_needed_nor_enough(client, auth, people, secret):
    auth.login("admin@test.example")
    assert client.get("/scim/v2/Users").status_code == 401
    created = client.post(
        "/scim/v2/Users",
        data=json.dumps({"schemas": [USER_SCHEMA], "userName": "a@kommun.se", "displayName": "A",
                         "active": True}),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"},
    )  # fmt: skip
    assert created.status_code == 201  # no CSRF token asked for
    assert "Set-Cookie" not in created.headers


def test_unknown_paths_and_methods_are_scim_errors(scim):
    missing = scim.get("/Pets")
    assert missing.status_code == 404 and missing.json["schemas"] == [ERROR_SCHEMA]
    assert scim.get("/Users/nope").status_code == 404
    not_json = scim.client.post(
        "/scim/v2/Users", data="userName=x", headers={**scim.headers,
                                                      "Content-Type": "text/plain"},
    )  # fmt: skip
    assert not_json.status_code in (400, 415)
    assert not_json.json["schemas"] == [ERROR_SCHEMA]


def test_the_cli_creates_lists_and_revokes_tokens(runner):
    created = runner.invoke(args=["scim-token", "create", "--name", "entra-id"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("ctscim_") and len(secret) > 40
    token = db.session.scalars(sa.select(ScimToken)).one()
    assert token.token_hash == scim_service.queries.token_hash(secret)
    twice = runner.invoke(args=["scim-token", "create", "--name", "entra-id"])
    assert twice.exit_code != 0

    listed = runner.invoke(args=["scim-token", "list"])
    assert "entra-id" in listed.output and "giltig" in listed.output
    assert secret not in listed.output
    revoked = runner.invoke(args=["scim-token", "revoke", "entra-id"])
    assert revoked.exit_code == 0, revoked.output
    assert "återkallad" in runner.invoke(args=["scim-token", "list"]).output
    assert runner.invoke(args=["scim-token", "revoke", "entra-id"]).exit_code != 0


def test_a_search_at_the_root_pages_over_users_then_groups(scim):
    users = [scim.create_user(f"p{n}@kommun.se", f"P {n}")["id"] for n in range(2)]
    group = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "G"}).json
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    everything = scim.call("POST", "/.search", {**search, "startIndex": 2, "count": 2}).json
    assert everything["totalResults"] == 3
    assert [r["id"] for r in everything["Resources"]] == [users[1], group["id"]]
    # userName is no Group attribute: it matches no group.
    named = scim.call("POST", "/.search", {**search, "filter": 'userName eq "p0@kommun.se"'}).json
    assert [r["id"] for r in named["Resources"]] == [users[0]]
    neither = scim.call("POST", "/.search", {**search, "filter": 'nickName eq "x"'})
    assert neither.status_code == 400


def test_entra_patch_operations_on_attributes_casetrack_does_not_keep_are_accepted(scim):
    created = scim.create_user("anna@kommun.se", external_id="oid-anna")
    response = scim.patch(
        f"/Users/{created['id']}",
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "anna@kommun.se"},
        {"op": "Replace", "path": "name.familyName", "value": "Lind"},
        {"op": "Add", "path": "title", "value": "Sjuksköterska"},
        {
            "op": "Add",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "value": "Hemtjänst",
        },
        {"op": "Replace", "path": "externalId", "value": "oid-anna-new"},
    )
    assert response.status_code == 200, response.text
    assert response.json["externalId"] == "oid-anna-new"
    assert account("anna@kommun.se").name == "Anna Berg"


def test_an_account_that_became_an_administrator_is_out_of_scims_reach(scim, org):
    created = scim.create_user("anna@kommun.se")
    user = account("anna@kommun.se")
    db.session.add(
        RoleAssignment(user_id=user.id, role=Role.ADMIN.value, org_unit_id=org["root"].id)
    )
    db.session.commit()
    refused = scim.patch(
        f"/Users/{created['id']}", {"op": "replace", "path": "active", "value": False}
    )
    assert refused.status_code == 409
    assert scim.delete(f"/Users/{created['id']}").status_code == 409
    assert account("anna@kommun.se").active


def test_external_id_filters_treat_an_account_without_one_as_having_none(scim):
    with_id = scim.create_user("a@kommun.se", external_id="oid-a")["id"]
    without = scim.create_user("b@kommun.se")["id"]
    assert "externalId" not in scim.get(f"/Users/{without}").json
    present = scim.get("/Users?filter=externalId pr").json
    assert [r["id"] for r in present["Resources"]] == [with_id]
    other = scim.get('/Users?filter=not (externalId eq "oid-a")').json
    assert [r["id"] for r in other["Resources"]] == [without]
    placeholder = scim.get(f'/Users?filter=externalId eq "casetrack:{without}"').json
    assert placeholder["totalResults"] == 0


def test_a_group_read_without_its_members_does_not_load_them(scim, count_queries):
    anna = scim.create_user("anna@kommun.se")
    group = scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "G", "members": [{"value": anna["id"]}]},
    ).json
    with count_queries() as seen:
        lean = scim.get(f"/Groups/{group['id']}?excludedAttributes=members").json
    assert "members" not in lean and lean["displayName"] == "G"
    assert not [sql for sql, _ in seen if "FROM scim_group_member" in sql]
    with count_queries() as seen:
        only = scim.get(f"/Groups/{group['id']}?attributes=members.value").json
    assert only["members"] == [{"value": anna["id"]}]
    assert [sql for sql, _ in seen if "FROM scim_group_member" in sql]


# --- no input is a server error (bounded, derandomized, like tests/fuzz) -----------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
KEYS = st.sampled_from(
    ["schemas", "userName", "displayName", "active", "externalId", "members", "name",
     "emails", "id", "groups", "meta", "Operations", "op", "path", "value"]
)  # fmt: skip
OPERATIONS = st.lists(
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["add", "Replace", "remove", "copy"]),
            "path": st.sampled_from(
                [
                    "members",
                    'members[value eq "1"]',
                    "members.value",
                    "displayName",
                    "active",
                    "userName",
                    "externalId",
                    "name.givenName",
                    "groups",
                    "id",
                    "meta",
                    "",
                ]
            ),
            "value": JSON,
        }
    ),
    max_size=3,
)
FUZZ = settings(
    max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


def test_no_body_filter_path_or_patch_is_a_server_error(scim):
    anna = scim.create_user("anna@kommun.se")
    group = scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "G", "members": [{"value": anna["id"]}]},
    ).json
    paths = [
        *("/Users", "/Groups", f"/Users/{anna['id']}", f"/Groups/{group['id']}", "/Users/x"),
        *("/.search", "/Groups/.search", "/Schemas", "/ResourceTypes/User"),
    ]

    @FUZZ
    @given(
        method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
        path=st.sampled_from(paths),
        body=st.dictionaries(KEYS, JSON, max_size=6),
        query=st.text(max_size=30),
    )
    def bodies(method, path, body, query):
        response = scim.call(method, f"{path}?filter={quote(query)}", body)
        assert response.status_code < 500, (method, path, body, query)

    @FUZZ
    @given(path=st.text(max_size=30), method=st.sampled_from(["GET", "POST", "DELETE"]))
    def paths_(path, method):
        response = scim.call(method, "/" + quote(path, safe="/"))
        assert response.status_code < 500, (method, path)

    @FUZZ
    @given(target=st.sampled_from(paths[2:4]), operations=OPERATIONS)
    def patches(target, operations):
        response = scim.call("PATCH", target, {"schemas": [PATCH_SCHEMA], "Operations": operations})
        assert response.status_code < 500, (target, operations)

    patches()
    bodies()
    paths_()
