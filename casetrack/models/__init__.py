"""All models, importable from one place (DESIGN §7)."""

from casetrack.models.access_log import AccessLogEntry
from casetrack.models.audit import AuditEntry
from casetrack.models.base import Base, UTCDateTime, utcnow
from casetrack.models.case import (
    Action,
    Case,
    Feedback,
    ReferenceCounter,
    case_category,
)
from casetrack.models.org import OrgUnit, RoleAssignment, User
from casetrack.models.reference import CaseKind, Category, Channel, Source, Status

__all__ = [
    "AccessLogEntry",
    "Action",
    "AuditEntry",
    "Base",
    "Case",
    "CaseKind",
    "Category",
    "Channel",
    "Feedback",
    "OrgUnit",
    "ReferenceCounter",
    "RoleAssignment",
    "Source",
    "Status",
    "UTCDateTime",
    "User",
    "case_category",
    "utcnow",
]
