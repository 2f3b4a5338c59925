"""What a browser session refers to, kept on the server (issue 16).

The signed session cookie is readable (base64) and cannot be revoked, so it holds only
random ids; what they stand for lives here, where "Sluta följa" and expiry can end it:

- ``FollowGrant``: the proof that this browser typed the right reference and receipt
  code on "Följ ditt ärende". The cookie holds a random token; the table holds its
  SHA-256, so a copied database does not hand out working grants either.
- ``SavedSearch``: the words of a case-list search, under the opaque key in the list's
  URL, usable only by the login session (``owner_hash``) and user that saved them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from casetrack.models.base import Base, utcnow


class FollowGrant(Base):
    __tablename__ = "follow_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_record.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SavedSearch(Base):
    __tablename__ = "saved_search"
    __table_args__ = (sa.UniqueConstraint("owner_hash", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_hash: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
