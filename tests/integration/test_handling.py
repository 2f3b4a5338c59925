"""Handling services: status, closing rule, reopening, åtgärder, versions, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from casetrack.domain.errors import DomainError, NotPermitted, StaleCase
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry
from casetrack.services import handling

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def setup(org, make):
    handler = make.user([(Role.HANDLER, org["a"])], name="Lena Berg")
    case = make.case(
        org["a"], by=handler, received_on=date(2026, 3, 2),
        source_code="brukare", category_codes=["bemotande"],
    )  # fmt: skip
    db.session.commit()
    return handler, case


def _actions(case) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.case_id == case.id)
            .order_by(AuditEntry.id)
        )
    )


def test_status_moves_between_open_statuses_and_is_audited(setup):
    handler, case = setup
    handling.change_status(handler, case, "under_utredning", now=NOW)
    db.session.commit()
    assert case.status_code == "under_utredning"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "case.updated")
    ).one()
    assert entry.before == {"status_code": "registrerad"}
    assert entry.after == {"status_code": "under_utredning"}


def test_closing_via_status_change_is_refused(setup):
    handler, case = setup
    with pytest.raises(DomainError, match="Avsluta"):
        handling.change_status(handler, case, "avslutad", now=NOW)


def test_closing_without_feedback_requires_a_reason(setup):
    handler, case = setup
    with pytest.raises(DomainError) as error:
        handling.close_case(handler, case, now=NOW)
    assert error.value.field == "no_feedback_reason"
    handling.close_case(handler, case, no_feedback_reason="ej_nabar", now=NOW)
    db.session.commit()
    assert case.status_code == "avslutad"
    assert case.no_feedback_reason == "ej_nabar"
    assert case.closed_at == NOW
    assert _actions(case)[-1] == "case.closed"


def test_closing_with_feedback_needs_no_reason_and_reopening_is_audited(setup):
    handler, case = setup
    handling.give_feedback(
        handler, case, given_on=date(2026, 3, 5), given_to="Dottern", method="telefon",
        summary="Vi har pratat med personalen.", now=NOW,
    )  # fmt: skip
    handling.close_case(handler, case, now=NOW)
    handling.reopen_case(handler, case, now=NOW)
    db.session.commit()
    assert case.status_code == "under_utredning"
    assert case.closed_at is None
    assert _actions(case) == ["case.registered", "feedback.given", "case.closed", "case.reopened"]


def test_a_closed_case_cannot_be_closed_again_or_changed(setup):
    handler, case = setup
    handling.close_case(handler, case, no_feedback_reason="avbojt", now=NOW)
    with pytest.raises(DomainError):
        handling.close_case(handler, case, no_feedback_reason="avbojt", now=NOW)
    with pytest.raises(DomainError):
        handling.change_status(handler, case, "under_utredning", now=NOW)


def test_feedback_dates_must_be_between_received_and_today(setup):
    handler, case = setup
    for given_on in (date(2026, 3, 1), date(2026, 3, 11)):
        with pytest.raises(DomainError) as error:
            handling.give_feedback(
                handler, case, given_on=given_on, given_to="X", method="brev",
                summary="Svar", now=NOW,
            )  # fmt: skip
        assert error.value.field == "given_on"


def test_an_action_is_complete_when_its_effect_is_evaluated_or_waived(setup):
    handler, case = setup
    action = handling.add_action(
        handler, case, description="Gå igenom rutinen på APT", responsible="Lena Berg",
        due_on=date(2026, 3, 9), now=NOW,
    )  # fmt: skip
    with pytest.raises(DomainError, match="följdes upp"):
        handling.complete_action(
            handler, action, done_on=date(2026, 3, 9), effect_verdict="achieved", now=NOW
        )
    with pytest.raises(DomainError, match="antingen"):
        handling.complete_action(
            handler, action, done_on=date(2026, 3, 9), effect_verdict="achieved",
            effect_evaluated_on=date(2026, 3, 10), effect_waived_reason="Engångshändelse",
            now=NOW,
        )  # fmt: skip
    handling.complete_action(
        handler, action, done_on=date(2026, 3, 9), effect_evaluated_on=date(2026, 3, 10),
        effect_verdict="partial", now=NOW,
    )  # fmt: skip
    db.session.commit()
    assert (action.done_on, action.effect_verdict) == (date(2026, 3, 9), "partial")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "action.updated")
    ).one()
    assert entry.after["effect_verdict"] == "partial"


def test_a_stale_version_is_refused(setup):
    handler, case = setup
    opened_version = case.version
    handling.change_status(handler, case, "under_utredning", now=NOW)
    db.session.commit()
    assert case.version == opened_version + 1
    with pytest.raises(StaleCase):
        handling.change_status(
            handler, case, "atgarder_pagar", expected_version=opened_version, now=NOW
        )


def test_only_handlers_of_the_unit_may_handle(setup, org, make):
    _, case = setup
    other = make.user([(Role.HANDLER, org["b"])])
    quality = make.user([(Role.QUALITY, org["root"])])
    for user in (other, quality):
        with pytest.raises(NotPermitted):
            handling.change_status(user, case, "under_utredning", now=NOW)


def test_assigning_requires_a_handler_of_the_unit(setup, org, make):
    handler, case = setup
    outsider = make.user([(Role.HANDLER, org["b"])])
    with pytest.raises(DomainError):
        handling.assign_handler(handler, case, outsider, now=NOW)
    handling.assign_handler(handler, case, handler, now=NOW)
    assert case.assigned_handler_id == handler.id


def test_internal_notes_are_searchable_but_not_copied_into_the_audit(setup):
    handler, case = setup
    handling.add_note(handler, case, "Ringde dottern om nyckelskåpet", now=NOW)
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "note.added")).one()
    assert entry.after == {"kind": "internal"}
    # Searchable for those who see internal notes only (issue 16: the internal text).
    shared, internal = db.session.execute(
        sa.text("SELECT document, internal_document FROM case_search")
    ).one()
    assert "nyckelskåpet" in internal and "nyckelskåpet" not in shared


def test_closing_gives_the_missing_source_and_category_or_changes_nothing(org, make):
    handler = make.user([(Role.HANDLER, org["a"])], name="Lena Berg")
    case = make.case(org["a"], by=handler, received_on=date(2026, 3, 2))
    db.session.commit()
    version = case.version
    for kwargs, field in [
        ({}, "source_code"),
        ({"source_code": "okand"}, "source_code"),
        ({"source_code": "annan"}, "category_codes"),
        ({"source_code": "annan", "category_codes": ["annat"]}, "category_other_note"),
    ]:
        with pytest.raises(DomainError) as error:
            handling.close_case(handler, case, no_feedback_reason="ej_nabar", now=NOW, **kwargs)
        assert error.value.field == field
        db.session.rollback()
    assert case.status_code == "registrerad" and case.version == version
    handling.close_case(
        handler, case, no_feedback_reason="ej_nabar", source_code="annan",
        category_codes=["bemotande"], category_other_note="ignored", now=NOW,
    )  # fmt: skip
    db.session.commit()
    assert case.status_code == "avslutad" and case.source_code == "annan"
    assert [c.code for c in case.categories] == ["bemotande"]
    assert case.category_other_note is None


def test_praise_is_closed_without_source_or_category(org, make):
    handler = make.user([(Role.HANDLER, org["a"])], name="Lena Berg")
    case = make.case(org["a"], by=handler, kind_code="praise")
    handling.close_case(handler, case, now=NOW)
    db.session.commit()
    assert case.status_code == "avslutad" and case.source_code is None


def test_the_internal_note_of_an_aterkoppling_is_an_internal_case_note(setup):
    handler, case = setup
    feedback = handling.give_feedback(
        handler, case, given_on=date(2026, 3, 5), given_to="Dottern", method="telefon",
        summary="Vi har pratat med personalen.", internal_note="  Samordnaren visste.  ",
        now=NOW,
    )  # fmt: skip
    db.session.commit()
    assert feedback.summary == "Vi har pratat med personalen."
    assert [(n.kind, n.body) for n in case.notes] == [("internal", "Samordnaren visste.")]
    assert _actions(case)[-2:] == ["feedback.given", "note.added"]
