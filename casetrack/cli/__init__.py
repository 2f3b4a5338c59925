"""casetrack: synpunkter, klagomål, beröm och avvikelser.

\b
    casetrack run           development server on SQLite with demo data (no set-up needed)
    casetrack serve         production server (gunicorn)
    casetrack demo          load the demo organisation, users and cases
    casetrack generate      bulk-load synthetic data at city scale (benchmarks)
    casetrack init          set up a new installation: root unit (or tree), first administrator
    casetrack org import    compare the org tree with a file from HR/AD; --apply makes the changes
    casetrack create-unit   add an org unit
    casetrack create-user   create an account and give it a role on a unit
    casetrack password-link a new one-time password link for a person (break-glass)
    casetrack request-second-factor-reset  ask to reset a person's second factor
    casetrack report        the tertial table of a unit as XLSX or CSV
    casetrack import tallies  historic tertial tables from Excel (--dry-run, --template)
    casetrack send-mail     send due e-mail from the outbox over SMTP
    casetrack retention     anonymise closed cases past retention (--dry-run to list)
    casetrack scheduler     run reminders, e-mail, digest, alarms and retention on time
    casetrack check-deploy  check that the configuration is fit for production
    casetrack backup        write an encrypted backup (database + attachments)
    casetrack restore       restore a backup into an empty database and attachment folder
    casetrack rotate-attachment-key  re-encrypt attachments and TOTP secrets with the newest key
    casetrack scim-token    create, list and revoke the SCIM bearer tokens (create --name NAME)
    casetrack db ...        Flask-Migrate (upgrade, downgrade, migrate, ...)
"""

from __future__ import annotations

import sys

from flask import Flask
from flask.cli import FlaskGroup

from casetrack.cli import accounts, data, imports, install, ops, org, reports, scim
from casetrack.cli.common import create_cli_app

cli = FlaskGroup(
    create_app=create_cli_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help=__doc__,
)
for command in ops.GROUP_COMMANDS:
    cli.add_command(command)


def init_app(app: Flask) -> None:
    """Register the commands that need an app context on ``app.cli``."""
    for command in (
        *reports.COMMANDS,
        *data.COMMANDS,
        *accounts.COMMANDS,
        *org.COMMANDS,
        install.init_command,
        *ops.COMMANDS,
        *scim.COMMANDS,
        *imports.COMMANDS,
    ):
        app.cli.add_command(command)


def main() -> None:
    cli.main(args=sys.argv[1:], prog_name="casetrack")
