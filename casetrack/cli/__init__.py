"""casetrack: synpunkter, klagomål, beröm och avvikelser.

\b
    casetrack run           development server on SQLite with demo data (no set-up needed)
    casetrack serve         production server (gunicorn)
    casetrack demo          load the demo organisation, users and cases
    casetrack generate      bulk-load synthetic data at city scale (benchmarks)
    casetrack create-user   create an account and give it a role on a unit
    casetrack send-mail     send due e-mail from the outbox over SMTP
    casetrack retention     anonymise closed cases past retention (--dry-run to list)
    casetrack scheduler     run reminders, e-mail, digest, alarms and retention on time
    casetrack check-deploy  check that the configuration is fit for production
    casetrack backup        write an encrypted backup (database + attachments)
    casetrack restore       restore a backup into an empty database and attachment folder
    casetrack rotate-attachment-key  re-encrypt attachments and TOTP secrets with the newest key
    casetrack db ...        Flask-Migrate (upgrade, downgrade, migrate, ...)
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from flask_migrate import upgrade as migrate_upgrade

from casetrack import create_app
from casetrack.config import ConfigError
from casetrack.domain.roles import ROLE_LABELS, Role
from casetrack.extensions import db

JOB_NAMES = (
    "reminders",
    "acknowledgements",
    "send-mail",
    "digest",
    "unassigned-alarm",
    "tertial-close",
    "role-review",
    "retention",
    "access-alarm",
)


def _wants_help() -> bool:
    args = sys.argv[1:]
    return not args or "--help" in args or "-h" in args


def _create_app():
    try:
        return create_app()
    except ConfigError as error:
        if _wants_help():
            # Listing the commands and their options needs no secret and runs nothing, so a
            # new user can read `casetrack --help` before configuring anything.
            return create_app({"SECRET_KEY": secrets.token_hex(32)})
        raise click.ClickException(str(error)) from error


def schema_is_current() -> bool:
    """True when the database has been migrated to the newest revision."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    current = MigrationContext.configure(db.session.connection()).get_current_heads()
    return set(current) == set(script.get_heads())


def database_is_empty() -> bool:
    from casetrack.models import OrgUnit

    return db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 0


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo/--no-demo", default=True, show_default=True, help="Load demo data if empty.")
@click.pass_context
def run_command(ctx, host: str, port: int, demo: bool) -> None:
    """Development server: migrate, load demo data when empty, print logins, serve."""
    os.environ.setdefault("CASETRACK_ENV", "development")
    if os.environ["CASETRACK_ENV"] == "development":
        os.environ.setdefault("CASETRACK_SESSION_COOKIE_SECURE", "false")
    app = ctx.ensure_object(ScriptInfo).load_app()
    with app.app_context():
        migrate_upgrade()
        if demo and database_is_empty():
            from casetrack.cli.demo import load_demo

            click.echo("Laddar demodata …")
            load_demo(seed=app.config["CASETRACK"]["DEMO_SEED"])
            db.session.commit()
        _print_demo_logins()
        click.echo(f"\ncasetrack körs på http://{host}:{port}/  (avsluta med Ctrl+C)\n")
    from werkzeug.serving import run_simple

    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


def _print_demo_logins() -> None:
    from casetrack.cli.demo import DEMO_PASSWORD, demo_logins

    logins = demo_logins()
    if not logins:
        return
    click.echo("\nDemoinloggningar (lösenord för alla: " + DEMO_PASSWORD + "):")
    for role, email, name, unit in logins:
        click.echo(f"  {ROLE_LABELS[Role(role)]:<40} {email:<38} {name}, {unit}")


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option(
    "--workers", default=None, type=click.IntRange(min=1),
    help="Default: CASETRACK_WORKERS, else 2 × CPU cores + 1.",
)  # fmt: skip
@click.option("--threads", default=1, show_default=True, type=int)
def serve_command(bind: str, workers: int | None, threads: int) -> None:
    """Production server: gunicorn with the app factory. Run `casetrack db upgrade` first."""
    from gunicorn.app.base import BaseApplication

    from casetrack.infra import throttle

    app = _create_app()  # fail fast on bad configuration before forking workers
    settings = app.config["CASETRACK"]
    workers = throttle.workers(settings, workers)
    # Several workers with a per-process limiter would each count failed logins for
    # themselves (issue 16); development keeps memory:// whatever the worker count.
    problem = (
        throttle.storage_problem(settings, workers) if settings["ENV"] == "production" else None
    )
    if problem:
        raise click.ClickException(f"casetrack startar inte: {problem}")

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", bind)
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")
            # Only the path is logged, never query strings (SECURITY.md K3-54).
            # The worker's pid shows which process answered (per-process state, issue 16).
            self.cfg.set("access_log_format", '%(h)s %(p)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms')

        def load(self):
            return create_app()

    Server().run()


