"""``casetrack report``: the tertial report as a file, for automation."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from casetrack.cli.common import unit_by_code
from casetrack.domain.dates import local_date
from casetrack.domain.tertials import tertial_of
from casetrack.exports import report as export
from casetrack.extensions import db
from casetrack.models import OrgUnit, utcnow
from casetrack.queries.report import build_report
from casetrack.services import reports


@click.command("report")
@click.option("--unit", "unit_code", default=None, help="Org unit code (default: the root).")
@click.option("--year", type=int, default=None, help="Year (default: this year).")
@click.option("--tertial", type=click.Choice(["T1", "T2", "T3", "VB"]), default=None,
              help="Report up to this tertial (default: the latest).")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def report_command(unit_code, year, tertial, fmt, output) -> None:
    """Export "Redovisning av synpunkter och klagomål" for automation (XLSX or CSV)."""
    today = local_date(utcnow())
    if unit_code:
        unit = unit_by_code(unit_code)
    else:
        roots = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.parent_id.is_(None))).all()
        if len(roots) != 1:
            raise click.ClickException("Ange --unit: det finns ingen enda rotenhet.")
        unit = roots[0]
    year = year or today.year
    up_to = (
        {"T1": 1, "T2": 2, "T3": 3, "VB": 3}[tertial]
        if tertial
        else (tertial_of(today) if year == today.year else 3)
    )
    report = build_report(unit, year, up_to)
    if fmt == "xlsx":
        with open(output, "wb") as handle:
            handle.write(export.to_xlsx(report, utcnow()))
    else:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(export.to_csv(report))
    reports.record_export(unit, year, up_to, fmt, actor_label="cli")
    db.session.commit()
    click.echo(f"Rapporten för {unit.name} {year} t.o.m. T{up_to} skrevs till {output}.")


COMMANDS = (report_command,)
