"""Reference data tables: a stable ASCII code as key, the Swedish label beside it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from casetrack.models.base import Base


class _RefMixin:
    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # Optimistic locking (migration 1030): bumped on every update; an edit form carries
    # the version it was opened at, and a save from an older one is refused.
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


class CaseKind(_RefMixin, Base):
    """Ärendetyp: synpunkt, klagomål, beröm, avvikelse."""

    __tablename__ = "case_kind"

    # Years after closing before a case of this kind is anonymised (retention).
    retention_years: Mapped[int] = mapped_column(default=2, server_default=sa.text("2"))


class Source(_RefMixin, Base):
    """Från vem ärendet inkommit (the report's source rows)."""

    __tablename__ = "source"


class Channel(_RefMixin, Base):
    """Kanal: how the case arrived."""

    __tablename__ = "channel"


class Category(_RefMixin, Base):
    """Kategori: what the case concerned (the report's category rows)."""

    __tablename__ = "category"


class Status(_RefMixin, Base):
    """Status with a type, so renaming a status never breaks statistics."""

    __tablename__ = "status"
    __table_args__ = (sa.CheckConstraint("type IN ('open', 'closed')", name="type"),)

    type: Mapped[str] = mapped_column(sa.String(10))
