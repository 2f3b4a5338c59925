"""Sending the outbox over SMTP (DESIGN §6): ``send_pending`` and ``casetrack send-mail``.

Each message is first *claimed* in its own committed transaction (an UPDATE that only
succeeds while the message is pending and unclaimed), then sent, then marked sent. Two
senders running at once therefore never send the same message twice. A sender that dies
between claiming and marking leaves a claim that another sender takes over after
``CLAIM_TIMEOUT``; such a message may then be sent a second time (at least once, never lost).
The same happens when the server took the message but the connection dropped before its
reply. Delivery is therefore *at least once*: every copy carries the same Message-ID
(``stable_message_id``, derived from the outbox row), so receiving systems can drop duplicates.

Each SMTP reply is awaited for ``CASETRACK_SMTP_TIMEOUT`` seconds. A server that does not
answer in time, or cannot be reached, ends the run: the remaining messages are left as they
are for the next run, so one slow server holds `send-mail` for about one timeout, not one
per message.

Failures are retried with exponential back-off; after ``MAX_ATTEMPTS`` the message is
marked ``failed`` and stays in the table for an administrator. Without ``SMTP_HOST``
nothing is sent and every message stays pending. Message bodies, addresses and receipt
codes are never logged.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import sqlalchemy as sa
from flask import current_app

from casetrack.extensions import db
from casetrack.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, ... failed attempt.
BACKOFF_MINUTES = (1, 5, 30, 120, 360, 720, 1440)
MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = timedelta(minutes=10)
# The receipt code is kept only until the e-mail has gone (it is otherwise only hashed).
REDACTED_RECEIPT_BODY = "(Kvittensmejlet med kvittenskoden är skickat; koden sparas inte.)"


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped_no_smtp: int = 0
    # Due messages not tried because the server did not answer or could not be reached.
    deferred: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.skipped_no_smtp:
            return (
                f"CASETRACK_SMTP_HOST är inte satt: {self.skipped_no_smtp} meddelanden väntar "
                "och skickas när SMTP är inställt."
            )
        text = f"Skickade {self.sent}, försöker igen senare {self.retried}, gav upp {self.failed}."
        if self.deferred:
            text += (
                f" SMTP-servern svarade inte eller gick inte att nå: {self.deferred} "
                "meddelanden väntar till nästa körning."
            )
        return text


def backoff(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts."""
    index = min(attempts, len(BACKOFF_MINUTES)) - 1
    return timedelta(minutes=BACKOFF_MINUTES[max(index, 0)])


def _due(now: datetime):
    return sa.and_(
        OutboxMessage.status == "pending",
        OutboxMessage.next_attempt_at <= now,
        sa.or_(
            OutboxMessage.claimed_at.is_(None),
            OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
        ),
    )


def _claim(message_id: int, token: str, now: datetime) -> bool:
    """Take the message for this sender; False when another sender has it or it is done."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _due(now))
        .values(claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def stable_message_id(message: OutboxMessage, settings: dict) -> str:
    """The message's Message-ID: the same on every attempt, unique per outbox row.

    Derived from the row's id and creation time (both fixed once the row exists), so
    nothing has to be stored and a retry cannot get a new one; the creation time keeps ids
    from a reset database from colliding with earlier ones. Opaque: it does not show how
    many messages the outbox has had. The domain is that of CASETRACK_MAIL_FROM.
    """
    created = message.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    stamp = created.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    digest = hashlib.sha256(f"casetrack-outbox:{message.id}:{stamp}".encode()).hexdigest()
    domain = settings["MAIL_FROM"].rpartition("@")[2] or "localhost"
    return f"<{digest[:32]}.outbox@{domain}>"


def _build(message: OutboxMessage, settings: dict, now: datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = stable_message_id(message, settings)
    email.set_content(message.body)
    return email


def _send(email: EmailMessage, settings: dict) -> None:
    timeout = float(settings.get("SMTP_TIMEOUT") or 15)
    with smtplib.SMTP(settings["SMTP_HOST"], int(settings["SMTP_PORT"]), timeout=timeout) as smtp:
        if settings["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings["SMTP_USERNAME"]:
            smtp.login(settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"] or "")
        smtp.send_message(email)


def _timed_out(error: BaseException) -> bool:
    """smtplib turns a reply timeout into SMTPServerDisconnected("... timed out"); the
    TimeoutError it caught is its context."""
    while error is not None:
        if isinstance(error, TimeoutError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _server_unavailable(error: BaseException) -> bool:
    """The server did not answer or cannot be reached: trying the next message now would
    only wait again."""
    return _timed_out(error) or isinstance(error, ConnectionRefusedError)


def _short_error(error: Exception) -> str:
    """The kind of failure without secrets: no password, no message content."""
    if _timed_out(error):
        return "SMTP-servern svarade inte i tid"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"SMTP-inloggningen nekades ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP-servern svarade {error.smtp_code}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "SMTP-servern tog inte emot mottagaren"
    if isinstance(error, ConnectionRefusedError):
        return "Kunde inte ansluta till SMTP-servern (anslutningen nekades)"
    return f"Sändningen misslyckades: {type(error).__name__}"


def _finish(message_id: int, token: str, values: dict) -> None:
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
        .values(claimed_at=None, claim_token=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def send_pending(now: datetime | None = None, limit: int = 100) -> SendResult:
    """Send up to ``limit`` due messages; commits per message. Returns counts."""
    now = now or utcnow()
    settings = current_app.config["CASETRACK"]
    result = SendResult()
    due_ids = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()  # end the read; each message gets its own transactions
    if not settings.get("SMTP_HOST"):
        result.skipped_no_smtp = len(due_ids)
        if due_ids:
            log.warning("SMTP is not configured; %d outbox messages stay pending", len(due_ids))
        return result

    for position, message_id in enumerate(due_ids):
        token = secrets.token_hex(16)
        if not _claim(message_id, token, now):
            continue
        message = db.session.get(OutboxMessage, message_id)
        email = _build(message, settings, now)
        purpose, attempts = message.purpose, message.attempts
        db.session.commit()  # hold no transaction (or SQLite lock) while talking SMTP
        try:
            _send(email, settings)
        except (OSError, smtplib.SMTPException) as error:
            attempts += 1
            short = _short_error(error)
            values = {"attempts": attempts, "last_error": short[:500]}
            if attempts >= MAX_ATTEMPTS:
                values["status"] = "failed"
                if purpose == "receipt":
                    values["body"] = REDACTED_RECEIPT_BODY
                result.failed += 1
            else:
                values["next_attempt_at"] = utcnow() + backoff(attempts)
                result.retried += 1
            result.errors.append(short)
            log.warning("outbox message %d not sent (attempt %d): %s", message_id, attempts, short)
            _finish(message_id, token, values)
            if _server_unavailable(error):
                result.deferred = len(due_ids) - position - 1
                if result.deferred:
                    log.warning(
                        "SMTP server unavailable; %d outbox messages wait for the next run",
                        result.deferred,
                    )
                break
        else:
            values = {"status": "sent", "sent_at": utcnow(), "attempts": attempts + 1}
            if purpose == "receipt":
                values["body"] = REDACTED_RECEIPT_BODY
            _finish(message_id, token, values)
            result.sent += 1
            log.info("outbox message %d sent", message_id)
    return result
