"""Historic tertial tallies (issue 22): check the figures read from the units' Excel tables
against the database, and store them, all or nothing, as imported report figures.

Refused (a problem with its sheet, row and column, nothing stored): a unit code casetrack
does not know; the same unit, year and tertial on two sheets; two sheets that give a
tertial different figures; a tertial that has not ended; a tertial casetrack already has
cases for in the unit (its own count is the truth there, and the report never mixes the
two); figures that differ from ones imported earlier, unless ``replace``. Importing the
same figures again changes nothing and writes no audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from casetrack import audit
from casetrack.domain.report_rows import TERTIAL_COLUMNS, TERTIAL_NAMES
from casetrack.domain.tertials import tertial_bounds
from casetrack.extensions import db
from casetrack.infra.tally_file import Problem, Sheet
from casetrack.models import HistoricTally, OrgUnit, utcnow
from casetrack.queries.report import report_segments, segments_condition

Period = tuple[int, int, int]  # (unit id, year, tertial)


@dataclass
class Figure:
    unit: OrgUnit
    year: int
    tertial: int
    key: str
    value: int
    cell: str
    old: int | None = None  # the figure stored before, if any


@dataclass
class Plan:
    figures: list[Figure] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def new(self) -> list[Figure]:
        return [f for f in self.figures if f.old is None]

    @property
    def changed(self) -> list[Figure]:
        return [f for f in self.figures if f.old is not None and f.old != f.value]

    @property
    def unchanged(self) -> list[Figure]:
        return [f for f in self.figures if f.old == f.value]

    def periods(self) -> list[tuple[OrgUnit, int, int]]:
        seen = {}
        for f in self.figures:
            seen.setdefault((f.unit.code, f.year, f.tertial), (f.unit, f.year, f.tertial))
        return [seen[key] for key in sorted(seen)]


def _has_cases(unit: OrgUnit, year: int, tertial: int) -> bool:
    start, end = tertial_bounds(year, tertial)
    condition = segments_condition(report_segments(unit.id, start, end))
    return bool(db.session.scalar(sa.select(sa.exists().where(condition))))


def plan(sheets: list[Sheet], *, today: date, replace: bool = False) -> Plan:
    """What storing ``sheets`` would do, and every problem that stops it."""
    result = Plan()
    units = {u.code: u for u in db.session.scalars(sa.select(OrgUnit))}
    headers: dict[tuple[str, int, int], str] = {}
    taken: dict[tuple[int, int, int, str], tuple[int, str]] = {}
    checked: dict[tuple[int, int, int], bool] = {}
    for sheet in sheets:
        if sheet.unit_code is None or sheet.year is None or sheet.up_to is None:
            continue  # already a problem from reading the file
        unit = units.get(sheet.unit_code)
        if unit is None:
            result.problems.append(
                Problem(
                    sheet.name,
                    sheet.cells["unit"],
                    "B",
                    f"Ingen enhet har koden ”{sheet.unit_code}”.",
                )
            )
            continue
        name = f"{unit.code} {TERTIAL_NAMES[sheet.up_to]} {sheet.year}"
        header = (unit.code, sheet.year, sheet.up_to)
        if header in headers:
            result.problems.append(
                Problem(
                    sheet.name,
                    sheet.cells["tertial"],
                    "B",
                    f"{name} finns redan på bladet {headers[header]!r}.",
                )
            )
            continue
        headers[header] = sheet.name
        for (tertial, key), (value, cell) in sorted(sheet.figures.items()):
            sheet_row = int("".join(ch for ch in cell.rsplit("!", 1)[1] if ch.isdigit()))
            column = "".join(ch for ch in cell.rsplit("!", 1)[1] if ch.isalpha())
            period = (unit.id, sheet.year, tertial)
            label = f"{TERTIAL_COLUMNS[tertial - 1]} {sheet.year}"
            if period not in checked:
                end = tertial_bounds(sheet.year, tertial)[1]
                if end >= today:
                    result.problems.append(
                        Problem(
                            sheet.name,
                            None,
                            column,
                            f"{label} är inte slut. Bara avslutade tertialer kan läsas in.",
                        )
                    )
                    checked[period] = False
                elif _has_cases(unit, sheet.year, tertial):
                    result.problems.append(
                        Problem(
                            sheet.name,
                            None,
                            column,
                            f"casetrack har redan ärenden för {unit.code} under {label}. "
                            "Rapporten räknar dem; historiska siffror läses bara in för "
                            "tertialer före casetrack.",
                        )
                    )
                    checked[period] = False
                else:
                    checked[period] = True
            if not checked[period]:
                continue
            if (*period, key) in taken:
                first, first_cell = taken[(*period, key)]
                if first != value:
                    result.problems.append(
                        Problem(
                            sheet.name,
                            sheet_row,
                            column,
                            f"{label} är {value} här men {first} i {first_cell}.",
                        )
                    )
                continue
            taken[(*period, key)] = (value, cell)
            result.figures.append(Figure(unit, sheet.year, tertial, key, value, cell))

    stored = {
        (t.org_unit_id, t.year, t.tertial, t.row_key): t.value
        for t in db.session.scalars(
            sa.select(HistoricTally).where(
                HistoricTally.org_unit_id.in_({f.unit.id for f in result.figures})
            )
        )
    }
    reported: set[tuple[int, int, int]] = set()
    for figure in result.figures:
        figure.old = stored.get((figure.unit.id, figure.year, figure.tertial, figure.key))
        period = (figure.unit.id, figure.year, figure.tertial)
        differs = figure.old is not None and figure.old != figure.value
        if differs and not replace and period not in reported:
            reported.add(period)
            sheet_name, cell = figure.cell.rsplit("!", 1)
            result.problems.append(
                Problem(
                    sheet_name,
                    None,
                    "".join(ch for ch in cell if ch.isalpha()),
                    f"{figure.unit.code} {TERTIAL_COLUMNS[figure.tertial - 1]} "
                    f"{figure.year} är redan inläst med andra siffror. Kör med "
                    "--replace för att ersätta dem.",
                )
            )
    return result


def store(
    result: Plan,
    *,
    source_name: str,
    sha256: str,
    imported_by: str,
    now: datetime | None = None,
) -> int:
    """Store the new and changed figures of a plan without problems; audited. Returns
    how many figures were written (0: the same file again, nothing written)."""
    if result.problems:
        raise ValueError("a plan with problems is never stored")
    now = now or utcnow()
    written = 0
    for figure in result.figures:
        if figure.old == figure.value:
            continue
        values = dict(
            value=figure.value,
            source_cell=figure.cell[:80],
            source_name=source_name[:255],
            source_sha256=sha256,
            imported_at=now,
            imported_by=imported_by[:120],
        )
        if figure.old is None:
            db.session.add(
                HistoricTally(
                    org_unit_id=figure.unit.id,
                    year=figure.year,
                    tertial=figure.tertial,
                    row_key=figure.key,
                    **values,
                )
            )
        else:
            db.session.execute(
                sa.update(HistoricTally)
                .where(
                    HistoricTally.org_unit_id == figure.unit.id,
                    HistoricTally.year == figure.year,
                    HistoricTally.tertial == figure.tertial,
                    HistoricTally.row_key == figure.key,
                )
                .values(**values)
            )
        written += 1
    if written:
        db.session.flush()
        audit.record(
            "report.tallies_imported",
            entity_type="historic_tally",
            entity_id=None,
            actor=None,
            actor_label=f"cli: {imported_by}"[:120],
            after={
                "file": source_name,
                "sha256": sha256,
                "tertials": [
                    f"{unit.code} {year} T{tertial}" for unit, year, tertial in result.periods()
                ],
                "new": len(result.new),
                "replaced": len(result.changed),
            },
            occurred_at=now,
        )
    return written
