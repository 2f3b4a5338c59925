"""Roles and what each may do (DESIGN §1 and §3).

A role is held on an org unit and reaches that unit and every unit below it. Which units
a user may act on for a permission is computed in ``casetrack.access``; this module only
says which roles carry which permission.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    STAFF = "staff"
    HANDLER = "handler"
    MANAGER = "manager"
    QUALITY = "quality"
    MAS = "mas"
    SAS = "sas"
    # Issue 19: a lex Sarah-utredare outside the unit (e.g. a central one on the
    # förvaltning); reaches only the cases whose lex Sarah utredning they are assigned.
    INVESTIGATOR = "investigator"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.STAFF: "Medarbetare",
    Role.HANDLER: "Biträdande enhetschef / handläggare",
    Role.MANAGER: "Enhetschef",
    Role.QUALITY: "Kvalitetsansvarig",
    Role.MAS: "MAS (medicinskt ansvarig sjuksköterska)",
    Role.SAS: "SAS (socialt ansvarig samordnare)",
    Role.INVESTIGATOR: "Lex Sarah-utredare",
    Role.ADMIN: "Systemadministratör",
}

# Roles that work with cases; an admin account may hold none of them (SECURITY.md K3-16).
CASE_ROLES = frozenset(Role) - {Role.ADMIN}


class Permission(StrEnum):
    # read every case in the unit (staff instead read only what they filed: READ_OWN)
    CASE_READ = "case.read"
    CASE_READ_OWN = "case.read_own"
    # register a case on behalf of someone (telefon, brev, besök ...)
    CASE_REGISTER = "case.register"
    # file an avvikelse as a member of staff
    CASE_FILE_DEVIATION = "case.file_deviation"
    # handle: assign, feedback, actions, status
    CASE_HANDLE = "case.handle"
    REPORT_READ = "report.read"
    # write "Sammanfattning och planerade åtgärder", fastställa a tertial
    REPORT_WRITE = "report.write"
    # undo a fastställd tertial (a recorded, privileged action)
    REPORT_UNFREEZE = "report.unfreeze"
    # loggkontroll: review who read which cases in the unit (K3-79)
    ACCESS_LOG_READ = "accesslog.read"
    # registerutdrag: search a person's data across the unit's cases (GDPR art. 15)
    PERSONAL_DATA_SEARCH = "personaldata.search"
    # utredning, causes, the ordinary steps of a lex Sarah / lex Maria track, attachments
    ESCALATION_RECORD = "escalation.record"
    # ställningstagande and anmälan to IVO in a lex Sarah track (manager, SAS)
    LEX_SARAH_DECIDE = "lex_sarah.decide"
    # be named the independent utredare of a lex Sarah track in the unit; reaches only the
    # cases one is named for (casetrack.access.case_scope), never the unit's other cases
    LEX_SARAH_INVESTIGATE = "lex_sarah.investigate"
    # read the utredning and decide a lex Sarah track even while an independent utredare
    # does it (SAS); the enhetschef's LEX_SARAH_DECIDE then no longer reaches it
    LEX_SARAH_SUPERVISE = "lex_sarah.supervise"
    # ställningstagande and anmälan to IVO in a lex Maria track (MAS only)
    LEX_MARIA_DECIDE = "lex_maria.decide"
    # behörighetsgranskning: review and remove the role assignments of others (K3-18)
    ROLE_REVIEW = "role.review"
    ADMINISTER = "admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.STAFF: frozenset({Permission.CASE_READ_OWN, Permission.CASE_FILE_DEVIATION}),
    Role.HANDLER: frozenset(
        {
            Permission.CASE_READ,
            Permission.CASE_REGISTER,
            Permission.CASE_FILE_DEVIATION,
            Permission.CASE_HANDLE,
            Permission.ESCALATION_RECORD,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Permission.CASE_READ,
            Permission.CASE_REGISTER,
            Permission.CASE_FILE_DEVIATION,
            Permission.CASE_HANDLE,
            Permission.REPORT_READ,
            Permission.REPORT_WRITE,
            Permission.ACCESS_LOG_READ,
            Permission.PERSONAL_DATA_SEARCH,
            Permission.ESCALATION_RECORD,
            Permission.LEX_SARAH_DECIDE,
            Permission.ROLE_REVIEW,
        }
    ),
    Role.QUALITY: frozenset(
        {
            Permission.CASE_READ,
            Permission.REPORT_READ,
            Permission.REPORT_WRITE,
            Permission.REPORT_UNFREEZE,
            Permission.ACCESS_LOG_READ,
            Permission.PERSONAL_DATA_SEARCH,
        }
    ),
    Role.MAS: frozenset(
        {
            Permission.CASE_READ,
            Permission.REPORT_READ,
            Permission.ESCALATION_RECORD,
            Permission.LEX_MARIA_DECIDE,
        }
    ),
    Role.SAS: frozenset(
        {
            Permission.CASE_READ,
            Permission.REPORT_READ,
            Permission.ESCALATION_RECORD,
            Permission.LEX_SARAH_DECIDE,
            Permission.LEX_SARAH_SUPERVISE,
        }
    ),
    Role.INVESTIGATOR: frozenset({Permission.LEX_SARAH_INVESTIGATE}),
    Role.ADMIN: frozenset({Permission.ADMINISTER, Permission.ROLE_REVIEW}),
}

# Permissions that reach beyond one's own work: reading other people's access, searching
# personal data across cases, undoing a fastställd report, deciding on reports to IVO,
# removing others' access, administering. A role carrying any of them is *privileged*:
# its assignments are reviewed monthly and only by systemadministratörer (K3-18).
PRIVILEGED_PERMISSIONS = frozenset(
    {
        Permission.ADMINISTER,
        Permission.ROLE_REVIEW,
        Permission.ACCESS_LOG_READ,
        Permission.PERSONAL_DATA_SEARCH,
        Permission.REPORT_UNFREEZE,
        Permission.LEX_SARAH_DECIDE,
        Permission.LEX_MARIA_DECIDE,
        # reads utredningar of missförhållanden in units one does not work in (issue 19)
        Permission.LEX_SARAH_INVESTIGATE,
        Permission.LEX_SARAH_SUPERVISE,
    }
)


def roles_with(permission: Permission) -> frozenset[Role]:
    """The roles that carry ``permission``."""
    return frozenset(role for role, perms in ROLE_PERMISSIONS.items() if permission in perms)


def is_privileged(role: Role | str) -> bool:
    """True when ``role`` carries a privileged permission (see PRIVILEGED_PERMISSIONS)."""
    return bool(ROLE_PERMISSIONS[Role(role)] & PRIVILEGED_PERMISSIONS)


# admin, manager, quality, mas, sas, investigator; staff and handler are not privileged.
PRIVILEGED_ROLES = frozenset(role for role in Role if is_privileged(role))
