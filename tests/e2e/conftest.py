"""Browser tests: casetrack served by `casetrack serve` (gunicorn) on loopback, driven by
Playwright's Python API in Debian's Chromium, checked with axe-core.

The browser is never downloaded (`playwright install` cannot run here): Chromium comes from
the system package and is launched by its path. Without it the tests are skipped with a
reason on a laptop, and fail under CI=true.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pyotp
import pytest
from cryptography.fernet import Fernet

from casetrack.domain.dates import stockholm_today
from tests.conftest import PASSWORD, migrate, repo_root

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = repo_root() / "test-artifacts"
EMAIL_DOMAIN = "e2e.example"
# The previous tertial has ended whatever day the suite runs: T2 2026 ends 31 August.
# Cases are registered there so the report has numbers and a tertial that can be frozen.
ENDED_TERTIAL_DAY = date(2026, 6, 10)

# role -> (e-mail local part, name, unit code)
PEOPLE = {
    "staff": ("medarbetare", "Amina Yusuf", "ASP-N"),
    "handler": ("handlaggare", "Lena Berg", "ASP"),
    "manager": ("enhetschef", "Maria Lind", "ASP"),
    "quality": ("kvalitet", "Karin Holm", "HAS"),
    "mas": ("mas", "Eva Sjöberg", "HAS"),
    "sas": ("sas", "Anders Nyström", "HAS"),
    "admin": ("admin", "Per Ström", "HAS"),
}


def email_for(role: str) -> str:
    return f"{PEOPLE[role][0]}@{EMAIL_DOMAIN}"


def find_chromium() -> str | None:
    candidate = os.environ.get("CASETRACK_CHROMIUM") or "/usr/bin/chromium"
    if Path(candidate).exists():
        return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def serving(folder, url: str, attachment_key: str, port: int, extra_env: dict[str, str]):
    """`casetrack serve` (gunicorn, 1 worker, 4 threads) on 127.0.0.1:``port`` over the
    SQLite database at ``url``, as in production but for plain http on loopback.

    Gives the server's address once it answers, and stops it at the end of the ``with``.
    The SSO browser tests start their own servers with it (their providers in
    ``extra_env``)."""
    env = {
        **os.environ,
        "CASETRACK_ENV": "production",
        "CASETRACK_SECRET_KEY": secrets.token_hex(32),
        "CASETRACK_DATABASE_URL": url,
        "CASETRACK_INSTANCE_PATH": str(folder),
        "CASETRACK_ATTACHMENT_KEY": attachment_key,
        "CASETRACK_SESSION_COOKIE_SECURE": "false",
        **extra_env,
    }
    env.pop("CASETRACK_TEST_DATABASE_URL", None)
    log = (folder / "server.log").open("w")
    # One worker with threads: the limiter's default memory:// storage counts in one
    # process only, and `serve` refuses several workers with it (issue 16).
    process = subprocess.Popen(
        [sys.executable, "-c", "from casetrack.cli import main; main()", "serve",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base_url + "/logga-in", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            pytest.fail("casetrack serve did not start:\n" + (folder / "server.log").read_text())
        time.sleep(0.2)
    try:
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = (
            "Chromium not found (/usr/bin/chromium): install Debian's `chromium` package "
            "to run the browser tests"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — required under CI=true", pytrace=False)
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _seed(url: str, attachment_key: str) -> dict:
    """Org tree, one user per role and a few cases, created through the services."""
    from casetrack import create_app
    from casetrack.domain.roles import Permission, Role
    from casetrack.extensions import db
    from casetrack.models import OrgUnit
    from casetrack.services import cases as case_service
    from casetrack.services import mfa, users

    app = create_app({"ENV": "testing", "DATABASE_URL": url, "ATTACHMENT_KEY": attachment_key})
    with app.app_context():
        units = {}
        for code, name, level, parent, prefix in [
            ("HAS", "Hägersten-Älvsjö stadsdelsförvaltning", "forvaltning", None, "HA"),
            ("AO", "Avdelningen för äldreomsorg", "avdelning", "HAS", "AO"),
            ("ASP", "Aspudden hemtjänst", "enhet", "AO", None),
            ("ASP-N", "Aspudden hemtjänst, arbetsgrupp Norra", "arbetsgrupp", "ASP", None),
            ("SOL", "Solbergagårdens vård- och omsorgsboende", "enhet", "AO", None),
        ]:
            units[code] = OrgUnit(
                code=code, name=name, level=level, parent=units.get(parent), reference_prefix=prefix
            )
            db.session.add(units[code])
        db.session.flush()
        people = {}
        for role, (local, name, unit_code) in PEOPLE.items():
            user = users.create_user(
                None,
                email=f"{local}@{EMAIL_DOMAIN}",
                name=name,
                password=PASSWORD,
                actor_label="e2e",
            )
            users.assign_role(None, user, Role(role), units[unit_code], actor_label="e2e")
            people[role] = user
        # In production every account has a second factor (K3-13, K3-14): each has enrolled
        # (secret encrypted with the server's key), and the tests compute codes from it.
        totp_secrets = {}
        for role, user in people.items():
            totp_secrets[role] = mfa.secret_for_enrolment(user)
            user.mfa_enabled_at = datetime.now(UTC)

        for n, (kind, category) in enumerate(
            [("complaint", "bemotande"), ("complaint", "mat"), ("suggestion", "information")]
        ):
            case_service.register_case(
                people["handler"],
                case_service.NewCase(
                    kind_code=kind,
                    org_unit_id=units["ASP"].id,
                    received_on=ENDED_TERTIAL_DAY.replace(day=10 + n),
                    description=f"Synpunkt nummer {n + 1} från en närstående om hemtjänsten.",
                    channel_code="telefon",
                    source_code="narstaende",
                    category_codes=[category],
                ),
            )
        case_service.register_case(
            people["staff"],
            case_service.NewCase(
                kind_code="deviation",
                org_unit_id=units["ASP-N"].id,
                received_on=stockholm_today(),
                occurred_on=stockholm_today(),
                description="Nyckeln till brukarens dörr saknades i nyckelskåpet.",
                immediate_action="Ringde nattpatrullen som hade en extranyckel.",
                channel_code="avvikelseblankett",
            ),
            permission=Permission.CASE_FILE_DEVIATION,
        )
        db.session.commit()
        result = {
            "totp_secrets": totp_secrets,
            "unit_ids": {code: unit.id for code, unit in units.items()},
        }
        db.session.remove()
        db.engine.dispose()
    return result


@pytest.fixture(scope="session")
def live_server(chromium_path, tmp_path_factory):
    """casetrack under `casetrack serve` (gunicorn, 1 worker, 4 threads) on loopback.

    Always on its own SQLite file, also when the rest of the suite runs on PostgreSQL:
    the server is a separate process that must not see the other tests' data come and go.
    """
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'casetrack.sqlite'}"
    migrate(url)
    attachment_key = Fernet.generate_key().decode()
    seeded = _seed(url, attachment_key)
    port = _free_port()
    # Security keys need a domain as RP ID (browsers refuse IP addresses), so those tests
    # use localhost.
    with serving(
        folder, url, attachment_key, port,
        {"CASETRACK_WEBAUTHN_ORIGIN": f"http://localhost:{port}"},
    ) as base_url:  # fmt: skip
        _CLOCKS.update({role: TotpClock(secret) for role, secret in seeded["totp_secrets"].items()})
        yield {"url": base_url, "localhost_url": f"http://localhost:{port}", **seeded}


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Open browser contexts (separate cookie jars) on the live server; closed afterwards."""
    contexts = []

    def open_context(width: int = 1280, height: int = 900, **kwargs):
        context = browser.new_context(
            base_url=kwargs.pop("base_url", live_server["url"]),
            viewport={"width": width, "height": height},
            locale="sv-SE",
            accept_downloads=True,
            **kwargs,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


class TotpClock:
    """Hands out one account's codes for successive TOTP steps (the replay guard takes each
    once)."""

    def __init__(self, secret: str):
        self.totp = pyotp.TOTP(secret)
        self.last_step = None

    def code(self) -> str:
        """A code for the next unused step; waits for the clock when the steps the server
        accepts (the current one ± 1) are used up."""
        while True:
            # Not in the last seconds of a step: typing the code takes a moment, and after
            # the boundary a code for the step before the old one falls out of the window.
            left = self.totp.interval - time.time() % self.totp.interval
            if left < 3:
                time.sleep(left + 0.05)
            current = self.totp.timecode(datetime.now(UTC))
            step = current - 1 if self.last_step is None else max(current - 1, self.last_step + 1)
            if step <= current + 1:
                break
            time.sleep(1)
        self.last_step = step
        return self.totp.generate_otp(step)


# One clock per role, shared by every test in the session (set up by live_server).
_CLOCKS: dict[str, TotpClock] = {}


def log_in(page, role: str) -> None:
    """Log in through the login page and the second-factor page (every role has one in
    production)."""
    page.goto("/logga-in")
    page.get_by_label("E-postadress").fill(email_for(role))
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_url("**/logga-in/kod")
    page.get_by_label("Engångskod").fill(_CLOCKS[role].code())
    page.get_by_role("button", name="Logga in", exact=True).click()
    page.wait_for_load_state()
    assert "/logga-in" not in page.url, f"{role} was not logged in: {page.url}"


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot under test-artifacts/ (gitignored, not committed)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
