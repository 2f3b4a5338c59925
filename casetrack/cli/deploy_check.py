"""`casetrack check-deploy`: is this configuration fit for production? (K3-13, K3-14,
K3-41, K3-45, K3-47)

Each check returns None when it passes, or a plain-language explanation of what is wrong
and how to fix it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from casetrack.config import MIN_SECRET_KEY_LENGTH
from casetrack.domain.roles import ROLE_LABELS
from casetrack.infra import attachment_keys, identity_providers, pseudonyms, throttle
from casetrack.services import mfa, security_keys

WEAK_KEYS = {"changeme", "secret", "dev", "development", "test", "casetrack"}


def _secret_key(settings: dict[str, Any]) -> str | None:
    key = settings.get("SECRET_KEY") or ""
    if not key:
        return (
            "CASETRACK_SECRET_KEY är inte satt. Sätt en slumpmässig nyckel på minst "
            f"{MIN_SECRET_KEY_LENGTH} tecken från er hemlighetshantering."
        )
    if len(key) < MIN_SECRET_KEY_LENGTH or key.lower() in WEAK_KEYS or len(set(key)) < 10:
        return (
            "CASETRACK_SECRET_KEY är för svag: den ska vara minst "
            f"{MIN_SECRET_KEY_LENGTH} slumpmässiga tecken, t.ex. från "
            '`python -c "import secrets; print(secrets.token_hex(32))"`.'
        )
    return None


def _environment(settings: dict[str, Any]) -> str | None:
    if settings.get("ENV") != "production":
        return (
            f"CASETRACK_ENV är {settings.get('ENV')!r}. I produktion ska den vara "
            "'production' (eller inte sättas alls)."
        )
    return None


def _secure_cookie(settings: dict[str, Any]) -> str | None:
    if not settings.get("SESSION_COOKIE_SECURE"):
        return (
            "CASETRACK_SESSION_COOKIE_SECURE är av: inloggningskakan skulle då skickas över "
            "okrypterad http. Ta bort inställningen (standard är på) och kör bakom https."
        )
    return None


def _database(settings: dict[str, Any]) -> str | None:
    url = settings.get("DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        return (
            "Databasen är inte PostgreSQL. Sätt CASETRACK_DATABASE_URL till t.ex. "
            "postgresql+psycopg://casetrack_app@db.internal/casetrack. SQLite är bara för "
            "test och små installationer."
        )
    return None


def _smtp(settings: dict[str, Any]) -> str | None:
    if not settings.get("SMTP_HOST"):
        return (
            "Ingen e-postserver är inställd (CASETRACK_SMTP_HOST). Utan den skickas inga "
            "mottagningsbekräftelser eller påminnelser."
        )
    if settings.get("MAIL_FROM", "").endswith("@localhost"):
        return "CASETRACK_MAIL_FROM är en localhost-adress. Ange organisationens avsändaradress."
    return None


def _debug(settings: dict[str, Any], flask_debug: bool) -> str | None:
    if flask_debug:
        return (
            "Felsökningsläget (debug) är på. Det visar interna detaljer vid fel och får aldrig "
            "vara på i produktion. Ta bort FLASK_DEBUG."
        )
    return None


def _rate_limit(settings: dict[str, Any]) -> str | None:
    """On, counted in one place for all of serve's workers (issue 16), and reachable."""
    if not settings.get("RATELIMIT_ENABLED"):
        return "Spärren mot lösenordsgissning är avstängd (CASETRACK_RATELIMIT_ENABLED)."
    return throttle.storage_unreachable(settings) or throttle.storage_problem(
        settings, throttle.workers(settings)
    )


def _mfa(settings: dict[str, Any]) -> str | None:
    """Every human login has a second factor in production (K3-13, K3-14).

    casetrack has no single sign-on: the built-in TOTP factor is the only one, so a value
    that leaves any role out is refused (admin is required whatever the value says)."""
    value = settings.get("MFA_ROLES")
    if value is None:
        return None  # the production default: all
    unknown = mfa.unknown_roles(str(value))
    if unknown:
        return (
            f"CASETRACK_MFA_ROLES innehåller okända roller: {', '.join(sorted(unknown))}. "
            "Använd all (standard i produktion) eller rollkoderna admin, manager, quality, "
            "mas, sas, investigator, handler och staff."
        )
    missing = mfa.roles_without_second_factor(str(value))
    if missing:
        names = ", ".join(
            ROLE_LABELS[role] for role in sorted(missing, key=list(ROLE_LABELS).index)
        )
        return (
            f"CASETRACK_MFA_ROLES={value!r} låter några logga in med bara lösenord: {names}. "
            "I produktion ska varje inloggning ha ett andra steg. Ta bort inställningen "
            "(standard i produktion är all) eller sätt den till all."
        )
    return None


def _webauthn(settings: dict[str, Any]) -> str | None:
    return security_keys.configuration_problem(settings)


