"""Avvikelser as a discipline of their own (issue 19): lagrum, händelsetyp and harm.

An avvikelse is classified by the law it falls under (lagrum: HSL, SoL or LSS) and by
what kind of event it was (händelsetyp), a tree of reference data whose codes are stable
and whose labels, descriptions and examples an administrator may edit. The tertial
table's categories (kategori) stay a separate dimension that the handler fills in.

HSL events are handled along the lex Maria chain (vårdskada), SoL and LSS events along the
lex Sarah chain (missförhållande); SoL and LSS share one list of event types, because the
events are the same kind whichever law the insats is given under.

This module is the source the migration seeds from and the demo data copies.
"""

from __future__ import annotations

from typing import NamedTuple

from casetrack.domain.errors import DomainError


class Lagrum(NamedTuple):
    code: str
    label: str
    description: str
    group: str  # which event-type list applies: "hsl" or "sol_lss"


LAGRUM = (
    Lagrum(
        "hsl",
        "Hälso- och sjukvård (HSL)",
        "Läkemedel, fall, sår, hjälpmedel och annat som rör vård och delegerade insatser.",
        "hsl",
    ),
    Lagrum(
        "sol",
        "Socialtjänst (SoL)",
        "Hemtjänst, boende och andra insatser enligt socialtjänstlagen.",
        "sol_lss",
    ),
    Lagrum(
        "lss",
        "LSS",
        "Gruppbostad, servicebostad, daglig verksamhet och andra insatser enligt LSS.",
        "sol_lss",
    ),
)
LAGRUM_BY_CODE = {item.code: item for item in LAGRUM}
GROUP_LABELS = {
    "hsl": "Hälso- och sjukvård (HSL)",
    "sol_lss": "Socialtjänst och LSS (SoL, LSS)",
}
NOT_GIVEN = "Ej angivet"


class EventTypeSeed(NamedTuple):
    code: str
    label: str
    group: str  # "hsl" or "sol_lss"
    parent: str | None
    sort_order: int  # the most common first
    description: str
    example: str


