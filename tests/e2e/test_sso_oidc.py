"""Browser journey through the real OpenID Connect provider (oidc-provider on loopback):
Chromium logs in at the provider, lands on the start page of the role its group gives,
and logs out through the provider (RP-initiated logout), which ends both sessions; a role
pushed over SCIM holds in the open session, its removal ends the session at once, and a
login whose groups no longer map to a role is refused.

casetrack runs here under `casetrack serve` of its own, with the provider in
CASETRACK_SSO_PROVIDERS, on the port the provider has registered as the e2e client's
redirect URI; the other browser tests' server is not touched.
"""

from __future__ import annotations

import pytest
import requests
from cryptography.fernet import Fernet

from tests.conftest import migrate
from tests.e2e.conftest import _seed, screenshot, serving
from tests.idp.oidc_provider import (  # noqa: F401  (oidc_provider is a fixture)
    PROVIDER_KEY,
    PROVIDER_NAME,
    oidc_provider,
)

pytestmark = pytest.mark.slow  # a browser, a provider and a server process per session

CHEF_GROUP = "grp-chefer-solberga"
STAFF_GROUP = "grp-personal-solberga"
# A group the directory pushes over SCIM (not sent at login): a stand-in chef role.
SCIM_GROUP = "grp-vikarierande-chefer"
SCIM = {"Content-Type": "application/scim+json"}


def _add_mappings(url: str, attachment_key: str, unit_id: int) -> str:
    """The group mappings, and a SCIM token (returned) as `casetrack scim-token` makes one."""
    from casetrack import create_app
    from casetrack.domain.roles import Role
    from casetrack.extensions import db
    from casetrack.services import identity, scim

    app = create_app({"ENV": "testing", "DATABASE_URL": url, "ATTACHMENT_KEY": attachment_key})
    with app.app_context():
        for provider, group, role in (
            (PROVIDER_KEY, CHEF_GROUP, Role.MANAGER),
            (PROVIDER_KEY, STAFF_GROUP, Role.STAFF),
            ("scim", SCIM_GROUP, Role.MANAGER),
        ):
            identity.add_mapping(
                None, provider=provider, group_ref=group, label=group, role=role,
                unit_id=unit_id, actor_label="e2e",
            )  # fmt: skip
        _, token = scim.create_token("Entra ID provisioning")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return token


@pytest.fixture(scope="module")
def sso_server(chromium_path, oidc_provider, tmp_path_factory):  # noqa: F811
    """casetrack serve with the provider configured, at the e2e client's address."""
    folder = tmp_path_factory.mktemp("e2e-oidc")
    url = f"sqlite:///{folder / 'casetrack.sqlite'}"
    migrate(url)
    attachment_key = Fernet.generate_key().decode()
    seeded = _seed(url, attachment_key)
    scim_token = _add_mappings(url, attachment_key, seeded["unit_ids"]["SOL"])
    client = oidc_provider.clients["e2e"]
    extra = {
        "CASETRACK_SSO_PROVIDERS": oidc_provider.providers_toml("e2e"),
        "CASETRACK_LOCAL_LOGIN": "admin",
    }
    with serving(folder, url, attachment_key, client.port, extra) as base_url:
        assert base_url == client.base_url
        yield base_url, scim_token


@pytest.fixture
def page(browser, sso_server, oidc_provider):  # noqa: F811
    oidc_provider.reset()
    context = browser.new_context(
        base_url=sso_server[0], viewport={"width": 1280, "height": 900}, locale="sv-SE"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
    oidc_provider.reset()


def log_in_at_provider(page, username: str) -> None:
    page.goto("/logga-in")
    page.get_by_role("link", name=f"Logga in med {PROVIDER_NAME}").click()
    page.wait_for_url("**/interaction/**")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_role("button", name="Logga in").click()


def test_log_in_and_out_through_the_provider(page, sso_server, oidc_provider):  # noqa: F811
    log_in_at_provider(page, "chef")
    page.wait_for_url("**/arenden/mina")  # the manager's start page
    assert page.get_by_text("Maria Lind").first.is_visible()
    screenshot(page, "sso-oidc-manager-start")

    # Logging out of casetrack goes on to the provider's logout, and back.
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(f"{oidc_provider.issuer}/session/end**")
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/logga-in")
    assert page.get_by_text("Du är utloggad, även hos din organisations inloggning.").is_visible()

    # casetrack's session is over ...
    page.goto("/arenden/mina")
    assert "/logga-in" in page.url
    # ... and the provider's: the next login asks who you are again.
    page.get_by_role("link", name=f"Logga in med {PROVIDER_NAME}").click()
    page.wait_for_url("**/interaction/**")
    assert page.get_by_label("Användarnamn").is_visible()


def test_staff_member_lands_on_their_avvikelser(page, sso_server):
    log_in_at_provider(page, "medarbetare")
    page.wait_for_url("**/avvikelser/")
    assert page.get_by_text("Amina Yusuf").first.is_visible()
    screenshot(page, "sso-oidc-staff-start")


def test_roles_follow_the_groups_at_the_next_login_and_at_once_over_scim(
    page,
    sso_server,
    oidc_provider,  # noqa: F811
):
    base_url, token = sso_server
    scim = requests.Session()
    scim.headers.update({"Authorization": f"Bearer {token}", **SCIM})

    # Amina is a medarbetare; the directory makes her a stand-in chef over SCIM.
    log_in_at_provider(page, "medarbetare")
    page.wait_for_url("**/avvikelser/")
    user = scim.post(
        f"{base_url}/scim/v2/Users",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
              "userName": "amina.yusuf@solberga.example", "externalId": "amina-oid",
              "displayName": "Amina Yusuf",
              "active": True},
    )  # fmt: skip
    assert user.status_code in (200, 201), user.text
    group = scim.post(
        f"{base_url}/scim/v2/Groups",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
              "displayName": SCIM_GROUP, "members": [{"value": user.json()["id"]}]},
    )  # fmt: skip
    assert group.status_code == 201, group.text
    page.goto("/")
    page.wait_for_url("**/arenden/mina")  # a chef's start page, in the same session
    screenshot(page, "sso-scim-stand-in-chef")

    # The directory removes her from the group: the role goes, and her session ends at once.
    removed = scim.patch(
        f"{base_url}/scim/v2/Groups/{group.json()['id']}",
        json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
              "Operations": [{"op": "remove", "path": f'members[value eq "{user.json()["id"]}"]'}]},
    )  # fmt: skip
    assert removed.status_code in (200, 204), removed.text
    page.goto("/arenden/mina")
    assert "/logga-in" in page.url

    # At the provider her staff group is replaced by none that casetrack maps: the next
    # login finds no role and says so, on the login page.
    oidc_provider.set_groups("medarbetare", ["grp-annan-forvaltning"])
    page.get_by_role("link", name=f"Logga in med {PROVIDER_NAME}").click()
    page.wait_for_url("**/logga-in")
    assert page.get_by_text("ingen av dina grupper ger behörighet i casetrack").is_visible()
    page.goto("/arenden/")
    assert "/logga-in" in page.url
