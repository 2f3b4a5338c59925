"""What a refused provider answer leaves in the audit trail (issue 18).

A protocol module (web/auth/saml.py) that refuses the provider's answer — a bad
signature, the wrong audience, an expired or replayed assertion, a missing second factor
— records why here before it shows the person the refusal. The entry names the provider
and a short reason code, never the message itself (it may carry personal data); audited
``auth.*`` actions also go to the security event stream (audit.security_log), where
``auth.sso_refused`` counts as a failed login. Like every service this never commits.
"""

from __future__ import annotations

from casetrack import audit
from casetrack.services.identity import SSO_ACTOR


def refused(provider_key: str, reason: str, *, protocol: str) -> None:
    """Audit a refused login or logout message from ``provider_key`` (reason: a code)."""
    audit.record(
        "auth.sso_refused",
        entity_type="user",
        entity_id=None,
        actor=None,
        actor_label=SSO_ACTOR.format(provider=provider_key),
        after={"provider": provider_key, "protocol": protocol, "reason": reason},
    )
