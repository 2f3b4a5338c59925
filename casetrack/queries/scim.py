"""The read side of the SCIM endpoints (issue 18): tokens, the accounts and groups the
identity system manages, and SCIM filters turned into SQL.

An account is in SCIM's directory while it has an ``ExternalIdentity`` row of the
provider ``scim``: created by SCIM, or an existing account that SCIM took over (matched by
its e-mail address). The row's subject is the account's SCIM ``externalId``; an account
the identity system gave no externalId has the placeholder ``casetrack:<id>``. A SCIM
DELETE removes the row (the account stays, deactivated, for the audit trail), so the
account leaves the directory and answers 404.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from scim2_models import InvalidFilterException
from scim2_models.path import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from casetrack.extensions import db
from casetrack.models import ExternalIdentity, ScimGroup, ScimGroupMember, ScimToken, User

SCIM_PROVIDER = "scim"
# The subject of a link without an externalId; never shown as an externalId.
PLACEHOLDER_PREFIX = "casetrack:"


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_by_secret(secret: str) -> ScimToken | None:
    """The token whose SHA-256 is the secret's (revoked ones too: the caller refuses them)."""
    return db.session.scalar(sa.select(ScimToken).where(ScimToken.token_hash == token_hash(secret)))


def token_by_name(name: str) -> ScimToken | None:
    """The token of that name that is not revoked."""
    return db.session.scalar(
        sa.select(ScimToken).where(ScimToken.name == name, ScimToken.revoked_at.is_(None))
    )


def tokens() -> list[ScimToken]:
    return list(db.session.scalars(sa.select(ScimToken).order_by(ScimToken.created_at)))


def external_id_of(subject: str | None) -> str | None:
    if subject is None or subject.startswith(PLACEHOLDER_PREFIX):
        return None
    return subject


# --- users -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScimUserRow:
    user: User
    subject: str
    groups: tuple[tuple[str, str], ...]  # (scim id, display name)

    @property
    def external_id(self) -> str | None:
        return external_id_of(self.subject)


def _link_join():
    return sa.and_(ExternalIdentity.user_id == User.id, ExternalIdentity.provider == SCIM_PROVIDER)


def link_of(user: User) -> ExternalIdentity | None:
    return db.session.scalar(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.user_id == user.id, ExternalIdentity.provider == SCIM_PROVIDER
        )
    )


def subject_owner(subject: str) -> int | None:
    """The id of the account linked to SCIM under ``subject``, if any."""
    return db.session.scalar(
        sa.select(ExternalIdentity.user_id).where(
            ExternalIdentity.provider == SCIM_PROVIDER, ExternalIdentity.subject == subject
        )
    )


def _id(scim_id: str) -> int | None:
    return int(scim_id) if scim_id.isascii() and scim_id.isdigit() and len(scim_id) < 18 else None


