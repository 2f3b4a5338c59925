"""A case and what belongs to it: feedback, åtgärder, notes, attachments, its search
text, its reference counter and the public follow grants (DESIGN §4)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.models.base import Base, utcnow
from casetrack.models.organisation import OrgUnit
from casetrack.models.reference import Category
from casetrack.models.user import User

case_category = sa.Table(
    "case_category",
    Base.metadata,
    sa.Column("case_id", sa.ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_code", sa.ForeignKey("category.code"), primary_key=True),
    # The report counts per category; this index serves "which cases have category X".
    sa.Index("ix_case_category_category_code_case_id", "category_code", "case_id"),
)


OPEN_ACTION_SQL = "done_on IS NULL OR (effect_verdict IS NULL AND effect_waived_reason IS NULL)"


class ReferenceCounter(Base):
    """The last reference number handed out per prefix and year; never goes down."""

    __tablename__ = "reference_counter"

    prefix: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0)


class Case(Base):
    """One registered synpunkt, klagomål, beröm or avvikelse."""

    __tablename__ = "case_record"
    __table_args__ = (
        # The report: unit subtree × received date, grouped by kind and source, with
        # the other facts the report reads and the status as trailing columns, so that
        # its statements (and a unit's list, open cases included) read the index only,
        # never the table. Trailing key columns rather than INCLUDE, which SQLite lacks
        # (migrations 0950, 0960, 0980).
        sa.Index(
            "ix_case_record_unit_received",
            "org_unit_id",
            "received_on",
            "kind_code",
            "source_code",
            "ia_reported_on",
            "has_feedback",
            "has_done_action",
            "category_codes",
            "status_code",
            postgresql_include=["id"],
        ),
        sa.Index("ix_case_record_received_on", "received_on"),
        sa.Index("ix_case_record_kind_received", "kind_code", "received_on"),
        # "Mina ärenden": a handler's (or the unassigned) open cases, in their units
        # (migration 0990).
        sa.Index(
            "ix_case_record_handler_status_unit",
            "assigned_handler_id",
            "status_code",
            "org_unit_id",
        ),
        # Lists filtered by status ("Alla öppna"), newest first (migration 0970).
        sa.Index("ix_case_record_status_received", "status_code", "received_on"),
        sa.Index("ix_case_record_created_by", "created_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(24), unique=True)
    kind_code: Mapped[str] = mapped_column(sa.ForeignKey("case_kind.code"))
    org_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("org_unit.id"))
    # Calendar date in Europe/Stockholm; decides the tertial (DESIGN §5).
    received_on: Mapped[date]
    channel_code: Mapped[str | None] = mapped_column(sa.ForeignKey("channel.code"))
    source_code: Mapped[str | None] = mapped_column(sa.ForeignKey("source.code"))
    # Free-text for the category "Annat" ("ange vad").
    category_other_note: Mapped[str | None] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    wants_feedback: Mapped[bool] = mapped_column(default=True)
    submitter_name: Mapped[str | None] = mapped_column(sa.String(200))
    submitter_email: Mapped[str | None] = mapped_column(sa.String(254))
    submitter_phone: Mapped[str | None] = mapped_column(sa.String(40))
    # Minimal identification of the brukare concerned (DESIGN §3): name or initials.
    person_concerned: Mapped[str | None] = mapped_column(sa.String(200))
    # Avvikelse: when the event happened and what was done at once.
    occurred_on: Mapped[date | None]
    immediate_action: Mapped[str | None] = mapped_column(sa.Text)
    # SHA-256 of the public submitter's receipt code (the code itself is never stored).
    receipt_code_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)
    # Mottagningsbekräftelse sent to the submitter.
    acknowledged_on: Mapped[date | None]
    closed_at: Mapped[datetime | None]
    # Arbetsmiljöhändelse reported in IA: excluded from the lex Sarah / lex Maria rows.
    ia_reported_on: Mapped[date | None]
    ia_reference: Mapped[str | None] = mapped_column(sa.String(60))
    # Why the case was closed without återkoppling: anonym, avbojt, ej_nabar (checked by
    # the closing service; a CHECK would force a table rebuild on SQLite).
    no_feedback_reason: Mapped[str | None] = mapped_column(sa.String(20))
    status_code: Mapped[str] = mapped_column(sa.ForeignKey("status.code"))
    assigned_handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None when the case came from the public e-tjänst.
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)
    # Set when retention removed the personal data and free text (casetrack retention).
    anonymised_at: Mapped[datetime | None]
    # What the tertial report counts, kept by database triggers on feedback, case_action
    # and case_category in the same transaction as the write (migration 0960); never set
    # by the application. Values loaded into a session can lag behind a write made
    # through a child in the same session: read them in SQL (the report), not here.
    has_feedback: Mapped[bool] = mapped_column(server_default=sa.false())
    has_done_action: Mapped[bool] = mapped_column(server_default=sa.false())
    # The case's category codes joined by commas, '' for none; the order is not significant.
    category_codes: Mapped[str] = mapped_column(sa.Text, server_default="")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @classmethod
    def in_category(cls, code: str) -> sa.ColumnElement[bool]:
        """SQL: the case has the category ``code``, read from ``category_codes`` on the
        case row (no probe of ``case_category``; the list's category filter and the
        report's drill-down use it, so both count exactly what the report counts)."""
        return (sa.literal(",") + cls.category_codes + ",").contains(f",{code},", autoescape=True)

    org_unit: Mapped[OrgUnit] = relationship()
    categories: Mapped[list[Category]] = relationship(
        secondary=case_category, order_by=Category.sort_order
    )
    assigned_handler: Mapped[User | None] = relationship(foreign_keys=[assigned_handler_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    feedback: Mapped[list[Feedback]] = relationship(
        back_populates="case", order_by="Feedback.given_on", cascade="all, delete-orphan"
    )
    actions: Mapped[list[Action]] = relationship(
        back_populates="case", order_by="Action.id", cascade="all, delete-orphan"
    )
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", order_by="CaseNote.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Case {self.reference}>"


class Feedback(Base):
    """Återkoppling: an answer given to whoever raised the case."""

    __tablename__ = "feedback"
    __table_args__ = (
        sa.CheckConstraint("method IN ('telefon', 'brev', 'e_post', 'mote')", name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    given_on: Mapped[date]
    given_to: Mapped[str] = mapped_column(sa.String(200))
    method: Mapped[str] = mapped_column(sa.String(20))
    summary: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship(back_populates="feedback")


class Action(Base):
    """Åtgärd: what, who, by when, done when, and the effect follow-up."""

    __tablename__ = "case_action"
    __table_args__ = (
        sa.CheckConstraint(
            "effect_verdict IS NULL OR effect_verdict IN ('achieved', 'partial', 'none')",
            name="effect_verdict",
        ),
        sa.Index("ix_case_action_case_done", "case_id", "done_on"),
        # Open åtgärder (not done, or effect not yet followed up): a small slice of all
        # åtgärder, which "Mina ärenden" and the reminders look for.
        sa.Index(
            "ix_case_action_open",
            "case_id",
            postgresql_where=sa.text(OPEN_ACTION_SQL),
            sqlite_where=sa.text(OPEN_ACTION_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("case_record.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(sa.Text)
    responsible: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date | None]
    done_on: Mapped[date | None]
    effect_evaluated_on: Mapped[date | None]
    effect_verdict: Mapped[str | None] = mapped_column(sa.String(20))
    # The investigation cause this åtgärd addresses, if any.
    cause_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("investigation_cause.id", ondelete="SET NULL")
    )
    # The effect follow-up may be waived, with a reason, instead of evaluated.
    effect_waived_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship(back_populates="actions")


class CaseNote(Base):
    """A note on a case: internal (handlers only) or information added by the submitter."""

    __tablename__ = "case_note"
    __table_args__ = (sa.CheckConstraint("kind IN ('internal', 'submitter')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20), default="internal")
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship(back_populates="notes")
    created_by: Mapped[User | None] = relationship()


class CaseSearchDocument(Base):
    """The searchable text of a case, kept by the services, in two parts by who may read
    it (issue 16): ``document`` holds what every reader of the case sees on its page
    (title, description, immediate action, the "annat" note, the submitter's additions);
    ``internal_document`` holds the internal notes, which only those who handle the
    case's unit see, and is searched only for them (casetrack.queries.cases).

    PostgreSQL stores ``to_tsvector('swedish', ...)`` of each in the generated columns
    ``case_search_fts_vector`` (migration 0950) and ``case_search_fts_internal_vector``
    (migration 1020), each with a GIN index (not mapped, the database computes them);
    SQLite mirrors the texts into the FTS5 tables ``case_search_fts`` (migration 0002) and
    ``case_search_fts_internal`` (migration 1020) by triggers.
    """

    __tablename__ = "case_search"

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[str] = mapped_column(sa.Text)
    internal_document: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class Attachment(Base):
    """A file on a case, stored outside the web root under a random name."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


# The proof that this browser typed the right reference and receipt code on "Följ ditt
# ärende" (issue 16). The signed cookie holds only a random token; this table holds its
# SHA-256, so a copied database does not hand out working grants, and "Sluta följa" and
# expiry can end it.
class FollowGrant(Base):
    __tablename__ = "follow_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# The receipt of a public submission between its POST and the receipt page (issue 20:
# POST/redirect/GET). The session cookie holds only a random token; this row holds its
# SHA-256, the case, the receipt code sealed with a key derived from the secret key until
# the page has shown it once, and a digest of (browser, submission) that recognises the
# same submission sent again from the same browser (casetrack.services.receipts).
class ReceiptGrant(Base):
    __tablename__ = "receipt_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    submission_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    sealed_code: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    emailed: Mapped[bool] = mapped_column(default=False)
    repeated: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
