"""Information the public adds on "Följ ditt ärende" reopens the question for the handlers:
an e-mail notice without the text, and unread until marked as read or reopened (issue 20)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, OutboxMessage
from casetrack.queries import start_pages
from casetrack.services import handling, intake, new_information

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
SECRET_TEXT = "Pappa föll igen i natt och ingen kom när han larmade."  # pragma: allowlist secret


@pytest.fixture
def closed_case(org, make):
    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example", name="Lena Berg")
    colleague = make.user([(Role.HANDLER, org["a"])], email="c@test.example", name="Omar Ek")
    manager = make.user([(Role.MANAGER, org["a"])], email="m@test.example", name="Maja Chef")
    other = make.user([(Role.HANDLER, org["b"])], email="o@test.example", name="Olle Annan")
    case = make.case(org["a"], by=handler, received_on=date(2026, 3, 2),
                     submitter_email="anna@exempel.se")  # fmt: skip
    handling.assign_handler(handler, case, handler, now=NOW)
    handling.give_feedback(handler, case, given_on=date(2026, 3, 5), given_to="Anna",
                           method="telefon", summary="Vi har pratat.", now=NOW)  # fmt: skip
    handling.close_case(handler, case, source_code="narstaende", category_codes=["mat"], now=NOW)
    db.session.commit()
    return {"case": case, "handler": handler, "colleague": colleague, "manager": manager,
            "other": other}  # fmt: skip


def _notices() -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.purpose == "new_information")
            .order_by(OutboxMessage.id)
        )
    )


def test_added_information_mails_the_handler_a_link_without_the_text(app, closed_case):
    case = closed_case["case"]
    intake.add_submitter_information(case, SECRET_TEXT, now=NOW + timedelta(days=1))
    db.session.commit()

    [notice] = _notices()
    assert notice.to_address == "h@test.example"  # the assigned handler
    assert notice.case_id == case.id
    assert case.reference in notice.subject and case.reference in notice.body
    link = app.config["CASETRACK"]["BASE_URL"].rstrip("/") + f"/arenden/{case.id}"
    assert link in notice.body
    # Nothing the person wrote, nor anything else from the case, goes into the e-mail.
    for secret in (SECRET_TEXT, "Pappa", "föll", "anna@exempel.se", case.description):
        assert secret not in notice.body and secret not in notice.subject
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "case.information_notice")
    ).one()
    assert entry.case_id == case.id and entry.after == {"recipients": [closed_case["handler"].id]}
    assert SECRET_TEXT not in str(entry.after)


def test_without_a_handler_who_may_handle_it_the_units_enhetschefer_are_told(closed_case):
    case = closed_case["case"]
    case.assigned_handler_id = None
    db.session.commit()
    intake.add_submitter_information(case, SECRET_TEXT, now=NOW + timedelta(days=1))
    db.session.commit()
    assert [notice.to_address for notice in _notices()] == ["m@test.example"]


def test_information_stays_unread_until_marked_as_read_and_mails_once_meanwhile(closed_case):
    case, colleague = closed_case["case"], closed_case["colleague"]
    intake.add_submitter_information(case, SECRET_TEXT, now=NOW + timedelta(days=1))
    intake.add_submitter_information(case, "Och en sak till.", now=NOW + timedelta(days=2))
    db.session.commit()
    assert len(_notices()) == 1  # the second addition joins the unread one: no second mail
    for who in ("handler", "colleague", "manager"):
        assert [c.id for c, _ in start_pages.unread_information(closed_case[who])] == [case.id]
    assert start_pages.unread_information(closed_case["other"]) == []
    with pytest.raises(NotPermitted):
        new_information.mark_read(closed_case["other"], case, now=NOW + timedelta(days=3))

    new_information.mark_read(colleague, case, now=NOW + timedelta(days=3))
    db.session.commit()
    assert start_pages.unread_information(closed_case["handler"]) == []
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "case.information_read")
    ).one()
    assert entry.actor_id == colleague.id and entry.case_id == case.id
    with pytest.raises(DomainError):  # nothing left to mark
        new_information.mark_read(colleague, case, now=NOW + timedelta(days=3))

    # New information after that is unread again, and mailed again.
    intake.add_submitter_information(case, "Det hände igen.", now=NOW + timedelta(days=4))
    db.session.commit()
    assert len(_notices()) == 2
    assert start_pages.has_unread_information(case)


def test_reopening_the_case_counts_as_taking_up_the_information(closed_case):
    case, handler = closed_case["case"], closed_case["handler"]
    intake.add_submitter_information(case, SECRET_TEXT, now=NOW + timedelta(days=1))
    db.session.commit()
    handling.reopen_case(handler, case, now=NOW + timedelta(days=2))
    db.session.commit()
    assert not start_pages.has_unread_information(case)
    assert start_pages.unread_information(handler) == []
