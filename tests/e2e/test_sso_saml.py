"""A MAS logs in with SAML through SimpleSAMLphp (tests/idp) in Chromium, lands on her start
page with the role her group gives, and logs out with single logout, which ends her
session at the IdP too.

casetrack runs under `casetrack serve` like the other browser tests, but as a server of its
own (module-scoped): its providers come from CASETRACK_SSO_PROVIDERS, and the shared
``live_server`` stays as the other tests expect it.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from tests.conftest import migrate
from tests.e2e.conftest import _free_port, _seed, screenshot, serving
from tests.idp.saml_provider import (  # noqa: F401  (saml_idp is a fixture)
    LOA3,
    make_keypair,
    saml_idp,
)

pytestmark = pytest.mark.slow  # a browser and server processes

PASSWORD = "idp-lösen-e2e"  # pragma: allowlist secret
GROUP_MAS = "grp-mas"


def _map_groups(url: str, attachment_key: str) -> None:
    """The administrator's mapping: members of grp-mas are MAS at the förvaltning."""
    import sqlalchemy as sa

    from casetrack import create_app
    from casetrack.domain.roles import Role
    from casetrack.extensions import db
    from casetrack.models import OrgUnit
    from casetrack.services import identity

    app = create_app({"ENV": "testing", "DATABASE_URL": url, "ATTACHMENT_KEY": attachment_key})
    with app.app_context():
        root = db.session.scalar(sa.select(OrgUnit).where(OrgUnit.code == "HAS"))
        identity.add_mapping(
            None, provider="siths", group_ref=GROUP_MAS, label="MAS", role=Role.MAS,
            unit_id=root.id, actor_label="e2e",
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def saml_server(chromium_path, saml_idp, tmp_path_factory):  # noqa: F811
    folder = tmp_path_factory.mktemp("e2e-saml")
    url = f"sqlite:///{folder / 'casetrack.sqlite'}"
    migrate(url)
    attachment_key = Fernet.generate_key().decode()
    _seed(url, attachment_key)
    _map_groups(url, attachment_key)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    keys = make_keypair(folder, "sp", "casetrack e2e SP")
    saml_idp.register_sp(
        f"{base_url}/saml/siths/metadata",
        acs_url=f"{base_url}/saml/siths/acs",
        sls_url=f"{base_url}/saml/siths/sls",
        certificate=keys,
    )
    saml_idp.set_user(
        "ingrid.mas", PASSWORD, mail="ingrid.mas@kommun.example", display_name="Ingrid Mas",
        groups=[GROUP_MAS], acr=LOA3,
    )  # fmt: skip
    providers = f"""
[[provider]]
key = "siths"
protocol = "saml"
name = "SITHS-kort"
idp_metadata_url = "{saml_idp.metadata_url}"
sp_certificate_file = "{keys.cert_path}"
sp_private_key_file = "{keys.key_path}"
required_authn_context = ["{LOA3}"]
"""
    extra = {"CASETRACK_BASE_URL": base_url, "CASETRACK_SSO_PROVIDERS": providers}
    with serving(folder, url, attachment_key, port, extra):
        yield {"url": base_url, "idp": saml_idp}


def _log_in_at_idp(page, username: str) -> None:
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("button[type=submit], input[type=submit]").first.click()


def test_a_mas_logs_in_through_the_idp_and_out_with_single_logout(browser, saml_server):
    base_url, idp = saml_server["url"], saml_server["idp"]
    # The suite's one Chromium (tests/e2e/conftest.py), a context of its own on this server.
    context = browser.new_context(base_url=base_url, locale="sv-SE")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/logga-in")
        page.get_by_role("link", name="Logga in med SITHS-kort").click()
        page.wait_for_url(f"{idp.base_url}/**")
        _log_in_at_idp(page, "ingrid.mas")
        # The IdP's page posts the SAMLResponse to casetrack's ACS (its script submits it).
        page.wait_for_url(f"{base_url}/arenden/")  # a MAS starts at the case list
        assert page.get_by_text("Ingrid Mas").first.is_visible()
        screenshot(page, "sso-saml-logged-in")

        page.get_by_role("button", name="Logga ut").click()
        page.wait_for_url(f"{base_url}/logga-in")
        assert page.get_by_text(
            "Du är utloggad, även hos din organisations inloggning."
        ).is_visible()
        page.goto("/arenden/")
        page.wait_for_url(f"{base_url}/logga-in**")  # casetrack's session is over

        # So is the IdP's: logging in again asks for the password.
        page.goto("/logga-in")
        page.get_by_role("link", name="Logga in med SITHS-kort").click()
        page.wait_for_url(f"{idp.base_url}/**")
        assert page.locator("input[name=password]").is_visible()
    finally:
        context.close()
