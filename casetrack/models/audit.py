"""The append-only audit trail (DESIGN §4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casetrack.models.base import Base, utcnow


class AuditEntry(Base):
    """Who did what to which entity, when, with the values before and after.

    Rows are only ever inserted: the ORM refuses updates and deletes (casetrack.audit)
    and a database trigger refuses them too (migration 0001).
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        sa.Index("ix_audit_entry_case_occurred", "case_id", "occurred_at"),
        sa.Index("ix_audit_entry_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    # Who acted when there is no user: "e-tjänst", "system", "cli".
    actor_label: Mapped[str | None] = mapped_column(sa.String(100))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_record.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
