"""Builders for the set-ups many tests share. Rows are added directly (no service, so no
audit entry) and flushed for their ids; the caller commits."""

from __future__ import annotations

from datetime import date

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Action, Attachment, Case, Escalation, OrgUnit, User
from casetrack.services.attachments import upload

PNG = b"\x89PNG\r\n\x1a\n"


def one_account_per_role(make, roles, unit: OrgUnit, root: OrgUnit) -> dict[str, User]:
    """``{role}@test.example`` for each of ``roles`` on ``unit``; the admin on ``root``."""
    users = {
        role: make.user([(Role(role), unit)], email=f"{role}@test.example")
        for role in roles
        if role not in ("admin", "anonymous")
    }
    users["admin"] = make.user([(Role.ADMIN, root)], email="admin@test.example")
    return users


def lex_track(
    case: Case, reporter_name: str = "Amina Yusuf", *, track: str = "lex_sarah", reported_on=None
) -> Escalation:
    """A lex Sarah (or ``track``) report on ``case``, reported the day the case came in."""
    escalation = Escalation(
        case_id=case.id,
        track=track,
        reported_on=reported_on or case.received_on,
        reporter_name=reporter_name,
    )
    db.session.add(escalation)
    db.session.flush()
    return escalation


def case_with_lex_sarah(
    make, unit: OrgUnit, by: User | None, reporter_name: str = "Amina Yusuf", **case_kw
) -> tuple[Case, Escalation]:
    """A case registered by ``by`` on ``unit`` with a lex Sarah track reported the same day."""
    case = make.case(unit, by=by, **case_kw)
    return case, lex_track(case, reporter_name)


def furnish(case: Case, by: User, png_padding: int = 64) -> tuple[Action, Escalation, Attachment]:
    """One row of each kind a case page lists: an open åtgärd, a lex Sarah track and a PNG
    attachment uploaded by ``by``."""
    action = Action(case_id=case.id, description="Rutin", responsible="Lena")
    db.session.add(action)
    track = lex_track(case)
    attachment = upload(by, case, filename="foto.png", content=PNG + b"\0" * png_padding)
    return action, track, attachment


def furnish_analysis(case: Case) -> dict[str, int]:
    """A händelseanalys with one entry, one cause without an area and one participant
    (issue 19); their ids as the analysis routes name them."""
    from casetrack.models import (
        Investigation,
        InvestigationCause,
        InvestigationEvent,
        InvestigationParticipant,
    )

    investigation = Investigation(case_id=case.id)
    cause = InvestigationCause(investigation=investigation, description="Larmet var avstängt.")
    event = InvestigationEvent(
        investigation=investigation, occurred_on=date(2026, 3, 1), description="Brukaren föll."
    )
    participant = InvestigationParticipant(
        investigation=investigation, name="Anna Ek", role="Undersköterska"
    )
    db.session.add_all([investigation, cause, event, participant])
    db.session.flush()
    return {"event_id": event.id, "cause_id": cause.id, "participant_id": participant.id}
