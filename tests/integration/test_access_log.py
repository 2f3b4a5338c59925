"""Every read of a case is access-logged, and the access log is append-only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from casetrack.audit import AuditLogImmutable, log_access
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AccessLogEntry


@pytest.fixture
def handler_and_case(org, make):
    handler = make.user([(Role.HANDLER, org["a"])], email="lena@test.example")
    case = make.case(org["a"], by=handler)
    db.session.commit()
    return handler, case


def _entries():
    return db.session.scalars(sa.select(AccessLogEntry).order_by(AccessLogEntry.id)).all()


def test_opening_a_case_writes_who_what_which_case_and_from_where(client, auth, handler_and_case):
    handler, case = handler_and_case
    auth.login("lena@test.example")
    assert client.get(f"/arenden/{case.id}").status_code == 200
    db.session.expire_all()
    (entry,) = _entries()
    assert (entry.user_id, entry.what, entry.case_id) == (handler.id, "case.view", case.id)
    assert entry.org_unit_id == case.org_unit_id
    assert entry.remote_addr == "127.0.0.1"
    assert entry.occurred_at is not None


def test_a_refused_case_writes_no_access_entry(client, auth, org, make, handler_and_case):
    _, case = handler_and_case
    make.user([(Role.HANDLER, org["b"])], email="other@test.example")
    db.session.commit()
    auth.login("other@test.example")
    assert client.get(f"/arenden/{case.id}").status_code == 404
    assert _entries() == []


def test_access_entries_cannot_be_changed_or_deleted_through_the_orm(handler_and_case):
    handler, case = handler_and_case
    log_access(handler, "case.view", case=case)
    db.session.commit()
    entry = _entries()[0]
    entry.what = "export"
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AccessLogEntry, entry.id))
    with pytest.raises(AuditLogImmutable):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "statement", ["UPDATE access_log_entry SET what = 'x'", "DELETE FROM access_log_entry"]
)
def test_the_database_itself_refuses_to_change_access_entries(handler_and_case, statement):
    handler, case = handler_and_case
    log_access(handler, "case.view", case=case)
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    assert len(_entries()) == 1
