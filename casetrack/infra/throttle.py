"""Login throttling with Flask-Limiter: failed attempts per account and per IP (ASVS V6.3).

The views ask ``blocked`` before checking a password or code and call ``failed`` after a
failed attempt, so the limits count failures, not successful logins from a shared office
address. Accounts are keyed by a hash of the normalised e-mail address, so the limiter's
storage (memory, or Redis via ``CASETRACK_RATELIMIT_STORAGE_URI``) holds no addresses.

memory:// counts inside one process. gunicorn's workers are processes, so with several of
them every worker counted for itself (five workers: about 25 guesses before the first
refusal). ``storage_problem`` says when a configuration has that flaw; `casetrack serve`
refuses to start and `casetrack check-deploy` fails on it (issue 16).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from limits.errors import ConfigurationError
from limits.storage import SCHEMES, storage_from_string

EXTENSION_KEY = "casetrack_limiter"


def init_app(app: Flask) -> None:
    """One limiter per app, so each app (and each test) has its own counters."""
    app.extensions[EXTENSION_KEY] = Limiter(get_remote_address, app=app, default_limits=[])


def _limits(scope: str, account: str):
    settings = current_app.config["CASETRACK"]
    digest = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
    prefix = settings["RATELIMIT_KEY_PREFIX"]
    return [
        (parse(settings["LOGIN_LIMIT_PER_ACCOUNT"]), (prefix, f"{scope}-account", digest)),
        (
            parse(settings["LOGIN_LIMIT_PER_IP"]),
            (prefix, f"{scope}-ip", request.remote_addr or "-"),
        ),
    ]


def _limiter():
    extension = current_app.extensions[EXTENSION_KEY]
    return extension.limiter if extension.enabled else None


def blocked(scope: str, account: str) -> int | None:
    """Minutes until ``account`` (or this IP address) may try again, or None if allowed."""
    strategy = _limiter()
    if strategy is None:
        return None
    waits = [
        strategy.get_window_stats(item, *key).reset_time - time.time()
        for item, key in _limits(scope, account)
        if not strategy.test(item, *key)
    ]
    return max(1, math.ceil(max(waits) / 60)) if waits else None


def failed(scope: str, account: str) -> None:
    """Count one failed attempt for ``account`` and for this IP address."""
    strategy = _limiter()
    if strategy is not None:
        for item, key in _limits(scope, account):
            strategy.hit(item, *key)


def succeeded(scope: str, account: str) -> None:
    """Forget the account's failures after a successful attempt (the IP count stays)."""
    strategy = _limiter()
    if strategy is not None:
        item, key = _limits(scope, account)[0]
        strategy.clear(item, *key)


# Storages that live inside one process; every other scheme limits supports (redis,
# rediss, redis+sentinel, redis+cluster, valkey, memcached, mongodb) is shared.
PROCESS_LOCAL_SCHEMES = {"memory"}
REDIS_SCHEMES = {"redis", "rediss", "redis+unix", "valkey", "valkeys", "valkey+unix"}


def default_workers() -> int:
    """gunicorn's usual 2 × CPU cores + 1."""
    return (os.cpu_count() or 1) * 2 + 1


def workers(settings: dict[str, Any], option: int | None = None) -> int:
    """The worker count `casetrack serve` uses: --workers, CASETRACK_WORKERS, the default."""
    return option or int(settings.get("WORKERS") or 0) or default_workers()


def _scheme(uri: str) -> str:
    return uri.partition("://")[0].lower()


def storage_problem(settings: dict[str, Any], worker_count: int) -> str | None:
    """Why this limiter storage does not count every attempt with ``worker_count`` workers,
    or None. Swedish, for the operator (serve and check-deploy)."""
    if not settings.get("RATELIMIT_ENABLED"):
        return None
    uri = settings.get("RATELIMIT_STORAGE_URI") or "memory://"
    if _scheme(uri) in PROCESS_LOCAL_SCHEMES and worker_count > 1:
        return (
            f"Spärren räknas i minnet ({uri}) och gunicorn kör {worker_count} processer som "
            "räknar var för sig: gränsen för misslyckade inloggningar gäller då per process, "
            f"inte per person (i praktiken {worker_count} gånger fler försök). Sätt "
            "CASETRACK_RATELIMIT_STORAGE_URI=redis://värd:6379/0 (installera casetrack[redis]) "
            "eller kör en enda process: CASETRACK_WORKERS=1 och fler trådar (--threads)."
        )
    return None


def storage_unreachable(settings: dict[str, Any]) -> str | None:
    """Why the configured shared storage cannot be used right now, or None."""
    if not settings.get("RATELIMIT_ENABLED"):
        return None
    uri = settings.get("RATELIMIT_STORAGE_URI") or "memory://"
    scheme = _scheme(uri)
    if scheme not in SCHEMES or scheme.startswith("async+"):
        return (
            # Only the scheme: the rest of the address may hold a password.
            f"CASETRACK_RATELIMIT_STORAGE_URI börjar med {scheme + '://'!r}: det är ingen "
            "lagring som spärren kan använda. Använd t.ex. redis://värd:6379/0, eller "
            "memory:// med en enda process."
        )
    if scheme in PROCESS_LOCAL_SCHEMES:
        return None
    options = {"socket_connect_timeout": 3, "socket_timeout": 3} if scheme in REDIS_SCHEMES else {}
    try:
        reachable = storage_from_string(uri, **options).check()
    except ConfigurationError:
        return (
            f"Lagringen {scheme}:// kräver ett tilläggspaket som inte är installerat "
            "(för Redis: pip install 'casetrack[redis]')."
        )
    except Exception:  # any failure to connect means the same to the operator
        reachable = False
    if not reachable:
        return (
            "Lagringen för spärren svarar inte (CASETRACK_RATELIMIT_STORAGE_URI). Kontrollera "
            "adressen och att Redis är igång; utan den fungerar inte inloggningen."
        )
    return None


# Refused attempts per client address alone (the SCIM bearer token, issue 18): the limit
# is the setting ``setting`` in Flask-Limiter syntax.
def _address_limit(scope: str, setting: str):
    settings = current_app.config["CASETRACK"]
    return parse(settings[setting]), (
        settings["RATELIMIT_KEY_PREFIX"],
        f"{scope}-ip",
        request.remote_addr or "-",
    )


def address_blocked(scope: str, setting: str) -> int | None:
    """Seconds until this client address may try again, or None if it may now."""
    strategy = _limiter()
    if strategy is None:
        return None
    item, key = _address_limit(scope, setting)
    if strategy.test(item, *key):
        return None
    return max(1, math.ceil(strategy.get_window_stats(item, *key).reset_time - time.time()))


def address_failed(scope: str, setting: str) -> None:
    """Count one refused attempt from this client address."""
    strategy = _limiter()
    if strategy is not None:
        item, key = _address_limit(scope, setting)
        strategy.hit(item, *key)
