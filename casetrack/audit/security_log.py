"""Security events as JSON lines for a central log system (SECURITY.md K3-74–77, K3-81).

Every event goes to the standard ``logging`` logger ``casetrack.security`` and, through a
python-json-logger formatter, to the stream named by ``CASETRACK_SECURITY_LOG``: "" (off),
"stdout", "stderr" or a file path (appended to, created with mode 600, reopened when
logrotate moves it). One JSON object per line::

    {"ts": "2026-03-02T09:14:03.120+00:00", "event": "auth.login_failed",
     "outcome": "failure", "actor_id": null, "actor_roles": null, "actor_label": "inloggning",
     "ip": "10.1.2.3", "request_id": "5f0c…", "method": "POST", "path": "/logga-in",
     "entity_type": "user", "entity_id": null}

Where events come from:

- ``casetrack.audit.record`` hands every audited action to ``from_audit``; actions named
  by ``is_security_action`` (the prefixes and names below, and anything an administrator
  does under /admin) become events. So do the access-log reads in ``SECURITY_READS``
  (exports, registerutdrag). They are queued on the database session and written only
  after its transaction commits: an action that was rolled back never appears, and a
  failed login, which is audited and committed, always does.
- Refused access (403, 404 on a protected page for a logged-in user, a missing or wrong
  CSRF token, 429) is reported by the error handlers through ``refused``: audited (and so
  streamed after the commit) for a logged-in user, streamed at once for everyone else.

No event carries a request's query string, form values, free text or before/after values:
only the route template (``/arenden/<int:case_id>``), ids, role codes and the few detail
keys in ``SAFE_DETAILS``.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from flask_login import current_user
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.orm import Session

LOGGER_NAME = "casetrack.security"
logger = logging.getLogger(LOGGER_NAME)
logger.propagate = False  # its own stream, never mixed into the application log
logger.setLevel(logging.INFO)

# Audited actions that are security events (K3-74, 75, 76). A prefix covers every action
# under it, including ones added later (e.g. "user.blocked", "role.reviewed").
SECURITY_PREFIXES = (
    "auth.",
    "user.",
    "role.",
    "setting.",
    "backup.",
    "unit.",
    "reference.",
    "access.",
    "security.",
)
SECURITY_ACTIONS = frozenset(
    {
        "attachments.key_rotated",
        "report.unfrozen",
        "message_template.updated",
        "outbox.retried",
    }
)
# Every audited action during a request to these blueprints is a use of admin rights.
ADMIN_BLUEPRINTS = frozenset({"admin"})
# Access-log reads that are security events: bulk reads of personal data. Case views are
# not (there are thousands a day; loggkontroll and its alarm watch those).
SECURITY_READS = frozenset(
    {"registerutdrag", "export", "cases.export", "report.export", "accesslog.export"}
)

FAILURE_ACTIONS = frozenset(
    {"auth.login_failed", "auth.mfa_failed", "auth.sso_refused", "security.follow_failed"}
)
DENIED_PREFIXES = ("access.",)
DENIED_ACTIONS = frozenset({"auth.login_throttled", "auth.mfa_throttled", "security.follow_locked"})

# Detail keys that may be copied from an audit entry's before/after values: ids, codes,
# flags and counts. Never names, e-mail addresses, texts or setting values.
SAFE_DETAILS = frozenset(
    {
        "user_id",
        "role",
        "org_unit_id",
        "active",
        "mfa",
        "key",
        "code",
        "files",
        "attachments",
        "status",
        "step",
        "flag",
        "day",
        "purpose",
    }
)

# Refused access: error status -> event name.
REFUSALS = {
    400: "access.csrf_failed",
    403: "access.forbidden",
    404: "access.not_found",
    429: "access.rate_limited",
}
# A 404 is only a refused access on pages behind a login (a mistyped public URL is not).
PROTECTED_BLUEPRINTS = frozenset(
    {
        "admin",
        "cases",
        "handling",
        "escalation",
        "lex_sarah",
        "deviations",
        "logs",
        "privacy",
        "reports",
    }
)
# URL parameter -> entity type, for the entity a refused request was about.
ENTITY_PARAMS = (
    ("case_id", "case"),
    ("user_id", "user"),
    ("unit_id", "org_unit"),
    ("message_id", "outbox_message"),
)

_PENDING = "casetrack_security_events"
_HANDLER_MARK = "_casetrack_security_handler"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


# --- which actions, which fields ---------------------------------------------------------


def is_security_action(action: str, blueprint: str | None = None) -> bool:
    return (
        action.startswith(SECURITY_PREFIXES)
        or action in SECURITY_ACTIONS
        or (blueprint is not None and blueprint in ADMIN_BLUEPRINTS)
    )


def outcome_of(action: str) -> str:
    if action in FAILURE_ACTIONS:
        return "failure"
    if action in DENIED_ACTIONS or action.startswith(DENIED_PREFIXES):
        return "denied"
    return "success"


def safe_details(*values: dict[str, Any] | None) -> dict[str, Any]:
    """The whitelisted keys of before/after values that hold scalars (later wins)."""
    details: dict[str, Any] = {}
    for value in values:
        for key, item in (value or {}).items():
            if key in SAFE_DETAILS and (item is None or isinstance(item, bool | int | str)):
                details[key] = item if not isinstance(item, str) else item[:80]
    return details


def role_summary(user) -> list[str] | None:
    """The actor's role codes (sorted, distinct), or None without an actor."""
    if user is None:
        return None
    return sorted({assignment.role for assignment in user.role_assignments})


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {"ip": None, "request_id": None, "method": None, "path": None}
    rule = request.url_rule
    return {
        "ip": request.remote_addr,
        "request_id": request_id(),
        "method": request.method,
        # The route template, never the URL: no ids of other kinds, no query string.
        "path": rule.rule if rule is not None else None,
    }


