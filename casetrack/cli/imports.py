"""``casetrack import tallies FILE.xlsx``: the tertial tables kept in Excel before
casetrack, as historic report figures (issue 22).

The file is read (``infra/tally_file.py``) and checked against the database
(``services/tallies.py``); every problem is printed with its sheet, row and column and
nothing is stored if there is one. ``--dry-run`` prints what would be stored and stores
nothing. ``--template FILE`` writes an empty sheet in the layout the command reads.
"""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

import click
from flask.cli import with_appcontext

from casetrack.cli.common import require_current_schema
from casetrack.domain.dates import local_date
from casetrack.domain.report_rows import ROW_KEYS, TERTIAL_NAMES
from casetrack.extensions import db
from casetrack.infra import tally_file
from casetrack.models import utcnow
from casetrack.services import tallies


@click.group("import")
def import_group() -> None:
    """Bring in data kept before casetrack."""


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment (a container)
        return "okänd"


@import_group.command("tallies")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would be stored; store nothing.")
@click.option("--replace", is_flag=True, help="Replace figures imported earlier that differ.")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write an empty sheet in the expected layout to this file.",
)
@click.option("--by", "imported_by", default=None, help="Who imports (default: the OS user).")
@with_appcontext
def tallies_command(file, dry_run, replace, template, imported_by) -> None:
    """Import historic tertial tallies ("Redovisning av synpunkter och klagomål") from XLSX."""
    if template:
        Path(template).write_bytes(tally_file.template_bytes())
        click.echo(f"En tom mall skrevs till {template}.")
        return
    if not file:
        raise click.UsageError("Ange en fil (FILE.xlsx) eller --template FIL.")
    path = Path(file)
    if not path.is_file():
        raise click.ClickException(f"Filen {file} finns inte.")
    require_current_schema()
    try:
        sheets, problems = tally_file.read(path)
    except tally_file.TallyFileError as error:
        raise click.ClickException(str(error)) from error
    result = tallies.plan(sheets, today=local_date(utcnow()), replace=replace)
    problems = [*problems, *result.problems]
    if problems:
        click.echo(f"Filen har {len(problems)} fel. Ingenting har lagrats:", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        db.session.rollback()
        raise SystemExit(1)

    for unit, year, tertial in result.periods():
        figures = [
            f for f in result.figures if (f.unit, f.year, f.tertial) == (unit, year, tertial)
        ]
        state = (
            "redan inläst, oförändrad"
            if all(f.old == f.value for f in figures)
            else ("ersätts" if any(f.old is not None for f in figures) else "ny")
        )
        click.echo(f"{unit.code} {unit.name}, {TERTIAL_NAMES[tertial]} {year} ({state}):")
        for figure in figures:
            change = f" (var {figure.old})" if figure.old not in (None, figure.value) else ""
            click.echo(f"  {ROW_KEYS[figure.key].label}: {figure.value}{change}")
    summary = (
        f"{len(result.new)} nya siffror, {len(result.changed)} ersatta, "
        f"{len(result.unchanged)} oförändrade"
    )
    if dry_run:
        db.session.rollback()
        click.echo(f"Provkörning: {summary}. Ingenting har lagrats.")
        return
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    written = tallies.store(
        result, source_name=path.name, sha256=digest, imported_by=imported_by or _operator()
    )
    db.session.commit()
    if written:
        click.echo(f"Inläst: {summary}.")
    else:
        click.echo("Filen är redan inläst. Ingenting har ändrats.")


COMMANDS = (import_group,)
