"""The lex Sarah and lex Maria tracks: their steps, the order the steps may come in, and
the default deadlines and legal references (DESIGN §4 step 6, issue #4).

Pure Python: the services ask ``refusal`` whether a step may be recorded now, given the
steps already recorded and the track's ställningstagande.
"""

from __future__ import annotations

from dataclasses import dataclass

from casetrack.domain.action_plans import APPROVAL_ROLE_KEY, DEFAULT_APPROVAL_ROLE
from casetrack.domain.deviations import DEFAULT_ANALYSIS_THRESHOLD, DEFAULT_FALL_WINDOW_DAYS

LEX_SARAH = "lex_sarah"
LEX_MARIA = "lex_maria"
TRACKS = (LEX_SARAH, LEX_MARIA)

TRACK_LABELS = {LEX_SARAH: "Lex Sarah", LEX_MARIA: "Lex Maria"}

# Step codes shared by both tracks.
REPORTED = "rapport_mottagen"
DOCUMENTED = "dokumenterad"
INVESTIGATION_STARTED = "utredning_paborjad"
EVENT_ANALYSIS = "handelseanalys"
REMEDY = "atgarder"
DECISION = "stallningstagande"
IVO_REPORT = "anmalan_ivo"
NO_IVO_REPORT = "ingen_anmalan"
COMPLETED = "utredning_avslutad"
PERSON_INFORMED = "enskilde_informerad"
PATIENT_INFORMED = "patient_informerad"
PATIENT_NOT_INFORMED = "patient_ej_informerad"


@dataclass(frozen=True)
class StepKind:
    code: str
    label: str
    # Steps that must already be recorded (any one of each tuple).
    requires: tuple[tuple[str, ...], ...] = ()
    repeatable: bool = False
    # Only holders of the track's decide permission may record it.
    decision: bool = False
    text_label: str = "Text"
    text_required: bool = True


# The ställningstagande and what follows it, the same in both tracks.
_DECIDED = (
    StepKind(
        DECISION,
        "Ställningstagande",
        requires=((INVESTIGATION_STARTED,),),
        decision=True,
        text_label="Motivering",
    ),
    StepKind(
        IVO_REPORT,
        "Anmälan till IVO",
        requires=((DECISION,),),
        decision=True,
        text_label="Kommentar",
        text_required=False,
    ),
    StepKind(
        NO_IVO_REPORT,
        "Ingen anmälan till IVO",
        requires=((DECISION,),),
        decision=True,
        text_label="Skäl till att ingen anmälan görs",
    ),
    StepKind(
        COMPLETED,
        "Utredning avslutad",
        requires=((DECISION,),),
        text_label="Sammanfattning av utredningen",
    ),
)

_SARAH_STEPS = (
    StepKind(REPORTED, "Rapport mottagen"),
    StepKind(
        DOCUMENTED, "Rapporten dokumenterad", text_label="Var och hur rapporten dokumenterats"
    ),
    StepKind(INVESTIGATION_STARTED, "Utredning påbörjad", text_label="Vem utreder och hur"),
    StepKind(
        REMEDY,
        "Åtgärder för att avhjälpa eller undanröja",
        requires=((INVESTIGATION_STARTED,),),
        repeatable=True,
        text_label="Vad som gjorts",
    ),
    *_DECIDED,
    StepKind(
        PERSON_INFORMED,
        "Den enskilde informerad",
        requires=((DECISION,),),
        text_label="Vem informerades och hur",
    ),
)

_MARIA_STEPS = (
    StepKind(REPORTED, "Händelsen rapporterad"),
    StepKind(
        DOCUMENTED, "Rapporten dokumenterad", text_label="Var och hur rapporten dokumenterats"
    ),
    StepKind(INVESTIGATION_STARTED, "Utredning påbörjad", text_label="Vem utreder och hur"),
    StepKind(
        EVENT_ANALYSIS,
        "Händelseanalys",
        requires=((INVESTIGATION_STARTED,),),
        text_label="Händelseanalysens resultat",
    ),
    StepKind(
        REMEDY,
        "Åtgärder",
        requires=((INVESTIGATION_STARTED,),),
        repeatable=True,
        text_label="Vad som gjorts",
    ),
    StepKind(
        PATIENT_INFORMED,
        "Patienten informerad",
        requires=((REPORTED,),),
        text_label="Vem informerades och hur",
    ),
    StepKind(
        PATIENT_NOT_INFORMED,
        "Patienten inte informerad",
        requires=((REPORTED,),),
        text_label="Varför patienten inte informerats",
    ),
    *_DECIDED,
)

STEPS: dict[str, dict[str, StepKind]] = {
    LEX_SARAH: {step.code: step for step in _SARAH_STEPS},
    LEX_MARIA: {step.code: step for step in _MARIA_STEPS},
}

