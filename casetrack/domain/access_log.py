"""The access log in Swedish, and one visit as one row (issue 20).

Every read of case data is written to the access log with a stable code (``what``) and a
short structured detail (casetrack/audit/trail.py ``log_access``). Loggkontroll and its
CSV export say each in Swedish through ``describe``; a test checks that every code the
application writes has a text here.

Loggkontroll shows one row per *visit*: the reads of one person, of one case, of one kind,
from one address, each within ``VISIT_GAP`` of the one before (``visits``). Opening a case
and then saving three forms on it writes four "case.view" entries (each redirect back to
the case page is a read, and each is kept); the reviewer sees one row, "Öppnade ärendet
(4 gånger)", with the first and the last time. Nothing is dropped from the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from casetrack.domain.report_rows import TERTIAL_NAMES

VISIT_GAP = timedelta(minutes=30)

# code -> what the person did, as loggkontroll says it.
WHAT_TEXTS = {
    "case.view": "Öppnade ärendet",
    "case.history": "Läste ärendets historik",
    "attachment.download": "Laddade ner en bilaga",
    "cases.export": "Laddade ner ärendelistan som CSV",
    "report.export": "Laddade ner tertialrapporten",
    "psb.export": "Laddade ner patientsäkerhetsberättelsens siffror",
    "indicators.export": "Laddade ner kvalitetsindikatorerna",
    "registerutdrag": "Registerutdrag",
    "accesslog.export": "Laddade ner loggkontrollen som CSV",
    "deviation.classification": "Öppnade avvikelsens klassificering",
    "deviation.analysis": "Öppnade avvikelsens händelseanalys",
    # Written by early versions; kept so that old entries read well.
    "export": "Exporterade",
}

_REPORT_DETAIL = re.compile(r"^(csv|xlsx) (\S+) (\d{4}) T([123])$")
_COUNT_DETAIL = re.compile(r"^(?:träffar: |rader: )?(\d+)(?: ärenden)?$")


def describe(what: str, detail: str | None = None, *, has_case: bool = False) -> str:
    """One access-log entry in Swedish: "Laddade ner ärendelistan som CSV, 70 ärenden"."""
    text = WHAT_TEXTS.get(what)
    if text is None:
        return f"Annan läsning ({what}{f', {detail}' if detail else ''})"
    count = _COUNT_DETAIL.match(detail or "")
    if what == "registerutdrag":
        if has_case:
            return "Ärendet kom med i ett registerutdrag"
        if count:
            return f"Sökte efter en person för registerutdrag, {_n(count[1], 'träff', 'träffar')}"
        return "Sökte efter en person för registerutdrag"
    if what == "report.export" and detail:
        found = _REPORT_DETAIL.match(detail)
        if found:
            fmt, unit, year, tertial = found.groups()
            name = TERTIAL_NAMES[int(tertial)]
            return f"{text} som {fmt.upper()}: enhet {unit}, {year} till och med {name}"
    if what == "cases.export" and count:
        return f"{text}, {_n(count[1], 'ärende', 'ärenden')}"
    if what == "accesslog.export" and count:
        return f"{text}, {_n(count[1], 'rad', 'rader')}"
    if what == "attachment.download" and detail and detail.isdigit():
        return f"{text} (bilaga nr {detail})"
    if detail and what not in ("case.view", "case.history"):
        return f"{text} ({detail})"
    return text


def _n(value: str, one: str, many: str) -> str:
    return f"{value} {one if value == '1' else many}"


T = TypeVar("T")


def visits(
    items: Iterable[T],
    key: Callable[[T], Hashable | None],
    at: Callable[[T], datetime],
    gap: timedelta = VISIT_GAP,
) -> list[list[T]]:
    """``items`` grouped into visits, each oldest first, the visit with the newest read
    first. Items with the same ``key`` follow each other in a visit while each is at most
    ``gap`` after the one before; a ``key`` of None is never grouped (an export, a
    search: each is its own row)."""
    open_visits: dict[Hashable, list[T]] = {}
    result: list[list[T]] = []
    for item in sorted(items, key=at):
        group_key = key(item)
        current = open_visits.get(group_key) if group_key is not None else None
        if current is not None and at(item) - at(current[-1]) <= gap:
            current.append(item)
            continue
        current = [item]
        result.append(current)
        if group_key is not None:
            open_visits[group_key] = current
    return sorted(result, key=lambda visit: at(visit[-1]), reverse=True)