@click.command("demo")
@click.option("--seed", default=None, type=int, help="Random seed (default from config).")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no units.")
@with_appcontext
def demo_command(seed: int | None, if_empty: bool) -> None:
    """Load the demo organisation, one user per role and about two years of cases."""
    from casetrack.cli.demo import load_demo

    if current_app.config["CASETRACK"]["ENV"] == "production":
        raise click.ClickException(
            "Demodata laddas inte i produktion: demokontona har ett känt lösenord. "
            "Kör demon med CASETRACK_ENV=development (eller casetrack run)."
        )
    if not schema_is_current():
        raise click.ClickException("Databasen är inte uppgraderad. Kör: casetrack db upgrade")
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
    _print_demo_logins()


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
    from casetrack.cli import synthetic

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


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit_code", required=True, help="Code of the org unit.")
@click.option(
    "--password",
    default=None,
    help="Only for an admin account (the first administrator, a break-glass account) that "
    "the operator will use personally. Without it the person gets a one-time link by "
    "e-mail and chooses their own password.",
)
@with_appcontext
def create_user_command(
    email: str, name: str, role: str, unit_code: str, password: str | None
) -> None:
    """Create an account and give it a role on an org unit (audited as 'cli')."""
    from casetrack.domain.errors import DomainError
    from casetrack.models import OrgUnit
    from casetrack.services import account_links, users

    unit = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == unit_code)).one_or_none()
    if unit is None:
        raise click.ClickException(f"Ingen enhet har koden {unit_code!r}.")
    if password is not None and Role(role) != Role.ADMIN:
        raise click.ClickException(
            "Ett lösenord kan bara anges för ett administratörskonto (den första "
            "administratören eller ett nödkonto). Andra får en länk med e-post och väljer "
            "själva sitt lösenord: utelämna --password."
        )
    try:
        user = users.create_user(None, email=email, name=name, password=password, actor_label="cli")
        users.assign_role(None, user, Role(role), unit, actor_label="cli")
        if password is None:
            account_links.send_password_link(None, user, new_account=True, actor_label="cli")
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Kontot {user.email} skapades med rollen {ROLE_LABELS[Role(role)]} på {unit.name}.")
    if password is None:
        click.echo(_LINK_QUEUED.format(email=user.email))


_LINK_QUEUED = (
    "En engångslänk ligger i utkorgen till {email} och skickas av schedulern "
    "(eller med 'casetrack send-mail'). Länken visas inte här."
)


def _account(email: str):
    from casetrack.services import users

    user = users.find_user_by_email(email)
    if user is None:
        raise click.ClickException("Det finns inget konto med den e-postadressen.")
    return user


@click.command("password-link")
@click.option("--email", required=True)
@with_appcontext
def password_link_command(email: str) -> None:
    """E-mail a person a one-time link to choose a new password (audited as 'cli').

    Break-glass for an administrator who has forgotten the password and has no other
    administrator to ask; the link goes only to the account's own address."""
    from casetrack.domain.errors import DomainError
    from casetrack.services import account_links

    user = _account(email)
    try:
        account_links.send_password_link(None, user, actor_label="cli")
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(_LINK_QUEUED.format(email=user.email))


