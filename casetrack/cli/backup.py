"""`casetrack backup` and `casetrack restore` (SECURITY.md K3-82–85).

A backup is one file: a tar archive, encrypted as it is written (``stream_crypto``, AES-256
-GCM with ``CASETRACK_BACKUP_KEY``), holding

- ``manifest.json``: format, time, database kind, schema revision, the row count of every
  table and the SHA-256 of every other member;
- ``database.sqlite`` (SQLite's online backup API, consistent while casetrack runs) or
  ``database.pgdump`` (``pg_dump --format=custom`` on an exported snapshot, so the row
  counts and the attachment list come from the very state that was dumped);
- ``attachments/<storage name>``: every attachment file the dumped database refers to, as
  stored (encrypted at rest when attachment encryption is on).

Attachment files are written before their row is committed and never changed, so every
file the snapshot names exists. Plaintext never leaves the private temporary folder of
the process. ``restore`` decrypts and checks everything before it touches the target,
refuses a database with tables or an attachment folder with files unless ``force``, then
checks the restored row counts and file hashes against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404 - runs pg_dump/pg_restore with fixed arguments, no shell
import tarfile
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from casetrack.extensions import db
from casetrack.infra.stream_crypto import DecryptingReader, EncryptingWriter, parse_key

FORMAT = 1
KEY_VARIABLE = "CASETRACK_BACKUP_KEY"
_STORAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message is for the operator (Swedish)."""


@dataclass
class BackupSummary:
    database: str
    counts: dict[str, int]
    attachments: int

    def text(self) -> str:
        return (
            f"{self.counts.get('case_record', 0)} ärenden, "
            f"{self.counts.get('audit_entry', 0)} händelser i granskningsloggen, "
            f"{self.attachments} bilagor ({self.database})"
        )


def backup_key() -> bytes:
    try:
        return parse_key(os.environ.get(KEY_VARIABLE), KEY_VARIABLE)
    except ValueError as error:
        raise BackupError(str(error)) from error


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _count_rows(connection) -> dict[str, int]:
    """Rows per table, for every table the database has (older revisions included)."""
    return {
        table: connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608  # nosec B608 - table names from the database catalogue
        for table in sorted(sa.inspect(connection).get_table_names())
    }


