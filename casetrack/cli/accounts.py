"""Accounts from the command line: the first unit and administrator of a new installation,
and break-glass links."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from casetrack.cli.common import committed, unit_by_code
from casetrack.domain.codes import UNIT_LEVEL_LABELS, UNIT_LEVELS
from casetrack.domain.roles import ROLE_LABELS, Role
from casetrack.models import User
from casetrack.services import account_links, users
from casetrack.services import admin as admin_service

_LINK_QUEUED = (
    "En engångslänk ligger i utkorgen till {email} och skickas av schedulern "
    "(eller med 'casetrack send-mail'). Länken visas inte här."
)


@click.command("create-unit")
@click.option("--code", required=True, help="Short code, e.g. HAS (letters A-Z, digits, - and _).")
@click.option("--name", required=True)
@click.option("--level", type=click.Choice(UNIT_LEVELS), default="forvaltning", show_default=True)
@click.option(
    "--parent", "parent_code", default=None, help="Code of the unit above (none: a root)."
)
@click.option("--reference-prefix", default=None, help="Prefix of case references, e.g. AO.")
@with_appcontext
def create_unit_command(
    code: str, name: str, level: str, parent_code: str | None, reference_prefix: str | None
) -> None:
    """Add an org unit (audited as 'cli'): the first unit of a new installation, on which
    the first administrator is created; the rest of the tree is built in /admin."""
    parent_id = None
    if parent_code is not None:
        parent_id = unit_by_code(parent_code).id
    with committed():
        unit = admin_service.create_unit(
            None, code=code, name=name, level=level, parent_id=parent_id,
            reference_prefix=reference_prefix, actor_label="cli",
        )  # fmt: skip
    click.echo(f"Enheten {unit.name} ({unit.code}, {UNIT_LEVEL_LABELS[unit.level]}) skapades.")


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
    unit = unit_by_code(unit_code)
    if password is not None and Role(role) != Role.ADMIN:
        raise click.ClickException(
            "Ett lösenord kan bara anges för ett administratörskonto (den första "
            "administratören eller ett nödkonto). Andra får en länk med e-post och väljer "
            "själva sitt lösenord: utelämna --password."
        )
    with committed():
        user = users.create_user(None, email=email, name=name, password=password, actor_label="cli")
        users.assign_role(None, user, Role(role), unit, actor_label="cli")
        if password is None:
            account_links.send_password_link(None, user, new_account=True, actor_label="cli")
    click.echo(f"Kontot {user.email} skapades med rollen {ROLE_LABELS[Role(role)]} på {unit.name}.")
    if password is None:
        click.echo(_LINK_QUEUED.format(email=user.email))


def _account(email: str) -> User:
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
    user = _account(email)
    with committed():
        account_links.send_password_link(None, user, actor_label="cli")
    click.echo(_LINK_QUEUED.format(email=user.email))


@click.command("request-second-factor-reset")
@click.option("--email", required=True)
@with_appcontext
def request_second_factor_reset_command(email: str) -> None:
    """Ask for a person's second factor to be reset (audited as 'cli'): nothing changes
    until the person confirms with the e-mailed link, or an administrator approves."""
    user = _account(email)
    with committed():
        account_links.request_mfa_reset(None, user, actor_label="cli")
    click.echo(_LINK_QUEUED.format(email=user.email))


COMMANDS = (
    create_unit_command,
    create_user_command,
    password_link_command,
    request_second_factor_reset_command,
)
