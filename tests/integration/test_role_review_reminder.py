"""The behörighetsgranskning reminder with an injected clock: to the right people, once
per due period, on working days only, with a count and a link but no names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.jobs.role_review import role_review_reminder
from casetrack.jobs.scheduler import JOBS, run_job
from casetrack.models import AuditEntry, MessageTemplate, OutboxMessage
from tests.integration.test_scheduler_jobs import at


def given_on(user, day: date) -> None:
    user.role_assignments[0].created_at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.purpose == "role_review")
            .order_by(OutboxMessage.to_address)
        )
    )


@pytest.fixture
def people(make, org):
    result = {
        "admin": make.user([(Role.ADMIN, org["root"])], name="Per Admin", email="admin@x.se"),
        "manager_a": make.user([(Role.MANAGER, org["a"])], name="Maja Chef", email="maja@x.se"),
        "manager_b": make.user([(Role.MANAGER, org["b"])], name="Bo Chef", email="bo@x.se"),
        "staff": make.user([(Role.STAFF, org["a1"])], name="Sven Staff", email="sven@x.se"),
        "handler": make.user([(Role.HANDLER, org["a"])], name="Hanna Berg", email="hanna@x.se"),
    }
    # Not due on any date the tests run on, except as each test sets.
    for user in result.values():
        given_on(user, date(2026, 12, 1))
    db.session.commit()
    return result


def test_a_quarterly_review_is_reminded_once_to_the_units_manager(people):
    # Staff and handler given on 2 February 2026: due 4 May (91 days), notice from 27 April.
    for who in ("staff", "handler"):
        given_on(people[who], date(2026, 2, 2))
    db.session.commit()
    assert role_review_reminder(at(date(2026, 4, 24))) == 0  # Friday, not yet due
    assert role_review_reminder(at(date(2026, 4, 27))) == 1
    db.session.commit()
    assert role_review_reminder(at(date(2026, 4, 27))) == 0  # a second run sends nothing
    assert role_review_reminder(at(date(2026, 4, 28))) == 0
    assert role_review_reminder(at(date(2026, 5, 5))) == 0  # overdue, same due period
    [message] = outbox()
    assert message.to_address == "maja@x.se"
    assert message.subject == "Behörigheter att granska: 2"
    assert "/behorighetsgranskning/?att_granska=1" in message.body
    for name in ("Sven", "Hanna", "Staff", "Berg", "Medarbetare", "Arbetsgrupp"):
        assert name not in message.body and name not in message.subject
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "role_review.reminder_queued")
    ).one()
    assert (entry.entity_id, entry.after) == (people["manager_a"].id, {"assignments": 2})


def test_privileged_roles_are_reminded_monthly_to_the_admins(people):
    # The managers were given their roles on 1 April: due 1 May, notice from 24 April.
    for who in ("manager_a", "manager_b"):
        given_on(people[who], date(2026, 4, 1))
    db.session.commit()
    assert role_review_reminder(at(date(2026, 4, 23))) == 0
    assert role_review_reminder(at(date(2026, 4, 24))) == 1
    [message] = outbox()
    assert (message.to_address, message.subject) == ("admin@x.se", "Behörigheter att granska: 2")
    # Not reviewed: a new due period 30 days after the due date, one more reminder.
    db.session.commit()
    assert role_review_reminder(at(date(2026, 5, 29))) == 0
    assert role_review_reminder(at(date(2026, 5, 31))) == 0  # the new period starts on a Sunday
    assert role_review_reminder(at(date(2026, 6, 1))) == 1  # so it goes on Monday
    db.session.commit()
    assert role_review_reminder(at(date(2026, 6, 2))) == 0
    assert [m.to_address for m in outbox()] == ["admin@x.se", "admin@x.se"]


def test_a_reviewed_assignment_is_not_reminded_until_its_next_due_date(people):
    given_on(people["staff"], date(2026, 2, 2))
    people["staff"].role_assignments[0].last_reviewed_at = datetime(2026, 4, 20, 9, tzinfo=UTC)
    db.session.commit()
    assert role_review_reminder(at(date(2026, 4, 27))) == 0
    assert role_review_reminder(at(date(2026, 7, 13))) == 1  # 20 April + 91 days - 7
    assert [m.to_address for m in outbox()] == ["maja@x.se"]


def test_nothing_on_weekends_and_holidays(people):
    given_on(people["staff"], date(2026, 3, 23))  # due 22 June, notice from 15 June
    db.session.commit()
    # Midsommarafton 19 June 2026 is a Friday; 20-21 June the weekend.
    given_on(people["handler"], date(2026, 3, 27))  # due 26 June, notice from 19 June
    db.session.commit()
    assert role_review_reminder(at(date(2026, 6, 15))) == 1
    db.session.commit()
    for day in (19, 20, 21):
        assert role_review_reminder(at(date(2026, 6, day))) == 0
    assert role_review_reminder(at(date(2026, 6, 22))) == 1  # the handler's, on Monday
    assert len(outbox()) == 2


def test_a_unit_without_a_manager_falls_back_to_the_admins(people, make, org):
    people["manager_b"].active = False
    lone = make.user([(Role.STAFF, org["b"])], name="Lina", email="lina@x.se")
    given_on(lone, date(2026, 2, 2))
    db.session.commit()
    assert role_review_reminder(at(date(2026, 4, 27))) == 1
    assert [m.to_address for m in outbox()] == ["admin@x.se"]


def test_a_manager_is_never_reminded_about_their_own_assignment(people, org, make):
    from casetrack.models import RoleAssignment

    manager = people["manager_a"]
    db.session.add(RoleAssignment(user_id=manager.id, role="staff", org_unit_id=org["a1"].id,
                                  created_at=datetime(2026, 2, 2, 10, tzinfo=UTC)))  # fmt: skip
    db.session.commit()
    assert role_review_reminder(at(date(2026, 4, 27))) == 1
    assert [m.to_address for m in outbox()] == ["admin@x.se"]


def test_the_edited_template_is_used_and_the_job_is_scheduled(app, people):
    given_on(people["staff"], date(2026, 2, 2))
    template = db.session.get(MessageTemplate, "role_review_due")
    template.subject = "Granska {antal} behörigheter"
    db.session.commit()
    assert "role-review" in JOBS
    assert run_job(app, "role-review", at(date(2026, 4, 27))) == 1
    assert run_job(app, "role-review", at(date(2026, 4, 27))) == 0
    [message] = outbox()
    assert message.subject == "Granska 1 behörigheter"