def _revision(connection) -> str | None:
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _storage_names(connection) -> list[str]:
    return list(connection.execute(sa.text("SELECT storage_name FROM attachment")).scalars())


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq settings for pg_dump/pg_restore; the password never appears in argv."""
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[variable] = str(value)
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} hittades inte. PostgreSQL-klientverktygen (pg_dump, pg_restore, samma "
            "huvudversion som servern) krävs för säkerhetskopiering av PostgreSQL."
        )
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603 - fixed argv, no shell
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} misslyckades: {result.stderr.strip()}")


@contextmanager
def _database_snapshot(folder: Path):
    """Dump the database into ``folder``; yield (member name, counts, revision, files)."""
    engine = db.engine
    db.session.remove()
    if engine.dialect.name == "sqlite":
        target = folder / "database.sqlite"
        source = sqlite3.connect(engine.url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        snapshot = sa.create_engine(f"sqlite:///{target}")
        try:
            with snapshot.connect() as connection:
                yield (
                    target.name,
                    _count_rows(connection),
                    _revision(connection),
                    _storage_names(connection),
                )
        finally:
            snapshot.dispose()
        return
    if engine.dialect.name != "postgresql":
        raise BackupError(f"Databasen {engine.dialect.name} stöds inte.")
    target = folder / "database.pgdump"
    pg_dump = _pg_tool("pg_dump")
    connection = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with connection, connection.begin():
        snapshot_id = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        counts = _count_rows(connection)
        revision = _revision(connection)
        names = _storage_names(connection)
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot_id}", f"--file={target}"],
            _pg_environment(engine.url),
        )
    yield target.name, counts, revision, names


def create_backup(output: Path, attachment_dir: Path, key: bytes) -> BackupSummary:
    """Write an encrypted backup of the database and its attachment files to ``output``."""
    output = Path(output)
    with tempfile.TemporaryDirectory(prefix="casetrack-backup-") as work:
        folder = Path(work)
        with _database_snapshot(folder) as (member, counts, revision, names):
            files = {}
            for name in names:
                path = attachment_dir / name
                if not _STORAGE_NAME.fullmatch(name) or not path.is_file():
                    raise BackupError(f"Bilagefilen {name} saknas i {attachment_dir}.")
                files[name] = _sha256_file(path)
            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(),
                "database": db.engine.dialect.name,
                "database_member": member,
                "database_sha256": _sha256_file(folder / member),
                "revision": revision,
                "counts": counts,
                "attachments": files,
            }
            (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
            partial = output.with_name(output.name + ".part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw:
                encrypted = EncryptingWriter(raw, key)
                with tarfile.open(fileobj=encrypted, mode="w|") as archive:
                    archive.add(folder / "manifest.json", "manifest.json")
                    archive.add(folder / member, member)
                    for name in names:
                        archive.add(attachment_dir / name, f"attachments/{name}")
                encrypted.close()
            os.replace(partial, output)
    return BackupSummary(manifest["database"], counts, len(files))


def _target_problems(attachment_dir: Path) -> list[str]:
    problems = []
    tables = sa.inspect(db.engine).get_table_names()
    if tables:
        problems.append(f"databasen har redan {len(tables)} tabeller")
    if attachment_dir.is_dir() and any(p.is_file() for p in attachment_dir.iterdir()):
        problems.append(f"bilagemappen {attachment_dir} innehåller filer")
    return problems


class _TarSource:
    """The decrypted stream as the tar reader sees it: counts the bytes handed out and
    keeps the last ones, so the bytes the reader buffered but never parsed can be checked.

    A tar archive ends with two zero blocks, and ``tarfile`` pads it with zeros to a whole
    record (``RECORDSIZE``, 10 KiB). The reader stops at the first zero block; how much of
    the rest it has already pulled into its buffer depends on how the decrypted chunks
    (1 MiB) happened to fall, so the end-of-archive check must look at both."""

    _KEEP = 2 * tarfile.RECORDSIZE

    def __init__(self, inner: DecryptingReader):
        self._inner = inner
        self.position = 0
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        self.position += len(data)
        self.tail = (self.tail + data)[-self._KEEP :]
        return data


# After the last member: the two end-of-archive blocks plus the padding to a whole record.
_MAX_TRAILER = 2 * tarfile.BLOCKSIZE + tarfile.RECORDSIZE


def _check_end_of_archive(source: _TarSource, end: int) -> None:
    """Everything after the last member (plaintext offset ``end``) must be the archive's
    zero trailer: anything else is data appended after the archive, which is refused."""
    consumed = source.position - end
    if consumed > len(source.tail) or source.tail[len(source.tail) - consumed :].strip(b"\0"):
        raise BackupError("Säkerhetskopian har data efter arkivet.")
    # Read to the end (so the last chunk's authentication is checked), one decrypted chunk
    # at a time, but never more than a trailer's length.
    rest = bytearray()
    while len(rest) <= _MAX_TRAILER and (data := source.read(_MAX_TRAILER + 1 - len(rest))):
        rest += data
    total = source.position
    if rest.strip(b"\0") or total - end > _MAX_TRAILER or total % tarfile.BLOCKSIZE:
        raise BackupError("Säkerhetskopian har data efter arkivet.")


def _unpack(source: Path, key: bytes, folder: Path) -> dict:
    """Decrypt and unpack into ``folder``, checking every member against the manifest."""
    try:
        with source.open("rb") as raw:
            reader = _TarSource(DecryptingReader(raw, key))
            with tarfile.open(fileobj=reader, mode="r|") as archive:
                for member in archive:
                    name = member.name
                    allowed = name in {"manifest.json", "database.sqlite", "database.pgdump"} or (
                        name.startswith("attachments/")
                        and _STORAGE_NAME.fullmatch(name.removeprefix("attachments/"))
                    )
                    if not member.isfile() or not allowed:
                        raise BackupError(f"Oväntat innehåll i säkerhetskopian: {name!r}.")
                    target = folder / name
                    target.parent.mkdir(exist_ok=True, mode=0o700)
                    with archive.extractfile(member) as data, target.open("wb") as handle:  # type: ignore[union-attr]
                        shutil.copyfileobj(data, handle)
                # The reader stopped at the first end-of-archive block, at this offset.
                end = archive.offset
            _check_end_of_archive(reader, end)
    except (ValueError, tarfile.TarError) as error:
        raise BackupError(str(error)) from error
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except FileNotFoundError as error:
        raise BackupError("Säkerhetskopian saknar manifest.") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Okänt format på säkerhetskopian: {manifest.get('format')!r}.")
    database = folder / manifest["database_member"]
    if not database.is_file() or _sha256_file(database) != manifest["database_sha256"]:
        raise BackupError("Databasdelen av säkerhetskopian saknas eller stämmer inte.")
    for name, digest in manifest["attachments"].items():
        path = folder / "attachments" / name
        if not path.is_file() or _sha256_file(path) != digest:
            raise BackupError(f"Bilagan {name} saknas eller stämmer inte i säkerhetskopian.")
    return manifest


def restore_backup(source: Path, attachment_dir: Path, key: bytes, force: bool) -> BackupSummary:
    """Restore ``source`` into this app's database and attachment folder."""
    problems = _target_problems(attachment_dir)
    if problems and not force:
        raise BackupError(
            "Återläsning görs bara till en tom databas och en tom bilagemapp: "
            + "; ".join(problems)
            + ". Använd --force för att skriva över."
        )
    with tempfile.TemporaryDirectory(prefix="casetrack-restore-") as work:
        folder = Path(work)
        manifest = _unpack(Path(source), key, folder)
        dialect = db.engine.dialect.name
        if manifest["database"] != dialect:
            raise BackupError(
                f"Säkerhetskopian är från {manifest['database']}, målet är {dialect}."
            )
        db.session.remove()
        db.engine.dispose()
        if dialect == "sqlite":
            backup_copy = sqlite3.connect(folder / "database.sqlite")
            target = sqlite3.connect(db.engine.url.database)
            try:
                backup_copy.backup(target)
            finally:
                backup_copy.close()
                target.close()
        else:
            if force:
                with db.engine.begin() as connection:
                    connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                    connection.exec_driver_sql("CREATE SCHEMA public")
            # Objects belong to the restoring (owner) role; apply the app role's GRANTs
            # (docs/postgresql_app_role.sql) again afterwards.
            _run(
                [
                    _pg_tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={db.engine.url.database}",
                    str(folder / "database.pgdump"),
                ],
                _pg_environment(db.engine.url),
            )
        attachment_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name in manifest["attachments"]:
            target_path = attachment_dir / name
            shutil.copyfile(folder / "attachments" / name, target_path)
            os.chmod(target_path, 0o600)
    with db.engine.connect() as connection:
        counts = _count_rows(connection)
    if counts != manifest["counts"]:
        raise BackupError(
            f"Antalet rader efter återläsningen stämmer inte: {counts} ≠ {manifest['counts']}."
        )
    for name, digest in manifest["attachments"].items():
        if _sha256_file(attachment_dir / name) != digest:
            raise BackupError(f"Bilagan {name} stämmer inte efter återläsningen.")
    return BackupSummary(manifest["database"], counts, len(manifest["attachments"]))
