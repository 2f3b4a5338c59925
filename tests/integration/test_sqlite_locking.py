"""Read-only requests do not take SQLite's write lock; writers still queue for it (issue 16).

Every transaction used to start with ``BEGIN IMMEDIATE``, reads included, so under 96
concurrent clients plain GETs of the public form and the login page waited for the one
write lock and failed with "database is locked". Now a transaction takes the write lock
right before its first write. The tests run on PostgreSQL too, where a held write
transaction must not stop readers either.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AccessLogEntry, OrgUnit
from tests.conftest import Auth


class HeldWrite:
    """Another process's write transaction: an uncommitted UPDATE on its own connection
    (on SQLite it holds the database's write lock) until ``release``."""

    def __init__(self, url: str, unit_id: int):
        self.engine = sa.create_engine(url)
        self.connection = self.engine.connect()
        self.connection.execute(
            sa.text("UPDATE org_unit SET name = name WHERE id = :id"), {"id": unit_id}
        )

    def release(self) -> None:
        if self.connection is not None:
            self.connection.commit()
            self.connection.close()
            self.connection = None
            self.engine.dispose()


@pytest.fixture
def held_write(database_url, org):
    unit_id = org["a"].id
    db.session.commit()  # the test's own session holds nothing
    held = HeldWrite(database_url, unit_id)
    yield held
    held.release()


def _timed_get(client, url: str):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def test_public_pages_answer_while_another_transaction_holds_the_write_lock(
    app, client, org, held_write
):
    # Before: each of these waited the 15-second busy timeout, then "database is locked".
    for url in ("/lamna-synpunkt", "/logga-in", "/folj-arende"):
        response, seconds = _timed_get(client, url)
        assert response.status_code == 200, (url, response.status_code)
        assert seconds < 5, (url, seconds)
    assert "Enhet A" in client.get("/lamna-synpunkt").text


def test_a_case_page_waits_for_the_write_lock_and_logs_its_read(app, client, org, make):
    """A page that reads and then writes (the access log) queues for the lock like any
    writer; it never fails because another writer got in between its read and its write."""
    handler = make.user([(Role.HANDLER, org["a"])], email="hanna@kommun.se")
    case = make.case(org["a"], by=handler)
    db.session.commit()
    case_id, unit_id = case.id, org["a"].id
    Auth(client).login("hanna@kommun.se")
    db.session.commit()  # the test's own session holds nothing
    held = HeldWrite(app.config["SQLALCHEMY_DATABASE_URI"], unit_id)
    timer = threading.Timer(1.0, held.release)
    timer.start()
    try:
        response = client.get(f"/arenden/{case_id}")
    finally:
        timer.join()
        held.release()
    assert response.status_code == 200
    db.session.expire_all()
    logged = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.case_id == case_id)
    )
    assert logged == 1


def test_concurrent_writers_all_succeed_while_readers_read(app, org, make):
    """Writers that read first (the public form validates the unit) and readers at once,
    each with its own connection: no "database is locked", every registration saved."""
    from casetrack.models import Case
    from tests.conftest import csrf_from

    # All clients come from one address; the public form's limit is not what is tested here.
    app.config["CASETRACK"]["PUBLIC_RATE_LIMIT"] = "1000 per minute"
    unit_id = org["a"].id
    db.session.commit()  # the test's own session holds nothing
    errors: list[str] = []
    statuses: list[int] = []
    barrier = threading.Barrier(24)

    def writer(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            for i in range(3):
                page = client.get("/lamna-synpunkt")
                response = client.post(
                    "/lamna-synpunkt",
                    data={
                        "csrf_token": csrf_from(page.text),
                        "org_unit_id": str(unit_id),
                        "kind_code": "suggestion",
                        "description": f"Förslag {n}-{i}",
                        "wants_feedback": "nej",
                    },
                )
                if response.status_code == 302:  # POST/redirect/GET (issue 20)
                    response = client.get(response.headers["Location"])
                statuses.append(response.status_code)
                if response.status_code != 200 or "kvittenskod" not in response.text.lower():
                    errors.append(f"writer {n}: {response.status_code}")
        except Exception as error:  # collected, asserted below
            errors.append(f"writer {n}: {error!r}")

    def reader(n: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            for _ in range(3):
                for url in ("/lamna-synpunkt", "/logga-in"):
                    statuses.append(client.get(url).status_code)
        except Exception as error:
            errors.append(f"reader {n}: {error!r}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    threads += [threading.Thread(target=reader, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert statuses and max(statuses) < 500, sorted(set(statuses))
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 24
    assert db.session.get(OrgUnit, unit_id).name == "Enhet A"