@click.command("request-second-factor-reset")
@click.option("--email", required=True)
@with_appcontext
def request_second_factor_reset_command(email: str) -> None:
    """Ask for a person's second factor to be reset (audited as 'cli'): nothing changes
    until the person confirms with the e-mailed link, or an administrator approves."""
    from casetrack.domain.errors import DomainError
    from casetrack.services import account_links

    user = _account(email)
    try:
        account_links.request_mfa_reset(None, user, actor_label="cli")
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(_LINK_QUEUED.format(email=user.email))


@click.command("send-mail")
@click.option("--limit", default=100, show_default=True, help="Most messages to send.")
@with_appcontext
def send_mail_command(limit: int) -> None:
    """Send due e-mail from the outbox over SMTP (run it every minute, e.g. from cron)."""
    from casetrack.infra.mailer import send_pending

    if not schema_is_current():
        raise click.ClickException("Databasen är inte uppgraderad. Kör: casetrack db upgrade")
    result = send_pending(limit=limit)
    click.echo(result.summary())


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only list the cases that are due.")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    """Anonymise closed cases whose retention period (per case kind) has run out."""
    from casetrack.services import retention

    result = retention.run(dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo(f"{len(result.due)} ärenden skulle anonymiseras (provkörning, inget ändrat).")
    else:
        db.session.commit()
        click.echo(f"{len(result.due)} ärenden anonymiserades.")
    for reference in result.due:
        click.echo(f"  {reference}")


@click.command("scheduler")
@click.option("--run-once", "run_once", type=click.Choice(sorted(JOB_NAMES)), default=None,
              help="Run one job now and exit instead of scheduling.")  # fmt: skip
@with_appcontext
def scheduler_command(run_once: str | None) -> None:
    """Run the scheduled jobs (Europe/Stockholm) in this process until stopped."""
    from casetrack.jobs.scheduler import build_scheduler, run_job

    if not schema_is_current():
        raise click.ClickException("Databasen är inte uppgraderad. Kör: casetrack db upgrade")
    app = current_app._get_current_object()
    db.session.remove()
    if run_once:
        click.echo(f"{run_once}: {run_job(app, run_once)}")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = build_scheduler(app)
    click.echo("Schemaläggaren körs (avsluta med Ctrl+C). Jobb: " + ", ".join(JOB_NAMES))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@click.command("check-deploy")
def check_deploy_command() -> None:
    """Check the production configuration; exits non-zero on any problem."""
    from casetrack.cli.deploy_check import run_checks, run_warnings
    from casetrack.config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    flask_debug = os.environ.get("FLASK_DEBUG", "").lower() in {"1", "true", "yes", "on"}
    results = run_checks(settings, flask_debug)
    for name, problem in results:
        click.echo(f"{'FEL' if problem else 'OK '}  {name}" + (f": {problem}" if problem else ""))
    for name, warning in run_warnings(settings):
        click.echo(f"VARNING  {name}: {warning}")
    failures = sum(1 for _, problem in results if problem)
    if failures:
        click.echo(f"\n{failures} problem måste åtgärdas före driftsättning.", err=True)
        sys.exit(1)
    click.echo("\nKonfigurationen ser bra ut för produktion.")


cli = FlaskGroup(
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help=__doc__,
)
# run and serve build the app themselves; the others run inside an app (app.cli).
for command in (run_command, serve_command, check_deploy_command):
    cli.add_command(command)


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
    from casetrack import audit
    from casetrack.domain.dates import local_date
    from casetrack.domain.tertials import tertial_of
    from casetrack.exports import report as export
    from casetrack.models import OrgUnit, utcnow
    from casetrack.queries.report import build_report

    today = local_date(utcnow())
    if unit_code:
        unit = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == unit_code)).one_or_none()
        if unit is None:
            raise click.ClickException(f"Ingen enhet har koden {unit_code!r}.")
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
    # Exports of the report are recorded like any other export.
    audit.record(
        "report.exported",
        entity_type="report",
        entity_id=unit.id,
        actor=None,
        actor_label="cli",
        after={"unit_id": unit.id, "year": year, "tertial": up_to, "format": fmt},
    )
    db.session.commit()
    click.echo(f"Rapporten för {unit.name} {year} t.o.m. T{up_to} skrevs till {output}.")


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def backup_command(output: str) -> None:
    """Write a consistent, encrypted backup (CASETRACK_BACKUP_KEY) of the database and the
    attachment files to OUTPUT. PostgreSQL needs pg_dump of the server's major version."""
    from pathlib import Path

    from casetrack import audit
    from casetrack.cli import backup
    from casetrack.services.attachments import storage_dir

    try:
        summary = backup.create_backup(Path(output), storage_dir(), backup.backup_key())
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    audit.record(
        "backup.created",
        entity_type="backup",
        entity_id=None,
        actor=None,
        actor_label="cli",
        after={"counts": summary.counts, "attachments": summary.attachments},
    )
    db.session.commit()
    click.echo(f"Säkerhetskopian skrevs till {output}: {summary.text()}.")


