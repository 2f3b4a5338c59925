"""The outbox sender against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import re
import socket
import threading
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from casetrack.extensions import db
from casetrack.mailer import MAX_ATTEMPTS, send_pending
from casetrack.models import OutboxMessage, utcnow
from casetrack.services.mail import queue_mail
from tests.conftest import Auth


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp(app):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = app.config["CASETRACK"]
    settings.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_FROM="noreply@test.se")
    yield recorder
    controller.stop()


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
