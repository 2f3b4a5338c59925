"""Connection set-up for SQLite: foreign keys, WAL, a busy timeout and write locking.

SQLite allows one writer. pysqlite's own transaction handling is turned off and casetrack
starts transactions itself:

- A transaction starts *deferred* (``BEGIN``): a request that only reads (the public form,
  the login page) takes no write lock and, in WAL mode, never waits for a writer.
- Right before its first write (INSERT, UPDATE, DELETE, DDL, a SAVEPOINT; any statement
  not known to be a read) the read-only part is ended and ``BEGIN IMMEDIATE`` takes the
  write lock, waiting up to the busy timeout while another writer holds it.

A deferred transaction is never upgraded in place: SQLite refuses that with SQLITE_BUSY at
once, without waiting, when another writer got in first, which is exactly what two
simultaneous registrations do (why issue #2 chose ``BEGIN IMMEDIATE``). Ending the read
part first means that reads before the first write and the writes after it are not one
snapshot — PostgreSQL's READ COMMITTED, under which casetrack runs in production, gives
no more than that either; everything from the first write to the commit is serialised.
PostgreSQL is untouched.
"""

from __future__ import annotations

import re
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 15_000
# Set on the pooled connection while its transaction holds the write lock.
_WRITING = "casetrack_sqlite_writing"
_READ_STATEMENTS = {"SELECT", "PRAGMA", "EXPLAIN", "VALUES"}
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "END", "ROLLBACK", "RELEASE"}
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite(conn) -> sqlite3.Connection | None:
    if conn.dialect.name != "sqlite":
        return None
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return None
    raw = conn.connection.driver_connection
    return raw if isinstance(raw, sqlite3.Connection) else None


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    raw = _sqlite(conn)
    if raw is None:
        return
    conn.connection.info[_WRITING] = False
    if not raw.in_transaction:
        raw.execute("BEGIN")


def writes(statement: str, context) -> bool:
    """Whether ``statement`` may write, so it needs the write lock first."""
    if context is not None and (
        context.isinsert or context.isupdate or context.isdelete or context.isddl
    ):
        return True
    compiled = getattr(context, "compiled", None)
    if getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None:
        return True  # SELECT … FOR UPDATE: the caller means to write what it reads
    words = statement.lstrip().split(None, 1)
    head = words[0].upper() if words else ""
    if head in _READ_STATEMENTS or head in _TRANSACTION_CONTROL:
        return False
    if head == "WITH":
        return _WRITE_WORD.search(statement) is not None
    return True


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_lock_before_first_write(conn, cursor, statement, parameters, context, many):
    raw = _sqlite(conn)
    if raw is None or conn.connection.info.get(_WRITING) or not writes(statement, context):
        return
    if raw.in_transaction:
        raw.execute("COMMIT")  # the read-only part: nothing to keep, no snapshot to upgrade
    raw.execute("BEGIN IMMEDIATE")
    conn.connection.info[_WRITING] = True
