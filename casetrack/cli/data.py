"""Data in bulk: demo data, synthetic data at city scale, backup and restore."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from casetrack.cli import backup, synthetic
from casetrack.cli.common import database_is_empty, require_current_schema, schema_is_current
from casetrack.cli.demo import load_demo, print_demo_logins
from casetrack.extensions import db
from casetrack.services import backups
from casetrack.services.attachments import storage_dir


@click.command("demo")
@click.option("--seed", default=None, type=int, help="Random seed (default from config).")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no units.")
@with_appcontext
def demo_command(seed: int | None, if_empty: bool) -> None:
    """Load the demo organisation, one user per role and about two years of cases."""
    if current_app.config["CASETRACK"]["ENV"] == "production":
        raise click.ClickException(
            "Demodata laddas inte i produktion: demokontona har ett känt lösenord. "
            "Kör demon med CASETRACK_ENV=development (eller casetrack run)."
        )
    require_current_schema()
    if not database_is_empty():
        if if_empty:
            click.echo("Databasen har redan data; demodata laddas inte.")
            return
        raise click.ClickException(
            "Databasen har redan data. Demodata laddas bara i en tom databas."
        )
    summary = load_demo(
        seed=seed if seed is not None else current_app.config["CASETRACK"]["DEMO_SEED"]
    )
    db.session.commit()
    click.echo(f"Demodata laddad: {summary}")
    print_demo_logins()


@click.command("generate")
@click.option("--cases", "case_count", default=1_000_000, show_default=True, type=int)
@click.option("--units", default=1500, show_default=True, type=int, help="Verksamheter.")
@click.option("--seed", default=9, show_default=True, type=int)
@click.option(
    "--allow-existing",
    is_flag=True,
    help="Add to a database that already has cases (ids and references continue).",
)
@with_appcontext
def generate_command(case_count: int, units: int, seed: int, allow_existing: bool) -> None:
    """Bulk-load synthetic cases, an org tree and benchmark users (all data synthetic)."""
    if not schema_is_current():
        raise click.ClickException("Databasen är inte uppgraderad: kör `casetrack db upgrade`.")
    if not allow_existing and (synthetic.database_has_cases() or not database_is_empty()):
        raise click.ClickException(
            "Databasen innehåller redan data; använd --allow-existing för att lägga till."
        )
    summary = synthetic.generate(
        case_count,
        units,
        seed,
        progress=lambda n: click.echo(f"  {n} ärenden", err=True),
    )
    db.session.commit()
    synthetic.vacuum_after_load()
    click.echo(f"Genererade {summary}.")
    click.echo(
        f"Inloggning: kvalitet@{synthetic.BENCH_DOMAIN}, handlaggare@"
        f"{synthetic.BENCH_DOMAIN} m.fl., lösenord {synthetic.BENCH_PASSWORD}"
    )


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def backup_command(output: str) -> None:
    """Write a consistent, encrypted backup (CASETRACK_BACKUP_KEY) of the database and the
    attachment files to OUTPUT. PostgreSQL needs pg_dump of the server's major version."""
    try:
        summary = backup.create_backup(Path(output), storage_dir(), backup.backup_key())
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    backups.record_backup(summary.counts, summary.attachments)
    db.session.commit()
    click.echo(f"Säkerhetskopian skrevs till {output}: {summary.text()}.")


@click.command("restore")
@click.option("--input", "source", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--force", is_flag=True, help="Overwrite a database or folder that has data.")
@with_appcontext
def restore_command(source: str, force: bool) -> None:
    """Restore a backup made by `casetrack backup` into an empty database and attachment
    folder; refuses ones with data unless --force. Checks counts and hashes afterwards."""
    try:
        summary = backup.restore_backup(
            Path(source), storage_dir(), backup.backup_key(), force=force
        )
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    if schema_is_current():
        backups.record_restore(summary.counts, summary.attachments)
        db.session.commit()
        click.echo(f"Säkerhetskopian återlästes: {summary.text()}.")
    else:
        click.echo(
            f"Säkerhetskopian återlästes: {summary.text()}. Den är från en äldre version: "
            "kör casetrack db upgrade."
        )


COMMANDS = (demo_command, generate_command, backup_command, restore_command)
