"""The audit trail of a case in readable Swedish (the history tab)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from casetrack.domain.codes import NO_FEEDBACK_REASONS
from casetrack.domain.escalation import TRACK_LABELS, assessment_label, step_label
from casetrack.domain.event_analysis import area_label
from casetrack.domain.roles import ROLE_LABELS, Role
from casetrack.models import AuditEntry
from casetrack.queries import deviations as deviation_queries
from casetrack.queries import history as history_queries
from casetrack.queries.lookups import labels
from casetrack.services.cases import REDACTED

FIELD_LABELS = {
    "kind_code": "ärendetyp",
    "org_unit_id": "enhet",
    "received_on": "inkom datum",
    "channel_code": "kanal",
    "source_code": "från vem",
    "status_code": "status",
    "assigned_handler_id": "handläggare",
    "is_anonymous": "anonym",
    "wants_feedback": "vill ha återkoppling",
    "categories": "kategorier",
    "title": "rubrik",
    "description": "beskrivning",
    "category_other_note": "annat – ange vad",
    "submitter_name": "namn på den som lämnat ärendet",
    "submitter_email": "e-post till den som lämnat ärendet",
    "submitter_phone": "telefon till den som lämnat ärendet",
    "person_concerned": "berörd brukare",
    "reference": "diarienummer",
    "occurred_on": "händelsedatum",
    "acknowledged_on": "mottagningsbekräftelse",
    "no_feedback_reason": "skäl utan återkoppling",
    "immediate_action": "vad som gjordes direkt",
    "ia_reported_on": "rapporterad i IA",
    "ia_reference": "referens i IA",
    # An avvikelse's classification (issue 19).
    "lagrum": "lagrum",
    "event_type_code": "händelsetyp",
    "harm": "skada",
    "probability": "sannolikhet",
    "consequence_level": "konsekvens (risk)",
    "consequence": "följder för brukaren",
    "person": "koppling till brukare",
}

CLASSIFICATION_FIELDS = frozenset(
    {"lagrum", "event_type_code", "harm", "probability", "consequence_level", "person"}
)

ACTION_VERBS = {
    "case.registered": "registrerade ärendet",
    "case.updated": "ändrade ärendet",
    "case.closed": "avslutade ärendet",
    "case.reopened": "öppnade ärendet igen",
    "case.information_notice": "meddelade handläggarna att ny information har kommit",
    "case.information_read": "markerade den nya informationen som läst",
    "feedback.given": "registrerade återkoppling",
    "action.added": "lade till en åtgärd",
    "action.updated": "uppdaterade en åtgärd",
    "note.added": "skrev en anteckning",
    "case.reclassified": "ändrade ärendetyp",
    "case.ia_marked": "markerade ärendet som arbetsmiljöhändelse rapporterad i IA",
    "case.ia_unmarked": "tog bort IA-markeringen",
    "investigation.created": "påbörjade utredningen",
    "investigation.updated": "ändrade utredningen",
    "cause.added": "lade till en orsak i utredningen",
    "cause.area_set": "angav orsaksområde för en orsak",
    "analysis.event_added": "lade till en händelse i händelseförloppet",
    "analysis.event_updated": "ändrade en händelse i händelseförloppet",
    "analysis.event_removed": "tog bort en händelse ur händelseförloppet",
    "analysis.participant_added": "lade till en deltagare i händelseanalysen",
    "analysis.participant_removed": "tog bort en deltagare ur händelseanalysen",
    "analysis.reported_back": "registrerade återrapporteringen till personalen",
    "escalation.started": "startade en utredning enligt",
    "escalation.step_recorded": "registrerade ett steg",
    "escalation.decided": "registrerade ställningstagandet",
    "escalation.ivo_reported": "registrerade anmälan till IVO",
    "escalation.investigator_assigned": "utsåg lex Sarah-utredare",
    "escalation.investigator_removed": "tog bort den oberoende lex Sarah-utredaren",
    "attachment.uploaded": "lade till en bilaga",
    "attachment.downloaded": "laddade ner en bilaga",
    "deviation.classified": "klassificerade avvikelsen",
    "action_plan.submitted": "skickade åtgärdsplanen för godkännande",
    "action_plan.approved": "godkände åtgärdsplanen",
    "action_plan.returned": "skickade tillbaka åtgärdsplanen för omarbetning",
}
ACTION_FIELD_LABELS = {
    "done_on": "genomförd datum",
    "effect_evaluated_on": "effektuppföljning",
    "effect_verdict": "effekt",
    "effect_waived_reason": "skäl att inte följa upp effekten",
    "due_on": "klar senast",
    "given_on": "datum",
    "method": "sätt",
    "started_on": "påbörjad",
    "completed_on": "avslutad",
    "what_happened": "vad hände",
    "assessment": "bedömning",
    "conclusion": "slutsats",
    "is_confirmed": "missförhållande/vårdskada",
    "is_risk": "risk",
    "is_serious": "allvarligt",
    "ivo_reported_on": "anmäld till IVO",
    "ivo_reference": "IVO:s diarienummer",
    "ivo_reported_by_id": "anmäld av",
    "area": "orsaksområde",
    "occurred_on": "datum",
    "occurred_time": "klockslag",
    "description": "beskrivning",
    "reported_back_on": "återrapporterad",
    "reported_back_how": "hur",
    "investigator_id": "lex Sarah-utredare",
}


@dataclass
class HistoryLine:
    occurred_at: datetime
    actor: str
    text: str
    details: list[str]


def describe(entries: list[AuditEntry]) -> list[HistoryLine]:
    """Turn audit entries into sentences such as "ändrade status från A till B"."""
    label_maps = labels()
    user_ids = {e.actor_id for e in entries if e.actor_id}
    unit_ids: set[int] = set()
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            if isinstance(values.get("assigned_handler_id"), int):
                user_ids.add(values["assigned_handler_id"])
            if isinstance(values.get("ivo_reported_by_id"), int):
                user_ids.add(values["ivo_reported_by_id"])
            if isinstance(values.get("investigator_id"), int):
                user_ids.add(values["investigator_id"])
            if isinstance(values.get("org_unit_id"), int):
                unit_ids.add(values["org_unit_id"])
    names = history_queries.user_names(user_ids)
    units = history_queries.unit_names(unit_ids)

    def show(field: str, value) -> str:
        if value is None or value == "" or value == []:
            return "(tomt)"
        if value == REDACTED:
            return "(text)"
        if isinstance(value, bool):
            return "ja" if value else "nej"
        if field == "effect_verdict":
            return {"achieved": "effekt uppnådd", "partial": "delvis", "none": "ingen effekt"}.get(
                value, value
            )
        if field == "no_feedback_reason":
            return NO_FEEDBACK_REASONS.get(value, value)
        if field == "categories":
            return ", ".join(label_maps["category"].get(code, code) for code in value)
        if field == "area":
            return area_label(value)
        if field in CLASSIFICATION_FIELDS:
            return deviation_queries.value_in_words(field, value)
        mapping = {
            "kind_code": label_maps["kind"],
            "status_code": label_maps["status"],
            "source_code": label_maps["source"],
            "channel_code": label_maps["channel"],
            "assigned_handler_id": names,
            "ivo_reported_by_id": names,
            "investigator_id": names,
            "org_unit_id": units,
        }.get(field)
        if mapping is not None:
            return str(mapping.get(value, value))
        return str(value)

    lines = []
    for entry in entries:
        actor = names.get(entry.actor_id) or entry.actor_label or "Systemet"
        verb = ACTION_VERBS.get(entry.action, entry.action)
        details = []
        before, after = entry.before or {}, entry.after or {}
        if entry.action == "note.added" and after.get("kind") == "submitter":
            verb = "lade till information"
        if entry.action in ("feedback.given", "action.added", "note.added"):
            pass
        elif entry.action in ("escalation.started", "escalation.step_recorded"):
            track = after.get("track", "")
            if entry.action == "escalation.started":
                verb = f"{verb} {TRACK_LABELS.get(track, track)}"
                details.append(f"rapport mottagen {after.get('reported_on')}")
            else:
                details.append(
                    f"{TRACK_LABELS.get(track, track)}: {step_label(track, after.get('step', ''))}"
                    f", {after.get('occurred_on')}"
                )
        elif entry.action == "escalation.decided" and "level" in after:
            track = after.get("track", "")
            details.append(
                f"{TRACK_LABELS.get(track, track)}: {assessment_label(track, after['level'])}"
            )
            if after.get("ivo_required"):
                details.append("ska anmälas till IVO")
        elif entry.action.startswith("action_plan."):
            count = after.get("action_count")
            if count is not None:
                details.append(f"{count} {'åtgärd' if count == 1 else 'åtgärder'}")
            if after.get("role") in ROLE_LABELS:
                details.append(f"som {ROLE_LABELS[Role(after['role'])].lower()}")
            if after.get("motivation"):
                details.append("med motivering")
            if after.get("own_plan"):
                details.append("hade själv skickat planen")
        elif entry.action in (
            "cause.added",
            "analysis.event_added",
            "analysis.event_removed",
            "analysis.participant_added",
            "analysis.participant_removed",
            "attachment.uploaded",
            "attachment.downloaded",
        ):
            pass
        elif entry.action == "case.registered":
            for field in ("kind_code", "org_unit_id", "source_code", "channel_code", "categories"):
                if after.get(field) not in (None, [], ""):
                    details.append(f"{FIELD_LABELS[field]}: {show(field, after[field])}")
        else:
            for field, new_value in after.items():
                label = FIELD_LABELS.get(field) or ACTION_FIELD_LABELS.get(field, field)
                if new_value == REDACTED or before.get(field) == REDACTED:
                    details.append(f"ändrade {label}")
                else:
                    details.append(
                        f"ändrade {label} från {show(field, before.get(field))} "
                        f"till {show(field, new_value)}"
                    )
        if entry.action == "case.updated" and len(details) == 1:
            # One change reads as one sentence: "ändrade status från A till B".
            verb, details = details[0], []
        lines.append(HistoryLine(entry.occurred_at, actor, verb, details))
    return lines
