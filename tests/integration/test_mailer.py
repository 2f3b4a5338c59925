"""The outbox sender against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import logging
import re
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from casetrack.extensions import db
from casetrack.infra.mailer import MAX_ATTEMPTS, send_pending
from casetrack.models import OutboxMessage, utcnow
from casetrack.services.mail import queue_mail
from tests.conftest import Auth, Recorder, free_port


def _queue(n: int = 1) -> list[int]:
    ids = []
    for i in range(n):
        message = queue_mail(f"p{i}@exempel.se", f"Ämne {i}", f"Text {i}", purpose="test")
        db.session.flush()
        ids.append(message.id)
    db.session.commit()
    return ids


def _message(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_the_receipt_e_mail_arrives_with_reference_and_code(app, client, org, smtp):
    auth = Auth(client)
    page = auth.post(
        "/lamna-synpunkt",
        {
            "org_unit_id": str(org["a"].id),
            "kind_code": "suggestion",
            "description": "Fler promenader på helgerna, tack.",
            "wants_feedback": "ja",
            "submitter_email": "anna@exempel.se",
        },
    )
    assert page.status_code == 302  # POST/redirect/GET (issue 20)
    page = client.get(page.headers["Location"])
    reference = re.search(r"[A-Z]{2}-\d{4}-\d{5}", page.text).group(0)
    code = re.search(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}", page.text).group(0)

    result = send_pending()
    assert result.sent == 1
    [email] = smtp.messages
    assert email["To"] == "anna@exempel.se"
    assert email["From"] == "noreply@test.se"
    assert email["Subject"] == f"Kvittens: vi har tagit emot ditt ärende {reference}"
    body = email.get_content()
    assert reference in body and code in body
    stored = db.session.scalars(sa.select(OutboxMessage)).one()
    assert stored.status == "sent" and stored.sent_at is not None
    # Once sent, the code is no longer stored anywhere in plain text.
    assert code not in stored.body


def test_a_refused_connection_is_retried_later_and_not_lost(app, smtp):
    [message_id] = _queue()
    settings = app.config["CASETRACK"]
    working_port = settings["SMTP_PORT"]
    settings["SMTP_PORT"] = free_port()  # nothing listens there: connection refused
    now = utcnow()
    result = send_pending(now=now)
    assert (result.sent, result.retried) == (0, 1)
    message = _message(message_id)
    assert message.status == "pending" and message.attempts == 1
    assert "anslutningen nekades" in message.last_error
    assert message.next_attempt_at >= now + timedelta(seconds=59)
    assert message.claim_token is None

    # Not due yet: nothing is tried, even with the server back.
    settings["SMTP_PORT"] = working_port
    assert send_pending(now=now).sent == 0
    assert send_pending(now=utcnow() + timedelta(minutes=2)).sent == 1
    assert len(smtp.messages) == 1
    assert _message(message_id).status == "sent"


def test_backoff_grows_and_the_message_fails_after_eight_attempts(app):
    app.config["CASETRACK"].update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())
    [message_id] = _queue()
    now = utcnow()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        send_pending(now=now)
        message = _message(message_id)
        waits.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    message = _message(message_id)
    assert message.attempts == MAX_ATTEMPTS and message.status == "failed"
    assert waits[0] < waits[1] < waits[2] < waits[3]
    assert send_pending(now=now + timedelta(days=30)).retried == 0


def test_nothing_is_sent_twice_when_the_sender_runs_twice(app, smtp):
    _queue(3)
    assert send_pending().sent == 3
    assert send_pending().sent == 0
    assert len(smtp.messages) == 3


def test_two_senders_at_once_send_each_message_exactly_once(app, smtp):
    _queue(8)
    results = []

    def run():
        with app.app_context():
            results.append(send_pending())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(result.sent for result in results) == 8
    assert sorted(m["To"] for m in smtp.messages) == sorted(f"p{i}@exempel.se" for i in range(8))


def test_a_message_claimed_by_another_sender_is_left_alone_until_the_claim_is_stale(app, smtp):
    [message_id] = _queue()
    now = utcnow()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(claimed_at=now, claim_token="other")
    )
    db.session.commit()
    assert send_pending(now=now).sent == 0
    assert send_pending(now=now + timedelta(minutes=11)).sent == 1
    assert len(smtp.messages) == 1


def test_without_smtp_host_messages_stay_pending(app, runner):
    [message_id] = _queue()
    result = send_pending()
    assert result.skipped_no_smtp == 1 and result.sent == 0
    assert _message(message_id).status == "pending"
    output = runner.invoke(args=["send-mail"])
    assert output.exit_code == 0
    assert "CASETRACK_SMTP_HOST är inte satt: 1 meddelanden väntar" in output.output


def test_the_send_mail_command_sends(app, runner, smtp):
    _queue(2)
    output = runner.invoke(args=["send-mail"])
    assert output.exit_code == 0, output.output
    assert "Skickade 2" in output.output
    assert len(smtp.messages) == 2


class DropsBeforeReplying(Recorder):
    """Takes the whole message, then the connection drops before the 250 reply: the sender
    cannot know it arrived. The first ``drops`` deliveries end that way."""

    def __init__(self, drops: int):
        super().__init__()
        self.drops = drops

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        if self.drops:
            self.drops -= 1
            server.transport.abort()
        return "250 OK"


class Stalls(Recorder):
    """Takes the message and never replies (until the test ends)."""

    def __init__(self):
        super().__init__()
        self.release = None

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        self.release = self.release or asyncio.Event()
        await self.release.wait()
        return "250 OK"


def _serve(app, handler):
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config["CASETRACK"].update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_FROM="noreply@kommun.se"
    )
    return controller


def test_a_message_sent_again_after_a_lost_reply_carries_the_same_message_id(app):
    """Delivery is at least once: the copy has the first one's Message-ID, so the receiving
    system can drop it (issue 16: 34 deliveries for 30 messages)."""
    handler = DropsBeforeReplying(drops=2)
    controller = _serve(app, handler)
    try:
        ids = _queue(2)
        now = utcnow()
        first = send_pending(now=now)
        assert (first.sent, first.retried) == (0, 2)
        assert all(_message(i).status == "pending" for i in ids)
        again = send_pending(now=now + timedelta(minutes=2))
        assert again.sent == 2
    finally:
        controller.stop()
    assert len(handler.messages) == 4  # each message arrived twice
    by_recipient: dict[str, set[str]] = {}
    for email in handler.messages:
        by_recipient.setdefault(email["To"], set()).add(email["Message-ID"])
    assert sorted(by_recipient) == ["p0@exempel.se", "p1@exempel.se"]
    for message_ids in by_recipient.values():
        assert len(message_ids) == 1  # the same Message-ID on both copies
    [first_id], [second_id] = by_recipient.values()
    assert first_id != second_id  # and one per outbox row
    assert first_id.endswith("@kommun.se>")  # the configured mail domain


def test_a_server_that_does_not_answer_is_logged_as_a_timeout_and_holds_the_batch_briefly(
    app, caplog
):
    handler = Stalls()
    controller = _serve(app, handler)
    app.config["CASETRACK"]["SMTP_TIMEOUT"] = 1
    ids = _queue(5)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="casetrack.infra.mailer"):
            result = send_pending()
        elapsed = time.monotonic() - started
    finally:
        if handler.release is not None:
            controller.loop.call_soon_threadsafe(handler.release.set)
        controller.stop()
    assert "SMTP-servern svarade inte i tid" in caplog.text
    assert "SMTPServerDisconnected" not in caplog.text
    assert "svarade inte i tid" in _message(ids[0]).last_error
    # One slow reply costs about the timeout, not the timeout for every message: the rest
    # wait, untouched, for the next run.
    assert elapsed < 5, elapsed
    assert result.retried == 1 and result.sent == 0
    assert [_message(i).attempts for i in ids[1:]] == [0, 0, 0, 0]
    assert "väntar till nästa körning" in result.summary()


def test_the_smtp_timeout_has_a_sane_default_and_is_configurable(monkeypatch):
    from casetrack.config import load_settings

    assert 5 <= load_settings(environ={})["SMTP_TIMEOUT"] <= 30
    assert load_settings(environ={"CASETRACK_SMTP_TIMEOUT": "7"})["SMTP_TIMEOUT"] == 7