EVENT_TYPES = (
    # Hälso- och sjukvård (HSL): the most common first (fall and läkemedel are most of a
    # year's HSL avvikelser in the seeds' patientsäkerhetsberättelser).
    EventTypeSeed(
        "fall", "Fall", "hsl", None, 10,
        "Brukaren har fallit, glidit ner eller hittats på golvet, med eller utan skada.",
        "Brukaren hittades sittande på golvet i badrummet vid morgonbesöket.",
    ),
    EventTypeSeed(
        "lakemedel", "Läkemedel", "hsl", None, 20,
        "Något gick fel med läkemedel. Välj helst vad som hände nedan.",
        "Läkemedel gavs inte kl. 08 hos brukaren.",
    ),
    EventTypeSeed(
        "lakemedel_utebliven_dos", "Läkemedel: utebliven dos", "hsl", "lakemedel", 21,
        "En dos gavs inte alls.",
        "Kvällsdosen låg kvar i dosetten vid nattbesöket.",
    ),
    EventTypeSeed(
        "lakemedel_fel_dos", "Läkemedel: fel dos", "hsl", "lakemedel", 22,
        "Brukaren fick för mycket eller för lite av ett läkemedel.",
        "Två tabletter Alvedon gavs i stället för en.",
    ),
    EventTypeSeed(
        "lakemedel_fel_lakemedel", "Läkemedel: fel läkemedel", "hsl", "lakemedel", 23,
        "Brukaren fick ett annat läkemedel än det ordinerade.",
        "Insulin av fel sort togs från kylskåpet.",
    ),
    EventTypeSeed(
        "lakemedel_fel_person", "Läkemedel: fel person", "hsl", "lakemedel", 24,
        "Läkemedel gavs till någon annan än den det var ordinerat till.",
        "Dosetten till rum 4 gavs till brukaren i rum 5.",
    ),
    EventTypeSeed(
        "lakemedel_fel_tid", "Läkemedel: fel tid", "hsl", "lakemedel", 25,
        "Läkemedlet gavs, men långt från ordinerad tid.",
        "Morgondosen gavs först kl. 12 på grund av sen ankomst.",
    ),
    EventTypeSeed(
        "lakemedel_signering_saknas", "Läkemedel: signering saknas", "hsl", "lakemedel", 26,
        "Det går inte att se om läkemedlet gavs, eftersom ingen signerade.",
        "Signeringslistan saknar signatur för lunchdosen i tisdags.",
    ),
    EventTypeSeed(
        "trycksar", "Trycksår", "hsl", None, 30,
        "Ett trycksår har uppstått eller blivit värre.",
        "Rodnad som inte bleknar upptäcktes på hälen vid dusch.",
    ),
    EventTypeSeed(
        "medicinteknisk_produkt", "Medicinteknisk produkt", "hsl", None, 40,
        "Ett hjälpmedel eller en medicinteknisk produkt fungerade inte eller användes fel.",
        "Taklyftens sele gick sönder vid förflyttning från säng till rullstol.",
    ),
    EventTypeSeed(
        "informationsoverforing", "Informationsöverföring/dokumentation", "hsl", None, 50,
        "Viktig information kom inte fram eller dokumenterades inte.",
        "Sjuksköterskans ändrade ordination nådde inte kvällspersonalen.",
    ),
    EventTypeSeed(
        "vardrelaterad_infektion", "Vårdrelaterad infektion", "hsl", None, 60,
        "En infektion som kan ha uppstått i samband med vård eller omsorg.",
        "Urinvägsinfektion efter byte av kateter utan rena handskar.",
    ),
    EventTypeSeed(
        "delegering", "Delegering", "hsl", None, 70,
        "En hälso- och sjukvårdsuppgift utfördes utan giltig delegering.",
        "En vikarie utan delegering gav insulin.",
    ),
    EventTypeSeed(
        "hsl_annat", "Annan händelse i vården", "hsl", None, 90,
        "Något annat som rör hälso- och sjukvården.",
        "Provsvar kom bort mellan boendet och vårdcentralen.",
    ),
    # Socialtjänst och LSS (SoL, LSS).
    EventTypeSeed(
        "insats_utebliven", "Utebliven eller försenad insats", "sol_lss", None, 10,
        "En beviljad insats blev inte av eller kom mycket sent.",
        "Ingen kom till lunchbesöket, brukaren fick ingen mat.",
    ),
    EventTypeSeed(
        "brister_omvardnad", "Brister i omvårdnad", "sol_lss", None, 20,
        "Omvårdnaden höll inte den nivå brukaren har rätt till.",
        "Brukaren hade inte fått byta inkontinensskydd under natten.",
    ),
    EventTypeSeed(
        "bemotande", "Bemötande", "sol_lss", None, 30,
        "Brukaren bemöttes på ett sätt som inte är respektfullt.",
        "En medarbetare höjde rösten och skällde på brukaren.",
    ),
    EventTypeSeed(
        "hot_vald", "Hot och våld", "sol_lss", None, 40,
        "Hot eller våld mot en brukare, mellan brukare eller från en brukare.",
        "En boende slog en annan boende i dagrummet.",
    ),
    EventTypeSeed(
        "overgrepp_krankning", "Övergrepp eller kränkning", "sol_lss", None, 50,
        "Övergrepp, kränkning, stöld eller ekonomiskt utnyttjande av en brukare.",
        "Pengar saknas i brukarens plånbok efter besöket.",
    ),
    EventTypeSeed(
        "forsvunnen_brukare", "Försvunnen brukare", "sol_lss", None, 60,
        "En brukare har lämnat boendet eller verksamheten och inte kunnat hittas direkt.",
        "Brukaren saknades vid kvällsmaten och hittades av polisen vid tunnelbanan.",
    ),
    EventTypeSeed(
        "brand_sakerhet", "Brand och säkerhet", "sol_lss", None, 70,
        "Brand, brandrisk, larm som inte fungerar eller annan säkerhetsrisk.",
        "Spisen stod på när personalen kom, köket var fullt av rök.",
    ),
    EventTypeSeed(
        "sol_annat", "Annan händelse", "sol_lss", None, 90,
        "Något annat som inte blev som det skulle för brukaren.",
        "Brukarens nycklar kom bort vid överlämningen mellan arbetslagen.",
    ),
)  # fmt: skip
EVENT_TYPE_GROUPS = ("hsl", "sol_lss")


class Harm(NamedTuple):
    code: str
    label: str


HARM_LEVELS = (
    Harm("ingen", "Ingen skada"),
    Harm("lindrig", "Lindrig skada"),
    Harm("mattlig", "Måttlig skada"),
    Harm("allvarlig", "Allvarlig skada"),
    Harm("dodsfall", "Dödsfall"),
)
HARM_LABELS = {item.code: item.label for item in HARM_LEVELS}

