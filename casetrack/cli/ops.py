"""Running casetrack: the servers, the scheduler and its jobs by hand, the deploy check,
and re-encrypting with a new key."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

import click
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext
from flask_migrate import upgrade as migrate_upgrade
from werkzeug.serving import run_simple

from casetrack import create_app
from casetrack.cli.common import create_cli_app, database_is_empty, require_current_schema
from casetrack.cli.demo import load_demo, print_demo_logins
from casetrack.cli.deploy_check import run_checks, run_warnings
from casetrack.config import ConfigError, load_settings
from casetrack.extensions import db
from casetrack.infra import attachment_keys, throttle
from casetrack.infra.mailer import send_pending
from casetrack.jobs.scheduler import JOBS, build_scheduler, run_job
from casetrack.services import attachments, mfa, retention


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
            click.echo("Laddar demodata …")
            load_demo(seed=app.config["CASETRACK"]["DEMO_SEED"])
            db.session.commit()
        print_demo_logins()
        click.echo(f"\ncasetrack körs på http://{host}:{port}/  (avsluta med Ctrl+C)\n")
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option(
    "--workers", default=None, type=click.IntRange(min=1),
    help="Default: CASETRACK_WORKERS, else 2 × CPU cores + 1.",
)  # fmt: skip
@click.option("--threads", default=1, show_default=True, type=int)
def serve_command(bind: str, workers: int | None, threads: int) -> None:
    """Production server: gunicorn with the app factory. Run `casetrack db upgrade` first."""
    # local import: start-up cost (gunicorn is only needed here; create_app loads the CLI)
    from gunicorn.app.base import BaseApplication

    app = create_cli_app()  # fail fast on bad configuration before forking workers
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


@click.command("check-deploy")
def check_deploy_command() -> None:
    """Check the production configuration; exits non-zero on any problem."""
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


@click.command("scheduler")
@click.option("--run-once", "run_once", type=click.Choice(sorted(JOBS)), default=None,
              help="Run one job now and exit instead of scheduling.")  # fmt: skip
@with_appcontext
def scheduler_command(run_once: str | None) -> None:
    """Run the scheduled jobs (Europe/Stockholm) in this process until stopped."""
    require_current_schema()
    app = current_app._get_current_object()
    db.session.remove()
    if run_once:
        click.echo(f"{run_once}: {run_job(app, run_once)}")
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    scheduler = build_scheduler(app)
    click.echo("Schemaläggaren körs (avsluta med Ctrl+C). Jobb: " + ", ".join(JOBS))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@click.command("send-mail")
@click.option("--limit", default=100, show_default=True, help="Most messages to send.")
@with_appcontext
def send_mail_command(limit: int) -> None:
    """Send due e-mail from the outbox over SMTP (run it every minute, e.g. from cron)."""
    require_current_schema()
    result = send_pending(limit=limit)
    click.echo(result.summary())


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only list the cases that are due.")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    """Anonymise closed cases whose retention period (per case kind) has run out."""
    result = retention.run(dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        click.echo(f"{len(result.due)} ärenden skulle anonymiseras (provkörning, inget ändrat).")
    else:
        db.session.commit()
        click.echo(f"{len(result.due)} ärenden anonymiserades.")
    for reference in result.due:
        click.echo(f"  {reference}")


@click.command("rotate-attachment-key")
@with_appcontext
def rotate_attachment_key_command() -> None:
    """Re-encrypt every attachment file and every TOTP secret with the first key in
    CASETRACK_ATTACHMENT_KEY (or the key file); afterwards the older keys can be removed.
    Secrets and files still in clear are encrypted. Safe to run again."""
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


# run, serve and check-deploy build the app themselves (or need none); the others run
# inside an app (app.cli).
GROUP_COMMANDS = (run_command, serve_command, check_deploy_command)
COMMANDS = (
    send_mail_command,
    retention_command,
    rotate_attachment_key_command,
    scheduler_command,
)
