"""What the case list shows about its own filter (issue 20): each active filter as a
link that removes it, and for a drill-down from the tertial report a heading that names
the cell ("Brukare/patient, VB 2026: 22 ärenden") and a way back to the same report.

Everything here is read from the list's GET parameters, which hold codes and ids only
(never personal data, K3-54); the report's unit, year and tertial travel as
``rapport=<unit id>-<year>-<tertial>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_login import current_user

from casetrack.access import unit_ids_for
from casetrack.domain.numbers import ascii_int
from casetrack.domain.report_rows import GROUPS, ROW_KEYS, TERTIAL_NAMES, row_key
from casetrack.domain.roles import Permission
from casetrack.domain.tertials import tertial_bounds
from casetrack.queries import indicators, pages, patient_safety
from casetrack.queries.report import (
    MISSING_CATEGORY,
    MISSING_SOURCE,
    QUALITY_KEYS,
    UNCLASSIFIED_DEVIATION,
)

# The report row a drill-down names: the row's own label, as in the table.
ROW_LABELS = {row_key(row): row.label for group in GROUPS for row in group.rows} | {
    MISSING_SOURCE: "Saknar uppgift om från vem",
    MISSING_CATEGORY: "Saknar kategori",
    UNCLASSIFIED_DEVIATION: "Avvikelser utan lagrum eller händelsetyp",
}

# GET parameter -> the name shown before its value, in the order of the filter form.
FILTER_NAMES = {
    "sokning": "Sökning",
    "enhet": "Enhet",
    "typ": "Ärendetyp",
    "status": "Status",
    "kategori": "Kategori",
    "kalla": "Från vem",
    "handlaggare": "Handläggare",
    "fran": "Inkom från och med",
    "till": "Inkom till och med",
    "rad": "Rad i tertialrapporten",
    "psb": "Siffra i patientsäkerhetsberättelsen",
    "ind": "Kvalitetsindikator",
    "forsenade": "Bara försenade",
}


@dataclass(frozen=True)
class Chip:
    """One active filter: its text and the list without it."""

    text: str
    remove_url: str


@dataclass(frozen=True)
class ReportLink:
    url: str
    text: str


def chips(form, query_args: Callable[..., dict], search_text: str | None) -> list[Chip]:
    """The filters in force, each with a link to the same list without it (page 1)."""
    found = []
    for name, title in FILTER_NAMES.items():
        if name == "sokning":
            if not search_text:
                continue
            text = f"{title}: ”{search_text}”"
        elif name == "forsenade":
            if not form.forsenade.data:
                continue
            text = title
        else:
            field = getattr(form, name)
            if not field.data:
                continue
            text = f"{title}: {_value_label(name, field)}"
            if name == "rad" and field.data in QUALITY_KEYS:
                # A data-quality warning, not a row of the table: its own words say it.
                text = _value_label(name, field)
        url = url_for("cases.list_cases", **query_args(**{name: None, "sida": None}))
        found.append(Chip(text, url))
    return found


def _value_label(name: str, field) -> str:
    if name in ("fran", "till"):
        return field.data.isoformat()
    if name == "enhet":
        return pages.unit(int(field.data)).name
    if name == "rad":
        return ROW_LABELS.get(field.data, field.data)
    if name == "psb":
        return patient_safety.figure_label(field.data)
    if name == "ind":
        return indicators.figure_label(field.data)
    return dict((str(value), label) for value, label in field.choices).get(
        str(field.data), str(field.data)
    )


def period_label(start: date | None, end: date | None) -> str:
    """The report's name for a date range: "VB 2026" for a tertial, "totalt 2026 till
    och med T2" for the year so far, else the dates."""
    if start and end and start.year == end.year:
        for tertial, name in TERTIAL_NAMES.items():
            first, last = tertial_bounds(start.year, tertial)
            if (start, end) == (first, last):
                return f"{name} {start.year}"
            if tertial > 1 and start == date(start.year, 1, 1) and end == last:
                return f"totalt {start.year} till och med {name}"
    if start and end:
        return f"inkom {start.isoformat()}–{end.isoformat()}"
    if start:
        return f"inkom från och med {start.isoformat()}"
    if end:
        return f"inkom till och med {end.isoformat()}"
    return ""


