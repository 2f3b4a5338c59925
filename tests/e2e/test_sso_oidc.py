"""Browser journey through the real OpenID Connect provider (oidc-provider on loopback):
Chromium logs in at the provider, lands on the start page of the role its group gives,
and logs out through the provider (RP-initiated logout), which ends both sessions.

casetrack runs here under `casetrack serve` of its own, with the provider in
CASETRACK_SSO_PROVIDERS, on the port the provider has registered as the e2e client's
redirect URI; the other browser tests' server is not touched.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request

import pytest
from cryptography.fernet import Fernet

from tests.conftest import migrate
from tests.e2e.conftest import _seed, screenshot
from tests.idp.oidc_provider import (  # noqa: F401  (oidc_provider is a fixture)
    PROVIDER_KEY,
    PROVIDER_NAME,
    oidc_provider,
)

pytestmark = pytest.mark.slow  # a browser, a provider and a server process per session

CHEF_GROUP = "grp-chefer-solberga"
STAFF_GROUP = "grp-personal-solberga"


def _add_mappings(url: str, attachment_key: str, unit_id: int) -> None:
    from casetrack import create_app
    from casetrack.domain.roles import Role
    from casetrack.extensions import db
    from casetrack.services import identity

    app = create_app({"ENV": "testing", "DATABASE_URL": url, "ATTACHMENT_KEY": attachment_key})
    with app.app_context():
        for group, role in ((CHEF_GROUP, Role.MANAGER), (STAFF_GROUP, Role.STAFF)):
            identity.add_mapping(
                None, provider=PROVIDER_KEY, group_ref=group, label=group, role=role,
                unit_id=unit_id, actor_label="e2e",
            )  # fmt: skip
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def sso_server(chromium_path, oidc_provider, tmp_path_factory):  # noqa: F811
    """casetrack serve with the provider configured, at the e2e client's address."""
    folder = tmp_path_factory.mktemp("e2e-oidc")
    url = f"sqlite:///{folder / 'casetrack.sqlite'}"
    migrate(url)
    attachment_key = Fernet.generate_key().decode()
    seeded = _seed(url, attachment_key)
    _add_mappings(url, attachment_key, seeded["unit_ids"]["SOL"])
    client = oidc_provider.clients["e2e"]
    env = {
        **os.environ,
        "CASETRACK_ENV": "production",
        "CASETRACK_SECRET_KEY": secrets.token_hex(32),
        "CASETRACK_DATABASE_URL": url,
        "CASETRACK_INSTANCE_PATH": str(folder),
        "CASETRACK_ATTACHMENT_KEY": attachment_key,
        "CASETRACK_SESSION_COOKIE_SECURE": "false",
        "CASETRACK_SSO_PROVIDERS": oidc_provider.providers_toml("e2e"),
        "CASETRACK_LOCAL_LOGIN": "admin",
    }
    env.pop("CASETRACK_TEST_DATABASE_URL", None)
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", "from casetrack.cli import main; main()", "serve",
         "--bind", f"127.0.0.1:{client.port}", "--workers", "1", "--threads", "4"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(client.base_url + "/logga-in", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("casetrack serve did not start:\n" + (folder / "server.log").read_text())
        time.sleep(0.2)
    yield client.base_url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture
def page(browser, sso_server, oidc_provider):  # noqa: F811
    oidc_provider.reset()
    context = browser.new_context(
        base_url=sso_server, viewport={"width": 1280, "height": 900}, locale="sv-SE"
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


def test_staff_member_lands_on_their_cases(page, sso_server):
    log_in_at_provider(page, "medarbetare")
    page.wait_for_url("**/arenden/")
    assert page.get_by_text("Amina Yusuf").first.is_visible()
    screenshot(page, "sso-oidc-staff-start")
