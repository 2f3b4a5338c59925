"""Reads of an avvikelse's händelseanalys (issue 19): the timeline, the causes grouped by
cause area with the åtgärder linked to each, who took part, and what is still missing.

The caller has loaded the case through casetrack.access and logs the read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

import sqlalchemy as sa

from casetrack.domain.event_analysis import (
    CAUSE_AREAS,
    NO_AREA,
    CauseArea,
    missing_for_analysis,
)
from casetrack.extensions import db
from casetrack.models import (
    Action,
    Case,
    Investigation,
    InvestigationCause,
    InvestigationEvent,
    InvestigationParticipant,
)


def _investigation(case: Case) -> Investigation | None:
    return db.session.scalar(sa.select(Investigation).where(Investigation.case_id == case.id))


def missing(case: Case) -> list[str]:
    """What the case's händelseanalys still lacks to count as recorded (empty: recorded),
    counted in the database (the closing check and the case page ask for it)."""
    investigation = _investigation(case)
    if investigation is None:
        return missing_for_analysis(events=0, causes_with_area=0, participants=0, completed=False)

    def count(model, *where) -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .where(model.investigation_id == investigation.id, *where)
        )

    return missing_for_analysis(
        events=count(InvestigationEvent),
        causes_with_area=count(InvestigationCause, InvestigationCause.area.is_not(None)),
        participants=count(InvestigationParticipant),
        completed=investigation.completed_on is not None,
    )


@dataclass(frozen=True)
class CauseView:
    cause: InvestigationCause
    actions: list[Action]


@dataclass(frozen=True)
class AreaGroup:
    code: str | None
    label: str
    help: str
    causes: list[CauseView]


@dataclass
class Analysis:
    investigation: Investigation | None
    events: list[InvestigationEvent] = field(default_factory=list)
    groups: list[AreaGroup] = field(default_factory=list)
    causes: list[InvestigationCause] = field(default_factory=list)
    participants: list[InvestigationParticipant] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return not self.missing


def _order(event: InvestigationEvent) -> tuple[date, time, int]:
    # An entry without a time comes first on its day.
    return (event.occurred_on, event.occurred_time or time.min, event.id)


def analysis(case: Case) -> Analysis:
    """The händelseanalys as the page shows it: the händelseförlopp in order, the causes
    by cause area in the list's order (those without an area last, "Ej angivet
    orsaksområde") with their åtgärder, and the participants."""
    investigation = _investigation(case)
    if investigation is None:
        return Analysis(None, missing=missing(case))
    causes = list(investigation.causes)
    actions = db.session.scalars(
        sa.select(Action)
        .where(Action.case_id == case.id, Action.cause_id.is_not(None))
        .order_by(Action.id)
    ).all()
    by_cause: dict[int, list[Action]] = {}
    for action in actions:
        by_cause.setdefault(action.cause_id, []).append(action)
    areas: list[CauseArea | None] = [*CAUSE_AREAS, None]
    groups = []
    for area in areas:
        code = area.code if area else None
        members = [
            CauseView(cause, by_cause.get(cause.id, []))
            for cause in causes
            if (cause.area or None) == code
        ]
        if members:
            groups.append(
                AreaGroup(
                    code,
                    area.label if area else NO_AREA,
                    area.help if area else "Välj orsaksområde för orsaken.",
                    members,
                )
            )
    events = sorted(investigation.events, key=_order)
    participants = list(investigation.participants)
    return Analysis(
        investigation=investigation,
        events=events,
        groups=groups,
        causes=causes,
        participants=participants,
        missing=missing_for_analysis(
            events=len(events),
            causes_with_area=sum(1 for cause in causes if cause.area),
            participants=len(participants),
            completed=investigation.completed_on is not None,
        ),
    )
