"""An administrator adds a security key and logs in with it, in Chromium with a virtual
authenticator (Chrome DevTools Protocol, WebAuthn domain) instead of a physical key: the
page's script, the browser's WebAuthn and the server's checks, end to end (K3-15).

Security keys need a domain as relying party ID (browsers refuse IP addresses), so this
test reaches the server as http://localhost:<port>, the origin the server is told to use.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD, email_for, log_in, screenshot
from tests.e2e.helpers import assert_accessible

pytestmark = pytest.mark.slow  # a browser and a server process per session


def test_an_admin_adds_a_security_key_and_logs_in_with_it(new_context, live_server):
    visited: list[str] = []
    context = new_context(base_url=live_server["localhost_url"])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": False,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]

    log_in(page, "admin")
    page.goto("/admin/")
    page.get_by_role("link", name="Säkerhetsnyckel").click()
    page.wait_for_url("**/konto/sakerhetsnyckel")
    assert_accessible(page, visited)
    page.get_by_label("Namn på nyckeln").fill("Virtuell nyckel")
    with page.expect_navigation():
        page.get_by_role("button", name="Lägg till säkerhetsnyckel").click()
    page.wait_for_load_state()
    assert "Säkerhetsnyckeln är tillagd" in page.inner_text("main")
    assert page.get_by_role("cell", name="Virtuell nyckel", exact=True).count() == 1
    screenshot(page, "security-key-added")
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1

    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/logga-in")
    page.get_by_label("E-postadress").fill(email_for("admin"))
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url("**/logga-in/kod")
    assert_accessible(page, visited)
    screenshot(page, "security-key-login")
    with page.expect_navigation():
        page.get_by_role("button", name="Logga in med säkerhetsnyckel").click()
    page.wait_for_load_state()
    assert "/logga-in" not in page.url
    assert page.locator("nav.site-nav").get_by_role("link", name="Administration").count() == 1
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert stored["credentials"][0]["signCount"] >= 1

    # Leave the shared server as it was: remove the key again.
    page.goto("/konto/sakerhetsnyckel")
    with page.expect_navigation():
        page.get_by_role("button", name="Ta bort nyckeln Virtuell nyckel").click()
    assert "Du har ingen säkerhetsnyckel än." in page.inner_text("main")
    print("\nsecurity key pages checked with axe: " + ", ".join(visited))
