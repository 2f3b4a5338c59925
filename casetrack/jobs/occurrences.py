"""Exactly once: claim (job, object, occasion) before queueing anything for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from casetrack.extensions import db
from casetrack.models import JobOccurrence


def claim(job: str, object_key: str, occasion: str, now: datetime) -> bool:
    """Record that ``job`` handles ``object_key`` for ``occasion``; False if already done.

    ``INSERT … ON CONFLICT DO NOTHING`` in the caller's transaction. On PostgreSQL a
    second transaction inserting the same key waits for the first and then inserts
    nothing; on SQLite writers are serialised (BEGIN IMMEDIATE). Either way the loser
    gets no row back and queues nothing, and a rollback removes the claim together with
    the messages it guarded.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(JobOccurrence)
        .values(job=job, object_key=object_key, occasion=occasion, handled_at=now)
        .on_conflict_do_nothing(index_elements=["job", "object_key", "occasion"])
        .returning(JobOccurrence.id)
    )
    # RETURNING rather than rowcount: the ORM insert path does not report rowcount on
    # every driver. A conflict returns no row.
    return db.session.execute(statement).scalar() is not None