WRONG_GROUP = (
    "Händelsetypen hör inte till {lagrum}. Välj en händelsetyp under {group}, "
    "eller ett annat lagrum."
)


def group_of_lagrum(lagrum: str | None) -> str | None:
    """The event-type list ("hsl" or "sol_lss") that applies under ``lagrum``."""
    return LAGRUM_BY_CODE[lagrum].group if lagrum else None


def check_classification(lagrum: str | None, event_group: str | None) -> str | None:
    """The lagrum to store for a chosen lagrum and an event type of ``event_group``.

    An HSL event type without a lagrum means HSL (the care worker's one tap is enough);
    a SoL/LSS event type leaves the choice between SoL and LSS to the handler. A lagrum
    whose list does not hold the event type is refused at the event-type field."""
    if lagrum is not None and lagrum not in LAGRUM_BY_CODE:
        raise DomainError("Välj lagrum i listan.", "lagrum")
    if event_group is None:
        return lagrum
    if lagrum is None:
        return "hsl" if event_group == "hsl" else None
    if group_of_lagrum(lagrum) != event_group:
        raise DomainError(
            WRONG_GROUP.format(
                lagrum=LAGRUM_BY_CODE[lagrum].label, group=GROUP_LABELS[group_of_lagrum(lagrum)]
            ),
            "event_type_code",
        )
    return lagrum


# --- risk assessment --------------------------------------------------------------------
# Sannolikhet × konsekvens, each 1–4, as in the riskmatris of Socialstyrelsen's and SKR's
# handbook for risk- och händelseanalys; the labels are plain Swedish for the handler.


class Level(NamedTuple):
    value: int
    label: str
    description: str


PROBABILITY_LEVELS = (
    Level(1, "Mycket liten", "Kan hända någon gång på flera år."),
    Level(2, "Liten", "Kan hända någon gång per år."),
    Level(3, "Stor", "Kan hända någon gång per månad."),
    Level(4, "Mycket stor", "Kan hända varje vecka eller oftare."),
)
CONSEQUENCE_LEVELS = (
    Level(1, "Mindre", "Ingen eller liten påverkan på brukaren, obehag."),
    Level(2, "Måttlig", "Övergående skada eller ökat behov av vård och omsorg."),
    Level(3, "Betydande", "Bestående skada eller betydligt ökat vårdbehov."),
    Level(4, "Katastrofal", "Dödsfall eller bestående allvarlig skada."),
)
# Risk value → level, highest first: (lowest value, code, label). The colour of each level
# is the matrix's familiar green, yellow, orange and red, always with the label beside it.
RISK_LEVELS = (
    (12, "mycket_hog", "Mycket hög risk"),
    (8, "hog", "Hög risk"),
    (4, "mattlig", "Måttlig risk"),
    (1, "lag", "Låg risk"),
)
DEFAULT_ANALYSIS_THRESHOLD = 8  # hög risk and above: a händelseanalys is required
# A third fall for the same brukare within this many days flags a fallriskbedömning.
DEFAULT_FALL_WINDOW_DAYS = 90
FALLS_FOR_RISK_ASSESSMENT = 3


def risk_value(probability: int | None, consequence: int | None) -> int | None:
    """Sannolikhet × konsekvens (1–16), or None until both are assessed."""
    if probability is None or consequence is None:
        return None
    if not (1 <= probability <= 4 and 1 <= consequence <= 4):
        raise ValueError("probability and consequence are 1–4")
    return probability * consequence


def risk_level(value: int) -> tuple[str, str]:
    """(code, label) of a risk value: låg, måttlig, hög or mycket hög risk."""
    for lowest, code, label in RISK_LEVELS:
        if value >= lowest:
            return code, label
    raise ValueError("a risk value is 1–16")


def analysis_required(value: int | None, threshold: int) -> bool:
    """A händelseanalys is required at or above the organisation's threshold."""
    return value is not None and value >= threshold


def risk_matrix() -> list[tuple[Level, list[tuple[int, str, str]]]]:
    """The 4 × 4 matrix as rows from the highest konsekvens down, each with its cells
    (risk value, level code, level label) for sannolikhet 1 to 4."""
    return [
        (
            consequence,
            [
                (value, *risk_level(value))
                for value in (p.value * consequence.value for p in PROBABILITY_LEVELS)
            ],
        )
        for consequence in reversed(CONSEQUENCE_LEVELS)
    ]
