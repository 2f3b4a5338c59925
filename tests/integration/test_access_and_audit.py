"""The one scoping function, and the append-only audit trail."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import DatabaseError

from casetrack.access import case_scope, unit_ids_for
from casetrack.audit import AuditLogImmutable
from casetrack.domain.roles import Permission, Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case


def _visible(user) -> set[str]:
    return set(
        db.session.scalars(sa.select(Case.reference).where(case_scope(user, Permission.CASE_READ)))
    )


def test_a_role_reaches_its_unit_and_everything_below(org, make):
    manager = make.user([(Role.MANAGER, org["dept"])])
    handler = make.user([(Role.HANDLER, org["a"])])
    assert unit_ids_for(manager, Permission.CASE_READ) == {
        org["dept"].id,
        org["a"].id,
        org["a1"].id,
        org["b"].id,
    }
    assert unit_ids_for(handler, Permission.CASE_HANDLE) == {org["a"].id, org["a1"].id}
    assert unit_ids_for(handler, Permission.REPORT_READ) == frozenset()


def test_a_role_on_the_whole_tree_reaches_every_case_without_a_unit_condition(org, make):
    quality = make.user([(Role.QUALITY, org["root"])])
    manager = make.user([(Role.MANAGER, org["dept"])])
    cases = {make.case(org[key], by=manager).reference for key in ("a", "a1", "b")}
    db.session.commit()
    assert unit_ids_for(quality, Permission.CASE_READ).all_units
    assert not unit_ids_for(manager, Permission.CASE_READ).all_units
    assert "org_unit_id" not in str(case_scope(quality, Permission.CASE_READ))
    assert _visible(quality) == cases
    # A second top-level unit: the förvaltning is no longer every unit, the condition
    # is back and the other tree's case stays out of reach.
    elsewhere = make.unit("Stadsdel två", code="S2")
    make.case(elsewhere, by=make.user([(Role.MANAGER, elsewhere)]))
    db.session.commit()
    g.pop("_unit_scope", None)
    assert not unit_ids_for(quality, Permission.CASE_READ).all_units
    assert _visible(quality) == cases


def test_handlers_see_their_units_staff_see_only_what_they_filed(org, make):
    handler_a = make.user([(Role.HANDLER, org["a"])])
    handler_b = make.user([(Role.HANDLER, org["b"])])
    staff = make.user([(Role.STAFF, org["a1"])])
    colleague = make.user([(Role.STAFF, org["a1"])])
    in_a = make.case(org["a"], by=handler_a)
    in_b = make.case(org["b"], by=handler_b)
    own = make.case(org["a1"], by=staff, kind_code="deviation")
    colleagues = make.case(org["a1"], by=colleague, kind_code="deviation")
    assert _visible(handler_a) == {in_a.reference, own.reference, colleagues.reference}
    assert _visible(handler_b) == {in_b.reference}
    assert _visible(staff) == {own.reference}


def test_admin_and_inactive_users_reach_no_cases(org, make):
    admin = make.user([(Role.ADMIN, org["root"])])
    gone = make.user([(Role.HANDLER, org["a"])], active=False)
    make.case(org["a"], by=make.user([(Role.HANDLER, org["a"])]))
    assert _visible(admin) == set()
    assert _visible(gone) == set()


def test_audit_entries_cannot_be_changed_or_deleted_through_the_orm(org, make):
    case = make.case(org["a"], by=make.user([(Role.HANDLER, org["a"])]))
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.case_id == case.id)).one()
    entry.action = "something.else"
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"]
)
def test_the_database_itself_refuses_to_change_audit_entries(org, make, statement):
    make.case(org["a"], by=make.user([(Role.HANDLER, org["a"])]))
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1
