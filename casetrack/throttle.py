"""Login throttling with Flask-Limiter: failed attempts per account and per IP (ASVS V6.3).

The views ask ``blocked`` before checking a password or code and call ``failed`` after a
failed attempt, so the limits count failures, not successful logins from a shared office
address. Accounts are keyed by a hash of the normalised e-mail address, so the limiter's
storage (memory, or Redis via ``CASETRACK_RATELIMIT_STORAGE_URI``) holds no addresses.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

EXTENSION_KEY = "casetrack_limiter"


def init_app(app: Flask) -> None:
    """One limiter per app, so each app (and each test) has its own counters."""
    app.extensions[EXTENSION_KEY] = Limiter(get_remote_address, app=app, default_limits=[])


def _limits(scope: str, account: str):
    settings = current_app.config["CASETRACK"]
    digest = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
    return [
        (parse(settings["LOGIN_LIMIT_PER_ACCOUNT"]), (f"{scope}-account", digest)),
        (parse(settings["LOGIN_LIMIT_PER_IP"]), (f"{scope}-ip", request.remote_addr or "-")),
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
