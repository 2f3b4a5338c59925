"""The utredning, lex Sarah / lex Maria, IA, ärendetyp and attachment parts of the case
page: the data the sections show (their forms are registered case actions, built with
the rest of the page by ``page.render_case_page``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_login import current_user

from casetrack.access import is_assigned_investigator, unit_ids_for
from casetrack.domain import escalation as rules
from casetrack.domain.event_analysis import area_label
from casetrack.domain.roles import Permission
from casetrack.models import Case, Escalation
from casetrack.queries import accounts
from casetrack.queries import settings as org_settings
from casetrack.services import attachments as attachment_service
from casetrack.services import escalation as escalation_service
from casetrack.services import investigation as investigation_service


@dataclass
class TrackView:
    track: Escalation
    label: str
    legal_reference: str
    ivo_reference_text: str
    assessment: str
    ivo_required: bool
    assessment_hints: dict
    can_decide: bool
    steps: list = field(default_factory=list)
    forms: dict = field(default_factory=dict)
    reported_by_name: str | None = None
    # Issue 19: the independent lex Sarah-utredare (current assignment), the earlier ones,
    # and whether this reader may read the texts (False: the enhetschef while one works).
    investigator: object | None = None
    investigator_history: list = field(default_factory=list)
    texts_shown: bool = True
    # True when this reader could name an utredare but the organisation has none for the
    # unit (the page then says how one is got, instead of showing nothing).
    no_investigators: bool = False


def build(case: Case, can_record: bool) -> dict:
    """Template context for the utredning, lex, IA, ärendetyp and attachment sections
    (their forms come from the registered case actions, ``page.render_case_page``)."""
    can_read_all = case.org_unit_id in unit_ids_for(
        current_user, Permission.CASE_READ
    ) or is_assigned_investigator(current_user, case)
    # While an independent lex Sarah-utredare is assigned, the utredning, the lex steps'
    # texts and the attachments are theirs and SAS's only (issue 19): the others see that
    # the track exists, its dates, its steps' names and who investigates.
    may_read = can_read_all and escalation_service.may_read_investigation(current_user, case)
    settings = org_settings.all_settings()
    investigation = investigation_service.investigation_of(case) if may_read else None
    causes = list(investigation.causes) if investigation else []
    current = escalation_service.current_investigator(case) if can_read_all else None
    context: dict = {
        "show_investigation": may_read,
        "show_tracks": can_read_all,
        "investigation": investigation,
        "causes": causes,
        "cause_texts": {c.id: c.description for c in causes},
        "cause_areas": area_label,
        "can_record": can_record,
        "tracks": [],
        "attachments": attachment_service.attachments_of(case) if may_read else [],
        "show_attachments": may_read,
        "attachment_limit": attachment_service.size_text(
            org_settings.get_int("attachment.max_bytes")
        ),
        "allowed_types": attachment_service.ALLOWED_LABEL,
        "size_text": attachment_service.size_text,
        "investigator": current,
        "is_investigator": current is not None and current.investigator_id == current_user.id,
    }
    if can_read_all:
        history = escalation_service.investigator_history(case)
        for track in escalation_service.tracks_of(case):
            view = TrackView(
                track=track,
                label=rules.TRACK_LABELS[track.track],
                legal_reference=settings[f"legal.{track.track}"],
                ivo_reference_text=settings[f"legal.{track.track}.ivo"],
                assessment=rules.assessment_label(track.track, track.assessment),
                ivo_required=track.assessment in rules.SERIOUS_ASSESSMENTS,
                assessment_hints=rules.ASSESSMENT_HINTS,
                can_decide=escalation_service.may_decide(current_user, case, track.track),
                steps=[(s, rules.step_label(track.track, s.step)) for s in track.steps],
                investigator_history=[h for h in history if h.escalation_id == track.id],
                texts_shown=may_read or track.track != rules.LEX_SARAH,
            )
            if current is not None and current.escalation_id == track.id:
                view.investigator = current
            elif (
                current is None
                and track.track == rules.LEX_SARAH
                and escalation_service.may_assign_investigator(current_user, case, track)
            ):
                view.no_investigators = not escalation_service.investigator_choices(case)
            if track.ivo_reported_by_id:
                view.reported_by_name = accounts.name_of(track.ivo_reported_by_id)
            context["tracks"].append(view)
    return context
