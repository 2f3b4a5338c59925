"""Demo data shaped like the seed documents: Hägersten-Älvsjö stadsdelsförvaltning.

Everything here is synthetic (SECURITY.md K3-36) and generated deterministically from a
seed: the same seed and the same "today" give the same cases. Cases go through the real
services, so every demo case has its audit trail.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import click
import sqlalchemy as sa
from flask import current_app

from casetrack.domain.codes import CATEGORIES, CHANNELS
from casetrack.domain.dates import STOCKHOLM, local_date
from casetrack.domain.deviations import DEFAULT_ANALYSIS_THRESHOLD, EVENT_TYPES
from casetrack.domain.escalation import ASSESSMENTS, SERIOUS_ASSESSMENTS
from casetrack.domain.roles import ROLE_LABELS, Permission, Role
from casetrack.extensions import db
from casetrack.models import Case, DeviationClassification, OrgUnit, User, utcnow
from casetrack.queries import action_plans as action_plan_queries
from casetrack.services import (
    action_plans,
    classification,
    deviations,
    escalation,
    event_analysis,
    handling,
    investigation,
    mfa,
    users,
)
from casetrack.services import cases as case_service

DEMO_PASSWORD = "demo-casetrack-2026"  # noqa: S105  # pragma: allowlist secret (printed demo login, demo data only)
DEMO_DOMAIN = "demo.example"

# (code, name, level, parent code, reference prefix)
UNITS = [
    ("HAS", "Hägersten-Älvsjö stadsdelsförvaltning", "forvaltning", None, "HA"),
    ("AO", "Avdelningen för äldreomsorg", "avdelning", "HAS", "AO"),
    ("AO-ASP", "Aspudden hemtjänst", "enhet", "AO", None),
    ("AO-ASP-N", "Aspudden hemtjänst, arbetsgrupp Norra", "arbetsgrupp", "AO-ASP", None),
    ("AO-ASP-S", "Aspudden hemtjänst, arbetsgrupp Södra", "arbetsgrupp", "AO-ASP", None),
    ("AO-ASP-NATT", "Aspudden hemtjänst, nattpatrullen", "arbetsgrupp", "AO-ASP", None),
    ("AO-SOL", "Solbergagårdens vård- och omsorgsboende", "enhet", "AO", None),
    ("AO-SOL-1", "Solbergagården, avdelning Linden", "verksamhet", "AO-SOL", None),
    ("AO-SOL-2", "Solbergagården, avdelning Eken", "verksamhet", "AO-SOL", None),
    ("FN", "Avdelningen för funktionsnedsättning", "avdelning", "HAS", "FN"),
    ("FN-GSB", "Hägersten-Älvsjö grupp- och servicebostäder", "enhet", "FN", None),
    ("FN-GSB-TP", "Gruppbostaden Telefonplan", "verksamhet", "FN-GSB", None),
    ("FN-GSB-MK", "Gruppbostaden Midsommarkransen", "verksamhet", "FN-GSB", None),
    ("FN-GSB-FR", "Gruppbostaden Fruängen", "verksamhet", "FN-GSB", None),
    ("FN-GSB-VB", "Servicebostaden Västberga", "verksamhet", "FN-GSB", None),
    ("FN-DV", "Daglig verksamhet Älvsjö", "enhet", "FN", None),
    ("FA", "Avdelningen för förebyggande arbete", "avdelning", "HAS", "FA"),
    ("FA-UFA", "Enheten för utveckling och förebyggande arbete", "enhet", "FA", None),
    ("FA-UFA-TP", "Träffpunkt Hägersten", "verksamhet", "FA-UFA", None),
    ("FA-UFA-UV", "Uppsökande verksamhet 75+", "verksamhet", "FA-UFA", None),
]

# (e-mail local part, name, [(role, unit code)]); the first of each role is "the" demo user.
USERS = [
    ("medarbetare", "Amina Yusuf", [(Role.STAFF, "AO-ASP-N")]),
    ("handlaggare", "Lena Berg", [(Role.HANDLER, "AO-ASP")]),
    ("enhetschef", "Maria Lind", [(Role.MANAGER, "AO-ASP")]),
    ("kvalitet", "Karin Holm", [(Role.QUALITY, "HAS")]),
    ("mas", "Eva Sjöberg", [(Role.MAS, "HAS")]),
    ("sas", "Anders Nyström", [(Role.SAS, "HAS")]),
    # A central lex Sarah-utredare: reaches only the tracks she is named for.
    ("utredare", "Tove Ek", [(Role.INVESTIGATOR, "HAS")]),
    ("admin", "Per Ström", [(Role.ADMIN, "HAS")]),
    (
        "handlaggare.gsb",
        "Johan Ek",
        [(Role.HANDLER, "FN-GSB-TP"), (Role.HANDLER, "FN-GSB-MK"), (Role.HANDLER, "FN-GSB-FR")],
    ),
    ("handlaggare.vb", "Sofia Karlsson", [(Role.HANDLER, "FN-GSB-VB"), (Role.STAFF, "FN-GSB-TP")]),
    ("enhetschef.gsb", "Omar Haddad", [(Role.MANAGER, "FN-GSB")]),
    ("handlaggare.sol", "Birgitta Öberg", [(Role.HANDLER, "AO-SOL")]),
    ("handlaggare.dv", "Nils Wikström", [(Role.HANDLER, "FN-DV")]),
    ("handlaggare.ufa", "Hanna Lund", [(Role.HANDLER, "FA-UFA")]),
    ("medarbetare.gsb", "Ali Hassan", [(Role.STAFF, "FN-GSB-MK")]),
    # Every unit that handles avvikelser has an enhetschef to approve its åtgärd plans.
    ("enhetschef.sol", "Ingrid Sandberg", [(Role.MANAGER, "AO-SOL")]),
    ("enhetschef.dv", "Karl Nyberg", [(Role.MANAGER, "FN-DV")]),
    ("enhetschef.ufa", "Leila Rahimi", [(Role.MANAGER, "FA-UFA")]),
]

# The handler who answers cases for each leaf unit.
HANDLER_FOR = {
    "AO-ASP": "handlaggare",
    "AO-SOL": "handlaggare.sol",
    "FN-GSB-TP": "handlaggare.gsb",
    "FN-GSB-MK": "handlaggare.gsb",
    "FN-GSB-FR": "handlaggare.gsb",
    "FN-GSB-VB": "handlaggare.vb",
    "FN-DV": "handlaggare.dv",
    "FA-UFA": "handlaggare.ufa",
}
STAFF_FOR = {"AO-ASP-N": "medarbetare", "FN-GSB-MK": "medarbetare.gsb"}

# The texts and weights of the cases, shared with the benchmark data (cli/synthetic).
TEXTS = {
    "bemanning": "Många olika vikarier den senaste tiden, brukaren vet inte vem som kommer.",
    "bemotande": "Personalen upplevdes som stressad och bemötandet som ovänligt vid besöket.",
    "beslut": "Missnöje med att beslutet om insatser inte har kommunicerats.",
    "information": "Ingen information gavs om att besökstiden ändrats.",
    "rutiner": "Rutinen för överlämning följdes inte och en insats missades.",
    "fraga_ide": "Förslag om att införa gemensam fika på eftermiddagarna.",
    "fysisk_miljo": "Det har inte städats i gemensamma utrymmen på två veckor.",
    "personuppgifter": "En genomförandeplan låg framme synlig för andra besökare.",
    "kompetens": "Personalen kände inte till hur hjälpmedlet skulle användas.",
    "mat": "Maten levererades kall och portionerna var för små.",
    "teknik": "Larmet fungerade inte och det tog lång tid innan någon kom.",
    "tillganglighet": "Svårt att nå enheten per telefon under telefontiden.",
    "utebliven_insats": "Dusch blev inte utförd enligt planeringen.",
    "annat": "Övrigt ärende som inte passar någon annan kategori.",
}
PRAISE_TEXTS = [
    "Stort tack till personalen för det fina bemötandet under sommaren.",
    "Min mamma trivs så bra och personalen är alltid glada och hjälpsamma.",
    "Tack för en fantastisk midsommarfest på boendet!",
]
# Avvikelser (issue 19): what staff write for each händelsetyp, how often each happens in
# äldreomsorg (AO) and in LSS (FN), and the report category the handler gives it.
DEVIATION_TEXTS = {
    "fall": [
        "Brukaren hittades sittande på golvet i badrummet vid morgonbesöket, ont i höften.",
        "Brukaren föll i hallen på väg till toaletten under natten, larmade själv.",
    ],
    "lakemedel_utebliven_dos": [
        "Kvällsdosen låg kvar i dosetten vid nattbesöket.",
        "Läkemedel gavs inte kl. 08 hos brukaren, dosetten var inte påfylld.",
    ],
    "lakemedel_fel_dos": ["Två tabletter Alvedon gavs i stället för en enligt signeringslistan."],
    "lakemedel_fel_person": ["Dosetten till rum 4 gavs av misstag till brukaren i rum 5."],
    "lakemedel_fel_tid": ["Morgondosen gavs först kl. 12 eftersom besöket blev sent."],
    "lakemedel_signering_saknas": ["Signering saknas för lunchdosen, oklart om den gavs."],
    "trycksar": ["Rodnad som inte bleknar upptäcktes på hälen vid duschen."],
    "medicinteknisk_produkt": [
        "Taklyftens sele gick sönder vid förflyttning från säng till rullstol, ingen skadades."
    ],
    "informationsoverforing": [
        "Sjuksköterskans ändrade ordination nådde inte kvällspersonalen vid överlämningen."
    ],
    "delegering": ["En vikarie utan delegering gav insulin eftersom ingen annan fanns på plats."],
    "insats_utebliven": [
        "Ingen kom till lunchbesöket, brukaren fick ingen mat förrän på eftermiddagen.",
        "Dusch blev inte utförd enligt planeringen, besöket ströks utan att brukaren fick veta.",
    ],
    "brister_omvardnad": ["Brukaren hade inte fått byta inkontinensskydd under natten."],
    "bemotande": ["En medarbetare höjde rösten mot brukaren vid måltiden."],
    "hot_vald": [
        "En boende slog en annan boende i dagrummet, personal gick emellan.",
        "Brukaren hotade medarbetaren med en kniv i köket, medarbetaren lämnade lägenheten.",
    ],
    "overgrepp_krankning": ["Pengar saknas i brukarens plånbok efter helgen."],
    "forsvunnen_brukare": [
        "Brukaren saknades vid kvällsmaten och hittades av polisen vid tunnelbanan."
    ],
    "brand_sakerhet": ["Spisen stod på när personalen kom, köket var fullt av rök."],
}
DEVIATION_WEIGHTS = {
    "AO": [("fall", 30), ("lakemedel_utebliven_dos", 14), ("lakemedel_fel_dos", 4),
           ("lakemedel_fel_person", 2), ("lakemedel_fel_tid", 5),
           ("lakemedel_signering_saknas", 6), ("trycksar", 5), ("medicinteknisk_produkt", 3),
           ("informationsoverforing", 4), ("delegering", 2), ("insats_utebliven", 12),
           ("brister_omvardnad", 5), ("bemotande", 3), ("brand_sakerhet", 1),
           ("forsvunnen_brukare", 1), ("overgrepp_krankning", 1)],
    "FN": [("hot_vald", 18), ("insats_utebliven", 12), ("lakemedel_utebliven_dos", 12),
           ("lakemedel_signering_saknas", 6), ("fall", 8), ("bemotande", 8),
           ("brister_omvardnad", 6), ("overgrepp_krankning", 4), ("forsvunnen_brukare", 4),
           ("brand_sakerhet", 2), ("informationsoverforing", 4)],
}  # fmt: skip
DEVIATION_CATEGORY = {
    "bemotande": "bemotande",
    "insats_utebliven": "utebliven_insats",
    "informationsoverforing": "information",
    "brand_sakerhet": "fysisk_miljo",
    "hot_vald": "annat",
    "overgrepp_krankning": "annat",
    "forsvunnen_brukare": "annat",
}  # the rest: "rutiner" (brister i rutiner/utförande)
HSL_TYPES = {item.code for item in EVENT_TYPES if item.group == "hsl"}
LEX_SARAH_PRONE = {"overgrepp_krankning", "bemotande", "brister_omvardnad", "insats_utebliven"}
HARM_CONSEQUENCE = {"ingen": 1, "lindrig": 2, "mattlig": 3, "allvarlig": 4, "dodsfall": 4}
# A händelseanalys as the demo tells it, by the händelsetyp's first word: the
# händelseförlopp (day relative to the avvikelse's date, time, what happened), the causes
# (area, text) and the conclusion.
ANALYSIS_STORIES = {
    "fall": {
        "events": [
            (
                -1,
                time(21, 30),
                "Kvällspersonalen hjälpte brukaren i säng och satte larmet på bordet.",
            ),
            (0, time(2, 10), "Brukaren gick upp för att gå på toaletten utan att larma."),
            (
                0,
                time(2, 15),
                "Brukaren föll i badrummet och hittades av nattpatrullen vid tillsyn.",
            ),
        ],
        "causes": [
            ("teknik", "Trygghetslarmet låg utom räckhåll på bordet."),
            ("rutiner", "Fallriskbedömningen var inte uppdaterad efter sjukhusvistelsen."),
        ],
        "conclusion": "Larmet bärs på armen nattetid och fallriskbedömningen uppdateras.",
    },
    "lakemedel": {
        "events": [
            (0, time(7, 45), "Morgonpasset hade två vikarier och en ordinarie undersköterska."),
            (0, time(8, 30), "Dosen i dosetten gavs inte; signeringslistan fylldes inte i."),
            (
                0,
                time(16, 0),
                "Kvällspersonalen såg att morgondosen låg kvar och ringde sjuksköterskan.",
            ),
        ],
        "causes": [
            ("kunskap", "Vikarien saknade delegering för läkemedelsöverlämning."),
            ("kommunikation", "Överrapporteringen nämnde inte att brukaren fått nya läkemedel."),
            ("organisation", "Två vikarier på samma pass utan ordinarie att fråga."),
        ],
        "conclusion": "Bara delegerad personal ger läkemedel; överrapporteringen får checklista.",
    },
    "annat": {
        "events": [
            (0, time(9, 0), "Besöket var planerat enligt genomförandeplanen."),
            (
                0,
                time(11, 30),
                "Det som skulle göras blev inte gjort; ingen märkte det förrän senare.",
            ),
        ],
        "causes": [
            ("rutiner", "Rutinen för vad som ska göras vid besöket var otydlig."),
            ("kommunikation", "Ändringen i genomförandeplanen hade inte nått alla."),
        ],
        "conclusion": "Rutinen skrivs om och gås igenom på arbetsplatsträffen.",
    },
}
HARM_WEIGHTS = [("ingen", 60), ("lindrig", 28), ("mattlig", 9), ("allvarlig", 3)]
KIND_WEIGHTS = [("complaint", 35), ("suggestion", 20), ("praise", 15), ("deviation", 30)]
SOURCE_WEIGHTS = {
    "complaint": [
        ("brukare", 40),
        ("narstaende", 40),
        ("annan", 8),
        ("samverkanspart", 7),
        ("patientnamnden", 5),
    ],
    "suggestion": [("brukare", 35), ("narstaende", 30), ("medarbetare", 25), ("annan", 10)],
    "praise": [("brukare", 40), ("narstaende", 50), ("annan", 10)],
    "deviation": [("medarbetare", 92), ("samverkanspart", 8)],
}
PUBLIC_CHANNELS = ["telefon", "brev", "e_post", "e_tjanst", "besok", "muntligt", "brevlada"]


@dataclass
class DemoSummary:
    units: int
    users: int
    cases: int

    def __str__(self) -> str:
        return f"{self.units} enheter, {self.users} användare, {self.cases} ärenden"


def pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    """One code of (code, weight) pairs, drawn by weight."""
    codes, weights = zip(*weighted, strict=True)
    return rng.choices(codes, weights=weights)[0]


def moment(day: date, rng: random.Random) -> datetime:
    """A time on ``day`` in office hours (Stockholm), as UTC."""
    local = datetime.combine(day, time(rng.randint(7, 17), rng.randint(0, 59)), STOCKHOLM)
    return local.astimezone(UTC)


def load_demo(seed: int, today: date | None = None) -> DemoSummary:
    """Create the demo organisation, users and about two years of cases up to ``today``."""
    rng = random.Random(seed)  # noqa: S311 (deterministic demo data, not security)
    today = today or local_date(utcnow())
    units: dict[str, OrgUnit] = {}
    for code, name, level, parent, prefix in UNITS:
        unit = OrgUnit(
            code=code, name=name, level=level, parent=units.get(parent), reference_prefix=prefix
        )
        db.session.add(unit)
        units[code] = unit
    db.session.flush()

    people: dict[str, User] = {}
    for local_part, name, roles in USERS:
        user = users.create_user(
            None,
            email=f"{local_part}@{DEMO_DOMAIN}",
            name=name,
            password=DEMO_PASSWORD,
            actor_label="demodata",
        )
        for role, unit_code in roles:
            users.assign_role(None, user, role, units[unit_code], actor_label="demodata")
        people[local_part] = user

    count = 0
    start = today - timedelta(days=730)
    day = start
    while day <= today:
        for unit_code, handler_key in HANDLER_FOR.items():
            if rng.random() < 0.10:
                case = _demo_case(rng, day, today, units, unit_code, people, handler_key)
                count += 1
                if case.kind_code == "deviation" and (today - day).days > 30:
                    _demo_escalation(rng, case, people, handler_key)
        day += timedelta(days=1)
    return DemoSummary(units=len(units), users=len(people), cases=count)


def _demo_escalation(rng, case: Case, people: dict[str, User], handler_key: str) -> None:
    """A few avvikelser lead to lex Sarah (SAS decides) or lex Maria (MAS decides); a few
    are arbetsmiljöhändelser reported in IA."""
    roll = rng.random()
    handler = people[handler_key]
    day = case.received_on
    at = moment(day + timedelta(days=1), rng)
    if roll < 0.03:
        classification.mark_ia(handler, case, reported_on=day, reference=f"IA-{case.id:05d}",
                               now=at)  # fmt: skip
        return
    # The lagrum decides the chain: HSL events go to lex Maria, SoL and LSS to lex Sarah;
    # missförhållanden such as a kränkning are reported under lex Sarah more often.
    classified = db.session.get(DeviationClassification, case.id)
    event_type = classified.event_type_code if classified is not None else None
    if roll > (0.2 if event_type in LEX_SARAH_PRONE else 0.09):
        return
    if event_type:
        track_name = "lex_maria" if event_type in HSL_TYPES else "lex_sarah"
    else:
        track_name = "lex_maria" if roll > 0.075 else "lex_sarah"
    decider = people["mas"] if track_name == "lex_maria" else people["sas"]
    track = escalation.start_track(
        handler, case, track=track_name, reported_on=day, reporter_name="Amina Yusuf",
        text="Rapporten lämnades muntligt till biträdande enhetschef.", now=at,
    )  # fmt: skip
    escalation.record_step(handler, track, step="dokumenterad", occurred_on=day,
                           text="Dokumenterad i ärendet.", now=at)  # fmt: skip
    if track_name == "lex_sarah" and rng.random() < 0.4:
        # SAS names the central utredare; she investigates, SAS decides, the enhetschef
        # is informed and no longer reads the utredning.
        escalation.assign_investigator(people["sas"], track, people["utredare"], now=at)
        handler = people["utredare"]
    escalation.record_step(handler, track, step="utredning_paborjad",
                           occurred_on=day + timedelta(days=1), text="Utredningen påbörjad.",
                           now=moment(day + timedelta(days=1), rng))  # fmt: skip
    decided_on = day + timedelta(days=8)
    # Mostly the middle of the scale; about one in four serious (anmäld to IVO).
    levels = [code for code, _ in ASSESSMENTS[track_name]]
    assessment = rng.choices(levels, weights=(2, 3, 4, 1, 2))[0]
    serious = assessment in SERIOUS_ASSESSMENTS
    escalation.record_decision(
        decider, track, decided_on=decided_on, assessment=assessment,
        text="Bedömningen grundar sig på utredningen.", now=moment(decided_on, rng),
    )  # fmt: skip
    if serious:
        escalation.record_ivo_report(
            decider, track, reported_on=decided_on + timedelta(days=2),
            ivo_reference=f"3.5.1-{case.id:05d}/{day.year}", reported_by=decider,
            now=moment(decided_on + timedelta(days=2), rng),
        )  # fmt: skip
    escalation.record_step(handler, track, step="utredning_avslutad",
                           occurred_on=decided_on + timedelta(days=5),
                           text="Utredningen avslutad; åtgärder beslutade.",
                           now=moment(decided_on + timedelta(days=5), rng))  # fmt: skip


def _demo_case(rng, day, today, units, unit_code, people, handler_key) -> Case:
    handler = people[handler_key]
    kind = pick(rng, KIND_WEIGHTS)
    unit = units[unit_code]
    filer = handler
    permission = Permission.CASE_REGISTER
    if kind == "deviation":
        # Staff file avvikelser in their own arbetsgrupp when there is one.
        staff_units = [code for code in STAFF_FOR if code.startswith(unit_code)]
        if staff_units:
            unit = units[rng.choice(staff_units)]
            filer = people[STAFF_FOR[unit.code]]
            permission = Permission.CASE_FILE_DEVIATION
        channel = "avvikelseblankett"
    else:
        channel = rng.choice(PUBLIC_CHANNELS)
    source = pick(rng, SOURCE_WEIGHTS[kind])
    event_type = None
    if kind == "praise":
        categories = ["bemotande"] if rng.random() < 0.6 else []
        description = rng.choice(PRAISE_TEXTS)
    elif kind == "deviation":
        event_type = pick(rng, DEVIATION_WEIGHTS["FN" if unit_code.startswith("FN") else "AO"])
        description = rng.choice(DEVIATION_TEXTS[event_type])
        categories = [DEVIATION_CATEGORY.get(event_type, "rutiner")]
    else:
        codes = [c.code for c in CATEGORIES]
        categories = rng.sample(codes, k=rng.choices([1, 2, 3], weights=[60, 30, 10])[0])
        description = " ".join(TEXTS[code] for code in categories)
    # A few cases are registered incompletely, as in real life (the report warns of them).
    if rng.random() < 0.04:
        source = None
    if rng.random() < 0.04 and kind != "praise":
        categories = []
    anonymous = kind != "deviation" and rng.random() < 0.15
    registered_at = moment(day, rng)
    case = case_service.register_case(
        filer,
        case_service.NewCase(
            kind_code=kind,
            org_unit_id=unit.id,
            received_on=day,
            description=description,
            channel_code=channel if channel in {c.code for c in CHANNELS} else None,
            source_code=source,
            category_codes=categories,
            category_other_note="Parkering vid entrén" if "annat" in categories else None,
            is_anonymous=anonymous,
            wants_feedback=not anonymous,
            submitter_name=None if anonymous or kind == "deviation" else "Demo Demosson",
            submitter_email=None if anonymous or kind == "deviation" else "inlamnare@demo.example",
            person_concerned=None if kind == "praise" else f"{chr(65 + rng.randrange(26))}.",
        ),
        permission=permission,
        now=registered_at,
    )
    age = (today - day).days
    risk = 0
    if event_type is not None:
        risk = _demo_classification(
            rng, case, event_type, unit_code, filer, handler, age, registered_at
        )
    if age < 2:
        return case
    handling.assign_handler(handler, case, handler, now=registered_at + timedelta(hours=2))
    if risk >= DEFAULT_ANALYSIS_THRESHOLD:
        _demo_event_analysis(rng, case, handler, event_type, age)
    if kind == "praise":
        if age > 14:
            handling.close_case(handler, case, now=registered_at + timedelta(days=3))
        return case
    feedback_day = day + timedelta(days=rng.randint(1, 12))
    gave_feedback = not anonymous and feedback_day <= today and rng.random() < 0.85
    if gave_feedback:
        handling.give_feedback(
            handler,
            case,
            given_on=feedback_day,
            given_to="Medarbetaren som skrev avvikelsen" if kind == "deviation" else "Inlämnaren",
            method=rng.choice(["telefon", "brev", "e_post", "mote"]),
            summary="Vi har gått igenom det som hänt och berättat vad vi gör för att det inte "
            "ska hända igen.",
            now=moment(feedback_day, rng),
        )
    if kind in {"complaint", "deviation"} and rng.random() < 0.6:
        due = day + timedelta(days=rng.randint(7, 30))
        action = handling.add_action(
            handler,
            case,
            description="Tas upp på arbetsplatsträff och rutinen gås igenom med alla.",
            responsible=handler.name,
            due_on=due,
            now=moment(min(day + timedelta(days=1), today), rng),
        )
        if due <= today and rng.random() < 0.8:
            effect_day = due + timedelta(days=30)
            evaluated = effect_day <= today and rng.random() < 0.7
            handling.complete_action(
                handler,
                action,
                done_on=due,
                effect_evaluated_on=effect_day if evaluated else None,
                effect_verdict=rng.choice(["achieved", "achieved", "partial", "none"])
                if evaluated
                else None,
                now=moment(effect_day if evaluated else due, rng),
            )
        if kind == "deviation":
            _demo_action_plan(
                rng, case, handler, people, moment(min(day + timedelta(days=2), today), rng)
            )
    # A case lacking its source or category cannot be closed (the closing asks for them):
    # the incomplete ones stay open, as the report's data-quality warning shows them; so
    # does an avvikelse whose åtgärd plan no enhetschef has approved.
    if (
        age > 45
        and (gave_feedback or anonymous)
        and source is not None
        and categories
        and action_plan_queries.closing_problem(case) is None
    ):
        handling.close_case(
            handler,
            case,
            no_feedback_reason=None if gave_feedback else "anonym",
            now=moment(day + timedelta(days=40), rng),
        )
    elif age > 5:
        handling.change_status(
            handler,
            case,
            rng.choice(["under_utredning", "atgarder_pagar"]),
            now=moment(day + timedelta(days=3), rng),
        )
    return case


def _demo_action_plan(
    rng, case: Case, handler: User, people: dict[str, User], at: datetime
) -> None:
    """The handler sends the avvikelse's åtgärd plan for approval; the enhetschef over the
    unit (where the demo has one) approves it, after sending one in ten back first."""
    action_plans.submit_plan(handler, case, now=at)
    approver = next(
        (
            user
            for user in people.values()
            if user.id != handler.id and action_plan_queries.may_review(user, case)
        ),
        None,
    )
    if approver is None:
        return  # no enhetschef over this unit in the demo: the plan waits
    if rng.random() < 0.1:
        action_plans.review_plan(
            approver,
            case,
            approve=False,
            motivation="Beskriv hur vi följer upp att rutinen fungerar.",
            now=at + timedelta(hours=20),
        )
        action_plans.submit_plan(handler, case, now=at + timedelta(hours=26))
    action_plans.review_plan(
        approver,
        case,
        approve=True,
        motivation="Åtgärden svarar mot det som hände och följs upp på arbetsplatsträffen.",
        now=at + timedelta(hours=44),
    )


def _demo_classification(rng, case, event_type, unit_code, filer, handler, age, at) -> int:
    """Staff choose the händelsetyp on the blankett (most do, some skip it); the handler
    completes lagrum, harm, consequence and the risk assessment for most older avvikelser.
    A few stay "ej angivet", as in real life. Returns the risk value (0: not assessed)."""
    group = "hsl" if event_type in HSL_TYPES else "sol_lss"
    law = "hsl" if group == "hsl" else ("lss" if unit_code.startswith("FN") else "sol")
    chosen = event_type if rng.random() < 0.85 else None
    lagrum, code = deviations.checked_choice(None, chosen)
    deviations.classify_when_filed(case, lagrum=lagrum, event_type_code=code)
    if age < 3 or rng.random() < 0.1:
        return 0
    harm = pick(rng, HARM_WEIGHTS)
    # Konsekvens follows the harm done (or that could have been done); sannolikhet that
    # it happens again. About one in ten lands at or above the händelseanalys threshold.
    consequence_level = min(4, HARM_CONSEQUENCE[harm] + (rng.random() < 0.25))
    probability = rng.choices((1, 2, 3, 4), weights=(30, 40, 22, 8))[0]
    deviations.classify(
        handler,
        case,
        lagrum=law,
        event_type_code=event_type,
        harm=harm,
        probability=probability,
        consequence_level=consequence_level,
        consequence=None if harm == "ingen" else "Sjuksköterskan bedömde skadan och följde upp.",
        now=at + timedelta(hours=3),
    )
    return probability * consequence_level


def _demo_event_analysis(rng, case: Case, handler: User, event_type: str, age: int) -> None:
    """A händelseanalys for an avvikelse above the threshold: the händelseförlopp, causes
    by cause area, who took part; completed and reported back once it is three weeks old
    (younger ones are still being analysed, so they stay open)."""
    day = case.received_on
    steps = ANALYSIS_STORIES.get(event_type.split("_")[0], ANALYSIS_STORIES["annat"])
    at = moment(day + timedelta(days=2), rng)
    investigation.save_investigation(
        handler, case, started_on=day + timedelta(days=2),
        what_happened=DEVIATION_TEXTS[event_type][0], assessment=None, conclusion=None,
        completed_on=None, now=at,
    )  # fmt: skip
    for days, clock, text in steps["events"]:
        event_analysis.add_event(
            handler, case, occurred_on=day + timedelta(days=days), occurred_time=clock,
            description=text, now=at,
        )  # fmt: skip
    for area, text in steps["causes"]:
        event_analysis.add_cause(handler, case, description=text, area=area, now=at)
    for name, role in ((handler.name, "Biträdande enhetschef"),
                       ("Fatima Ali", "Undersköterska som var i tjänst"),
                       ("Sara Lindqvist", "Sjuksköterska")):  # fmt: skip
        event_analysis.add_participant(handler, case, name=name, role=role, now=at)
    if age < 21:
        return
    done = day + timedelta(days=14)
    investigation.save_investigation(
        handler, case, started_on=day + timedelta(days=2),
        what_happened=DEVIATION_TEXTS[event_type][0],
        assessment="Flera samverkande orsaker; ingen enskild person bär skulden.",
        conclusion=steps["conclusion"], completed_on=done, now=moment(done, rng),
    )  # fmt: skip
    event_analysis.save_reported_back(
        handler, case, reported_back_on=done + timedelta(days=3),
        reported_back_how="Arbetsplatsträff", now=moment(done + timedelta(days=3), rng),
    )  # fmt: skip


@dataclass
class DemoLogin:
    email: str
    name: str
    roles: list[str]  # "Roll (enhet)" for each role assignment
    second_factor: bool


def demo_logins() -> list[DemoLogin]:
    """The demo accounts present in the database, each once with all its roles, and whether
    it must give a second factor at login under this installation's settings."""
    users = db.session.scalars(
        sa.select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")).order_by(User.id)
    ).all()
    units = dict(db.session.execute(sa.select(OrgUnit.id, OrgUnit.name)).tuples().all())
    settings = current_app.config["CASETRACK"]
    return [
        DemoLogin(
            email=user.email,
            name=user.name,
            roles=[
                f"{ROLE_LABELS[Role(assignment.role)]} ({units[assignment.org_unit_id]})"
                for assignment in sorted(user.role_assignments, key=lambda item: item.id)
            ],
            second_factor=mfa.is_required(user, settings),
        )
        for user in users
    ]


def print_demo_logins() -> None:
    """List the demo accounts present, once each with all their roles, with the shared
    password and which of them ask for a second factor (nothing without any)."""
    logins = demo_logins()
    if not logins:
        return
    click.echo("\nDemoinloggningar (lösenord för alla: " + DEMO_PASSWORD + "):")
    for login in logins:
        factor = "  [kräver andra faktor]" if login.second_factor else ""
        click.echo(f"  {login.email:<38} {login.name}{factor}")
        for role in login.roles:
            click.echo(f"      {role}")
    if any(login.second_factor for login in logins):
        click.echo(
            "Konton med [kräver andra faktor] visar vid första inloggningen en nyckel att lägga "
            "in i en autentiseringsapp och frågar sedan efter den sexsiffriga koden."
        )
