"""Scheduled jobs with an injected clock: each reminder fires once, on the right working
day, never on weekends or holidays, never for closed cases, never twice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.jobs.alarms import send_digest, tertial_close_reminder, unassigned_alarm
from casetrack.jobs.reminders import run_reminders, send_acknowledgements
from casetrack.jobs.scheduler import JOBS, run_job
from casetrack.models import Action, AuditEntry, JobOccurrence, OutboxMessage
from casetrack.services.intake import PublicSubmission, submit_public
from tests.builders import lex_track


def at(day: date, hour: int = 7) -> datetime:
    """07:00 in Stockholm on ``day`` (as UTC; winter and summer alike, 05:00 UTC is fine)."""
    return datetime(day.year, day.month, day.day, hour - 2, 0, tzinfo=UTC)


def outbox(purpose: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if purpose:
        stmt = stmt.where(OutboxMessage.purpose == purpose)
    return list(db.session.scalars(stmt))


@pytest.fixture
def people(make, org):
    handler = make.user([(Role.HANDLER, org["a"])], name="Hanna Handläggare")
    manager = make.user([(Role.MANAGER, org["a"])], name="Maja Chef")
    other_manager = make.user([(Role.MANAGER, org["b"])], name="Bo Chef")
    quality = make.user([(Role.QUALITY, org["root"])], name="Kim Kvalitet")
    sas = make.user([(Role.SAS, org["dept"])], name="Sara SAS")
    db.session.commit()
    return {"handler": handler, "manager": manager, "other": other_manager,
            "quality": quality, "sas": sas}  # fmt: skip


def contact_case(make, org, people, received_on, **kw):
    case = make.case(
        org["a"],
        by=people["handler"],
        received_on=received_on,
        submitter_name="Anna Andersson",
        submitter_email="anna@exempel.se",
        description="Hemlig fritext som aldrig får stå i ett mejl.",
        **kw,
    )
    case.assigned_handler_id = people["handler"].id
    db.session.commit()
    return case


def test_acknowledgement_reminder_waits_for_midsommar_and_fires_once(make, org, people):
    # Wednesday before midsommarafton 2026 (Friday 19 June): 2 working days is Monday 22.
    case = contact_case(make, org, people, date(2026, 6, 17))
    case.assigned_handler_id = None  # unassigned: the enhetschef is reminded
    db.session.commit()
    kinds = ["reminder_acknowledgement"]
    for day in (date(2026, 6, 18), date(2026, 6, 19), date(2026, 6, 20), date(2026, 6, 21)):
        assert run_reminders(at(day), kinds) == 0
    assert run_reminders(at(date(2026, 6, 22)), kinds) == 1
    db.session.commit()
    assert run_reminders(at(date(2026, 6, 22)), kinds) == 0
    assert run_reminders(at(date(2026, 6, 23)), kinds) == 0
    [message] = outbox("reminder_acknowledgement")
    assert message.to_address == people["manager"].email
    assert case.reference in message.subject and "2026-06-22" in message.subject
    assert "Hemlig fritext" not in message.body and "Anna" not in message.body
    assert f"/arenden/{case.id}" in message.body


def test_action_due_on_julafton_is_reminded_the_working_day_before(make, org, people):
    case = contact_case(make, org, people, date(2025, 12, 1), kind_code="deviation")
    db.session.add(Action(case_id=case.id, description="Ny rutin", responsible="Hanna",
                          due_on=date(2025, 12, 24)))  # fmt: skip
    db.session.commit()
    kinds = ["reminder_action_due"]
    assert run_reminders(at(date(2025, 12, 22)), kinds) == 0
    assert run_reminders(at(date(2025, 12, 24)), kinds) == 0  # julafton: no e-mail at all
    assert run_reminders(at(date(2025, 12, 23)), kinds) == 1
    db.session.commit()
    assert run_reminders(at(date(2025, 12, 29)), kinds) == 0
    [message] = outbox()
    assert message.to_address == people["handler"].email


def test_feedback_reminders_before_and_after_the_deadline(make, org, people):
    # Received Monday 2 March 2026: 10 working days is Monday 16 March.
    contact_case(make, org, people, date(2026, 3, 2))
    kinds = ["reminder_feedback_due", "reminder_feedback_overdue"]
    assert run_reminders(at(date(2026, 3, 11)), kinds) == 0
    assert run_reminders(at(date(2026, 3, 12)), kinds) == 1  # two working days before
    assert [m.purpose for m in outbox()] == ["reminder_feedback_due"]
    assert run_reminders(at(date(2026, 3, 16)), kinds) == 0  # deadline day: already reminded
    assert run_reminders(at(date(2026, 3, 17)), kinds) == 1
    db.session.commit()
    assert run_reminders(at(date(2026, 3, 18)), kinds) == 0
    assert [m.purpose for m in outbox()] == ["reminder_feedback_due", "reminder_feedback_overdue"]


def test_closed_cases_get_no_reminders(make, org, people):
    case = contact_case(make, org, people, date(2026, 3, 2))
    case.status_code = "avslutad"
    db.session.commit()
    for day in range(3, 25):
        assert run_reminders(at(date(2026, 3, day))) == 0
    assert outbox() == []


def test_missed_reminders_older_than_the_catch_up_window_are_not_sent(make, org, people):
    contact_case(make, org, people, date(2025, 1, 8))
    assert run_reminders(at(date(2026, 3, 2))) == 0


def test_effect_follow_up_30_days_after_done_without_verdict(make, org, people):
    case = contact_case(make, org, people, date(2026, 1, 12))
    done = Action(case_id=case.id, description="Ny rutin", responsible="Hanna",
                  due_on=date(2026, 2, 1), done_on=date(2026, 2, 6))  # fmt: skip
    judged = Action(case_id=case.id, description="Utbildning", responsible="Hanna",
                    done_on=date(2026, 2, 6), effect_verdict="achieved")  # fmt: skip
    db.session.add_all([done, judged])
    db.session.commit()
    kinds = ["reminder_effect_followup"]
    # 6 Feb + 30 days = Sunday 8 March: the reminder goes on Monday 9 March.
    assert run_reminders(at(date(2026, 3, 6)), kinds) == 0
    assert run_reminders(at(date(2026, 3, 9)), kinds) == 1
    assert run_reminders(at(date(2026, 3, 10)), kinds) == 0
    key = db.session.scalars(sa.select(JobOccurrence.object_key)).one()
    assert key == f"action:{done.id}"


def test_lex_sarah_step_reminders_follow_the_step_deadlines(make, org, people):
    """Rapport Monday 2 March: dokumenterad is due Tuesday (1 working day), utredning
    påbörjad Wednesday (2); each step is reminded on its last day and, if still missing,
    the next working day, to the SAS and the handler."""
    from casetrack.models import EscalationStep

    case = contact_case(make, org, people, date(2026, 3, 2), kind_code="deviation")
    track = lex_track(case, "Rapportör")
    db.session.commit()
    kinds = ["reminder_lex_step"]
    assert run_reminders(at(date(2026, 3, 2)), kinds) == 0
    assert run_reminders(at(date(2026, 3, 3)), kinds) == 2  # dokumenterad due today
    assert {m.to_address for m in outbox()} == {people["sas"].email, people["handler"].email}
    assert all("Rapporten dokumenterad" in m.subject for m in outbox())
    db.session.add(EscalationStep(escalation_id=track.id, step="dokumenterad",
                                  occurred_on=date(2026, 3, 3)))  # fmt: skip
    db.session.commit()
    # Wednesday: dokumenterad is done, utredning påbörjad is due: only that one.
    assert run_reminders(at(date(2026, 3, 4)), kinds) == 2
    assert run_reminders(at(date(2026, 3, 4)), kinds) == 0  # exactly once
    # Thursday: utredning påbörjad still missing: the overdue reminder.
    assert run_reminders(at(date(2026, 3, 5)), kinds) == 2
    assert sum("Försenat" in m.subject for m in outbox()) == 2


def test_acknowledgement_to_the_submitter_names_the_handler_once(make, org, people):
    case = contact_case(make, org, people, date(2026, 3, 2))
    manual = contact_case(make, org, people, date(2026, 3, 2))
    manual.acknowledged_on = date(2026, 3, 2)  # acknowledged by telephone
    db.session.commit()
    assert send_acknowledgements(at(date(2026, 3, 3))) == 1
    db.session.commit()
    assert send_acknowledgements(at(date(2026, 3, 3))) == 0
    [message] = outbox("acknowledgement")
    assert message.to_address == "anna@exempel.se"
    assert "Hanna Handläggare" in message.body and case.reference in message.subject
    assert "Hemlig fritext" not in message.body
    db.session.refresh(case)
    assert case.acknowledged_on == date(2026, 3, 3)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.case_id == case.id)
    ).all()
    assert "case.acknowledged" in actions


def test_weekly_digest_lists_each_handlers_work_once(make, org, people):
    late = contact_case(make, org, people, date(2026, 1, 5))
    fresh = contact_case(make, org, people, date(2026, 3, 6))
    assert send_digest(at(date(2026, 3, 10))) == 0  # Tuesday: not the week's first day
    assert send_digest(at(date(2026, 3, 9))) == 1
    db.session.commit()
    assert send_digest(at(date(2026, 3, 9))) == 0
    [message] = outbox("digest")
    assert message.to_address == people["handler"].email
    assert late.reference in message.body and fresh.reference in message.body
    assert "2 (varav 1 försenade)" in message.subject
    line = next(line for line in message.body.splitlines() if late.reference in line)
    assert "försenat" in line
    assert "Hemlig fritext" not in message.body


def test_digest_after_easter_monday_goes_on_tuesday(make, org, people):
    contact_case(make, org, people, date(2026, 3, 30))
    assert send_digest(at(date(2026, 4, 6))) == 0  # annandag påsk
    assert send_digest(at(date(2026, 4, 7))) == 1


def test_unassigned_public_submission_alarms_the_enhetschef_after_a_working_day(org, people):
    now = at(date(2026, 3, 6))  # a Friday
    case, _ = submit_public(
        PublicSubmission(kind_code="complaint", org_unit_id=org["a"].id,
                         description="Ingen kom.", is_anonymous=False, wants_feedback=True,
                         submitter_email="p@exempel.se"),
        now=now,
    )  # fmt: skip
    db.session.commit()
    assert unassigned_alarm(at(date(2026, 3, 6), 15)) == 0
    assert unassigned_alarm(at(date(2026, 3, 7), 10)) == 0  # Saturday
    assert unassigned_alarm(at(date(2026, 3, 9), 8)) == 1  # Monday: one working day later
    db.session.commit()
    assert unassigned_alarm(at(date(2026, 3, 9), 9)) == 0
    [message] = outbox("unassigned_alarm")
    assert message.to_address == people["manager"].email  # not unit B's manager
    assert case.reference in message.subject


def test_tertial_close_reminder_five_working_days_before_30_april(org, people):
    # 30 April 2026 is a Thursday; five working days before is Thursday 23 April.
    assert tertial_close_reminder(at(date(2026, 4, 22))) == 0
    assert tertial_close_reminder(at(date(2026, 4, 23))) == 1
    db.session.commit()
    assert tertial_close_reminder(at(date(2026, 4, 24))) == 0
    [message] = outbox("tertial_close")
    assert message.to_address == people["quality"].email
    assert "2026-04-30" in message.subject


def test_run_job_commits_once_and_a_restart_sends_nothing_again(app, make, org, people):
    contact_case(make, org, people, date(2026, 3, 2))
    db.session.commit()
    assert run_job(app, "reminders", at(date(2026, 3, 12))) == 1
    # A new process: a fresh app on the same database.
    from casetrack import create_app

    again = create_app({"ENV": "testing", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert run_job(again, "reminders", at(date(2026, 3, 12))) == 0
    with again.app_context():
        db.engine.dispose()
    assert len(outbox()) == 1
    assert set(JOBS) >= {"reminders", "send-mail", "digest", "retention"}


def test_a_reminder_reaches_a_real_smtp_server_once(app, make, org, people, smtp):
    case = contact_case(make, org, people, date(2026, 3, 2))
    app.config["CASETRACK"]["BASE_URL"] = "https://casetrack.exempel.se"
    assert run_job(app, "reminders", at(date(2026, 3, 12))) == 1
    # The outbox stamps messages with the real time, so the sender runs on the real clock.
    assert run_job(app, "send-mail") == 1
    assert run_job(app, "reminders", at(date(2026, 3, 12))) == 0
    assert run_job(app, "send-mail") == 0
    [email] = smtp.messages
    assert email["To"] == people["handler"].email
    assert case.reference in email["Subject"]
    body = email.get_content()
    assert f"https://casetrack.exempel.se/arenden/{case.id}" in body
    assert "Hemlig fritext" not in body and "anna@exempel.se" not in body