# Steps recorded with the plain step form (the others have their own forms and fields).
PLAIN_STEPS = frozenset(
    {
        DOCUMENTED,
        INVESTIGATION_STARTED,
        EVENT_ANALYSIS,
        REMEDY,
        COMPLETED,
        PERSON_INFORMED,
        PATIENT_INFORMED,
        PATIENT_NOT_INFORMED,
    }
)

# The ställningstagande on the scale the regulations use, least serious first. Lex Sarah:
# SOSFS 2011:5 (missförhållande, påtaglig risk för missförhållande, and the allvarliga
# ones, which are anmälda to IVO). Lex Maria: patientsäkerhetslagen 3 kap. 5 § (a
# händelse that has caused or could have caused an allvarlig vårdskada is anmäld to IVO).
ASSESSMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    LEX_SARAH: (
        ("inget_missforhallande", "Inget missförhållande"),
        ("risk_missforhallande", "Påtaglig risk för missförhållande"),
        ("missforhallande", "Missförhållande"),
        ("risk_allvarligt_missforhallande", "Påtaglig risk för ett allvarligt missförhållande"),
        ("allvarligt_missforhallande", "Allvarligt missförhållande"),
    ),
    LEX_MARIA: (
        ("ingen_vardskada", "Ingen vårdskada eller risk för vårdskada"),
        ("risk_vardskada", "Risk för vårdskada"),
        ("vardskada", "Vårdskada"),
        ("risk_allvarlig_vardskada", "Risk för allvarlig vårdskada"),
        ("allvarlig_vardskada", "Allvarlig vårdskada"),
    ),
}

# The levels that make the anmälan to IVO required (and "ingen anmälan" impossible).
SERIOUS_ASSESSMENTS = frozenset(
    {
        "risk_allvarligt_missforhallande",
        "allvarligt_missforhallande",
        "risk_allvarlig_vardskada",
        "allvarlig_vardskada",
    }
)

# What each level says in the three answers recorded before the scale (migration 1110
# maps them the other way): (confirmed, påtaglig risk, allvarligt).
ASSESSMENT_ANSWERS: dict[str, tuple[bool, bool, bool]] = {
    "inget_missforhallande": (False, False, False),
    "risk_missforhallande": (False, True, False),
    "missforhallande": (True, False, False),
    "risk_allvarligt_missforhallande": (False, True, True),
    "allvarligt_missforhallande": (True, False, True),
    "ingen_vardskada": (False, False, False),
    "risk_vardskada": (False, True, False),
    "vardskada": (True, False, False),
    "risk_allvarlig_vardskada": (False, True, True),
    "allvarlig_vardskada": (True, False, True),
}

# Short help at each choice (what the level means), for the person deciding.
ASSESSMENT_HINTS = {
    "inget_missforhallande": "Utredningen visar att det inte var ett missförhållande.",
    "risk_missforhallande": "Det har inte hänt, men risken att det händer är konkret och verklig.",
    "missforhallande": (
        "Den enskilde fick inte god kvalitet i omsorgen, men det är inte allvarligt."
    ),
    "risk_allvarligt_missforhallande": (
        "Risken för ett allvarligt missförhållande är konkret och verklig. Anmäls till IVO."
    ),
    "allvarligt_missforhallande": (
        "Hot mot liv, hälsa eller säkerhet, eller allvarligt lidande. Anmäls till IVO."
    ),
    "ingen_vardskada": "Händelsen har inte orsakat och kunde inte ha orsakat vårdskada.",
    "risk_vardskada": "Händelsen kunde ha orsakat en vårdskada som inte är allvarlig.",
    "vardskada": "Patienten fick en vårdskada som inte är bestående eller livshotande.",
    "risk_allvarlig_vardskada": (
        "Händelsen kunde ha orsakat en bestående, betydande eller livshotande skada. "
        "Anmäls till IVO."
    ),
    "allvarlig_vardskada": (
        "Bestående och inte ringa skada, betydande vårdbehov eller dödsfall. Anmäls till IVO."
    ),
}


def assessment_label(track: str, code: str | None) -> str:
    """The level's words, or "Inget ställningstagande ännu" when none is recorded."""
    if code is None:
        return "Inget ställningstagande ännu"
    return dict(ASSESSMENTS.get(track, ())).get(code, code)


def step_label(track: str, code: str) -> str:
    step = STEPS.get(track, {}).get(code)
    return step.label if step else code


