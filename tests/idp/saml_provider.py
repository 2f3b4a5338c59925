"""A real SAML 2.0 identity provider on loopback for the tests: Debian's SimpleSAMLphp
(1.19, ``/usr/share/simplesamlphp``) served by ``php -S 127.0.0.1:<port>`` from its
``www/`` directory, with its whole configuration generated here into a temporary
directory (``SIMPLESAMLPHP_CONFIG_DIR``):

- ``config.php``: the IdP enabled, sessions and logs under the temp dir, plain http;
- ``authsources.php``: an ``exampleauth:UserPass`` source whose users (password,
  attributes mail/displayName/memberOf, and the AuthnContextClassRef their login yields)
  are read from ``users.json`` on every request — ``set_user`` rewrites it, so a test can
  change someone's groups between two logins;
- ``metadata/saml20-idp-hosted.php``: the IdP with a key and certificate made by openssl
  here, signing responses, assertions and logout messages; NameID persistent = ``uid``;
  a ``core:PHP`` filter moves the user's test attribute ``casetrack-test-acr`` into the
  assertion's AuthnContextClassRef (users without one get SimpleSAMLphp's default,
  ``urn:oasis:names:tc:SAML:2.0:ac:classes:Password``);
- ``metadata/saml20-sp-remote.php``: the service providers in ``sps.json`` (casetrack's
  ACS and SLS, its certificate for signed logout requests), rewritten by ``register_sp``.

The ``saml_idp`` fixture (session-scoped) starts it on a free port and stops it after the
session. Without php or SimpleSAMLphp the tests are skipped — and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest

SIMPLESAMLPHP = Path(os.environ.get("CASETRACK_SIMPLESAMLPHP", "/usr/share/simplesamlphp"))
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
# What a SITHS card login yields at Inera's IdP (Tillitsnivå 3), and a password-only login.
LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
PASSWORD_ONLY = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"  # pragma: allowlist secret


@dataclass(frozen=True)
class KeyPair:
    key_path: Path
    cert_path: Path

    @property
    def key(self) -> str:
        return self.key_path.read_text()

    @property
    def cert(self) -> str:
        return self.cert_path.read_text()

    @property
    def cert_body(self) -> str:
        """The certificate's base64 without the PEM lines (SimpleSAMLphp's certData)."""
        return "".join(line for line in self.cert.splitlines() if "-----" not in line)


def make_keypair(folder: Path, name: str, common_name: str) -> KeyPair:
    """An RSA key and a self-signed certificate (openssl, valid two days)."""
    key, cert = folder / f"{name}.key", folder / f"{name}.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
         "-subj", f"/CN={common_name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return KeyPair(key, cert)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _php(value) -> str:
    """A PHP expression for a JSON-able value (decoded by PHP itself)."""
    return "json_decode(" + _php_string(json.dumps(value)) + ", true)"


def _php_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _write(path: Path, text: str) -> None:
    """Replace a file atomically: php may read it at the same moment."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


ACR_FILTER = """
if (isset($attributes['casetrack-test-acr'])) {
    $state['saml:AuthnContextClassRef'] = $attributes['casetrack-test-acr'][0];
    unset($attributes['casetrack-test-acr']);
}
"""


