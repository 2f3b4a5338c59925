"""Registering cases: references, validation, permissions and the audit entry."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from casetrack.domain.errors import DomainError, NotPermitted
from casetrack.domain.roles import Permission, Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case, Category, Source
from casetrack.services.cases import NewCase, register_case

NOW = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)


def _new(unit, **kw):
    return NewCase(
        kind_code=kw.pop("kind_code", "complaint"),
        org_unit_id=unit.id,
        received_on=kw.pop("received_on", date(2026, 3, 2)),
        description=kw.pop("description", "Ingen kom på morgonbesöket."),
        **kw,
    )


def test_registration_gives_a_reference_under_the_nearest_prefix_and_audits(org, make):
    handler = make.user([(Role.HANDLER, org["a"])])
    case = register_case(
        handler, _new(org["a"], category_codes=["bemotande", "bemanning"]), now=NOW
    )
    db.session.commit()
    assert case.reference == "AO-2026-00001"
    assert {c.code for c in case.categories} == {"bemotande", "bemanning"}
    assert case.status_code == "registrerad"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.case_id == case.id)).one()
    assert entry.action == "case.registered"
    assert entry.actor_id == handler.id
    assert entry.after["categories"] == ["bemanning", "bemotande"]
    # Free text is marked as present, not copied into the audit trail.
    assert entry.after["description"] == "(text)"


def test_references_count_up_and_never_repeat(org, make):
    handler = make.user([(Role.HANDLER, org["dept"])])
    refs = [register_case(handler, _new(org["a"]), now=NOW).reference for _ in range(3)]
    other = register_case(handler, _new(org["b"]), now=datetime(2027, 1, 2, tzinfo=UTC))
    db.session.commit()
    assert refs == ["AO-2026-00001", "AO-2026-00002", "AO-2026-00003"]
    assert other.reference == "AO-2027-00001"


def test_a_rolled_back_registration_leaves_nothing_behind(org, make):
    handler = make.user([(Role.HANDLER, org["a"])])
    db.session.commit()
    register_case(handler, _new(org["a"]), now=NOW)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"received_on": date(2026, 3, 6)}, "received_on", "framtiden"),
        ({"received_on": date(1999, 12, 31)}, "received_on", "före år 2000"),
        ({"description": "   "}, "description", "Beskriv"),
        ({"description": "x" * 20_001}, "description", "högst"),
        ({"kind_code": "okand"}, "kind_code", "ärendetyp"),
        ({"category_codes": ["finns_inte"]}, "category_codes", "kategorier"),
        ({"source_code": "grannen"}, "source_code", "Välj"),
    ],
)
def test_bad_input_is_refused_with_a_swedish_message_at_the_field(
    org, make, changes, field, message
):
    handler = make.user([(Role.HANDLER, org["a"])])
    with pytest.raises(DomainError) as error:
        register_case(handler, _new(org["a"], **changes), now=NOW)
    assert error.value.field == field
    assert message in error.value.message


@pytest.mark.parametrize(
    ("model", "code", "changes", "field"),
    [
        (Category, "bemanning", {"category_codes": ["bemotande", "bemanning"]}, "category_codes"),
        (Source, "narstaende", {"source_code": "narstaende"}, "source_code"),
    ],
)
def test_a_code_taken_out_of_use_is_refused_for_new_cases(org, make, model, code, changes, field):
    handler = make.user([(Role.HANDLER, org["a"])])
    db.session.get(model, code).active = False
    db.session.commit()
    with pytest.raises(DomainError) as error:
        register_case(handler, _new(org["a"], **changes), now=NOW)
    assert error.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_handler_cannot_register_for_another_unit(org, make):
    handler = make.user([(Role.HANDLER, org["a"])])
    with pytest.raises(NotPermitted):
        register_case(handler, _new(org["b"]), now=NOW)


def test_staff_may_file_a_deviation_but_not_register_complaints(org, make):
    staff = make.user([(Role.STAFF, org["a1"])])
    case = register_case(
        staff, _new(org["a1"], kind_code="deviation"), permission=Permission.CASE_FILE_DEVIATION
    )
    assert case.created_by_id == staff.id
    with pytest.raises(NotPermitted):
        register_case(staff, _new(org["a1"]))


def test_anonymous_cases_keep_no_contact_details(org, make):
    handler = make.user([(Role.HANDLER, org["a"])])
    case = register_case(
        handler,
        _new(org["a"], is_anonymous=True, submitter_name="Kalle", submitter_email="k@x.se"),
        now=NOW,
    )
    assert case.submitter_name is None
    assert case.submitter_email is None
    assert case.wants_feedback is False


def test_concurrent_registrations_never_share_a_reference(app, org, make):
    """Eight threads, each with its own connection and transaction, register at once."""
    handler = make.user([(Role.HANDLER, org["a"])])
    unit_id, handler_id = org["a"].id, handler.id
    # Commit and touch no ORM object afterwards: this thread holds no transaction.
    db.session.commit()
    references: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker():
        try:
            with app.app_context():
                from casetrack.models import OrgUnit, User

                barrier.wait(timeout=30)
                user = db.session.get(User, handler_id)
                for _ in range(5):
                    case = register_case(user, _new(db.session.get(OrgUnit, unit_id)), now=NOW)
                    db.session.commit()
                    references.append(case.reference)
                db.session.remove()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(references) == 40
    assert len(set(references)) == 40
    numbers = sorted(int(re.search(r"(\d+)$", ref).group(1)) for ref in references)
    assert numbers == list(range(1, 41))
