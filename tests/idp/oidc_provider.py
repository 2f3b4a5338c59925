"""The real OpenID Connect provider of the SSO tests: oidc-provider (npm, OpenID Certified)
run by ``tests/idp/oidc/idp.js`` under node on a free loopback port, for the whole session.

``.ci/run`` installs node and ``npm ci --prefix tests/idp/oidc``. Without node or the
package the tests are skipped on a laptop and fail under CI=true.

The provider knows two casetrack clients, one for the Flask test client's tests
(``web``) and one for the browser tests' server (``e2e``), each with its own port chosen
here, and the test accounts in ``ACCOUNTS`` (their groups can be changed between logins:
the provider reads the accounts file again at every login).
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc.jwk import RSAKey

from tests.conftest import free_port, repo_root

IDP_DIR = repo_root() / "tests" / "idp" / "oidc"
PROVIDER_KEY = "kommun"
PROVIDER_NAME = "Kommunens konto"
REQUIRED_AMR = "mfa"
ACR_MFA = "urn:casetrack:test:mfa"

# user name -> the account at the provider (sub is an opaque id, like Entra's oid).
ACCOUNTS = {
    "chef": {
        "sub": "5d0c2e51-8a7b-4c59-9f3e-1b2a3c4d5e01",
        "name": "Maria Lind",
        "email": "maria.lind@solberga.example",
        "groups": ["grp-chefer-solberga"],
        "acr": ACR_MFA,
        "amr": ["pwd", "mfa"],
    },
    "medarbetare": {
        "sub": "5d0c2e51-8a7b-4c59-9f3e-1b2a3c4d5e02",
        "name": "Amina Yusuf",
        "email": "amina.yusuf@solberga.example",
        "groups": ["grp-personal-solberga"],
        "acr": ACR_MFA,
        "amr": ["pwd", "otp", "mfa"],
    },
    "utan-mfa": {
        "sub": "5d0c2e51-8a7b-4c59-9f3e-1b2a3c4d5e03",
        "name": "Olle Lösenord",
        "email": "olle.losenord@solberga.example",
        "groups": ["grp-personal-solberga"],
        "acr": "urn:casetrack:test:pwd",
        "amr": ["pwd"],
    },
}


@dataclass
class Client:
    client_id: str
    client_secret: str
    base_url: str  # where casetrack answers for this client
    port: int
    # A certificate credential (private_key_jwt) instead of the secret: PEM files.
    private_key_file: Path | None = None
    certificate_file: Path | None = None


def certificate_credential(folder: Path) -> tuple[Path, Path, dict]:
    """A private key and self-signed certificate (PEM files), and the public JWK the
    provider verifies the client assertions with."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "casetrack test client")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file = folder / "client.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    certificate_file = folder / "client.crt"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    public = RSAKey.import_key(key_file.read_text()).as_dict(private=False)
    return key_file, certificate_file, public


@dataclass
class OidcProvider:
    issuer: str
    admin_token: str
    accounts_file: Path
    clients: dict[str, Client]
    log_file: Path
    accounts: dict = field(default_factory=dict)

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def providers_toml(self, client: str, **extra) -> str:
        """casetrack's providers file for this provider and one of its clients."""
        registration = self.clients[client]
        if registration.private_key_file is not None:
            credential = [
                f'client_private_key_file = "{registration.private_key_file}"',
                f'client_certificate_file = "{registration.certificate_file}"',
            ]
        else:
            credential = [f'client_secret = "{registration.client_secret}"']
        lines = [
            "[[provider]]",
            f'key = "{PROVIDER_KEY}"',
            'protocol = "oidc"',
            f'name = "{PROVIDER_NAME}"',
            f'metadata_url = "{self.metadata_url}"',
            f'client_id = "{registration.client_id}"',
            *credential,
            f'required_amr = ["{REQUIRED_AMR}"]',
            f'acr_values = "{ACR_MFA}"',
        ]
        lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
        return "\n".join(lines) + "\n"

    def write_accounts(self) -> None:
        self.accounts_file.write_text(json.dumps(self.accounts, ensure_ascii=False), "utf-8")

    def set_groups(self, username: str, groups: list[str]) -> None:
        self.accounts[username]["groups"] = list(groups)
        self.write_accounts()

    def reset(self) -> None:
        self.accounts = copy.deepcopy(ACCOUNTS)
        self.write_accounts()
        self.tamper(None)

    def tamper(self, mode: str | None) -> None:
        """Change the next id token the provider hands out (see idp.js)."""
        response = requests.post(
            f"{self.issuer}/_test/tamper",
            json={"mode": mode},
            headers={"x-admin-token": self.admin_token},
            timeout=5,
        )
        response.raise_for_status()


