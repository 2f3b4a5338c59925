"""One-time links e-mailed to a person about their own account (issue 16).

``password``: choose a password (a new account, or a reset an administrator asked for).
``mfa_reset``: an administrator asked to reset the person's second factor; the person
confirms by following the link, or a second administrator approves on the account page.

Only the SHA-256 of the token is stored; the token itself is only in the e-mail. A link
is used once (its state leaves ``open`` in one compare-and-set UPDATE), expires, and a
new link of the same purpose replaces the older ones.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casetrack.models.base import Base, utcnow
from casetrack.models.org import User

LINK_PURPOSES = ("password", "mfa_reset")
# open: waiting; used: followed by the person; approved: a second administrator approved
# (mfa_reset); replaced: a newer link of the same purpose was sent.
LINK_STATES = ("open", "used", "approved", "replaced")


class AccountLink(Base):
    __tablename__ = "account_link"
    __table_args__ = (
        sa.CheckConstraint("purpose IN ('password', 'mfa_reset')", name="purpose"),
        sa.CheckConstraint("state IN ('open', 'used', 'approved', 'replaced')", name="state"),
        sa.Index("ix_account_link_user_purpose_state", "user_id", "purpose", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    purpose: Mapped[str] = mapped_column(sa.String(20))
    # SHA-256 (hex) of the token in the link.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    state: Mapped[str] = mapped_column(sa.String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # The administrator who asked for it (None: the command line or the person).
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None]
    # The second administrator who approved an mfa_reset.
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
