"""One TOTP code, several logins at the same moment: exactly one of them wins (issue 16).

Sequential reuse was already refused; concurrent requests each read the account before
any of them had stored the used step, so all of them accepted the code. Each thread here
is its own browser (test client) whose requests run in their own app context and database
session, as in a multi-worker server.
"""

from __future__ import annotations

import contextlib
import threading

import pyotp
import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import User
from casetrack.services import mfa
from tests.conftest import PASSWORD, csrf_from, totp_code

SESSIONS = 4


@pytest.fixture
def enrolled(org, make):
    user = make.user([(Role.HANDLER, org["a"])], email="lena@test.example")
    user.mfa_secret = pyotp.random_base32()
    user.mfa_enabled_at = sa.func.now()
    db.session.commit()
    return user


def _run_together(work, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = work(index, barrier)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_one_code_logs_in_exactly_one_of_four_simultaneous_sessions(app, enrolled):
    clients = [app.test_client() for _ in range(SESSIONS)]
    forms = []
    for client in clients:
        page = client.get("/logga-in")
        response = client.post(
            "/logga-in",
            data={
                "email": enrolled.email,
                "password": PASSWORD,
                "csrf_token": csrf_from(page.text),
            },
        )
        assert response.headers["Location"] == "/logga-in/kod"
        forms.append(csrf_from(client.get("/logga-in/kod").text))
    db.session.expire_all()
    code = totp_code(db.session.get(User, enrolled.id))
    db.session.commit()

    def submit(index: int, barrier: threading.Barrier) -> int:
        barrier.wait(10)
        response = clients[index].post(
            "/logga-in/kod", data={"code": code, "csrf_token": forms[index]}
        )
        return response.status_code

    statuses = _run_together(submit, SESSIONS)
    assert sorted(statuses) == [302] + [422] * (SESSIONS - 1)
    logged_in = [c for c in clients if c.get("/arenden/").status_code == 200]
    assert len(logged_in) == 1


def test_the_service_accepts_a_code_once_across_separate_database_sessions(app, enrolled):
    """Each thread reads the account in its own session before any of them checks the
    code (on SQLite the write lock makes the others wait: the barrier then times out and
    they go on one after the other)."""
    user_id = enrolled.id
    db.session.expire_all()
    code = totp_code(db.session.get(User, user_id))
    db.session.commit()

    def check(index: int, barrier: threading.Barrier) -> bool:
        with app.app_context():
            user = db.session.get(User, user_id)
            _ = user.mfa_last_step  # read before any of the others checks the code
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(3)
            accepted = mfa.check_code(user, code)
            db.session.commit()
            db.session.remove()
            return accepted

    results = _run_together(check, SESSIONS)
    assert results.count(True) == 1
    db.session.expire_all()
    assert db.session.get(User, user_id).mfa_last_step is not None
