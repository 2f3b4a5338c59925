"""Who may see and do what, by org unit (DESIGN §3).

``scoping`` holds the one scoping function every read goes through (``case_scope``) and
``get_case_or_404``; ``org_tree`` the per-process cache of the unit tree (ids and names
only, behind a version token kept by the database); ``guard`` the ``require(permission)``
check for views. Nothing here renders HTML or writes audit entries.
"""

from casetrack.access.scoping import (
    case_scope,
    get_case_or_404,
    has_permission,
    in_units,
    in_units_param,
    is_admin,
    is_assigned_investigator,
    may_handle,
    roles_of,
    subtree_ids,
    subtree_segments,
    unit_ids_for,
)

__all__ = [
    "case_scope",
    "get_case_or_404",
    "has_permission",
    "in_units",
    "in_units_param",
    "is_admin",
    "is_assigned_investigator",
    "may_handle",
    "roles_of",
    "subtree_ids",
    "subtree_segments",
    "unit_ids_for",
]
