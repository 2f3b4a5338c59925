"""Händelseanalys (issue 19): the cause areas and when an analysis counts as recorded.

A händelseanalys after a fall or a medication error records the sequence of events
(händelseförlopp), the causes, each under one of the seven common cause areas, who took
part, and when the result was reported back to the staff who filed the avvikelse. The
area codes are stable (they are stored on each cause); the labels and help texts are
here, in the words of the people who run the analysis.
"""

from __future__ import annotations

from typing import NamedTuple


class CauseArea(NamedTuple):
    code: str
    label: str
    help: str


CAUSE_AREAS = (
    CauseArea(
        "kommunikation",
        "Kommunikation/information",
        "Information kom inte fram, kom fram fel eller för sent, till exempel vid "
        "överrapportering, i journalen eller mellan personal och sjuksköterska.",
    ),
    CauseArea(
        "kunskap",
        "Kunskap/kompetens",
        "Den som gjorde uppgiften saknade utbildning, erfarenhet, introduktion eller "
        "delegering för den.",
    ),
    CauseArea(
        "teknik",
        "Teknik/utrustning",
        "Hjälpmedel, larm, läkemedelsskåp eller annan utrustning saknades, var trasig eller "
        "svår att använda.",
    ),
    CauseArea(
        "rutiner",
        "Rutiner/procedurer",
        "Det saknades en rutin, rutinen var otydlig eller följdes inte.",
    ),
    CauseArea(
        "organisation",
        "Organisation/bemanning",
        "För få i tjänst, många vikarier, hög arbetsbelastning eller otydligt vem som ansvarade.",
    ),
    CauseArea(
        "omgivning",
        "Omgivning",
        "Miljön bidrog, till exempel belysning, halt golv, trånga utrymmen, buller eller "
        "störningar.",
    ),
    CauseArea(
        "brukare",
        "Patient-/brukarrelaterat",
        "Något hos brukaren bidrog, till exempel sjukdom, förvirring, nedsatt syn eller "
        "balans, eller att brukaren avböjde.",
    ),
)
CAUSE_AREA_BY_CODE = {area.code: area for area in CAUSE_AREAS}
NO_AREA = "Ej angivet orsaksområde"
NO_ACTION = "Ingen åtgärd kopplad"


def area_label(code: str | None) -> str:
    """The area's label, "Ej angivet orsaksområde" when none is set."""
    return CAUSE_AREA_BY_CODE[code].label if code in CAUSE_AREA_BY_CODE else NO_AREA


# What a recorded händelseanalys needs, in the words the closing refusal lists them.
MISSING_EVENTS = "händelseförloppet (minst en händelse)"
MISSING_CAUSE = "minst en orsak med orsaksområde"
MISSING_PARTICIPANTS = "vilka som deltog (minst en deltagare)"
MISSING_COMPLETED = "datum då utredningen avslutades"


def missing_for_analysis(
    *, events: int, causes_with_area: int, participants: int, completed: bool
) -> list[str]:
    """What the händelseanalys still lacks to count as recorded (empty: it is recorded)."""
    missing = []
    if events < 1:
        missing.append(MISSING_EVENTS)
    if causes_with_area < 1:
        missing.append(MISSING_CAUSE)
    if participants < 1:
        missing.append(MISSING_PARTICIPANTS)
    if not completed:
        missing.append(MISSING_COMPLETED)
    return missing
