"""`casetrack scim-token`: the bearer tokens the identity system uses for SCIM
(docs/operations/scim.md). Each change is one transaction, audited as 'cli'."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from casetrack.cli.common import committed
from casetrack.queries import scim as queries
from casetrack.services import scim as scim_service


@click.group("scim-token")
def scim_token() -> None:
    """Bearer tokens for the SCIM endpoints (/scim/v2)."""


@scim_token.command("create")
@click.option("--name", required=True, help="What uses it, e.g. entra-id.")
@with_appcontext
def create_command(name: str) -> None:
    """Make a token and print it once: only its SHA-256 is kept."""
    with committed():
        token, secret = scim_service.create_token(name)
    click.echo(f"SCIM-token {token.name!r} skapades. Den visas bara nu; spara den som")
    click.echo("Secret Token i IdP:ns provisioneringsinställningar:")
    click.echo(secret)


@scim_token.command("list")
@with_appcontext
def list_command() -> None:
    """Every token: name, created, last used, revoked (never the secret)."""
    rows = queries.tokens()
    if not rows:
        click.echo("Inga SCIM-token.")
        return

    def when(moment) -> str:
        return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"

    for token in rows:
        state = f"återkallad {when(token.revoked_at)}" if token.revoked_at else "giltig"
        click.echo(
            f"{token.name}\tskapad {when(token.created_at)}\tsenast använd "
            f"{when(token.last_used_at)}\t{state}"
        )


@scim_token.command("revoke")
@click.argument("name")
@with_appcontext
def revoke_command(name: str) -> None:
    """Revoke the token NAME: it is refused from the next request on."""
    with committed():
        token = scim_service.revoke_token(name)
    click.echo(f"SCIM-token {token.name!r} är återkallad.")


COMMANDS = (scim_token,)
