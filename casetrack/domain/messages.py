"""The e-mail texts casetrack sends, their placeholders and Swedish defaults.

The defaults are copied into the ``message_template`` table by the migration; the
organisation edits them there (``/admin/meddelanden``). No case free text ever goes into
an e-mail: only the reference, unit, deadline, handler name and a link.
"""

from __future__ import annotations

import string

PLACEHOLDERS = {
    "diarienummer": "ärendets diarienummer",
    "handlaggare": "ansvarig handläggare",
    "enhet": "enhetens namn",
    "frist": "sista dag (datum)",
    "lank": "länk till ärendet eller sidan",
    "mottagare": "mottagarens namn",
    "antal": "antal ärenden (eller behörigheter att granska)",
    "lista": "lista med ärenden (diarienummer, enhet, frist)",
    "text": "återkopplingens text (bara i återkopplingsbrevet)",
    "tertial": "tertialets sista dag",
    "steg": "steget i lex Sarah / lex Maria (t.ex. Utredningen påbörjad)",
    "utredare": "den utsedda lex Sarah-utredarens namn",
}


# Placeholders that carry case text (or a list of cases) and so never go into a subject:
# subjects are shown in mail clients' lists and notifications, and were shown on Utkorg.
CASE_TEXT_PLACEHOLDERS = frozenset({"text", "lista"})
_CASE_VALUES = frozenset({"diarienummer", "enhet", "handlaggare", "frist", "lank"})
# What the code gives each template (casetrack/jobs, services/messages.py).
TEMPLATE_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "acknowledgement": _CASE_VALUES,
    "feedback_letter": frozenset({"diarienummer", "enhet", "handlaggare", "text", "lank"}),
    "reminder_acknowledgement": _CASE_VALUES | {"mottagare"},
    "reminder_feedback_due": _CASE_VALUES | {"mottagare"},
    "reminder_feedback_overdue": _CASE_VALUES | {"mottagare"},
    "reminder_action_due": _CASE_VALUES | {"mottagare"},
    "reminder_effect_followup": _CASE_VALUES | {"mottagare"},
    "reminder_lex_step": _CASE_VALUES | {"mottagare", "steg"},
    "reminder_lex_step_overdue": _CASE_VALUES | {"mottagare", "steg"},
    "digest": frozenset({"mottagare", "antal", "lista", "lank"}),
    "unassigned_alarm": _CASE_VALUES | {"mottagare"},
    "tertial_close": frozenset({"mottagare", "tertial", "lank"}),
    "role_review_due": frozenset({"mottagare", "antal", "lank"}),
    "investigator_assigned": frozenset({"diarienummer", "enhet", "mottagare", "utredare", "lank"}),
}


def subject_placeholders(code: str) -> frozenset[str]:
    """The placeholders template ``code`` may use in its subject: what it is given, never
    case text. A template the code does not know gets none of the case-text ones."""
    given = TEMPLATE_PLACEHOLDERS.get(code, frozenset(PLACEHOLDERS))
    return given - CASE_TEXT_PLACEHOLDERS