class SimpleSamlIdp:
    """The IdP's generated configuration; ``start`` serves it (see the module doc)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.entity_id = f"{self.base_url}/saml2/idp/metadata.php"
        self.metadata_url = self.entity_id
        self.sso_url = f"{self.base_url}/saml2/idp/SSOService.php"
        self.slo_url = f"{self.base_url}/saml2/idp/SingleLogoutService.php"
        for sub in ("cert", "metadata", "log", "data", "tmp", "sessions"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        self.keys = make_keypair(folder / "cert", "idp", "SimpleSAMLphp test IdP")
        self.users: dict[str, dict] = {}
        self.sps: dict[str, dict] = {}
        self.process: subprocess.Popen | None = None
        self._write_static()
        self._write_users()
        self._write_sps()

    # --- configuration ------------------------------------------------------------------

    def _write_static(self) -> None:
        config = {
            "baseurlpath": self.base_url + "/",
            "certdir": str(self.folder / "cert") + "/",
            "loggingdir": str(self.folder / "log") + "/",
            "datadir": str(self.folder / "data") + "/",
            "tempdir": str(self.folder / "tmp"),
            "metadatadir": str(self.folder / "metadata") + "/",
            "technicalcontact_name": "casetrack tests",
            "technicalcontact_email": "test@example.org",
            "secretsalt": secrets.token_hex(16),
            "auth.adminpassword": secrets.token_hex(16),
            "admin.protectindexpage": False,
            "admin.protectmetadata": False,
            "timezone": "UTC",
            "logging.handler": "errorlog",
            "logging.level": 6,  # INFO
            "enable.saml20-idp": True,
            "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
            "store.type": "phpsession",
            "session.phpsession.savepath": str(self.folder / "sessions"),
            "session.cookie.secure": False,
            "session.cookie.samesite": None,
            "trusted.url.domains": ["127.0.0.1", "localhost"],
            "metadata.sources": [{"type": "flatfile"}],
            "language.available": ["en"],
            "language.default": "en",
            "debug": {"saml": False, "backtraces": True, "validatexml": False},
            "showerrors": True,
        }
        _write(self.folder / "config.php", f"<?php\n$config = {_php(config)};\n")
        _write(
            self.folder / "authsources.php",
            "<?php\n"
            "$users = json_decode(file_get_contents(__DIR__ . '/users.json'), true);\n"
            "$source = ['exampleauth:UserPass'];\n"
            "foreach ($users as $name => $user) {\n"
            "    $attributes = $user['attributes'];\n"
            "    $attributes['uid'] = [$name];\n"
            "    if (!empty($user['acr'])) {\n"
            "        $attributes['casetrack-test-acr'] = [$user['acr']];\n"
            "    }\n"
            "    $source[$name . ':' . $user['password']] = $attributes;\n"
            "}\n"
            "$config = ['admin' => ['core:AdminPassword'], 'users' => $source];\n",
        )
        hosted = {
            "host": "__DEFAULT__",
            "privatekey": "idp.key",  # pragma: allowlist secret
            "certificate": "idp.crt",
            "auth": "users",
            "NameIDFormat": PERSISTENT,
            "simplesaml.nameidattribute": "uid",
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
            "saml20.sign.response": True,
            "saml20.sign.assertion": True,
            "sign.logout": True,
            "redirect.sign": True,
            "signature.algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "authproc": {"10": {"class": "core:PHP", "code": ACR_FILTER}},
        }
        _write(
            self.folder / "metadata" / "saml20-idp-hosted.php",
            f"<?php\n$metadata['__DYNAMIC:1__'] = {_php(hosted)};\n",
        )
        _write(
            self.folder / "metadata" / "saml20-sp-remote.php",
            "<?php\n"
            "$sps = json_decode(file_get_contents(__DIR__ . '/../sps.json'), true);\n"
            "foreach ($sps as $entityId => $sp) { $metadata[$entityId] = $sp; }\n",
        )

    def _write_users(self) -> None:
        _write(self.folder / "users.json", json.dumps(self.users or {}, ensure_ascii=False))

    def _write_sps(self) -> None:
        _write(self.folder / "sps.json", json.dumps(self.sps or {}))

    def set_user(
        self,
        username: str,
        password: str,
        *,
        mail: str,
        display_name: str,
        groups: list[str],
        acr: str | None = LOA3,
    ) -> None:
        """Add or change a user (their groups, their login's AuthnContextClassRef); the
        next login reads it. ``acr=None``: the IdP's default (Password)."""
        self.users[username] = {
            "password": password,
            "acr": acr,
            "attributes": {"mail": [mail], "displayName": [display_name], "memberOf": groups},
        }
        self._write_users()

    def register_sp(
        self,
        entity_id: str,
        *,
        acs_url: str,
        sls_url: str,
        certificate: KeyPair | None = None,
        assertion_lifetime: int | None = None,
        audience: list[str] | None = None,
        options: dict | None = None,
    ) -> None:
        """A service provider the IdP answers (rewrites saml20-sp-remote's data)."""
        sp: dict = {
            "AssertionConsumerService": acs_url,
            "SingleLogoutService": sls_url,
            "NameIDFormat": PERSISTENT,
            "simplesaml.nameidattribute": "uid",
        }
        if certificate is not None:
            sp["certData"] = certificate.cert_body
            sp["validate.logout"] = True
        if assertion_lifetime is not None:
            sp["assertion.lifetime"] = assertion_lifetime
        if audience:
            sp["audience"] = audience
        sp.update(options or {})  # any saml20-sp-remote option, e.g. saml20.sign.assertion
        self.sps[entity_id] = sp
        self._write_sps()

    # --- the server ---------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.folder / "php.log"

    def start(self) -> None:
        env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(self.folder)}
        with self.log_path.open("w") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(SIMPLESAMLPHP / "www")],
                cwd=str(SIMPLESAMLPHP / "www"),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90  # php starts in ~1 s; a loaded 2-core CI is slower
        while True:
            try:
                with urllib.request.urlopen(self.metadata_url, timeout=2) as response:
                    if response.status == 200 and b"IDPSSODescriptor" in response.read():
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("SimpleSAMLphp did not start:\n" + self.log_path.read_text())
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def metadata(self) -> str:
        with urllib.request.urlopen(self.metadata_url, timeout=5) as response:
            return response.read().decode()


