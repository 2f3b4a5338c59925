"""The audit trail of backups and restores (``casetrack backup`` / ``restore``, cli/backup)."""

from __future__ import annotations

from casetrack import audit


def record_backup(counts: dict[str, int], attachments: int) -> None:
    """A backup was written: how many rows per table and attachment files it holds."""
    _record("backup.created", counts, attachments)


def record_restore(counts: dict[str, int], attachments: int) -> None:
    """A backup was restored (into a database on the newest schema)."""
    _record("backup.restored", counts, attachments)


def _record(action: str, counts: dict[str, int], attachments: int) -> None:
    audit.record(
        action,
        entity_type="backup",
        entity_id=None,
        actor=None,
        actor_label="cli",
        after={"counts": counts, "attachments": attachments},
    )
