"""All models, importable from one place (DESIGN §7): one module per aggregate."""

from casetrack.models.access_log import AccessLogEntry
from casetrack.models.action_plan import ActionPlanReview
from casetrack.models.audit import AuditEntry
from casetrack.models.base import Base, UTCDateTime, utcnow
from casetrack.models.case import (
    Action,
    Attachment,
    Case,
    CaseNote,
    CaseSearchDocument,
    Feedback,
    FollowGrant,
    ReceiptGrant,
    ReferenceCounter,
    case_category,
)
from casetrack.models.deviation import DeviationClassification, EventType
from casetrack.models.escalation import Escalation, EscalationInvestigator, EscalationStep
from casetrack.models.identity import (
    ExternalIdentity,
    GroupRoleMapping,
    ScimGroup,
    ScimGroupMember,
    ScimToken,
    SsoSession,
    UsedProtocolMessage,
)
from casetrack.models.investigation import (
    Investigation,
    InvestigationCause,
    InvestigationEvent,
    InvestigationParticipant,
)
from casetrack.models.mail import MessageTemplate, OutboxMessage
from casetrack.models.organisation import OrgSetting, OrgTreeVersion, OrgUnit, OrgUnitPeriod
from casetrack.models.reference import CaseKind, Category, Channel, Source, Status
from casetrack.models.report import HistoricTally, ReportSnapshot, ReportSummaryVersion
from casetrack.models.scheduler import JobOccurrence
from casetrack.models.user import AccountLink, RoleAssignment, SavedSearch, User, WebAuthnCredential

__all__ = [
    "AccessLogEntry",
    "AccountLink",
    "Action",
    "ActionPlanReview",
    "Attachment",
    "AuditEntry",
    "Base",
    "Case",
    "CaseKind",
    "CaseNote",
    "CaseSearchDocument",
    "Category",
    "Channel",
    "DeviationClassification",
    "Escalation",
    "EscalationInvestigator",
    "EscalationStep",
    "EventType",
    "ExternalIdentity",
    "Feedback",
    "FollowGrant",
    "GroupRoleMapping",
    "HistoricTally",
    "Investigation",
    "InvestigationCause",
    "InvestigationEvent",
    "InvestigationParticipant",
    "JobOccurrence",
    "MessageTemplate",
    "OrgSetting",
    "OrgTreeVersion",
    "OrgUnit",
    "OrgUnitPeriod",
    "OutboxMessage",
    "ReceiptGrant",
    "ReferenceCounter",
    "ReportSnapshot",
    "ReportSummaryVersion",
    "RoleAssignment",
    "SavedSearch",
    "ScimGroup",
    "ScimGroupMember",
    "ScimToken",
    "Source",
    "SsoSession",
    "Status",
    "UTCDateTime",
    "UsedProtocolMessage",
    "User",
    "WebAuthnCredential",
    "case_category",
    "utcnow",
]