def missing_component() -> str | None:
    if shutil.which("php") is None:
        return "php not found: install Debian's `php-cli` (and php-xml) to run the SAML tests"
    if not (SIMPLESAMLPHP / "www" / "saml2" / "idp" / "SSOService.php").exists():
        return f"SimpleSAMLphp not found under {SIMPLESAMLPHP}: install Debian's `simplesamlphp`"
    if shutil.which("openssl") is None:
        return "openssl not found (the IdP's key and certificate are made with it)"
    return None


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory):
    """SimpleSAMLphp on a free loopback port for the whole session."""
    message = missing_component()
    if message is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(message + " — required under CI=true", pytrace=False)
        pytest.skip(message)
    idp = SimpleSamlIdp(tmp_path_factory.mktemp("simplesamlphp"))
    idp.start()
    yield idp
    idp.stop()


# --- driving the IdP's pages over HTTP (what a browser would do) ---------------------------


@dataclass(frozen=True)
class AutoPost:
    """The IdP's auto-submitting form: where it posts, and its hidden fields."""

    action: str
    fields: dict[str, str]


def auto_post(html: str) -> AutoPost:
    form = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert form, "the IdP's page has no form:\n" + html[:2000]
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(
            r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html
        )
    }
    return AutoPost(unescape(form.group(1)), fields)


def log_in_at_idp(http, location: str, username: str, password: str) -> AutoPost:
    """Follow casetrack's redirect to the IdP, fill in the UserPass form, and return the
    auto-POST form carrying the SAMLResponse to casetrack's ACS.

    ``http`` is a ``requests.Session`` (the IdP's cookies, like one browser)."""
    page = http.get(location, timeout=10)
    page.raise_for_status()
    if "SAMLResponse" in page.text:  # still logged in at the IdP: straight back
        return auto_post(page.text)
    match = re.search(r'name="AuthState" value="([^"]+)"', page.text)
    assert match, "no login form at the IdP:\n" + page.text[:2000]
    answer = http.post(
        page.url,
        data={"username": username, "password": password, "AuthState": unescape(match.group(1))},
        timeout=10,
    )
    answer.raise_for_status()
    assert "SAMLResponse" in answer.text, "the IdP refused the login:\n" + answer.text[:2000]
    return auto_post(answer.text)
