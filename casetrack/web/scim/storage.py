"""scim2-server's storage interface over casetrack's own tables.

scim2-server's ``ScimHandler`` does the protocol: routing, validating payloads with the
models of ``resources.py``, applying PUT and PATCH to the current state, attribute
projection, list responses and errors. This class is where it meets casetrack: reads
through ``queries.scim``, writes through ``services.scim`` (audited, never committed: the
view commits once). A ``DomainError`` becomes the matching SCIM error.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from scim2_models import (
    InvalidFilterException,
    InvalidValueException,
    Meta,
    NotFoundException,
    NotImplementedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
    UniquenessException,
)
from scim2_server.storage import ScimStorage, SearchPage

from casetrack.domain.errors import DomainError
from casetrack.models import ScimToken
from casetrack.queries import scim as queries
from casetrack.services import scim as service
from casetrack.web.scim.resources import Group, GroupMember, User, UserGroup


def _version(moment) -> str:
    return f'W/"{moment.timestamp():.6f}"'


def user_resource(row: queries.ScimUserRow) -> User:
    user = row.user
    modified = user.updated_at or user.created_at
    return User(
        id=str(user.id),
        external_id=row.external_id,
        user_name=user.email,
        display_name=user.name,
        active=user.active,
        groups=[
            UserGroup(value=scim_id, ref=f"Groups/{scim_id}", display=name)
            for scim_id, name in row.groups
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=user.created_at,
            last_modified=modified,
            version=_version(modified),
        ),
    )


def group_resource(row: queries.ScimGroupRow) -> Group:
    group = row.group
    return Group(
        id=group.scim_id,
        external_id=group.external_id,
        display_name=group.display_name,
        members=[
            GroupMember(value=str(user_id), ref=f"Users/{user_id}", type="User")
            for user_id, _name in row.members
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.updated_at,
            version=f'W/"{group.version}"',
        ),
    )


@contextmanager
def _as_scim_errors():
    try:
        yield
    except service.ScimConflict as error:
        raise UniquenessException(detail=error.message) from error
    except service.ScimNotFound as error:
        raise InvalidValueException(detail=error.message) from error
    except DomainError as error:
        raise InvalidValueException(detail=error.message) from error


def _needs_members(parameters) -> bool:
    """False when the response leaves the members out (Entra ID reads groups with
    ``excludedAttributes=members``): a big group's members are then not loaded."""
    if parameters is None:
        return True

    def names(paths) -> set[str]:
        return {str(path).lower().rsplit(":", 1)[-1].split(".")[0] for path in paths or []}

    if parameters.attributes:
        return "members" in names(parameters.attributes)
    return "members" not in names(parameters.excluded_attributes)


def _members(resource: Group) -> list[str]:
    return [member.value for member in resource.members or [] if member.value is not None]


def _search_root(node, start: int, count: int | None) -> SearchPage:
    """A search at the root (POST /.search): the users, then the groups, as one list. An
    attribute only one of them has matches none of the other (RFC 7644 §3.4.2.1); a filter
    neither can read is refused."""
    searches = [
        (queries.search_users, user_resource),
        (queries.search_groups, group_resource),
    ]
    totals, refused = [], None
    for search, _ in searches:
        try:
            totals.append(search(node, 0, 0)[0])
        except InvalidFilterException as error:
            totals.append(None)
            refused = error
    if all(total is None for total in totals):
        raise refused
    found: list[Resource[Any]] = []
    offset = start
    for (search, resource), total in zip(searches, totals, strict=True):
        if not total:
            continue
        wanted = None if count is None else count - len(found)
        if offset < total and wanted != 0:
            found += [resource(row) for row in search(node, offset, wanted)[1]]
        offset = max(0, offset - total)
    return SearchPage(sum(total or 0 for total in totals), found)


class CasetrackStorage(ScimStorage):
    """One request's storage: writes are made in the name of ``token``."""

    def __init__(self, token: ScimToken):
        self.token = token

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        if resource_type.name == "User":
            row = queries.scim_user(resource_id)
            if row is not None:
                return user_resource(row)
        else:
            group = queries.scim_group(
                resource_id, with_members=_needs_members(response_parameters)
            )
            if group is not None:
                return group_resource(group)
        raise NotFoundException(detail=f"{resource_type.name} {resource_id} not found")

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        node = search_request.filter.ast if search_request.filter is not None else None
        start, count = search_request.start_index_0 or 0, search_request.count
        names = [resource_type.name for resource_type in resource_types]
        if names == ["User"]:
            total, rows = queries.search_users(node, start, count)
            return SearchPage(total, [user_resource(row) for row in rows])
        if names == ["Group"]:
            total, groups = queries.search_groups(
                node, start, count, with_members=_needs_members(search_request)
            )
            return SearchPage(total, [group_resource(row) for row in groups])
        if sorted(names) != ["Group", "User"]:
            raise NotImplementedException(detail="unknown resource types")
        return _search_root(node, start, count)

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        with _as_scim_errors():
            if resource_type.name == "User":
                user = service.create_user(
                    self.token,
                    user_name=resource.user_name,
                    display_name=resource.display_name,
                    active=resource.active is not False,
                    external_id=resource.external_id,
                )
                return self.get(resource_type, str(user.id))
            group = service.create_group(
                self.token,
                display_name=resource.display_name,
                external_id=resource.external_id,
                member_values=_members(resource),
            )
            return self.get(resource_type, group.scim_id)

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        with _as_scim_errors():
            if resource_type.name == "User":
                row = queries.scim_user(resource.id or "")
                if row is None:
                    raise NotFoundException(detail=f"User {resource.id} not found")
                service.update_user(
                    self.token,
                    row.user,
                    user_name=resource.user_name,
                    display_name=resource.display_name,
                    active=resource.active is not False,
                    external_id=resource.external_id,
                )
            else:
                group = queries.scim_group(resource.id or "", with_members=False)
                if group is None:
                    raise NotFoundException(detail=f"Group {resource.id} not found")
                service.update_group(
                    self.token,
                    group.group,
                    display_name=resource.display_name,
                    external_id=resource.external_id,
                    member_values=_members(resource),
                )
        return self.get(resource_type, resource.id or "")

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        with _as_scim_errors():
            if resource_type.name == "User":
                row = queries.scim_user(resource_id)
                if row is None:
                    raise NotFoundException(detail=f"User {resource_id} not found")
                service.delete_user(self.token, row.user)
                return
            group = queries.scim_group(resource_id, with_members=False)
            if group is None:
                raise NotFoundException(detail=f"Group {resource_id} not found")
            service.delete_group(self.token, group.group)
