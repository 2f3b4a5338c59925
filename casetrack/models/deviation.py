"""Avvikelser's own classification (issue 19): the händelsetyp tree and, per avvikelse,
its lagrum, händelsetyp, harm and the consequence for the brukare."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casetrack.models.base import Base, utcnow
from casetrack.models.reference import _RefMixin


class EventType(_RefMixin, Base):
    """Händelsetyp: a node of the tree (fall, läkemedel → utebliven dos, …) under one of the
    two lists, HSL or SoL/LSS (casetrack.domain.deviations). Codes never change; labels,
    descriptions, examples, order and active are edited by the administrator."""

    __tablename__ = "event_type"
    __table_args__ = (sa.CheckConstraint("lagrum_group IN ('hsl', 'sol_lss')", name="group"),)

    lagrum_group: Mapped[str] = mapped_column(sa.String(10))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("event_type.code"))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    example: Mapped[str] = mapped_column(sa.String(300), default="")


class DeviationClassification(Base):
    """How an avvikelse is classified. One row per avvikelse that has been classified at
    all; an avvikelse without a row, or with an empty field, is "ej angivet" there (the
    migration brings existing avvikelser over that way). Changes are audited with before
    and after, which is the reclassification history."""

    __tablename__ = "deviation_classification"
    __table_args__ = (
        sa.CheckConstraint("lagrum IN ('hsl', 'sol', 'lss')", name="lagrum"),
        sa.CheckConstraint(
            "harm IN ('ingen', 'lindrig', 'mattlig', 'allvarlig', 'dodsfall')", name="harm"
        ),
        sa.CheckConstraint("probability BETWEEN 1 AND 4", name="probability"),
        sa.CheckConstraint("consequence_level BETWEEN 1 AND 4", name="consequence_level"),
    )

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True
    )
    lagrum: Mapped[str | None] = mapped_column(sa.String(3))
    event_type_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("event_type.code"), index=True
    )
    harm: Mapped[str | None] = mapped_column(sa.String(12))
    # Riskbedömning: sannolikhet and konsekvens, 1–4 each (risk = their product).
    probability: Mapped[int | None]
    consequence_level: Mapped[int | None]
    # The brukare's keyed pseudonym (casetrack.infra.pseudonyms): links the avvikelser about
    # one person; the personnummer itself is never stored.
    person_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # Konsekvens för brukaren: free text, anonymised by retention like the case's own text.
    consequence: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
