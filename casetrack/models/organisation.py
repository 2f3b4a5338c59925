"""The organisation: its unit tree, the tree's version token and the settings an
administrator edits (DESIGN §3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.models.base import Base, utcnow

if TYPE_CHECKING:
    pass


class OrgUnit(Base):
    """A unit in the organisation tree, of any depth."""

    __tablename__ = "org_unit"
    __table_args__ = (
        sa.CheckConstraint(
            "level IN ('forvaltning', 'avdelning', 'enhet', 'verksamhet', 'arbetsgrupp')",
            name="level",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[str] = mapped_column(sa.String(20))
    # Prefix of case references for cases in this subtree (nearest ancestor's wins).
    reference_prefix: Mapped[str | None] = mapped_column(sa.String(6))
    active: Mapped[bool] = mapped_column(default=True)
    # The day a unit stopped (migration 1050): a unit that has cases is never deleted,
    # it is closed (active false) with this date; NULL while it is open.
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    # Optimistic locking (migration 1030): bumped on every update; an edit form carries
    # the version it was opened at, and a save from an older one is refused.
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code}>"


class OrgUnitPeriod(Base):
    """Where a unit sat in the tree, and what it was called, from ``valid_from`` up to
    (not including) ``valid_to`` (migration 1050).

    Written by the admin unit edit and by ``casetrack org import``, so a report for a past
    tertial can use the tree as it was then (``access/org_tree.py``, ``OrgHistory``).
    NULL ``valid_from``: since before history was kept; NULL ``valid_to``: still so. A
    unit's first period also reaches back to before its ``valid_from`` (a case may be
    registered afterwards with an earlier received date), and a unit with no period at all
    stands where ``org_unit`` says.
    """

    __tablename__ = "org_unit_period"
    __table_args__ = (
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to", name="order"
        ),
        sa.Index("ix_org_unit_period_unit_from", "org_unit_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_to: Mapped[date | None] = mapped_column(sa.Date)

    def __repr__(self) -> str:
        return f"<OrgUnitPeriod {self.org_unit_id} under {self.parent_id} {self.valid_from}–>"


class OrgTreeVersion(Base):
    """One row (id 1) whose token the database replaces on every write to ``org_unit``
    and ``org_unit_period`` (triggers, migrations 0980 and 1050): processes cache the
    tree and reload it when the token they read differs from the one they cached
    (casetrack/access/org_tree.py)."""

    __tablename__ = "org_tree_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(sa.String(64))


class OrgSetting(Base):
    """An organisation setting editable in the app (deadlines, legal references)."""

    __tablename__ = "org_setting"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # Optimistic locking (migration 1030): bumped on every update; an edit form carries
    # the version it was opened at, and a save from an older one is refused.
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
