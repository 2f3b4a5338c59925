"""The utredning, lex Sarah / lex Maria, IA, ärendetyp and attachment parts of the case
page: the data the sections show (their forms are registered case actions, built with
the rest of the page by ``page.render_case_page``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_login import current_user

from casetrack.access import unit_ids_for
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


def build(case: Case, can_record: bool) -> dict:
    """Template context for the utredning, lex, IA, ärendetyp and attachment sections
    (their forms come from the registered case actions, ``page.render_case_page``)."""
    can_read_all = case.org_unit_id in unit_ids_for(current_user, Permission.CASE_READ)
    settings = org_settings.all_settings()
    investigation = investigation_service.investigation_of(case)
    causes = list(investigation.causes) if investigation else []
    context: dict = {
        "show_investigation": can_read_all,
        "investigation": investigation,
        "causes": causes,
        "cause_texts": {c.id: c.description for c in causes},
        "cause_areas": area_label,
        "can_record": can_record,
        "tracks": [],
        "attachments": attachment_service.attachments_of(case) if can_read_all else [],
        "show_attachments": can_read_all,
        "attachment_limit": attachment_service.size_text(
            org_settings.get_int("attachment.max_bytes")
        ),
        "allowed_types": attachment_service.ALLOWED_LABEL,
        "size_text": attachment_service.size_text,
    }
    if can_read_all:
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
            )
            if track.ivo_reported_by_id:
                view.reported_by_name = accounts.name_of(track.ivo_reported_by_id)
            context["tracks"].append(view)
    return context
