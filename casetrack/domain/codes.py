"""Reference data: stable ASCII codes with their Swedish labels (DESIGN §2 and §5).

The database holds the same rows (seeded by a migration) so labels can be edited without
touching statistics; this module is the source the migration and the demo data copy from.
"""

from __future__ import annotations

from typing import NamedTuple


class RefItem(NamedTuple):
    code: str
    label: str


CASE_KINDS = (
    RefItem("suggestion", "Synpunkt"),
    RefItem("complaint", "Klagomål"),
    RefItem("praise", "Beröm"),
    RefItem("deviation", "Avvikelse"),
)

SOURCES = (
    RefItem("annan", "Annan (t.ex. okänd)"),
    RefItem("brukare", "Brukare/patient"),
    RefItem("medarbetare", "Medarbetare/verksamhet inom förvaltningen"),
    RefItem("narstaende", "Närstående (anhörig, god man, etc.)"),
    RefItem("patientnamnden", "Patientnämnden"),
    RefItem("samverkanspart", "Samverkanspart (ex annan förvaltning, Region Stockholm, Polis)"),
)

CHANNELS = (
    RefItem("muntligt", "Muntligt"),
    RefItem("telefon", "Telefon"),
    RefItem("brev", "Brev"),
    RefItem("e_post", "E-post"),
    RefItem("e_tjanst", "E-tjänst"),
    RefItem("brevlada", "Brevlåda"),
    RefItem("besok", "Besök"),
    RefItem("avvikelseblankett", "Avvikelseblankett"),
)

CATEGORIES = (
    RefItem("annat", "Annat (ange vad i rapporteringsvyn)"),
    RefItem("bemanning", "Bemanning (Kontinuitet, vikarieanskaffning)"),
    RefItem("bemotande", "Bemötande"),
    RefItem("beslut", "Beslut (missnöje, avsaknad av beslut, ej kommunicerat etc.)"),
    RefItem("information", "Brister i information (utebliven info, obegriplig info, etc.)"),
    RefItem("rutiner", "Brister i rutiner/utförande av insats eller verksamhet"),
    RefItem("fraga_ide", "Fråga/idé"),
    RefItem("fysisk_miljo", "Fysisk inne- eller utemiljö (ej städat, avsaknad av material etc.)"),
    RefItem("personuppgifter", "Hantering av personuppgifter"),
    RefItem("kompetens", "Kompetens"),
    RefItem("mat", "Mat och måltider"),
    RefItem("teknik", "Teknik, verksamhetssystem och IT-relaterade frågor"),
    RefItem("tillganglighet", "Tillgänglighet (öppettider, telefontider, fysisk miljö)"),
    RefItem("utebliven_insats", "Utebliven/försenad insats eller aktivitet"),
)

OTHER_CATEGORY = "annat"


class StatusItem(NamedTuple):
    code: str
    label: str
    type: str  # "open" or "closed"


STATUSES = (
    StatusItem("registrerad", "Registrerad", "open"),
    StatusItem("under_utredning", "Under utredning", "open"),
    StatusItem("atgarder_pagar", "Åtgärder pågår", "open"),
    StatusItem("avslutad", "Avslutad", "closed"),
)

INITIAL_STATUS = "registrerad"

FEEDBACK_METHODS = (
    RefItem("telefon", "Telefon"),
    RefItem("brev", "Brev"),
    RefItem("e_post", "E-post"),
    RefItem("mote", "Möte"),
)

EFFECT_VERDICTS = (
    RefItem("achieved", "Effekt uppnådd"),
    RefItem("partial", "Delvis"),
    RefItem("none", "Ingen effekt"),
)


def label_of(items, code: str | None) -> str:
    """The Swedish label for ``code`` in ``items``, or an empty string for no code."""
    if code is None:
        return ""
    for item in items:
        if item.code == code:
            return item.label
    return code


# The levels of the organisation tree (org_unit.level; its CHECK constraint lists the same).
UNIT_LEVELS = ("forvaltning", "avdelning", "enhet", "verksamhet", "arbetsgrupp")
UNIT_LEVEL_LABELS = {
    "forvaltning": "Förvaltning",
    "avdelning": "Avdelning",
    "enhet": "Enhet",
    "verksamhet": "Verksamhet",
    "arbetsgrupp": "Arbetsgrupp",
}


# Why a case was closed without återkoppling (the close form; the report counts these).
NO_FEEDBACK_REASONS = {
    "anonym": "Anonym – går inte att återkoppla",
    "avbojt": "Har avböjt återkoppling",
    "ej_nabar": "Har inte gått att nå",
}


# Why an account is blocked on the incident page (K3-17): a category, never free text,
# since the code goes into the audit entry.
BLOCK_REASONS = [
    ("intrusion", "Misstänkt intrång"),
    ("lost_device", "Förlorad enhet"),
    ("employment_ended", "Avslutad anställning"),
    ("other", "Annat"),
]


# What a reader did, in the access-log review (loggkontroll).
# The legal references an administrator edits on the settings page.
LEGAL_LABELS = {
    "legal.lex_sarah": "Lagrum som visas för lex Sarah",
    "legal.lex_sarah.ivo": "Lagrum som visas vid anmälan till IVO (lex Sarah)",
    "legal.lex_maria": "Lagrum som visas för lex Maria",
    "legal.lex_maria.ivo": "Lagrum som visas vid anmälan till IVO (lex Maria)",
}


# Purposes without a template of their own (casetrack/services, casetrack/jobs).
PURPOSE_NAMES = {
    "receipt": "Kvittens (e-tjänsten)",
    # Information added on "Följ ditt ärende" (casetrack/services/new_information.py).
    "new_information": "Besked: ny information i ett ärende",
    "security_alarm": "Larm från loggkontrollen",
    "role_review": "Påminnelse: behörighetsgranskning",
    # A person's own password and second factor (casetrack/services/account_links.py).
    "password_link": "Länk för att välja lösenord",  # nosec B105  # pragma: allowlist secret
    "password_changed": "Besked: lösenordet är ändrat",  # nosec B105  # pragma: allowlist secret
    "mfa_reset_link": "Länk för att bekräfta ny tvåstegsverifiering",
    "mfa_reset_done": "Besked: tvåstegsverifieringen är återställd",
    "mfa_changed": "Besked: tvåstegsverifieringen är ändrad",
}