def drill_heading(form, pagination, from_psb: bool = False) -> str | None:
    """The heading of a drill-down list: "Brukare/patient, VB 2026: 22 ärenden"; None
    when the list is not filtered on a report row. ``from_psb``: opened from the
    patientsäkerhetsberättelse, whose period is the calendar year ("2026")."""
    key = form.rad.data
    if key and key in ROW_LABELS:
        label = ROW_LABELS[key]
    elif form.psb.data and patient_safety.is_figure_key(form.psb.data):
        label = patient_safety.figure_label(form.psb.data)
    elif form.ind.data and indicators.is_figure_key(form.ind.data):
        label = indicators.figure_label(form.ind.data)
    else:
        return None
    if pagination is None:
        return None
    parts = [label]
    period = _psb_period(form.fran.data, form.till.data) if not key or from_psb else None
    period = period or period_label(form.fran.data, form.till.data)
    if period:
        parts.append(period)
    total = pagination.total
    if pagination.capped:
        count = f"fler än {total} ärenden"
    else:
        count = f"{total} {'ärende' if total == 1 else 'ärenden'}"
    return f"{', '.join(parts)}: {count}"


def report_link(value: str | None, row: str | None) -> ReportLink | None:
    """The way back to the report the list was opened from (``rapport`` =
    unit-year-tertial); None for a value the viewer may not follow or never got."""
    if not value:
        return None
    if value.startswith("psb-"):
        return _psb_link(value.removeprefix("psb-"), row)
    if value.startswith("ind-"):
        return _indicators_link(value.removeprefix("ind-"))
    parts = value.split("-")
    if len(parts) != 3:
        return None
    unit_id, year, tertial = (ascii_int(part) for part in parts)
    if unit_id is None or year is None or not 2000 <= year <= 2100:
        return None
    if tertial not in TERTIAL_NAMES:
        return None
    if unit_id not in unit_ids_for(current_user, Permission.REPORT_READ):
        return None
    anchor = f"rad-{row.replace(':', '-')}" if row in ROW_KEYS else None
    url = url_for("reports.show", enhet=unit_id, ar=year, tertial=tertial, _anchor=anchor)
    name = pages.unit(unit_id).name
    return ReportLink(
        url, f"Tillbaka till rapporten: {name}, {year} till och med {TERTIAL_NAMES[tertial]}"
    )


def _psb_period(start: date | None, end: date | None) -> str | None:
    """ "2025" for a whole calendar year (a patientsäkerhetsberättelse figure)."""
    if start and end and start == date(start.year, 1, 1) and end == date(start.year, 12, 31):
        return str(start.year)
    return None


def _psb_link(value: str, figure: str | None) -> ReportLink | None:
    """The way back to the patientsäkerhetsberättelse (``rapport=psb-<unit id>-<year>``)."""
    parts = value.split("-")
    if len(parts) != 2:
        return None
    unit_id, year = (ascii_int(part) for part in parts)
    if unit_id is None or year is None or not 2000 <= year <= 2100:
        return None
    if unit_id not in unit_ids_for(current_user, Permission.REPORT_READ):
        return None
    section = figure.split(":")[0] if figure and patient_safety.is_figure_key(figure) else None
    url = url_for("psb.show", enhet=unit_id, ar=year, _anchor=section and f"psb-{section}")
    name = pages.unit(unit_id).name
    return ReportLink(url, f"Tillbaka till patientsäkerhetsberättelsen: {name}, {year}")


def _indicators_link(value: str) -> ReportLink | None:
    """The way back to the quality indicators (``rapport=ind-<unit id>``)."""
    unit_id = ascii_int(value)
    if unit_id is None or unit_id not in unit_ids_for(current_user, Permission.REPORT_READ):
        return None
    url = url_for("indicators.show", enhet=unit_id)
    return ReportLink(url, f"Tillbaka till kvalitetsindikatorerna: {pages.unit(unit_id).name}")
