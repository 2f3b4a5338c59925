"""Issue #7 in the browser: message templates, the outbox page, the återkoppling letter,
the reminder count in the header, and `casetrack scheduler --run-once`."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, MessageTemplate, OutboxMessage
from casetrack.services.mail import queue_mail
from tests.conftest import csrf_from
from tests.web.test_handling_pages import _post


def test_an_unknown_placeholder_is_refused_in_swedish_at_the_field(client, auth, people):
    auth.login("admin@test.example")
    response = auth.post(
        "/admin/meddelanden/acknowledgement",
        {"subject": "Ärende {diarienumer}", "body": "Hej {mottagare}"},
    )
    assert response.status_code == 422
    assert "Okänd platshållare: {diarienumer}" in response.text
    assert "{diarienummer}" in response.text  # the allowed ones are listed
    db.session.expire_all()
    assert db.session.get(MessageTemplate, "acknowledgement").subject.startswith("Vi har")


def test_an_admin_edits_a_message_and_it_is_audited(client, auth, people):
    auth.login("admin@test.example")
    page = client.get("/admin/meddelanden")
    assert "Mottagningsbekräftelse" in page.text
    response = auth.post(
        "/admin/meddelanden/acknowledgement",
        {"subject": "Tack! {diarienummer}", "body": "Handläggare: {handlaggare}"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(MessageTemplate, "acknowledgement").subject == "Tack! {diarienummer}"
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "message_template.updated")
    )


def test_the_outbox_shows_failed_mail_and_sends_it_again(client, auth, people):
    waiting = queue_mail("a@exempel.se", "Väntar", "x", purpose="test")
    failed = queue_mail("b@exempel.se", "Gick inte", "x", purpose="test")
    db.session.flush()
    failed.status, failed.attempts, failed.last_error = "failed", 8, "SMTP-servern svarade 550"
    db.session.commit()
    auth.login("admin@test.example")
    page = client.get("/admin/utkorg")
    assert "Ingen e-postserver är inställd" in page.text
    assert "SMTP-servern svarade 550" in page.text and "Väntar" in page.text
    response = client.post(
        f"/admin/utkorg/{failed.id}/forsok-igen", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    message = db.session.get(OutboxMessage, failed.id)
    assert (message.status, message.attempts) == ("pending", 0)
    assert db.session.get(OutboxMessage, waiting.id).status == "pending"
    assert db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action == "outbox.retried")
    ).one()


def test_a_handler_sends_the_aterkoppling_as_an_e_mail(client, auth, org, people, make):
    case = make.case(
        org["a"], by=people["handler"], received_on=date(2026, 3, 2),
        submitter_email="anna@exempel.se",
    )  # fmt: skip
    db.session.commit()
    auth.login("h@test.example")
    page = client.get(f"/arenden/{case.id}")
    assert "Skicka som e-post till anna@exempel.se" in page.text
    response = _post(
        client, case, "aterkoppling",
        {"given_on": "2026-03-05", "given_to": "Anna", "method": "e_post",
         "summary": "Vi har ändrat schemat.", "send_email": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    [message] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.purpose == "feedback_letter")
    ).all()
    assert message.to_address == "anna@exempel.se"
    assert "Vi har ändrat schemat." in message.body and "Lena Berg" in message.body


def test_feedback_without_the_box_ticked_sends_nothing(client, auth, org, people, make):
    case = make.case(
        org["a"], by=people["handler"], received_on=date(2026, 3, 2),
        submitter_email="anna@exempel.se",
    )  # fmt: skip
    db.session.commit()
    auth.login("h@test.example")
    _post(
        client, case, "aterkoppling",
        {"given_on": "2026-03-05", "given_to": "Anna", "method": "telefon", "summary": "Svar"},
    )  # fmt: skip
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_the_header_counts_overdue_work_for_handlers(client, auth, org, people, make):
    make.case(org["a"], by=people["handler"], received_on=date(2026, 1, 5))
    db.session.commit()
    auth.login("h@test.example")
    page = client.get("/arenden/mina")
    assert 'class="badge">1<' in page.text
    assert "Frist snart" in page.text


def test_scheduler_run_once_runs_one_job(runner, people):
    result = runner.invoke(args=["scheduler", "--run-once", "tertial-close"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("tertial-close: ")


def test_the_header_counts_a_late_lex_step_in_my_units_only(client, auth, org, people, make):
    """A lex Sarah track whose steps are past their deadlines makes its case overdue for
    the handlers of its unit, and for no one else."""
    from casetrack.domain.dates import local_date
    from casetrack.models import utcnow
    from casetrack.services import escalation as escalation_service

    other = make.user([(Role.HANDLER, org["b"])], email="b@test.example")
    long_ago = local_date(utcnow()) - timedelta(days=60)
    # No återkoppling wanted: the late lex step is the only thing overdue.
    quiet = {"kind_code": "deviation", "received_on": long_ago, "wants_feedback": False}
    mine = make.case(org["a"], by=people["handler"], **quiet)
    theirs = make.case(org["b"], by=other, **quiet)
    for case, actor in ((mine, people["handler"]), (theirs, other)):
        escalation_service.start_track(
            actor, case, track="lex_sarah", reported_on=long_ago, reporter_name="Anna Ek",
            text="Brukaren föll när ingen kom.",
        )  # fmt: skip
    db.session.commit()
    auth.login("h@test.example")
    page = client.get("/arenden/mina").text
    assert 'class="badge">1<' in page
    assert mine.reference in page and theirs.reference not in page


def test_mina_arenden_shows_the_same_count_as_every_other_page(client, auth, org, people, make):
    """Mina ärenden passes its own "Försenade" + "Frist snart" to the header instead of
    counting again; over a spread of deadlines, late lex steps and other people's cases,
    that is the number every other page counts."""
    from casetrack.domain.dates import local_date
    from casetrack.models import utcnow
    from casetrack.services import escalation as escalation_service
    from casetrack.services import handling

    today = local_date(utcnow())
    colleague = make.user([(Role.HANDLER, org["a"])], email="kollega@test.example")
    for days in range(0, 40, 3):  # overdue, due soon and not yet due återkoppling
        make.case(org["a"], by=people["handler"], received_on=today - timedelta(days=days))
    theirs = make.case(org["a"], by=colleague, received_on=today - timedelta(days=30))
    handling.assign_handler(colleague, theirs, colleague)  # a colleague's: not mine
    quiet = {"kind_code": "deviation", "wants_feedback": False}
    lex = make.case(org["a"], by=people["handler"], received_on=today - timedelta(days=60), **quiet)
    escalation_service.start_track(
        people["handler"], lex, track="lex_sarah", reported_on=today - timedelta(days=60),
        reporter_name="Anna Ek", text="Brukaren föll.",
    )  # fmt: skip
    db.session.commit()
    auth.login("h@test.example")

    def badge(url: str) -> int:
        found = re.search(r'class="badge">(\d+)<', client.get(url).text)
        return int(found.group(1)) if found else 0

    counted = badge("/arenden/")
    assert counted > 1
    assert badge("/arenden/mina") == counted
