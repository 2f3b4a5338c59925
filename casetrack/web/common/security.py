"""Security headers, session lifetime limits and safe redirects (ASVS V3, V14)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

LOGIN_AT_KEY = "_login_at"


def is_safe_next(target: str | None) -> bool:
    """True for a local path such as ``/arenden/5``; never another host or scheme."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def mark_login() -> None:
    """Start a fresh session for a login: the old session's content is dropped."""
    session.clear()
    session.permanent = True
    session[LOGIN_AT_KEY] = int(time.time())


def init_app(app: Flask) -> None:
    @app.before_request
    def enforce_absolute_session_limit():
        if not current_user.is_authenticated:
            return None
        limit = current_app.config["CASETRACK"]["SESSION_ABSOLUTE_HOURS"] * 3600
        started = session.get(LOGIN_AT_KEY)
        if started is None or time.time() - started > limit:
            logout_user()
            session.clear()
            flash("Du har varit inloggad för länge. Logga in igen.", "info")
            return redirect(url_for("auth.login"))
        return None

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static":
            # Pages may carry personal data: never cache them anywhere.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
