"""What several commands share: the app for the command group, the schema check, and
turning a refused write into the command's error."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app

from casetrack import create_app
from casetrack.config import ConfigError
from casetrack.domain.errors import DomainError
from casetrack.extensions import db
from casetrack.models import OrgUnit

NOT_UPGRADED = "Databasen är inte uppgraderad. Kör: casetrack db upgrade"


def _wants_help() -> bool:
    args = sys.argv[1:]
    return not args or "--help" in args or "-h" in args


def create_cli_app() -> Flask:
    """The app, or the configuration error as the command's error."""
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
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    current = MigrationContext.configure(db.session.connection()).get_current_heads()
    return set(current) == set(script.get_heads())


def require_current_schema() -> None:
    if not schema_is_current():
        raise click.ClickException(NOT_UPGRADED)


def database_is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnit)) == 0


@contextmanager
def committed() -> Iterator[None]:
    """Commit what the block writes; a refused write rolls back and is the command's error."""
    try:
        yield
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()


def unit_by_code(code: str) -> OrgUnit:
    """The unit with ``code`` (codes are stored in capitals: ``asp`` finds ``ASP``), or a
    clear refusal."""
    unit = db.session.scalars(
        sa.select(OrgUnit).where(OrgUnit.code == code.strip().upper())
    ).one_or_none()
    if unit is None:
        raise click.ClickException(f"Ingen enhet har koden {code!r}.")
    return unit