def _attachment_key(settings: dict[str, Any]) -> str | None:
    return attachment_keys.problem(settings)


def _pseudonym_key(settings: dict[str, Any]) -> str | None:
    return pseudonyms.problem(settings)


def _identity_providers(settings: dict[str, Any]) -> str | None:
    """Each provider must vouch for a second factor (SECURITY.md rows 13–14) and be
    reached over HTTPS; a providers file that does not load is a failure too."""
    try:
        providers = identity_providers.configured(settings)
    except identity_providers.ProviderConfigError as exc:
        return f"Leverantörsfilen för inloggning går inte att läsa: {exc}"
    problems = []
    for provider in providers:
        if not provider.required_acr and not provider.required_amr:
            problems.append(
                f"{provider.name} ({provider.key}) har inget krav på tvåstegsverifiering: "
                'ange required_amr (OIDC, t.ex. ["mfa"]) eller required_acr / '
                "required_authn_context (SAML) som leverantören skickar vid inloggning med "
                "två steg."
            )
        if provider.protocol == "saml":
            if str(provider.option("want_assertions_signed", True)).lower() in {"false", "0", "no"}:
                problems.append(
                    f"{provider.name} ({provider.key}): want_assertions_signed = false tar emot "
                    "osignerade intyg. Ta bort inställningen (standard: signerade intyg krävs)."
                )
            if not provider.option("sp_private_key") or not provider.option("sp_certificate"):
                problems.append(
                    f"{provider.name} ({provider.key}): casetrack har ingen egen nyckel och "
                    "certifikat för SAML (sp_private_key_file, sp_certificate_file): "
                    "utloggningsmeddelanden kan inte signeras."
                )
        for option in ("metadata_url", "idp_metadata_url"):
            url = str(provider.option(option) or "")
            if url and not url.startswith("https://"):
                problems.append(
                    f"{provider.name} ({provider.key}): {option} måste börja med https://."
                )
    return " ".join(problems) or None


def _local_login(settings: dict[str, Any]) -> str | None:
    if settings.get("LOCAL_LOGIN", "all") != "all":
        return None
    try:
        providers = identity_providers.configured(settings)
    except identity_providers.ProviderConfigError:
        return None  # reported by the providers check
    if providers:
        return (
            "Personalen loggar in via organisationens inloggning, men alla konton kan också "
            "logga in med lösenord i casetrack. Sätt CASETRACK_LOCAL_LOGIN=admin så att bara "
            "administratörernas nödkonton har lösenord."
        )
    return None


CHECKS: list[tuple[str, Callable[..., str | None]]] = [
    ("Miljö", _environment),
    ("Hemlig nyckel", _secret_key),
    ("Säker inloggningskaka", _secure_cookie),
    ("Databas", _database),
    ("E-post", _smtp),
    ("Inloggningsspärr", _rate_limit),
    ("Tvåstegsverifiering", _mfa),
    ("Säkerhetsnycklar och adress", _webauthn),
    ("Krypteringsnyckel för bilagor", _attachment_key),
    ("Nyckel för brukarpseudonymer (avvikelser)", _pseudonym_key),
    ("Inloggning via organisationens identitetsleverantör", _identity_providers),
]


def _security_contact(settings: dict[str, Any]) -> str | None:
    if not (settings.get("SECURITY_CONTACT_EMAIL") or "").strip():
        return (
            "Ingen säkerhetskontakt är inställd (CASETRACK_SECURITY_CONTACT_EMAIL). Utan den "
            "skickas inga larm när loggkontrollen flaggar ovanlig åtkomst."
        )
    return None


def _security_log(settings: dict[str, Any]) -> str | None:
    if not (settings.get("SECURITY_LOG") or "").strip():
        return (
            "Säkerhetshändelser skrivs inte till någon logg (CASETRACK_SECURITY_LOG). Sätt "
            "stdout, stderr eller en filsökväg som organisationens centrala logghantering läser."
        )
    return None


# Recommended, not required: reported as VARNING, the exit code stays 0.
WARNINGS: list[tuple[str, Callable[..., str | None]]] = [
    ("Säkerhetskontakt för larm", _security_contact),
    ("Säkerhetslogg", _security_log),
    ("Inloggning med lösenord", _local_login),
]


def run_warnings(settings: dict[str, Any]) -> list[tuple[str, str]]:
    """(check name, warning) for every recommended setting that is missing."""
    found = [(name, check(settings)) for name, check in WARNINGS]
    return [(name, warning) for name, warning in found if warning]


def run_checks(settings: dict[str, Any], flask_debug: bool) -> list[tuple[str, str | None]]:
    """(check name, problem or None) for every check."""
    results = [(name, check(settings)) for name, check in CHECKS]
    results.append(("Felsökningsläge", _debug(settings, flask_debug)))
    return results
