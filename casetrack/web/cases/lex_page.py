"""The utredning, lex Sarah / lex Maria, IA, ärendetyp and attachment parts of the case
page: which forms each user gets and the data the sections show."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_login import current_user

from casetrack.access import unit_ids_for
from casetrack.domain import escalation as rules
from casetrack.domain.dates import local_date
from casetrack.domain.roles import Permission
from casetrack.models import Case, Escalation, utcnow
from casetrack.queries import lookups
from casetrack.queries import settings as org_settings
from casetrack.services import attachments as attachment_service
from casetrack.services import escalation as escalation_service
from casetrack.services import investigation as investigation_service
from casetrack.web.cases import lex_forms as forms


def _versioned(form_cls, case: Case, **data):
    form = form_cls(formdata=None, **data)
    form.version.data = case.version
    form.opened_at.data = utcnow().isoformat()
    return form


def fill_choices(name: str, form, case: Case) -> None:
    """Choices of the forms on this part of the page (``name`` is the form's key)."""
    kind, _, track_id = name.partition(":")
    if kind == "start_track":
        existing = {t.track for t in escalation_service.tracks_of(case)}
        form.track.choices = [
            (code, label) for code, label in rules.TRACK_LABELS.items() if code not in existing
        ]
    elif kind == "kind":
        form.kind_code.choices = [
            (code, label) for code, label in lookups.options("kind") if code != case.kind_code
        ]
    elif kind == "step":
        track = _track(case, track_id)
        recorded = [s.step for s in track.steps] if track else []
        serious = track.is_serious if track else None
        steps = rules.STEPS[track.track] if track else {}
        form.step.choices = [
            (code, step.label)
            for code, step in steps.items()
            if code in rules.PLAIN_STEPS
            and rules.refusal(track.track, code, recorded, serious) is None
        ]
        # A submitted step that is no longer available is refused by the service with
        # the reason, rather than by the choice check with a generic message.
        chosen = form.step.data
        if chosen and chosen in steps and chosen not in {c for c, _ in form.step.choices}:
            form.step.choices.append((chosen, steps[chosen].label))
    elif kind == "ivo":
        track = _track(case, track_id)
        users = escalation_service.deciders_for(case, track.track) if track else []
        form.reported_by_id.choices = [(str(u.id), u.name) for u in users]
    elif kind == "decision":
        track = _track(case, track_id)
        if track is not None:
            words = rules.DECISION_WORDS[track.track]
            form.is_confirmed.label.text = words["is_confirmed"]
            form.is_risk.label.text = words["is_risk"]
            form.is_serious.label.text = words["is_serious"]
    elif kind == "action":
        causes = investigation_service.causes_of(case)
        form.cause_id.choices = [
            ("", "Ingen särskild orsak"),
            *[(str(c.id), _short(c.description)) for c in causes],
        ]


def _short(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _track(case: Case, track_id: str) -> Escalation | None:
    for track in escalation_service.tracks_of(case):
        if str(track.id) == track_id:
            return track
    return None


@dataclass
class TrackView:
    track: Escalation
    label: str
    legal_reference: str
    ivo_reference_text: str
    decision_words: dict
    can_decide: bool
    steps: list = field(default_factory=list)
    forms: dict = field(default_factory=dict)
    reported_by_name: str | None = None


def build(case: Case, submitted: dict, can_handle: bool) -> dict:
    """Template context for the utredning, lex, IA, ärendetyp and attachment sections."""
    today = local_date(utcnow())
    can_read_all = case.org_unit_id in unit_ids_for(current_user, Permission.CASE_READ)
    can_record = escalation_service.may_record(current_user, case)
    settings = org_settings.all_settings()
    investigation = investigation_service.investigation_of(case)
    causes = list(investigation.causes) if investigation else []
    context: dict = {
        "show_investigation": can_read_all,
        "investigation": investigation,
        "causes": causes,
        "cause_texts": {c.id: c.description for c in causes},
        "can_record": can_record,
        "tracks": [],
        "attachments": attachment_service.attachments_of(case) if can_read_all else [],
        "show_attachments": can_read_all,
        "attachment_limit": attachment_service.size_text(
            org_settings.get_int("attachment.max_bytes")
        ),
        "allowed_types": attachment_service.ALLOWED_LABEL,
        "size_text": attachment_service.size_text,
        "extra_forms": {},
    }
    extra: dict = {}

    def put(key: str, default):
        form = submitted.get(key, default)
        fill_choices(key, form, case)
        extra[key] = form
        return form

    if can_record:
        put(
            "investigation",
            _versioned(
                forms.InvestigationForm,
                case,
                started_on=investigation.started_on if investigation else None,
                what_happened=investigation.what_happened if investigation else None,
                assessment=investigation.assessment if investigation else None,
                conclusion=investigation.conclusion if investigation else None,
                completed_on=investigation.completed_on if investigation else None,
            ),
        )
        put("cause", _versioned(forms.CauseForm, case))
        put("attachment", _versioned(forms.AttachmentForm, case))
        start = put("start_track", _versioned(forms.StartTrackForm, case, reported_on=today))
        if not start.track.choices:
            extra.pop("start_track")
    if can_handle:
        put(
            "ia",
            _versioned(
                forms.IaForm,
                case,
                ia_reported_on=case.ia_reported_on or today,
                ia_reference=case.ia_reference,
            ),
        )
        put("unmark_ia", _versioned(forms.UnmarkIaForm, case))
        put("kind", _versioned(forms.KindForm, case))
    if can_read_all:
        for track in escalation_service.tracks_of(case):
            view = TrackView(
                track=track,
                label=rules.TRACK_LABELS[track.track],
                legal_reference=settings[f"legal.{track.track}"],
                ivo_reference_text=settings[f"legal.{track.track}.ivo"],
                decision_words=rules.DECISION_WORDS[track.track],
                can_decide=escalation_service.may_decide(current_user, case, track.track),
                steps=[(s, rules.step_label(track.track, s.step)) for s in track.steps],
            )
            if track.ivo_reported_by_id:
                from casetrack.extensions import db
                from casetrack.models import User

                sender = db.session.get(User, track.ivo_reported_by_id)
                view.reported_by_name = sender.name if sender else None
            recorded = [s.step for s in track.steps]

            def allowed(code: str, track=track, recorded=recorded) -> bool:
                return rules.refusal(track.track, code, recorded, track.is_serious) is None

            if can_record:
                form = put(f"step:{track.id}", _versioned(forms.StepForm, case, occurred_on=today))
                if form.step.choices:
                    view.forms["step"] = form
            if view.can_decide:
                if allowed(rules.DECISION) or f"decision:{track.id}" in submitted:
                    view.forms["decision"] = put(
                        f"decision:{track.id}",
                        _versioned(forms.DecisionForm, case, decided_on=today),
                    )
                if allowed(rules.IVO_REPORT) or f"ivo:{track.id}" in submitted:
                    view.forms["ivo"] = put(
                        f"ivo:{track.id}",
                        _versioned(
                            forms.IvoReportForm,
                            case,
                            reported_on=today,
                            reported_by_id=str(current_user.id),
                        ),
                    )
                if allowed(rules.NO_IVO_REPORT) or f"no_ivo:{track.id}" in submitted:
                    view.forms["no_ivo"] = put(
                        f"no_ivo:{track.id}",
                        _versioned(forms.NoIvoReportForm, case, decided_on=today),
                    )
            context["tracks"].append(view)
    context["extra_forms"] = extra
    return context