def refusal(track: str, code: str, recorded: list[str], is_serious: bool | None) -> str | None:
    """Why step ``code`` may not be recorded now (a Swedish sentence), or None if it may.

    ``recorded`` are the codes of the steps already recorded on the track.
    """
    step = STEPS[track].get(code)
    if step is None:
        return "Välj ett steg i listan."
    done = set(recorded)
    if code in done and not step.repeatable:
        return f"Steget ”{step.label}” är redan registrerat."
    if COMPLETED in done and code not in (PERSON_INFORMED, PATIENT_INFORMED, PATIENT_NOT_INFORMED):
        return "Utredningen är avslutad. Bara information till den enskilde kan registreras."
    for alternatives in step.requires:
        if not done.intersection(alternatives):
            names = " eller ".join(f"”{step_label(track, a)}”" for a in alternatives)
            return f"Registrera först {names}."
    if code == IVO_REPORT:
        if not is_serious:
            return "Anmälan till IVO registreras när ställningstagandet är att det är allvarligt."
        if NO_IVO_REPORT in done:
            return "Det är redan registrerat att ingen anmälan görs."
    if code == NO_IVO_REPORT and IVO_REPORT in done:
        return "En anmälan till IVO är redan registrerad."
    if code == NO_IVO_REPORT and is_serious:
        return (
            "Ställningstagandet är att det är allvarligt: då ska det anmälas till IVO. "
            "Registrera anmälan till IVO."
        )
    if code in (PATIENT_INFORMED, PATIENT_NOT_INFORMED) and done.intersection(
        {PATIENT_INFORMED, PATIENT_NOT_INFORMED}
    ):
        return "Det är redan registrerat om patienten informerats."
    if code == COMPLETED and is_serious and not done.intersection({IVO_REPORT, NO_IVO_REPORT}):
        # NO_IVO_REPORT only on tracks decided before the scale (migration 1110), when a
        # reason for not reporting could still be given.
        return (
            "Ställningstagandet är att det är allvarligt. Registrera anmälan till IVO "
            "innan utredningen avslutas."
        )
    return None


# Default deadlines in working days: (step, the step it counts from, days). "Genast" is
# read as one working day. Each is an organisation setting ``deadline.<track>.<step>``.
DEFAULT_STEP_DEADLINES: dict[str, tuple[tuple[str, str, int], ...]] = {
    LEX_SARAH: (
        (DOCUMENTED, REPORTED, 1),
        (INVESTIGATION_STARTED, REPORTED, 2),
        (DECISION, REPORTED, 10),
        (IVO_REPORT, DECISION, 10),
    ),
    LEX_MARIA: (
        (DOCUMENTED, REPORTED, 1),
        (INVESTIGATION_STARTED, REPORTED, 2),
        (DECISION, REPORTED, 20),
        (IVO_REPORT, DECISION, 10),
    ),
}


def deadline_setting_key(track: str, step: str) -> str:
    return f"deadline.{track}.{step}"


# Legal references shown to users; settings because the numbering changes (the new
# socialtjänstlag 2025:400 renumbered the lex Sarah sections of SoL 2001:453).
DEFAULT_LEGAL_REFERENCES = {
    "legal.lex_sarah": (
        "Lex Sarah: socialtjänstlagen (2025:400), 24 a–g §§ LSS och Socialstyrelsens "
        "föreskrifter och allmänna råd (SOSFS 2011:5)"
    ),
    "legal.lex_sarah.ivo": "Allvarliga missförhållanden ska anmälas till IVO (SOSFS 2011:5)",
    "legal.lex_maria": (
        "Lex Maria: patientsäkerhetslagen (2010:659) 3 kap. 5 § och HSLF-FS 2017:41"
    ),
    "legal.lex_maria.ivo": (
        "Vårdskada eller risk för allvarlig vårdskada ska anmälas till IVO snarast "
        "(patientsäkerhetslagen 3 kap. 5 §)"
    ),
}

DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


# Issue 19: the risk value (1–16) from which an avvikelse needs a händelseanalys.
ANALYSIS_THRESHOLD_KEY = "deviation.analysis_threshold"
# Issue 19: the window in which a third fall for the same brukare asks for fallriskbedömning.
FALL_WINDOW_KEY = "deviation.fall_window_days"


def default_settings() -> dict[str, str]:
    """Every organisation setting this module knows, with its default value as text."""
    values = dict(DEFAULT_LEGAL_REFERENCES)
    for track, deadlines in DEFAULT_STEP_DEADLINES.items():
        for step, _start, days in deadlines:
            values[deadline_setting_key(track, step)] = str(days)
    values["attachment.max_bytes"] = str(DEFAULT_ATTACHMENT_MAX_BYTES)
    # The organisation's name on the public pages (issue 20); empty: the top unit's name
    # (casetrack.queries.settings.organisation_name).
    values["organisation.name"] = ""
    values[ANALYSIS_THRESHOLD_KEY] = str(DEFAULT_ANALYSIS_THRESHOLD)
    values[FALL_WINDOW_KEY] = str(DEFAULT_FALL_WINDOW_DAYS)
    # Issue 19: the role that approves an avvikelse's åtgärd plan ("none": no approval).
    values[APPROVAL_ROLE_KEY] = DEFAULT_APPROVAL_ROLE
    return values
