"""Deadlines of the lex Sarah / lex Maria steps: per case for the case page, and as a SQL
clause for the overdue lists ("Mina ärenden", the Försenade filter).

Each deadline is an organisation setting ``deadline.<track>.<step>`` in working days from
the step it counts from (the rapport, or an allvarligt ställningstagande for the anmälan).
A track whose utredning is avslutad has no overdue steps.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from casetrack import org_settings
from casetrack.domain import escalation as rules
from casetrack.domain.deadlines import due_date, latest_overdue_received_on
from casetrack.extensions import db
from casetrack.models import Case, Escalation, EscalationStep

# A step's deadline is also met by these steps (the anmälan by a recorded "no anmälan").
MET_BY = {rules.IVO_REPORT: (rules.IVO_REPORT, rules.NO_IVO_REPORT)}


def _deadlines():
    for track, entries in rules.DEFAULT_STEP_DEADLINES.items():
        for step, start, _default in entries:
            days = org_settings.get_int(rules.deadline_setting_key(track, step))
            yield track, step, start, days


def step_deadlines(case: Case, today: date) -> list:
    """The step deadlines of ``case``'s tracks, each with whether it is met or overdue."""
    from casetrack.queries.cases import Deadline

    tracks = list(
        db.session.scalars(
            sa.select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id)
        )
    )
    if not tracks:
        return []
    result = []
    deadlines = list(_deadlines())
    for track in tracks:
        first = {}
        for step in track.steps:
            first.setdefault(step.step, step.occurred_on)
        for code, step, start, days in deadlines:
            if code != track.track:
                continue
            if start == rules.REPORTED:
                start_on = track.reported_on
            elif start == rules.DECISION and track.is_serious and rules.DECISION in first:
                start_on = first[rules.DECISION]
            else:
                continue
            due = due_date(start_on, days)
            met = min((first[s] for s in MET_BY.get(step, (step,)) if s in first), default=None)
            overdue = met is None and track.completed_on is None and due < today
            label = f"{rules.TRACK_LABELS[code]}: {rules.step_label(code, step)}"
            result.append(Deadline(label, due, met, overdue))
    return result


def steps_overdue_case_ids(today: date) -> sa.Select:
    """SELECT of the ids of cases with a lex Sarah / lex Maria step past its deadline.

    Over the (few) tracks not yet completed; uncorrelated, so the database evaluates it
    once per statement, not once per case.
    """
    clauses = []
    for track, step, start, days in _deadlines():
        cutoff = latest_overdue_received_on(today, days)
        done = aliased(EscalationStep)
        not_met = ~sa.exists().where(
            done.escalation_id == Escalation.id, done.step.in_(MET_BY.get(step, (step,)))
        )
        conditions = [Escalation.track == track, not_met]
        if start == rules.REPORTED:
            conditions.append(Escalation.reported_on <= cutoff)
        else:
            started = aliased(EscalationStep)
            conditions += [
                Escalation.is_serious.is_(True),
                sa.exists().where(
                    started.escalation_id == Escalation.id,
                    started.step == start,
                    started.occurred_on <= cutoff,
                ),
            ]
        clauses.append(sa.and_(*conditions))
    if not clauses:
        return sa.select(Escalation.case_id).where(sa.false())
    return sa.select(Escalation.case_id).where(Escalation.completed_on.is_(None), sa.or_(*clauses))


def steps_overdue(today: date):
    """A WHERE clause: cases with a lex Sarah / lex Maria step past its deadline."""
    return Case.id.in_(steps_overdue_case_ids(today))
