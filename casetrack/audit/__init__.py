"""What happened, who did it and who read what.

``trail`` is the append-only audit trail (``record``, written only by services, and the
access log ``log_access`` for every read of case data); ``security_log`` the JSON-lines
security event stream for the municipality's central log system (K3-77).
"""

from casetrack.audit.trail import (
    AuditLogImmutable,
    diff,
    init_app,
    log_access,
    record,
)

__all__ = ["AuditLogImmutable", "diff", "init_app", "log_access", "record"]
