"""Deadlines of the lex Sarah / lex Maria steps: per case for the case page, and as a SQL
clause for the overdue lists ("Mina ärenden", the Försenade filter).

Each deadline is an organisation setting ``deadline.<track>.<step>`` in working days from
the step it counts from (the rapport, or an allvarligt ställningstagande for the anmälan).
A track whose utredning is avslutad has no overdue steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from flask import g, has_request_context

from casetrack.domain import escalation as rules
from casetrack.domain.deadlines import Deadline, due_date
from casetrack.extensions import db
from casetrack.models import Case, Escalation, EscalationStep
from casetrack.queries import settings as org_settings

# A step's deadline is also met by these steps (the anmälan by a recorded "no anmälan").
MET_BY = {rules.IVO_REPORT: (rules.IVO_REPORT, rules.NO_IVO_REPORT)}


def step_deadline_settings():
    """(track, step, counted from, working days) of every lex step, from the settings."""
    for track, entries in rules.DEFAULT_STEP_DEADLINES.items():
        for step, start, _default in entries:
            days = org_settings.get_int(rules.deadline_setting_key(track, step))
            yield track, step, start, days


def step_deadlines(case: Case, today: date) -> list:
    """The step deadlines of ``case``'s tracks, each with whether it is met or overdue."""
    tracks = list(
        db.session.scalars(
            sa.select(Escalation).where(Escalation.case_id == case.id).order_by(Escalation.id)
        )
    )
    deadlines = list(step_deadline_settings()) if tracks else []
    return [d for track in tracks for d in _track_deadlines(track, deadlines, today)]


def _track_deadlines(track: Escalation, deadlines: list, today: date) -> list:
    label = rules.TRACK_LABELS[track.track]
    return [
        Deadline(
            f"{label}: {rules.step_label(track.track, step)}",
            due,
            met,
            met is None and track.completed_on is None and due < today,
        )
        for step, due, met in track_step_dues(track, deadlines)
    ]


def track_step_spans(
    track: Escalation, deadlines: list
) -> Iterator[tuple[str, date, date, date | None]]:
    """(step, counted from, due date, met on or None) of each of ``deadlines``
    (step_deadline_settings) that runs for ``track``: from the rapport, or from a serious
    ställningstagande. The one rule for the case page, the lists and the indicators."""
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
        met = min((first[s] for s in MET_BY.get(step, (step,)) if s in first), default=None)
        yield step, start_on, due_date(start_on, days), met


def track_step_dues(track: Escalation, deadlines: list) -> Iterator[tuple[str, date, date | None]]:
    """(step, due date, met on or None) of each step deadline running for ``track``."""
    for step, _start_on, due, met in track_step_spans(track, deadlines):
        yield step, due, met


def late_step_case_ids(today: date, units: frozenset[int] | None = None) -> list[int]:
    """The ids of the cases with a lex Sarah / lex Maria step past its deadline.

    Computed from the tracks still running by the same rules as the case page shows
    (``step_deadlines``), once per request. Running tracks are few (a hundred or so in a
    förvaltning, not thousands), so this reads a handful of rows; as literal ids the case
    side of a list or count is then a primary-key lookup. ``units`` leaves out the tracks
    of cases in other units before their steps are read and their deadlines computed (a
    handler's header count needs one enhet's tracks). The units are compared here rather
    than in SQL: joined with a unit list, the planner misjudges how many cases match and
    reads every case of the units instead of the few tracks' cases.
    """
    cache = g.setdefault("_late_steps", {}) if has_request_context() else {}
    key = (today, units)
    if key not in cache:
        running = sa.select(Escalation.id).where(Escalation.completed_on.is_(None))
        tracks = {
            row.id: SimpleNamespace(**row._asdict(), completed_on=None, steps=[])
            for row in db.session.execute(
                sa.select(
                    Escalation.id,
                    Escalation.case_id,
                    Escalation.track,
                    Escalation.reported_on,
                    Escalation.is_serious,
                    Case.org_unit_id,
                )
                .join(Case, Case.id == Escalation.case_id)
                .where(Escalation.id.in_(running))
            )
            if units is None or row.org_unit_id in units
        }
        if tracks:
            for row in db.session.execute(
                sa.select(
                    EscalationStep.escalation_id, EscalationStep.step, EscalationStep.occurred_on
                )
                .where(EscalationStep.escalation_id.in_(sorted(tracks)))
                .order_by(EscalationStep.occurred_on, EscalationStep.id)
            ):
                if row.escalation_id in tracks:
                    tracks[row.escalation_id].steps.append(row)
        deadlines = list(step_deadline_settings()) if tracks else []
        cache[key] = sorted(
            {
                track.case_id
                for track in tracks.values()
                if any(d.overdue for d in _track_deadlines(track, deadlines, today))
            }
        )
    return cache[key]


def steps_overdue(today: date):
    """A WHERE clause: cases with a lex Sarah / lex Maria step past its deadline."""
    return Case.id.in_(late_step_case_ids(today))


def ivo_closing_problem(case: Case) -> str | None:
    """Why ``case`` may not be closed yet because of its lex tracks, or None (issue 19): a
    ställningstagande on one of the serious levels makes the anmälan to IVO required, and
    the case stays open until it is registered. A track decided before the scale with a
    recorded "ingen anmälan" (and its reason) is not held back."""
    tracks = db.session.scalars(
        sa.select(Escalation)
        .where(
            Escalation.case_id == case.id,
            Escalation.assessment.in_(sorted(rules.SERIOUS_ASSESSMENTS)),
            Escalation.ivo_reported_on.is_(None),
        )
        .order_by(Escalation.id)
    ).all()
    for track in tracks:
        if any(step.step == rules.NO_IVO_REPORT for step in track.steps):
            continue
        who = "enhetschef eller SAS" if track.track == rules.LEX_SARAH else "MAS"
        return (
            f"{rules.TRACK_LABELS[track.track]}: ställningstagandet är "
            f"”{rules.assessment_label(track.track, track.assessment)}”, så anmälan till IVO "
            f"ska registreras ({who}) innan ärendet avslutas."
        )
    return None
