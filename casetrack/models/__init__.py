"""All models, importable from one place (DESIGN §7)."""

from casetrack.models.access_log import AccessLogEntry
from casetrack.models.account_link import AccountLink
from casetrack.models.audit import AuditEntry
from casetrack.models.base import Base, UTCDateTime, utcnow
from casetrack.models.case import (
    Action,
    Case,
    CaseNote,
    CaseSearchDocument,
    Feedback,
    ReferenceCounter,
    case_category,
)
from casetrack.models.escalation import (
    Attachment,
    Escalation,
    EscalationStep,
    Investigation,
    InvestigationCause,
    OrgSetting,
)
from casetrack.models.org import (
    OrgTreeVersion,
    OrgUnit,
    RoleAssignment,
    User,
    WebAuthnCredential,
)
from casetrack.models.outbox import OutboxMessage
from casetrack.models.reference import CaseKind, Category, Channel, Source, Status
from casetrack.models.report import ReportSnapshot, ReportSummaryVersion
from casetrack.models.scheduler import JobOccurrence, MessageTemplate
from casetrack.models.session_state import FollowGrant, SavedSearch

__all__ = [
    "AccessLogEntry",
    "AccountLink",
    "Action",
    "Attachment",
    "AuditEntry",
    "Base",
    "Case",
    "CaseKind",
    "CaseNote",
    "CaseSearchDocument",
    "Category",
    "Channel",
    "Escalation",
    "EscalationStep",
    "Feedback",
    "FollowGrant",
    "Investigation",
    "InvestigationCause",
    "JobOccurrence",
    "MessageTemplate",
    "OrgSetting",
    "OrgTreeVersion",
    "OrgUnit",
    "OutboxMessage",
    "ReferenceCounter",
    "ReportSnapshot",
    "ReportSummaryVersion",
    "RoleAssignment",
    "SavedSearch",
    "Source",
    "Status",
    "UTCDateTime",
    "User",
    "WebAuthnCredential",
    "case_category",
    "utcnow",
]
