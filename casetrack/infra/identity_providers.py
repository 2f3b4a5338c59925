"""The identity providers casetrack accepts logins from (issue 18), read from a TOML file.

``CASETRACK_SSO_PROVIDERS_FILE`` names the file; each ``[[provider]]`` table is one
provider, offered on the login page by its ``name``. Several may be configured at once
(Entra ID for the förvaltning's staff, SITHS through Inera's IdP for MAS). Secrets may be
given inline or, better, as ``*_file`` paths readable only by casetrack. See
docs/operations/sso.md for every key and for registering casetrack in Entra ID and AD FS.

Example::

    [[provider]]
    key = "entra"                 # stable: stored on accounts and mappings
    protocol = "oidc"
    name = "Stadens konto (Entra ID)"
    metadata_url = "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration"
    client_id = "…"
    client_secret_file = "/etc/casetrack/entra-secret"
    subject_claim = "oid"
    email_claim = "preferred_username"
    groups_claim = "groups"
    required_amr = ["mfa"]

    [[provider]]
    key = "siths"
    protocol = "saml"
    name = "SITHS-kort"
    idp_metadata_file = "/etc/casetrack/inera-idp.xml"
    sp_certificate_file = "/etc/casetrack/sp.crt"
    sp_private_key_file = "/etc/casetrack/sp.key"
    required_authn_context = ["http://id.elegnamnden.se/loa/1.0/loa3"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROTOCOLS = ("oidc", "saml")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
# The SCIM endpoints are a source of groups too; no provider may take their name.
RESERVED_KEYS = frozenset({"scim", "local"})


class ProviderConfigError(RuntimeError):
    """The providers file is missing, malformed or unsafe; casetrack does not start."""


@dataclass(frozen=True)
class Provider:
    key: str
    protocol: str
    name: str
    # Claims (OIDC) or attribute names (SAML) carrying who the person is.
    subject_claim: str
    email_claim: str
    name_claim: str
    groups_claim: str
    # A first login of an unknown subject may take over the local account with the same
    # e-mail address (only for providers that verify addresses: the municipality's own).
    link_by_email: bool
    # Any one of these must be in the login's acr / amr (OIDC) or AuthnContextClassRef
    # (SAML); empty: no requirement (refused in production by check-deploy).
    required_acr: tuple[str, ...]
    required_amr: tuple[str, ...]
    # Everything else, protocol-specific (metadata_url, client_id, client_secret, scope,
    # idp_metadata_file, sp_certificate, sp_private_key, ...), secrets already read.
    options: dict[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


OIDC_DEFAULTS = {
    "subject_claim": "sub",
    "email_claim": "email",
    "name_claim": "name",
    "groups_claim": "groups",
}
SAML_DEFAULTS = {
    # SAML: the subject is the NameID unless an attribute is named here.
    "subject_claim": "",
    "email_claim": "mail",
    "name_claim": "displayName",
    "groups_claim": "memberOf",
}
# The protocol options each module reads (web/auth/oidc.py, web/auth/saml.py, where each is
# explained). Anything else in a provider's table is a typo and stops the start: a
# misspelt ``subject_clam`` must not quietly fall back to ``sub``.
OIDC_OPTIONS = frozenset(
    {
        "metadata_url", "client_id", "client_secret", "client_private_key",
        "client_certificate", "scope", "acr_values", "prompt", "clock_skew_seconds",
        "issuer", "timeout_seconds", "token_endpoint_auth_method", "client_assertion_alg",
    }
)  # fmt: skip
SAML_OPTIONS = frozenset(
    {
        "idp_metadata", "idp_metadata_url", "idp_metadata_cache_seconds", "idp_entity_id",
        "sp_entity_id", "sp_certificate", "sp_private_key", "want_assertions_signed",
        "want_response_signed", "want_logout_signed", "requested_authn_context",
        "requested_authn_context_comparison", "name_id_format", "force_authn", "clock_skew",
        "request_lifetime",
    }
)  # fmt: skip
SECRET_FILES = {
    "client_secret_file": "client_secret",  # pragma: allowlist secret
    # OIDC private_key_jwt (a certificate credential, e.g. in Entra ID): web/auth/oidc.py.
    "client_private_key_file": "client_private_key",  # pragma: allowlist secret
    "client_certificate_file": "client_certificate",  # pragma: allowlist secret
    "sp_private_key_file": "sp_private_key",  # pragma: allowlist secret
    "sp_certificate_file": "sp_certificate",
    "idp_metadata_file": "idp_metadata",
}


def _strings(value: Any, key: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProviderConfigError(f"provider {key!r}: {name} must be a list of strings")
    return tuple(value)


def _provider(raw: dict[str, Any], base_dir: Path) -> Provider:
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key) or key in RESERVED_KEYS:
        raise ProviderConfigError(
            f"provider key {key!r}: use lower-case letters, digits, - and _ (not scim/local)"
        )
    protocol = raw.get("protocol")
    if protocol not in PROTOCOLS:
        raise ProviderConfigError(f"provider {key!r}: protocol must be oidc or saml")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ProviderConfigError(f"provider {key!r}: name (shown on the login page) is missing")
    defaults = OIDC_DEFAULTS if protocol == "oidc" else SAML_DEFAULTS
    known = {"key", "protocol", "name", "link_by_email", "required_acr", "required_amr"}
    known.add("required_authn_context")  # SAML's name for required_acr
    known |= set(defaults)
    options: dict[str, Any] = {}
    for option, value in raw.items():
        if option in known:
            continue
        if option in SECRET_FILES:
            path = Path(value)
            if not path.is_absolute():
                path = base_dir / path
            try:
                options[SECRET_FILES[option]] = path.read_text("utf-8").strip()
            except OSError as exc:
                raise ProviderConfigError(
                    f"provider {key!r}: cannot read {option} {path}: {exc}"
                ) from exc
        else:
            options[option] = value
    allowed = OIDC_OPTIONS if protocol == "oidc" else SAML_OPTIONS
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ProviderConfigError(
            f"provider {key!r}: unknown {protocol} option(s) {', '.join(unknown)} "
            "(docs/operations/sso.md lists them)"
        )
    if protocol == "oidc":
        missing = [name for name in ("metadata_url", "client_id") if not options.get(name)]
        if not options.get("client_secret") and not options.get("client_private_key"):
            missing.append("client_secret_file (or client_private_key_file)")
    else:
        missing = (
            []
            if options.get("idp_metadata") or options.get("idp_metadata_url")
            else ["idp_metadata_file (or idp_metadata_url)"]
        )
    if missing:
        raise ProviderConfigError(f"provider {key!r}: {', '.join(missing)} is not set")
    return Provider(
        key=key,
        protocol=protocol,
        name=name.strip(),
        link_by_email=bool(raw.get("link_by_email", False)),
        required_acr=_strings(
            raw.get("required_acr", raw.get("required_authn_context")), key, "required_acr"
        ),
        required_amr=_strings(raw.get("required_amr"), key, "required_amr"),
        **{claim: str(raw.get(claim, default)) for claim, default in defaults.items()},
        options=options,
    )


def parse(text: str, base_dir: Path) -> tuple[Provider, ...]:
    """The providers in a TOML text (``base_dir``: where relative *_file paths start)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProviderConfigError(f"the providers file is not valid TOML: {exc}") from exc
    raw_providers = data.get("provider", [])
    if not isinstance(raw_providers, list):
        raise ProviderConfigError("the providers file must hold [[provider]] tables")
    providers = tuple(_provider(raw, base_dir) for raw in raw_providers)
    keys = [provider.key for provider in providers]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ProviderConfigError(f"provider keys must be unique: {', '.join(duplicates)}")
    return providers


def load(path: str | None) -> tuple[Provider, ...]:
    """The providers in the file at ``path``; none when no file is configured."""
    if not path:
        return ()
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise ProviderConfigError(
            f"cannot read CASETRACK_SSO_PROVIDERS_FILE {path}: {exc}"
        ) from exc
    return parse(text, file.parent)


def configured(settings: dict[str, Any]) -> tuple[Provider, ...]:
    """The providers of the settings: the inline TOML (``SSO_PROVIDERS``) and the file's."""
    providers = parse(settings.get("SSO_PROVIDERS") or "", Path.cwd())
    providers += load(settings.get("SSO_PROVIDERS_FILE") or None)
    keys = [provider.key for provider in providers]
    if len(set(keys)) != len(keys):
        raise ProviderConfigError("provider keys must be unique across SSO_PROVIDERS and the file")
    return providers
