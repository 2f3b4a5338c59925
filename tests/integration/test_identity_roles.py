"""Accounts and roles that follow the organisation's groups (issue 18): what
services.identity decides once a protocol module has checked the provider's answer.

The protocol checks themselves (signatures, nonce, replay …) are tested against the real
providers in tests/web/test_sso_oidc.py and test_sso_saml.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra.identity_providers import ProviderConfigError, parse
from casetrack.models import AuditEntry, ExternalIdentity, RoleAssignment, SsoSession, User, utcnow
from casetrack.services import identity

PROVIDERS = """
[[provider]]
key = "entra"
protocol = "oidc"
name = "Stadens konto"
metadata_url = "http://127.0.0.1:1/.well-known/openid-configuration"
client_id = "casetrack"
client_secret = "test-only"  # pragma: allowlist secret
required_amr = ["mfa"]
link_by_email = true

[[provider]]
key = "siths"
protocol = "saml"
name = "SITHS-kort"
idp_metadata_url = "https://idp.example/metadata"
required_acr = ["http://id.elegnamnden.se/loa/1.0/loa3"]
"""


@pytest.fixture
def providers(tmp_path):
    entra, siths = parse(PROVIDERS, tmp_path)
    return {"entra": entra, "siths": siths}


@pytest.fixture
def mappings(org, people):
    admin = people["admin"]
    identity.add_mapping(
        admin, provider="entra", group_ref="grp-staff-a1", label="", role=Role.STAFF,
        unit_id=org["a1"].id,
    )  # fmt: skip
    identity.add_mapping(
        admin, provider=None, group_ref="grp-chef-a", label="Chefer A", role=Role.MANAGER,
        unit_id=org["a"].id,
    )  # fmt: skip
    db.session.commit()


def claims(subject="sub-1", groups=("grp-staff-a1",), **kw):
    kw.setdefault("email", "ny.medarbetare@stad.example")
    kw.setdefault("name", "Nina Ny")
    kw.setdefault("amr", ("pwd", "mfa"))
    return identity.Claims(subject=subject, groups=frozenset(groups), **kw)


def roles_of(user: User) -> set[tuple[str, str, str]]:
    db.session.refresh(user)
    return {(a.role, a.org_unit.code, a.source) for a in user.role_assignments}


def test_a_first_login_creates_the_account_with_the_roles_of_its_groups(providers, mappings):
    user, key = identity.login(providers["entra"], claims(groups=("grp-staff-a1", "grp-chef-a")))
    db.session.commit()
    assert user.origin == "sso"
    assert user.email == "ny.medarbetare@stad.example"
    assert roles_of(user) == {("staff", "A1", "group"), ("manager", "A", "group")}
    linked = db.session.scalars(sa.select(ExternalIdentity)).one()
    assert (linked.provider, linked.subject, linked.user_id) == ("entra", "sub-1", user.id)
    assert db.session.scalars(sa.select(SsoSession.key)).one() == key
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"user.created", "user.identity_linked", "role.assigned", "auth.login"} <= actions


def test_a_removed_group_removes_the_role_at_the_next_login_and_ends_other_sessions(
    providers, mappings
):
    user, _ = identity.login(providers["entra"], claims(groups=("grp-staff-a1", "grp-chef-a")))
    db.session.commit()
    generation = user.session_generation
    user, _ = identity.login(providers["entra"], claims(groups=("grp-staff-a1",)))
    db.session.commit()
    assert roles_of(user) == {("staff", "A1", "group")}
    assert user.session_generation == generation + 1
    removed = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "role.removed")
    ).one()
    assert removed.actor_label == "inloggning via entra"


def test_manual_roles_are_never_touched_by_the_sync(providers, mappings, org, people):
    user, _ = identity.login(providers["entra"], claims())
    db.session.add(RoleAssignment(user_id=user.id, role="handler", org_unit_id=org["b"].id))
    db.session.commit()
    user, _ = identity.login(providers["entra"], claims(groups=("grp-staff-a1",)))
    assert ("handler", "B", "manual") in roles_of(user)


def test_a_login_without_the_required_second_factor_is_refused(providers, mappings):
    with pytest.raises(DomainError, match="utan tvåstegsverifiering hos Stadens konto"):
        identity.login(providers["entra"], claims(amr=("pwd",)))
    with pytest.raises(DomainError, match="utan tvåstegsverifiering hos SITHS-kort"):
        identity.login(
            providers["siths"],
            claims(acr="urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"),
        )
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.origin == "sso")) == 0


def test_someone_whose_groups_give_no_role_gets_no_account(providers, mappings):
    with pytest.raises(DomainError, match="ingen av dina grupper ger behörighet"):
        identity.login(providers["entra"], claims(groups=("grp-annat",)))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.origin == "sso")) == 0
    refused = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "auth.sso_no_role")
    ).one()
    assert refused.after["groups"] == ["grp-annat"]


def test_a_deactivated_account_cannot_log_in_through_the_provider(providers, mappings):
    user, _ = identity.login(providers["entra"], claims())
    user.active = False
    db.session.commit()
    with pytest.raises(DomainError, match="avstängt"):
        identity.login(providers["entra"], claims())


def test_an_existing_local_account_is_linked_by_address_only_where_configured(
    providers, mappings, people
):
    handler = people["handler"]
    user, _ = identity.login(providers["entra"], claims(subject="oid-lena", email=handler.email))
    assert user.id == handler.id
    # SITHS does not vouch for e-mail addresses (link_by_email is off): refused.
    with pytest.raises(DomainError, match="kopplat till någon annan inloggning"):
        identity.login(
            providers["siths"],
            claims(
                subject="siths-1",
                email=people["other"].email,
                acr=providers["siths"].required_acr[0],
            ),
        )


def test_mapping_refuses_the_admin_role_and_duplicates(org, people):
    with pytest.raises(DomainError, match="Administratörsrollen kan inte komma från en grupp"):
        identity.add_mapping(
            people["admin"], provider=None, group_ref="g", label="", role=Role.ADMIN,
            unit_id=org["root"].id,
        )  # fmt: skip
    identity.add_mapping(
        people["admin"], provider=None, group_ref="g", label="", role=Role.STAFF,
        unit_id=org["a"].id,
    )  # fmt: skip
    with pytest.raises(DomainError, match="ger redan"):
        identity.add_mapping(
            people["admin"], provider=None, group_ref=" g ", label="", role=Role.STAFF,
            unit_id=org["a"].id,
        )  # fmt: skip


def test_provider_logout_ends_the_sessions_it_names(providers, mappings):
    user, _ = identity.login(providers["entra"], claims(session_ref="sid-1"))
    db.session.commit()
    generation = user.session_generation
    assert identity.provider_logout(providers["entra"], session_ref="sid-other") == 0
    assert identity.provider_logout(providers["entra"], session_ref="sid-1") == 1
    db.session.commit()
    db.session.refresh(user)
    assert user.session_generation == generation + 1


def test_a_protocol_message_is_accepted_once(app):
    expires = utcnow() + timedelta(minutes=5)
    assert identity.remember_once("saml:assertion-1", expires)
    assert not identity.remember_once("saml:assertion-1", expires)
    assert identity.remember_once("saml:assertion-2", expires)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[provider]]\nkey = "scim"\nprotocol = "oidc"\nname = "x"', "not scim/local"),
        ('[[provider]]\nkey = "a"\nprotocol = "ldap"\nname = "x"', "oidc or saml"),
        ('[[provider]]\nkey = "a"\nprotocol = "oidc"', "name"),
        (
            '[[provider]]\nkey = "a"\nprotocol = "saml"\nname = "x"\nidp_metadata_url = "u"\n' * 2,
            "unique",
        ),
        (
            '[[provider]]\nkey = "a"\nprotocol = "oidc"\nname = "x"\n'
            'client_secret_file = "nope"',  # pragma: allowlist secret
            "cannot read",
        ),
        ("provider = 1", "[[provider]]"),
        (
            '[[provider]]\nkey = "a"\nprotocol = "oidc"\nname = "x"\nmetadata_url = "u"\n'
            'client_id = "c"\nclient_secret = "s"\n'  # pragma: allowlist secret
            'subject_clam = "oid"',
            "unknown oidc option.s. subject_clam",
        ),
        (
            '[[provider]]\nkey = "a"\nprotocol = "oidc"\nname = "x"',
            "metadata_url, client_id, client_secret_file",
        ),
        (
            '[[provider]]\nkey = "a"\nprotocol = "saml"\nname = "x"',
            "idp_metadata_file .or idp_metadata_url. is not set",
        ),
        ("[[provider", "not valid TOML"),
    ],
)
def test_a_bad_providers_file_stops_the_start_with_the_reason(tmp_path, text, message):
    with pytest.raises(ProviderConfigError, match=message.replace("[", r"\[")):
        parse(text, tmp_path)


def test_provider_sessions_older_than_any_casetrack_session_are_purged(providers, mappings):
    identity.login(providers["entra"], claims(id_token="eyJ.old.token"))
    db.session.execute(sa.update(SsoSession).values(created_at=utcnow() - timedelta(hours=13)))
    db.session.commit()
    _, key = identity.login(providers["entra"], claims())
    db.session.commit()
    assert db.session.scalars(sa.select(SsoSession.key)).all() == [key]