def placeholders_in(text: str) -> set[str]:
    """The {names} used in ``text``; raises ValueError on a malformed brace."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            names.add(name)
    return names


def unknown_placeholders(text: str) -> set[str]:
    return placeholders_in(text) - set(PLACEHOLDERS)


def decorated_placeholders(text: str) -> set[str]:
    """Placeholders written with a conversion or a format (``{text!r}``, ``{frist:%Y}``):
    refused in templates, since a format that does not fit the value would fail when the
    message is built; raises ValueError on a malformed brace."""
    return {
        "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None and (conversion is not None or spec)
    }


class _PlainFormatter(string.Formatter):
    """Fills in each placeholder as plain text, whatever a stored template says: a name it
    does not give becomes empty, attribute or index look-ups (``{text.__class__}``) are not
    made, and conversions and formats are ignored, so building a message never fails."""

    def get_field(self, field_name, args, kwargs):
        return kwargs.get(field_name, ""), field_name

    def convert_field(self, value, conversion):
        return value

    def format_field(self, value, format_spec):
        return "" if value is None else str(value)


def render(text: str, values: dict) -> str:
    """Fill in placeholders; one that has no value becomes empty."""
    return _PlainFormatter().vformat(text, (), values)


def body_placeholders(code: str) -> frozenset[str]:
    """The placeholders template ``code``'s text is given (any known one for a template
    the code does not know)."""
    return TEMPLATE_PLACEHOLDERS.get(code, frozenset(PLACEHOLDERS))


def render_subject(code: str, text: str, values: dict) -> str:
    """A subject filled in only with the values its subject may carry: a template stored
    with {text} (before the check, or written into the table) renders it empty."""
    allowed = subject_placeholders(code)
    return render(text, {key: value for key, value in values.items() if key in allowed})


# code -> (name shown to admins, subject, body). Also copied into the migration.
DEFAULT_TEMPLATES = {
    "acknowledgement": (
        "Mottagningsbekräftelse",
        "Vi har tagit emot ditt ärende {diarienummer}",
        "Hej!\n\nVi har tagit emot ditt ärende {diarienummer} till {enhet}.\n"
        "Ansvarig handläggare är {handlaggare}. Du får återkoppling senast {frist}.\n\n"
        "Det här mejlet går inte att svara på.\n",
    ),
    "feedback_letter": (
        "Återkoppling (brev via e-post)",
        "Återkoppling på ditt ärende {diarienummer}",
        "Hej!\n\nHär kommer vår återkoppling på ditt ärende {diarienummer} till {enhet}.\n\n"
        "{text}\n\nMed vänliga hälsningar\n{handlaggare}\n{enhet}\n",
    ),
    "reminder_acknowledgement": (
        "Påminnelse: mottagningsbekräftelse",
        "Påminnelse: mottagningsbekräftelse för {diarienummer} senast {frist}",
        "Hej {mottagare}!\n\nÄrendet {diarienummer} ({enhet}) väntar på "
        "mottagningsbekräftelse. Sista dag: {frist}.\n\n{lank}\n",
    ),
    "reminder_feedback_due": (
        "Påminnelse: återkoppling snart",
        "Påminnelse: återkoppling för {diarienummer} senast {frist}",
        "Hej {mottagare}!\n\nÄrendet {diarienummer} ({enhet}) ska ha återkoppling senast "
        "{frist}.\n\n{lank}\n",
    ),
    "reminder_feedback_overdue": (
        "Påminnelse: återkoppling försenad",
        "Försenad återkoppling: {diarienummer}",
        "Hej {mottagare}!\n\nÄrendet {diarienummer} ({enhet}) skulle ha haft återkoppling "
        "senast {frist}.\n\n{lank}\n",
    ),
    "reminder_action_due": (
        "Påminnelse: åtgärd",
        "Påminnelse: åtgärd i {diarienummer} senast {frist}",
        "Hej {mottagare}!\n\nEn åtgärd i ärendet {diarienummer} ({enhet}) ska vara klar "
        "{frist}.\n\n{lank}\n",
    ),
    "reminder_effect_followup": (
        "Påminnelse: uppföljning av åtgärd",
        "Dags att följa upp åtgärden i {diarienummer}",
        "Hej {mottagare}!\n\nEn åtgärd i ärendet {diarienummer} ({enhet}) blev klar för "
        "30 dagar sedan. Har den haft effekt? Följ upp den senast {frist}.\n\n{lank}\n",
    ),
    "reminder_lex_step": (
        "Påminnelse: steg i lex Sarah / lex Maria",
        "{steg} i {diarienummer}: sista dag i dag",
        "Hej {mottagare}!\n\nI ärendet {diarienummer} ({enhet}) ska steget {steg} vara "
        "registrerat senast {frist}.\n\n{lank}\n",
    ),
    "reminder_lex_step_overdue": (
        "Påminnelse: försenat steg i lex Sarah / lex Maria",
        "Försenat: {steg} i {diarienummer}",
        "Hej {mottagare}!\n\nI ärendet {diarienummer} ({enhet}) skulle steget {steg} ha "
        "registrerats senast {frist}. Registrera steget eller skälet till dröjsmålet.\n\n"
        "{lank}\n",
    ),
    "digest": (
        "Veckosammanställning",
        "Dina ärenden den här veckan: {antal} att göra",
        "Hej {mottagare}!\n\nDu har {antal} öppna ärenden som behöver något av dig:\n\n"
        "{lista}\n\n{lank}\n",
    ),
    "unassigned_alarm": (
        "Larm: ej tilldelat ärende",
        "Ej tilldelat ärende i {enhet}: {diarienummer}",
        "Hej {mottagare}!\n\nÄrendet {diarienummer} kom in via e-tjänsten till {enhet} och "
        "har ingen handläggare efter en arbetsdag. Mottagningsbekräftelsen ska skickas "
        "senast {frist}.\n\n{lank}\n",
    ),
    "tertial_close": (
        "Påminnelse: tertialet stänger",
        "Tertialet slutar {tertial}: dags att förbereda redovisningen",
        "Hej {mottagare}!\n\nTertialet slutar {tertial}. Gå igenom enheternas ärenden som "
        "saknar uppgifter och förbered redovisningen av synpunkter och klagomål.\n\n{lank}\n",
    ),
    "role_review_due": (
        "Påminnelse: behörighetsgranskning",
        "Behörigheter att granska: {antal}",
        "Hej {mottagare}!\n\n{antal} behörigheter som du ansvarar för ska granskas nu. "
        "Bekräfta att de fortfarande behövs eller ta bort dem.\n\n{lank}\n",
    ),
    "investigator_assigned": (
        "Lex Sarah: utredare utsedd",
        "Lex Sarah-utredning i {diarienummer}: utredare utsedd",
        "Hej {mottagare}!\n\nUtredningen enligt lex Sarah i ärendet {diarienummer} ({enhet}) "
        "görs av {utredare}, lex Sarah-utredare. Du informeras om att utredningen pågår, men "
        "läser inte utredningen och fattar inte beslut i den.\n\n{lank}\n",
    ),
}
