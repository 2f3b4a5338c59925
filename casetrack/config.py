"""Configuration: defaults, then CASETRACK_* environment variables, then overrides.

``CASETRACK_ENV`` is ``production`` (the default), ``development`` or ``testing``.
Production refuses to start without a strong ``CASETRACK_SECRET_KEY``; development keeps a
random key in ``instance/secret_key`` so that ``casetrack run`` works with no set-up.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

MIN_SECRET_KEY_LENGTH = 32

DEFAULTS: dict[str, Any] = {
    "ENV": "production",
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # default: sqlite file under instance/
    "SESSION_COOKIE_SECURE": True,
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_STARTTLS": False,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "MAIL_FROM": "casetrack@localhost",
    # Seconds to wait for each SMTP reply. A server that does not answer in time ends the
    # run of `send-mail` (the rest waits for the next run), so one slow reply holds the
    # batch for at most this long.
    "SMTP_TIMEOUT": 15,
    "TIMEZONE": "Europe/Stockholm",
    "REFERENCE_PREFIX": "CT",
    # Deadlines in Swedish working days after the received date (DESIGN §4).
    "DEADLINE_ACKNOWLEDGEMENT_DAYS": 2,
    "DEADLINE_FEEDBACK_DAYS": 10,
    "DEMO_SEED": 2026,
    # Public e-tjänst abuse protection (Flask-Limiter syntax, per client address).
    "PUBLIC_RATE_LIMIT": "5 per minute;30 per day",
    "FOLLOW_RATE_LIMIT": "10 per minute;50 per day",
    # Wrong receipt codes for one reference from one client address before that address
    # is refused for that reference for the rest of the window (issue 16).
    "FOLLOW_REFERENCE_FAILURES": "10 per 15 minutes",
    # Backstop: wrong codes for one reference from all addresses together. Above it the
    # reference is under attack, and an address may fail only FOLLOW_GUARDED_FAILURES
    # times for it; an address that has not failed (the submitter) still gets in.
    "FOLLOW_REFERENCE_BACKSTOP": "30 per 15 minutes",
    "FOLLOW_GUARDED_FAILURES": "1 per 15 minutes",
    # Where the limits are counted. memory:// counts inside one process: fine for
    # development and for one gunicorn worker (CASETRACK_WORKERS=1, more --threads).
    # Several workers or hosts need a shared store, e.g. redis://127.0.0.1:6379/0 (the
    # `redis` extra); `casetrack serve` refuses several workers with memory://.
    "RATELIMIT_STORAGE_URI": "memory://",
    # Prefix of the limiter's keys in a shared store (several installations on one Redis).
    "RATELIMIT_KEY_PREFIX": "casetrack",
    # gunicorn worker processes for `casetrack serve` (its --workers option wins);
    # 0: 2 × CPU cores + 1. check-deploy judges the limiter storage by this number.
    "WORKERS": 0,
    # Number of reverse proxies in front of casetrack that set X-Forwarded-For/-Proto.
    "PROXY_COUNT": 0,
    # Login throttling (Flask-Limiter): failed attempts per account and per IP address.
    "RATELIMIT_ENABLED": True,
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",
    "LOGIN_LIMIT_PER_IP": "50 per 15 minutes",
    # SCIM (issue 18): requests with a wrong, revoked or missing bearer token from one
    # client address before that address is refused (429) for the rest of the window.
    "SCIM_REFUSED_LIMIT_PER_IP": "10 per 15 minutes",
    # Roles whose accounts must use a second factor: comma-separated role codes, or "all"
    # for every account. Unset (None): "all" in production, "admin" in development and
    # testing (the demo logins printed by `casetrack run`). Admin needs it whatever is set.
    "MFA_ROLES": None,
    "MFA_ISSUER": "casetrack",
    # WebAuthn (security keys) for admin accounts: the relying party ID (a domain, never an
    # IP address) and the origin the browser reports. Unset: the origin of BASE_URL in
    # production, of the request in development and testing; the RP ID is its host name.
    "WEBAUTHN_RP_ID": None,
    "WEBAUTHN_ORIGIN": None,
    # The idle-timeout warning appears this many seconds before the session ends.
    "IDLE_WARNING_SECONDS": 120,
    # Loggkontroll: flag a user who opened more than N cases within M minutes.
    "ACCESS_BURST_CASES": 20,
    "ACCESS_BURST_MINUTES": 10,
    # Attachments are stored here, outside the web root (default: <instance>/attachments).
    "ATTACHMENT_DIR": None,
    # Tillgänglighetsredogörelse: where the public reports an accessibility shortcoming
    # (an e-mail address becomes a link). Empty: the page points to the e-tjänst instead.
    "ACCESSIBILITY_CONTACT": "",
    # Attachment encryption keys (Fernet), newest first: comma-separated, or a file with
    # one per line. Development/testing without one generate <instance>/attachment_key.
    "ATTACHMENT_KEY": None,
    "ATTACHMENT_KEY_FILE": None,
    # The key of the brukare pseudonyms that link avvikelser about the same person (issue
    # 19, casetrack.infra.pseudonyms), or a file with it; never in the database.
    "PSEUDONYM_KEY": None,
    "PSEUDONYM_KEY_FILE": None,
    # Scheduler and e-mail (issue #7). Links in e-mails start with BASE_URL.
    "BASE_URL": "http://127.0.0.1:8000",
    # Reminders that the scheduler missed (it was down) are sent up to this many days late.
    "REMINDER_CATCH_UP_DAYS": 7,
    "FEEDBACK_REMINDER_DAYS_BEFORE": 2,
    "EFFECT_FOLLOWUP_DAYS": 30,
    "TERTIAL_CLOSE_DAYS_BEFORE": 5,
    # Behörighetsgranskning (K3-18): days between reviews of a role assignment, privileged
    # roles (admin, manager, quality, mas, sas, investigator) and the others; due this
    # many days before.
    "ROLE_REVIEW_PRIVILEGED_DAYS": 30,
    "ROLE_REVIEW_OTHER_DAYS": 91,
    "ROLE_REVIEW_NOTICE_DAYS": 7,
    # Security events as JSON lines (K3-77): "" (off), "stdout", "stderr" or a file path.
    "SECURITY_LOG": "",
    # Single sign-on (issue 18): the TOML file of identity providers (docs/operations/sso.md),
    # or the same TOML inline (tests, container environments). Empty: no providers.
    "SSO_PROVIDERS_FILE": "",
    "SSO_PROVIDERS": "",
    # Who may log in with a casetrack-held password — "all", "admin" (only administrator
    # accounts: the break-glass accounts when staff log in through a provider) or "off".
    "LOCAL_LOGIN": "all",
    # Who gets the loggkontroll alarm e-mails (K3-79); comma-separated. Empty: no alarms.
    "SECURITY_CONTACT_EMAIL": "",
}

LOCAL_LOGIN_CHOICES = ("all", "admin", "off")

_BOOL_TRUE = {"1", "true", "yes", "on"}
_BOOL_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or malformed; the app does not start."""


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in _BOOL_TRUE:
            return True
        if lowered in _BOOL_FALSE:
            return False
        raise ConfigError(f"CASETRACK_{name} must be true or false, not {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"CASETRACK_{name} must be a whole number, not {raw!r}") from exc
    return raw


def load_settings(
    environ: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Merge defaults, ``CASETRACK_*`` variables and overrides into one settings dict."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = environ.get(f"CASETRACK_{name}")
        if raw is not None:
            settings[name] = _coerce(name, raw, default)
    for key, value in (overrides or {}).items():
        settings[key] = value
    if settings["ENV"] not in {"production", "development", "testing"}:
        raise ConfigError("CASETRACK_ENV must be production, development or testing")
    if settings["LOCAL_LOGIN"] not in LOCAL_LOGIN_CHOICES:
        raise ConfigError("CASETRACK_LOCAL_LOGIN must be all, admin or off")
    return settings


def resolve_secret_key(settings: dict[str, Any], instance_path: Path) -> str:
    """Return the secret key, or stop the app when production has no strong one."""
    key = settings.get("SECRET_KEY")
    if key:
        if settings["ENV"] == "production" and len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"CASETRACK_SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} "
                'random characters, e.g. python -c "import secrets; print(secrets.token_hex(32))"'
            )
        return key
    if settings["ENV"] == "testing":
        return secrets.token_hex(32)
    if settings["ENV"] == "development":
        key_file = instance_path / "secret_key"
        if not key_file.exists():
            instance_path.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return key_file.read_text().strip()
    raise ConfigError(
        "CASETRACK_SECRET_KEY is not set. casetrack will not start in production without a "
        "strong secret key (at least 32 random characters)."
    )


def flask_config(settings: dict[str, Any], instance_path: Path) -> dict[str, Any]:
    """Translate casetrack settings into the Flask and extension config keys."""
    database_url = settings["DATABASE_URL"] or f"sqlite:///{instance_path / 'casetrack.sqlite'}"
    testing = settings["ENV"] == "testing"
    return {
        "CASETRACK": settings,
        "TESTING": testing,
        "SECRET_KEY": resolve_secret_key(settings, instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters: SQL logging and database errors never show bound values
        # (receipt codes in queued e-mails, TOTP secrets; K3-81).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "SESSION_COOKIE_NAME": "casetrack_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": bool(settings["SESSION_COOKIE_SECURE"]),
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=settings["SESSION_IDLE_MINUTES"]),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "MAX_CONTENT_LENGTH": settings["MAX_CONTENT_LENGTH"],
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_SSL_STRICT": True,
        # WTForms' own Swedish messages (Meta.locales) instead of Flask-Babel.
        "WTF_I18N_ENABLED": False,
        "RATELIMIT_ENABLED": bool(settings["RATELIMIT_ENABLED"]),
        "RATELIMIT_STORAGE_URI": settings["RATELIMIT_STORAGE_URI"],
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": settings["RATELIMIT_KEY_PREFIX"],
    }
