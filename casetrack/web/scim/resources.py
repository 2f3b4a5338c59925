"""What casetrack's SCIM service publishes (RFC 7643): its User and Group schemas, the
resource types and the service provider configuration, as scim2-models models.

The schemas hold only what casetrack keeps, so that every attribute a client writes is
the one it reads back:

- User: ``userName`` (the e-mail address casetrack logs in and mails with; required),
  ``displayName`` (the name people see; required), ``active`` (required: Entra ID always
  sends it), ``externalId`` (Entra's objectId), and ``groups`` (read-only, the SCIM
  groups the user is a member of).
- Group: ``displayName`` (required), ``externalId``, ``members`` (users only: ``value``,
  ``$ref``, ``type``; no ``display``, which a client could not write and read back).

Everything else a client sends (Entra ID's default mappings also send ``name``,
``emails``, ``title``, the enterprise extension …) is accepted and dropped
(``ScimPolicy.unknown = ignore``); PATCH ``remove`` with a value and a filter on members
that matches nothing are read the way Entra ID means them.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

# Largest page a list or search answers (RFC 7644 §3.4.2.4 count is capped at this).
MAX_RESULTS = 200


class UserGroup(ComplexAttribute):
    """A group the user is a member of (read-only, RFC 7643 §4.1.2 ``groups``)."""

    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    ref: Annotated[Reference["Group"] | None, Mutability.read_only] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None


class User(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The person's e-mail address: casetrack's login and mail address."""

    display_name: Annotated[str | None, Required.true] = None
    """The person's name as casetrack shows it."""

    active: Annotated[bool | None, Required.true] = None
    """False: the account is deactivated and all its sessions end at once."""

    groups: Annotated[list[UserGroup] | None, Mutability.read_only] = None

    Groups: ClassVar[type[ComplexAttribute]] = UserGroup


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The SCIM id of a User."""

    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(  # noqa: UP037
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])


class Group(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None

    Members: ClassVar[type[ComplexAttribute]] = GroupMember


# What Entra ID sends that the RFC reads otherwise (learn.microsoft.com: "Develop a SCIM
# endpoint", known issues): remove ops that name the member in "value", replace on a
# filter that matches nothing, and attributes casetrack does not keep.
ENTRA_POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

CONFIG = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=False),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="Bearer token",
            description="A token made with `casetrack scim-token create`, sent as "
            "'Authorization: Bearer <token>'.",
            primary=True,
        )
    ],
)

PROVIDER = ScimProvider(models=[User, Group], config=CONFIG, policy=ENTRA_POLICY)
