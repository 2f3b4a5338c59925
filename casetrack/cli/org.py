"""``casetrack org import FILE [--apply]``: the org tree from the source of truth (issue 18).

Reads the file (``infra/org_file.py``), prints the difference from today's tree in
Swedish, and with ``--apply`` makes it in one transaction (``services/org_import.py``).
Without ``--apply`` it is a dry run and changes nothing. A file with problems is refused,
every problem listed with its line, and nothing is changed.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from casetrack.cli.common import committed, require_current_schema
from casetrack.domain.codes import UNIT_LEVEL_LABELS
from casetrack.domain.dates import local_date
from casetrack.extensions import db
from casetrack.infra.org_file import OrgFileError, read
from casetrack.models import OrgUnit, utcnow
from casetrack.services import org_import

DRY_RUN = (
    "Det här var en provkörning: ingenting har ändrats. Kör samma kommando med --apply "
    "för att genomföra ändringarna."
)


def _cases(impact: org_import.Impact | None) -> str:
    if impact is None:
        return ""
    return f"  ({impact.open_cases} öppna ärenden, {impact.cases} ärenden totalt)"


def _label(code: str | None, names: dict[str, str]) -> str:
    if code is None:
        return "(högst upp i trädet)"
    return f"{code} {names.get(code, '')}".rstrip()


def print_plan(plan: org_import.Plan, *, effective: date) -> None:
    changes = plan.diff
    names = {unit.code: unit.name for unit in db.session.scalars(sa.select(OrgUnit))}
    names |= {new.row.code: new.row.name for new in changes.new}
    names |= {change.code: change.new for change in changes.renamed}

    def section(title: str, items: list, line) -> None:
        if items:
            click.echo(f"\n{title} ({len(items)}):")
            for item in items:
                click.echo("  " + line(item))

    click.echo(f"Ändringar som gäller från {effective.isoformat()}:")
    section(
        "Nya enheter",
        changes.new,
        lambda n: (
            f"+ {n.row.code}  {n.row.name} ({UNIT_LEVEL_LABELS[n.level].lower()}) "
            f"under {_label(n.row.parent_code, names)}"
        ),
    )
    section("Nytt namn", changes.renamed, lambda r: f"~ {r.code}  {r.old} → {r.new}")
    section(
        "Flyttade",
        changes.moved,
        lambda m: (
            f"→ {m.code}  {m.name}: från {_label(m.old_parent, names)} till "
            f"{_label(m.new_parent, names)}" + _cases(plan.impacts.get(m.code))
        ),
    )
    section(
        "Ändrad nivå",
        changes.relevelled,
        lambda r: f"~ {r.code}  {UNIT_LEVEL_LABELS[r.old]} → {UNIT_LEVEL_LABELS[r.new]}",
    )
    section(
        "Stängs",
        changes.closed,
        lambda c: (
            f"× {c.code}  {c.name}: "
            + ("markerad som stängd i filen" if c.explicit else "finns inte i filen")
            + _cases(plan.impacts.get(c.code))
        ),
    )
    section("Öppnas igen", changes.reopened, lambda r: f"+ {r.code}  {r.name}")
    noun = "enhet" if changes.unchanged == 1 else "enheter"
    click.echo(f"\nOförändrade: {changes.unchanged} {noun}")
    if changes.moved or changes.closed:
        click.echo(
            "Ärendena stannar i sina enheter. Rapporter för tidigare perioder visar trädet "
            "som det var då; flyttade enheters ärenden räknas under den nya överordnade "
            "enheten från ändringsdagen."
        )


@click.group("org")
def org_group() -> None:
    """The organisation tree: import it from the HR system or AD."""


@org_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--apply", "apply_changes", is_flag=True, help="Make the changes (default: dry run).")
@click.option(
    "--effective-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First day of the new tree (YYYY-MM-DD; default today).",
)
@with_appcontext
def import_command(file: Path, apply_changes: bool, effective_date) -> None:
    """Compare FILE (CSV, XLSX or JSON: code, name, parent_code[, level, closed,
    valid_from]) with the org tree and print the difference; --apply makes it, audited,
    in one transaction."""
    require_current_schema()
    effective = effective_date.date() if effective_date else local_date(utcnow())
    try:
        parsed = read(file)
    except OrgFileError as error:
        raise click.ClickException(str(error)) from error
    plan = org_import.plan(parsed.rows, parsed.problems)
    click.echo(f"Organisationsfil: {file.name} ({len(parsed.rows)} enheter)")
    if plan.problems:
        click.echo("\nFilen har fel. Ingenting har ändrats. Rätta felen och kör igen:", err=True)
        for problem in plan.problems:
            click.echo(f"  {problem}", err=True)
        raise click.exceptions.Exit(1)
    print_plan(plan, effective=effective)
    if not plan.diff.changes:
        click.echo("\nTrädet stämmer redan med filen. Inget att ändra.")
        return
    if not apply_changes:
        click.echo("\n" + DRY_RUN)
        return
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    with committed():
        org_import.apply(plan, effective=effective, file_digest=digest)
    click.echo(
        f"\nKlart: {plan.diff.changes} ändringar är genomförda och loggade (organisationsimport)."
    )


COMMANDS = (org_group,)
