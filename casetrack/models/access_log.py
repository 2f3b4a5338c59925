"""The access log: every read of case data, who, when, which case, from where (K3-72)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.models.base import Base, utcnow
from casetrack.models.user import User


class AccessLogEntry(Base):
    """One read of personal data: a case opened, an export, a registerutdrag search.

    Append-only like the audit trail: the ORM refuses updates and deletes
    (casetrack.audit) and database triggers refuse them too (migration 0500).
    ``org_unit_id`` is the case's unit at the time of the read, so loggkontroll can be
    scoped to units without joining cases that may have moved since.
    """

    __tablename__ = "access_log_entry"
    __table_args__ = (
        sa.Index("ix_access_log_entry_user_occurred", "user_id", "occurred_at"),
        sa.Index("ix_access_log_entry_unit_occurred", "org_unit_id", "occurred_at"),
        sa.Index("ix_access_log_entry_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # "case.view", "export", "registerutdrag", "accesslog.export"
    what: Mapped[str] = mapped_column(sa.String(40))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("case_record.id"))
    org_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"))
    # Short structured detail (e.g. "träffar: 3"); never search terms or free text.
    detail: Mapped[str | None] = mapped_column(sa.String(200))
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))

    user: Mapped[User | None] = relationship()