def groups_of(user_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The SCIM groups (scim id, display name) of each user, by name."""
    found: dict[int, list[tuple[str, str]]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return found
    rows = db.session.execute(
        sa.select(ScimGroupMember.user_id, ScimGroup.scim_id, ScimGroup.display_name)
        .join(ScimGroup, ScimGroup.id == ScimGroupMember.group_id)
        .where(ScimGroupMember.user_id.in_(user_ids))
        .order_by(ScimGroup.display_name, ScimGroup.id)
    )
    for user_id, scim_id, name in rows:
        found[user_id].append((scim_id, name))
    return found


def _user_rows(pairs) -> list[ScimUserRow]:
    pairs = list(pairs)
    groups = groups_of([user.id for user, _ in pairs])
    return [ScimUserRow(user, subject, tuple(groups[user.id])) for user, subject in pairs]


def scim_user(scim_id: str) -> ScimUserRow | None:
    """The account with this SCIM id, if it is in SCIM's directory."""
    user_id = _id(scim_id)
    if user_id is None:
        return None
    pair = db.session.execute(
        sa.select(User, ExternalIdentity.subject).join(ExternalIdentity, _link_join())
        .where(User.id == user_id)
    ).one_or_none()  # fmt: skip
    return _user_rows([tuple(pair)])[0] if pair else None


def user_group_refs(user_id: int) -> set[str]:
    """What a GroupRoleMapping may name for the user's SCIM groups: each group's
    externalId and displayName."""
    refs: set[str] = set()
    rows = db.session.execute(
        sa.select(ScimGroup.external_id, ScimGroup.display_name)
        .join(ScimGroupMember, ScimGroupMember.group_id == ScimGroup.id)
        .where(ScimGroupMember.user_id == user_id)
    )
    for external_id, name in rows:
        refs.update(value for value in (external_id, name) if value)
    return refs


# --- filters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    column: sa.ColumnElement
    kind: str  # "text" (case-insensitive), "exact", "bool", "time", "id"


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compare(attr: Attr, op: CompareOperator, value) -> sa.ColumnElement[bool]:
    """SQL for one comparison; an unassigned attribute matches no comparison, also under
    ``not`` (SQL's NULL would make ``not (externalId eq "x")`` unknown, not true)."""
    if value is None or (op == CompareOperator.ne and attr.kind in ("text", "exact")):
        return _comparison(attr, op, value)
    return sa.and_(attr.column.is_not(None), _comparison(attr, op, value))


def _comparison(attr: Attr, op: CompareOperator, value) -> sa.ColumnElement[bool]:
    column = attr.column
    if value is None:
        if op == CompareOperator.eq:
            return column.is_(None)
        if op == CompareOperator.ne:
            return column.is_not(None)
        raise InvalidFilterException(detail=f"{op.value} needs a value")
    if attr.kind == "bool":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="a boolean is compared with eq or ne to true/false")
        return column.is_(value) if op == CompareOperator.eq else column.is_not(value)
    if attr.kind == "time":
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise InvalidFilterException(detail="not a dateTime") from None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise InvalidFilterException(detail="not a dateTime with a time zone")
        ops = {
            CompareOperator.eq: column.__eq__,
            CompareOperator.ne: column.__ne__,
            CompareOperator.gt: column.__gt__,
            CompareOperator.ge: column.__ge__,
            CompareOperator.lt: column.__lt__,
            CompareOperator.le: column.__le__,
        }
        if op not in ops:
            raise InvalidFilterException(detail=f"{op.value} does not compare dates")
        return ops[op](value)
    if not isinstance(value, str):
        raise InvalidFilterException(detail="a string attribute is compared with a string")
    if attr.kind == "id":
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="id is compared with eq or ne")
        number = _id(value)
        matched = column == number if number is not None else sa.false()
        return matched if op == CompareOperator.eq else sa.not_(matched)
    if attr.kind == "text":
        column, value = sa.func.lower(column), value.lower()
    if op == CompareOperator.eq:
        return column == value
    if op == CompareOperator.ne:
        return sa.or_(column != value, attr.column.is_(None))
    if op == CompareOperator.co:
        return column.like(f"%{_like(value)}%", escape="\\")
    if op == CompareOperator.sw:
        return column.like(f"{_like(value)}%", escape="\\")
    if op == CompareOperator.ew:
        return column.like(f"%{_like(value)}", escape="\\")
    ops = {
        CompareOperator.gt: column.__gt__,
        CompareOperator.ge: column.__ge__,
        CompareOperator.lt: column.__lt__,
        CompareOperator.le: column.__le__,
    }
    return ops[op](value)


def _where(node: FilterNode, attrs: dict[str, Attr], members=None) -> sa.ColumnElement[bool]:
    """SQL for a SCIM filter (RFC 7644 §3.4.2.2) over the attributes in ``attrs``."""
    if isinstance(node, LogicalExpr):
        parts = [_where(term, attrs, members) for term in node.terms]
        return sa.and_(*parts) if node.op == LogicalOperator.and_ else sa.or_(*parts)
    if isinstance(node, Not):
        return sa.not_(_where(node.expr, attrs, members))
    if isinstance(node, ValuePath):
        if members is not None and node.attr_path.attr.lower() == "members":
            return members(node.val_filter)
        raise InvalidFilterException(detail=f"cannot filter on {node.attr_path}")
    if isinstance(node, Comparison | Present):
        name = str(node.attr_path).lower()
        if members is not None and name in ("members", "members.value"):
            if isinstance(node, Present):
                return members(None)
            return members(Comparison(node.attr_path, node.op, node.value))
        attr = attrs.get(name) or attrs.get(name.rsplit(":", 1)[-1])
        if attr is None:
            raise InvalidFilterException(detail=f"cannot filter on {node.attr_path}")
        if isinstance(node, Present):
            return attr.column.is_not(None)
        return _compare(attr, node.op, node.value)
    raise InvalidFilterException(detail="unsupported filter")