def build(
    event: str,
    *,
    actor=None,
    actor_label: str | None = None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    outcome: str | None = None,
    details: dict[str, Any] | None = None,
    ts: datetime | None = None,
) -> dict[str, Any]:
    """One event as a JSON-ready dict (read everything now: it may be written later)."""
    moment = (ts or datetime.now(UTC)).astimezone(UTC)
    payload = {
        "ts": moment.isoformat(timespec="milliseconds"),
        "event": event,
        "outcome": outcome or outcome_of(event),
        "actor_id": actor.id if actor is not None else None,
        "actor_roles": role_summary(actor),
        "actor_label": actor_label,
        **_request_fields(),
        "entity_type": entity_type,
        "entity_id": entity_id,
    }
    if details:
        payload["details"] = details
    return payload


# --- writing -------------------------------------------------------------------------------


def emit(payload: dict[str, Any]) -> None:
    """Write one event to the stream now."""
    logger.info(payload)


def queue(session: Session, payload: dict[str, Any]) -> None:
    """Write ``payload`` once ``session``'s transaction commits; drop it on rollback."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, payload))


def from_audit(
    session: Session,
    action: str,
    *,
    actor,
    actor_label: str | None,
    entity_type: str,
    entity_id: int | None,
    before: dict | None,
    after: dict | None,
    occurred_at: datetime | None,
) -> None:
    """Called by ``audit.record`` for every audited action."""
    blueprint = request.blueprint if has_request_context() else None
    if not is_security_action(action, blueprint):
        return
    with session.no_autoflush:
        payload = build(
            action,
            actor=actor,
            actor_label=actor_label,
            entity_type=entity_type,
            entity_id=entity_id,
            details=safe_details(before, after),
            ts=occurred_at,
        )
    queue(session, payload)


def from_access_log(session: Session, user, what: str, case_id: int | None, detail: str | None):
    """Called by ``audit.log_access``: bulk reads (exports, registerutdrag) are events."""
    if what not in SECURITY_READS or case_id is not None:
        return
    with session.no_autoflush:
        payload = build(
            f"read.{what}",
            actor=user,
            entity_type="access_log",
            details={"detail": detail[:80]} if detail else None,
        )
    queue(session, payload)


@sa.event.listens_for(Session, "after_commit")
def _emit_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction may still roll back
    for _, payload in session.info.pop(_PENDING, []):
        emit(payload)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        return

    def inside(transaction) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info[_PENDING] = [(t, p) for t, p in pending if not inside(t)]


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction) -> None:
    # A session closed without commit or rollback: nothing of it was committed.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)


# --- refused access ------------------------------------------------------------------------


def refusal_event(status: int) -> str | None:
    """The event for an error response, or None when it is not a refused access."""
    event = REFUSALS.get(status)
    if event is None:
        return None
    if status == 404:
        logged_in = has_request_context() and current_user.is_authenticated
        if not logged_in or request.blueprint not in PROTECTED_BLUEPRINTS:
            return None
    return event


def refused_entity() -> tuple[str, int | None]:
    args = request.view_args or {}
    for name, entity_type in ENTITY_PARAMS:
        if isinstance(args.get(name), int):
            return entity_type, args[name]
    return "page", None


# --- request id and configuration ---------------------------------------------------------


def request_id() -> str | None:
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


class SecurityJsonFormatter(JsonFormatter):
    """python-json-logger, with the event dict as the whole object (no level, no name)."""

    def __init__(self):
        super().__init__(fmt=[], json_ensure_ascii=False)

    def add_fields(self, log_data, record, message_dict) -> None:
        log_data.update(message_dict)


class PrivateFileHandler(logging.handlers.WatchedFileHandler):
    """Appends to a file created with mode 600; reopens it after logrotate moves it."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8")


def make_handler(target: str) -> logging.Handler | None:
    target = (target or "").strip()
    if not target:
        return None
    if target == "stdout":
        return logging.StreamHandler(sys.stdout)
    if target == "stderr":
        return logging.StreamHandler(sys.stderr)
    return PrivateFileHandler(target, encoding="utf-8")


def configure(target: str) -> None:
    """Point the ``casetrack.security`` logger at ``target`` (replacing an earlier one)."""
    for handler in list(logger.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            logger.removeHandler(handler)
            handler.close()
    handler = make_handler(target)
    if handler is not None:
        setattr(handler, _HANDLER_MARK, True)
        handler.setFormatter(SecurityJsonFormatter())
        logger.addHandler(handler)


def init_app(app: Flask) -> None:
    configure(app.config["CASETRACK"]["SECURITY_LOG"])

    @app.before_request
    def assign_request_id():
        request_id()

    @app.after_request
    def send_request_id(response):
        if has_request_context() and "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response
