"""Texts written on the tertial report and frozen (fastställda) tertials (DESIGN §5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casetrack.models.base import Base, utcnow


class ReportSummaryVersion(Base):
    """One saved version of a row's "Sammanfattning och planerade åtgärder".

    Versions are only added, never changed: the newest per (unit, year, tertial, row) is
    the current text, the older ones are its history.
    """

    __tablename__ = "report_summary_version"
    __table_args__ = (
        sa.Index(
            "ix_report_summary_version_key", "org_unit_id", "year", "tertial", "row_key", "id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    year: Mapped[int]
    tertial: Mapped[int]
    row_key: Mapped[str] = mapped_column(sa.String(60))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class ReportSnapshot(Base):
    """A fastställd tertial: its figures and texts as they were when frozen.

    Undoing a freeze records who, when and why (``revoked_*``); the row stays.
    """

    __tablename__ = "report_snapshot"
    __table_args__ = (sa.Index("ix_report_snapshot_key", "org_unit_id", "year", "tertial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    year: Mapped[int]
    tertial: Mapped[int]
    figures: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    texts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)


class HistoricTally(Base):
    """One figure of a tertial table kept in Excel before casetrack (issue 22), brought in
    by ``casetrack import tallies``: the count of one row for one unit and tertial.

    Shown on the report page only for tertials casetrack has no cases for, always marked
    "importerad"; never added to casetrack's own counts.
    """

    __tablename__ = "historic_tally"
    __table_args__ = (
        sa.UniqueConstraint("org_unit_id", "year", "tertial", "row_key"),
        sa.CheckConstraint("tertial IN (1, 2, 3)", name="tertial"),
        sa.CheckConstraint("value >= 0", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    year: Mapped[int]
    tertial: Mapped[int]
    row_key: Mapped[str] = mapped_column(sa.String(60))
    value: Mapped[int]
    # Where the figure came from: "Blad!C12" (the sheet and cell), the file and its hash.
    source_cell: Mapped[str] = mapped_column(sa.String(80))
    source_name: Mapped[str] = mapped_column(sa.String(255))
    source_sha256: Mapped[str] = mapped_column(sa.String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(sa.String(120))