def _missing(reason: str):
    message = f"{reason}: run `npm ci --prefix tests/idp/oidc` (node and npm from Debian)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " — required under CI=true", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """oidc-provider on a free loopback port, stopped after the session."""
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed")
    if not (IDP_DIR / "node_modules" / "oidc-provider" / "package.json").exists():
        _missing("the npm package oidc-provider is not installed in tests/idp/oidc")
    folder = tmp_path_factory.mktemp("oidc-idp")
    port = free_port()
    clients = {}
    for name in ("web", "e2e"):
        client_port = free_port()
        clients[name] = Client(
            client_id=f"casetrack-{name}",
            client_secret=secrets.token_urlsafe(32),
            base_url=f"http://127.0.0.1:{client_port}",
            port=client_port,
        )
    # The same casetrack address as "web", authenticated with a certificate instead.
    key_file, certificate_file, public_jwk = certificate_credential(folder)
    clients["cert"] = Client(
        client_id="casetrack-cert",
        client_secret="",
        base_url=clients["web"].base_url,
        port=clients["web"].port,
        private_key_file=key_file,
        certificate_file=certificate_file,
    )
    provider = OidcProvider(
        issuer=f"http://127.0.0.1:{port}",
        admin_token=secrets.token_urlsafe(16),
        accounts_file=folder / "accounts.json",
        clients=clients,
        log_file=folder / "idp.log",
    )
    provider.accounts = copy.deepcopy(ACCOUNTS)
    provider.write_accounts()
    config = {
        "port": port,
        "accounts_file": str(provider.accounts_file),
        "admin_token": provider.admin_token,
        "clients": [
            {
                "client_id": client.client_id,
                "redirect_uris": [f"{client.base_url}/logga-in/oidc/{PROVIDER_KEY}/svar"],
                "post_logout_redirect_uris": [f"{client.base_url}/logga-ut/klar"],
                "backchannel_logout_uri": (
                    f"{client.base_url}/logga-ut/oidc/{PROVIDER_KEY}/backchannel"
                ),
                **(
                    {
                        "token_endpoint_auth_method": "private_key_jwt",
                        "token_endpoint_auth_signing_alg": "PS256",
                        "jwks": {"keys": [public_jwk]},
                    }
                    if client.private_key_file
                    else {"client_secret": client.client_secret}
                ),
            }
            for client in clients.values()
        ],
    }
    config_file = folder / "config.json"
    config_file.write_text(json.dumps(config), "utf-8")
    log = provider.log_file.open("w")
    process = subprocess.Popen(
        [node, str(IDP_DIR / "idp.js"), str(config_file)],
        cwd=IDP_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90  # node starts in ~1 s; a loaded 2-core CI is slower
    while True:
        try:
            if requests.get(provider.metadata_url, timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            pytest.fail("oidc-provider did not start:\n" + provider.log_file.read_text())
        time.sleep(0.1)
    yield provider
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


class IdpBrowser:
    """The person's browser at the provider: its cookies, its login form (requests)."""

    def __init__(self, provider: OidcProvider):
        self.provider = provider
        self.http = requests.Session()

    def _at_provider(self, url: str) -> bool:
        return url.startswith(self.provider.issuer + "/")

    def follow(self, url: str, username: str | None = None) -> str:
        """Follow the provider's pages from ``url`` (logging in as ``username`` when the
        login form comes) until it sends the browser away; return that address."""
        for _ in range(20):
            if not self._at_provider(url):
                return url
            response = self.http.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            form = re.search(r'<form method="post" action="([^"]+/login)"', response.text)
            if form is None or username is None:
                raise AssertionError(f"unexpected page at the provider {url}:\n{response.text}")
            response = self.http.post(
                urljoin(url, unescape(form.group(1))),
                data={"username": username},
                allow_redirects=False,
                timeout=10,
            )
            assert response.is_redirect, response.text
            url = urljoin(url, response.headers["Location"])
        raise AssertionError("too many redirects at the provider")

    def confirm_logout(self, url: str) -> str:
        """The provider's logout page at ``url``: press "Logga ut"; where it sends the
        browser afterwards (the provider's back-channel logouts are done by then)."""
        response = self.http.get(url, allow_redirects=False, timeout=10)
        assert response.status_code == 200, response.text
        action = re.search(r'<form[^>]*id="op.logoutForm"[^>]*>', response.text)
        assert action, response.text
        target = re.search(r'action="([^"]+)"', action.group(0)).group(1)
        fields = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text)
        )
        response = self.http.post(
            urljoin(url, unescape(target)),
            data={**fields, "logout": "yes"},
            allow_redirects=False,
            timeout=20,
        )
        assert response.is_redirect, response.text
        return urljoin(url, response.headers["Location"])


def path_of(url: str) -> str:
    """The path and query of an absolute URL (what the Flask test client is given)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
