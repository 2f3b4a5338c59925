"""The loggkontroll alarm (SECURITY.md K3-79): a flagged access e-mails the security
contact once per person, kind of flag and day, with no case content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra.mailer import send_pending
from casetrack.jobs.alarms import access_alarm
from casetrack.jobs.scheduler import run_job
from casetrack.models import AccessLogEntry, AuditEntry, JobOccurrence, OutboxMessage

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Stockholm
CONTACT = "sakerhet@kommun.example"


def alarms() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.purpose == "security_alarm")
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def world(app, make, org):
    app.config["CASETRACK"]["SECURITY_CONTACT_EMAIL"] = CONTACT
    handler = make.user([(Role.HANDLER, org["a"])], name="Hugo Handläggare")
    handler_b = make.user([(Role.HANDLER, org["b"])])
    case_b = make.case(
        org["b"], by=handler_b, submitter_name="Greta Granskad",
        description="Känslig beskrivning som aldrig står i ett larm.",
    )  # fmt: skip
    db.session.commit()
    return {"handler": handler, "case_b": case_b}


def opened(user, case, at: datetime) -> None:
    """An access-log entry as the case page writes it, at a chosen time."""
    db.session.add(
        AccessLogEntry(
            user_id=user.id,
            what="case.view",
            case_id=case.id,
            org_unit_id=case.org_unit_id,
            occurred_at=at,
        )
    )
    db.session.commit()


def test_an_access_outside_the_users_units_alarms_the_contact_once_a_day(
    app,
    world,
    smtp,
):
    handler, case_b = world["handler"], world["case_b"]
    opened(handler, case_b, NOW - timedelta(minutes=5))
    assert access_alarm(NOW) == 1
    db.session.commit()
    # The same person and flag again the same day: in loggkontroll, no second e-mail.
    opened(handler, case_b, NOW + timedelta(minutes=3))
    assert access_alarm(NOW + timedelta(minutes=10)) == 0
    db.session.commit()
    assert access_alarm(NOW + timedelta(minutes=20)) == 0
    db.session.commit()

    [message] = alarms()
    assert message.to_address == CONTACT
    assert send_pending().sent == 1
    [email] = smtp.messages
    assert email["To"] == CONTACT
    body = email.get_content()
    assert "Hugo Handläggare" in email["Subject"]
    assert f"Hugo Handläggare (användar-id {handler.id})" in body
    assert "Utanför personens enheter" in body
    assert "2026-03-04 09:55" in body  # the first flagged access, Stockholm time
    assert "http://127.0.0.1:8000/loggkontroll/" in body
    for content in (case_b.reference, "Greta", "Känslig", case_b.org_unit.name):
        assert content not in body and content not in email["Subject"]
    [entry] = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "security.access_alarm")
    ).all()
    assert entry.after["flag"] == "outside_units" and entry.after["user_id"] == handler.id

    # The next day the same kind of access raises a new alarm.
    next_day = NOW + timedelta(days=1)
    opened(handler, case_b, next_day - timedelta(minutes=1))
    assert access_alarm(next_day) == 1
    db.session.commit()
    assert len(alarms()) == 2


def test_many_cases_opened_quickly_through_the_pages_raise_the_alarm(
    app, client, auth, make, org, world
):
    app.config["CASETRACK"]["ACCESS_BURST_CASES"] = 2
    handler = world["handler"]
    cases = [make.case(org["a"], by=handler) for _ in range(3)]
    db.session.commit()
    auth.login(handler.email)
    for case in cases:
        assert client.get(f"/arenden/{case.id}").status_code == 200
    assert run_job(app, "access-alarm") == 1
    assert run_job(app, "access-alarm") == 0
    [message] = alarms()
    assert "Många ärenden på kort tid" in message.body
    assert "Utanför" not in message.body
    assert all(case.reference not in message.body for case in cases)


def test_several_contacts_each_get_the_alarm(app, world):
    app.config["CASETRACK"]["SECURITY_CONTACT_EMAIL"] = f"{CONTACT}, soc@kommun.example"
    opened(world["handler"], world["case_b"], NOW - timedelta(minutes=1))
    assert access_alarm(NOW) == 2
    db.session.commit()
    assert sorted(m.to_address for m in alarms()) == [CONTACT, "soc@kommun.example"]


def test_without_a_security_contact_nothing_is_read_or_sent(app, world):
    app.config["CASETRACK"]["SECURITY_CONTACT_EMAIL"] = ""
    opened(world["handler"], world["case_b"], NOW - timedelta(minutes=1))
    assert access_alarm(NOW) == 0
    db.session.commit()
    assert alarms() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobOccurrence)) == 0


def test_old_accesses_and_those_before_the_previous_run_are_not_alarmed(app, world):
    handler, case_b = world["handler"], world["case_b"]
    opened(handler, case_b, NOW - timedelta(days=2))
    assert access_alarm(NOW) == 0  # the first run looks one day back
    db.session.commit()
    # An access the day after, long before the next run: still found (since the last run).
    opened(handler, case_b, NOW + timedelta(hours=20))
    assert access_alarm(NOW + timedelta(days=1, hours=3)) == 1
    db.session.commit()
    assert len(alarms()) == 1


def test_a_rolled_back_run_sends_nothing_and_the_next_run_does(app, world):
    opened(world["handler"], world["case_b"], NOW - timedelta(minutes=1))
    assert access_alarm(NOW) == 1
    db.session.rollback()
    assert alarms() == []
    assert access_alarm(NOW + timedelta(minutes=10)) == 1
    db.session.commit()
    assert len(alarms()) == 1