# The externalId: the link's subject, NULL for a placeholder ("externalId pr" and "ne"
# treat an account without one as having none).
EXTERNAL_ID = sa.case(
    (ExternalIdentity.subject.startswith(PLACEHOLDER_PREFIX, autoescape=True), sa.null()),
    else_=ExternalIdentity.subject,
)

USER_ATTRS = {
    "id": Attr(User.id, "id"),
    "username": Attr(User.email, "text"),
    "displayname": Attr(User.name, "text"),
    "active": Attr(User.active, "bool"),
    "externalid": Attr(EXTERNAL_ID, "exact"),
    "meta.created": Attr(User.created_at, "time"),
    "meta.lastmodified": Attr(sa.func.coalesce(User.updated_at, User.created_at), "time"),
}


def search_users(
    node: FilterNode | None, start: int, count: int | None
) -> tuple[int, list[ScimUserRow]]:
    """The accounts in SCIM's directory that match ``node``: their number and one page
    (``start`` 0-based), in id order."""
    where = _where(node, USER_ATTRS) if node is not None else sa.true()
    base = (
        sa.select(User, ExternalIdentity.subject).join(ExternalIdentity, _link_join()).where(where)
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    if count == 0:
        return total, []
    page = base.order_by(User.id).offset(start)
    if count is not None:
        page = page.limit(count)
    return total, _user_rows(db.session.execute(page))


# --- groups ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScimGroupRow:
    group: ScimGroup
    members: tuple[tuple[int, str], ...]  # (user id, name)


def _members(group_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    found: dict[int, list[tuple[int, str]]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return found
    rows = db.session.execute(
        sa.select(ScimGroupMember.group_id, User.id, User.name)
        .join(User, User.id == ScimGroupMember.user_id)
        .where(ScimGroupMember.group_id.in_(group_ids))
        .order_by(User.id)
    )
    for group_id, user_id, name in rows:
        found[group_id].append((user_id, name))
    return found


def _group_rows(groups, with_members: bool) -> list[ScimGroupRow]:
    groups = list(groups)
    members = _members([g.id for g in groups]) if with_members else {}
    return [ScimGroupRow(g, tuple(members.get(g.id, ()))) for g in groups]


def scim_group(scim_id: str, *, with_members: bool = True) -> ScimGroupRow | None:
    group = db.session.scalar(sa.select(ScimGroup).where(ScimGroup.scim_id == scim_id))
    return _group_rows([group], with_members)[0] if group is not None else None


GROUP_ATTRS = {
    "id": Attr(ScimGroup.scim_id, "exact"),
    "displayname": Attr(ScimGroup.display_name, "text"),
    "externalid": Attr(ScimGroup.external_id, "exact"),
    "meta.created": Attr(ScimGroup.created_at, "time"),
    "meta.lastmodified": Attr(ScimGroup.updated_at, "time"),
}


MEMBER_VALUE = Attr(ScimGroupMember.user_id, "id")
MEMBER_ATTRS = {"value": MEMBER_VALUE, "members": MEMBER_VALUE, "members.value": MEMBER_VALUE}


def _member_filter(node: FilterNode | None) -> sa.ColumnElement[bool]:
    """Groups with a member matching ``node`` (``members eq "5"``, ``members[value eq
    "5"]``: the member's value is its SCIM id); ``None``: groups with any member."""
    member = sa.select(ScimGroupMember.group_id).where(ScimGroupMember.group_id == ScimGroup.id)
    if node is not None:
        member = member.where(_where(node, MEMBER_ATTRS))
    return member.exists()


def search_groups(
    node: FilterNode | None, start: int, count: int | None, *, with_members: bool = True
) -> tuple[int, list[ScimGroupRow]]:
    """The SCIM groups that match ``node``: their number and one page, in id order."""
    where = _where(node, GROUP_ATTRS, members=_member_filter) if node is not None else sa.true()
    base = sa.select(ScimGroup).where(where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    if count == 0:
        return total, []
    page = base.order_by(ScimGroup.id).offset(start)
    if count is not None:
        page = page.limit(count)
    return total, _group_rows(db.session.scalars(page), with_members)


def group_member_ids(group: ScimGroup) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(ScimGroupMember.user_id).where(ScimGroupMember.group_id == group.id)
        )
    )


def linked_user_ids(user_ids: set[int]) -> set[int]:
    """Those of ``user_ids`` that are accounts in SCIM's directory."""
    if not user_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(ExternalIdentity.user_id).where(
                ExternalIdentity.provider == SCIM_PROVIDER,
                ExternalIdentity.user_id.in_(sorted(user_ids)),
            )
        )
    )