@click.command("restore")
@click.option("--input", "source", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--force", is_flag=True, help="Overwrite a database or folder that has data.")
@with_appcontext
def restore_command(source: str, force: bool) -> None:
    """Restore a backup made by `casetrack backup` into an empty database and attachment
    folder; refuses ones with data unless --force. Checks counts and hashes afterwards."""
    from pathlib import Path

    from casetrack import audit
    from casetrack.cli import backup
    from casetrack.services.attachments import storage_dir

    try:
        summary = backup.restore_backup(
            Path(source), storage_dir(), backup.backup_key(), force=force
        )
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    if schema_is_current():
        audit.record(
            "backup.restored",
            entity_type="backup",
            entity_id=None,
            actor=None,
            actor_label="cli",
            after={"counts": summary.counts, "attachments": summary.attachments},
        )
        db.session.commit()
        click.echo(f"Säkerhetskopian återlästes: {summary.text()}.")
    else:
        click.echo(
            f"Säkerhetskopian återlästes: {summary.text()}. Den är från en äldre version: "
            "kör casetrack db upgrade."
        )


@click.command("rotate-attachment-key")
@with_appcontext
def rotate_attachment_key_command() -> None:
    """Re-encrypt every attachment file and every TOTP secret with the first key in
    CASETRACK_ATTACHMENT_KEY (or the key file); afterwards the older keys can be removed.
    Secrets and files still in clear are encrypted. Safe to run again."""
    from casetrack.infra import attachment_keys
    from casetrack.services import attachments, mfa

    try:
        count = attachments.rotate_key()
        secrets = mfa.rotate_secrets()
    except (attachment_keys.AttachmentKeyMissing, attachment_keys.AttachmentKeyError) as error:
        db.session.rollback()
        raise click.ClickException(
            "Bilagorna kunde inte krypteras om: "
            + (str(error) if isinstance(error, ValueError) else "ingen nyckel är inställd.")
        ) from error
    except mfa.SecretUnavailable as error:
        db.session.rollback()
        raise click.ClickException(
            "Hemligheterna för tvåstegsverifiering kunde inte krypteras om: ingen inställd "
            "nyckel öppnar dem. Lägg tillbaka den gamla nyckeln efter den nya."
        ) from error
    db.session.commit()
    noun = "hemlighet" if secrets == 1 else "hemligheter"
    click.echo(
        f"{count} bilagor och {secrets} {noun} för tvåstegsverifiering krypterades om med "
        "den nyaste nyckeln."
    )


def init_app(app) -> None:
    """Register the commands that need an app context on ``app.cli``."""
    for command in (
        report_command,
        demo_command,
        generate_command,
        create_user_command,
        password_link_command,
        request_second_factor_reset_command,
        send_mail_command,
        retention_command,
        backup_command,
        restore_command,
        rotate_attachment_key_command,
        scheduler_command,
    ):
        app.cli.add_command(command)


def main() -> None:
    cli.main(args=sys.argv[1:], prog_name="casetrack")
