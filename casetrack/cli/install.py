"""``casetrack init``: set up a new installation on an empty database (issue 18).

Migrates the database when its schema is missing or old, checks the reference data the
migrations seed, creates the root unit (or imports the whole tree from ``--org-file``),
creates the first administrator without a password, prints their one-time link to choose
one (the second factor is enrolled at the first login), and prints the next steps. It
refuses a database that already has units or accounts, so running it twice never makes
a second administrator.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade as migrate_upgrade

from casetrack.cli.common import committed
from casetrack.cli.org import print_plan
from casetrack.domain.dates import local_date
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra import attachment_keys
from casetrack.infra.org_file import OrgFileError, read
from casetrack.models import OrgUnit, utcnow
from casetrack.services import account_links, org_import, users
from casetrack.services import admin as admin_service

ACTOR = "init"
NOT_EMPTY = (
    "Databasen har redan {what}: casetrack init är bara för en ny, tom installation och har "
    "inte ändrat något. Lägg till enheter med 'casetrack org import' eller i /admin, och "
    "konton i /admin eller med 'casetrack create-user'. Har den första administratören "
    "inte fått sin länk: 'casetrack password-link --email …'."
)
# What the migrations seed and casetrack needs before the first case (checked, not made).
REFERENCE_TABLES = {
    "case_kind": "ärendetyper",
    "status": "statusar",
    "source": "från vem",
    "channel": "kanaler",
    "category": "kategorier",
    "message_template": "meddelandemallar",
}


def code_from_name(name: str) -> str:
    """A unit code from a name: the initials of its words, A–Z only
    ("Hägersten-Älvsjö stadsdelsförvaltning" → HAS); a short name's first letters."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = [w for w in re.split(r"[^A-Z0-9]+", plain) if w]
    initials = "".join(word[0] for word in words)
    if len(initials) >= 2:
        return initials[:10]
    return "".join(words)[:10] or "ORG"


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._-]+", local) if part) or email


def _count(table: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))


def _refuse_data_before_migrating() -> None:
    """An installation that has data is refused before anything (a migration included)."""
    inspector = sa.inspect(db.session.connection())
    found = []
    if inspector.has_table("org_unit") and _count("org_unit"):
        found.append("enheter")
    if inspector.has_table("user_account") and _count("user_account"):
        found.append("konton")
    if found:
        raise click.ClickException(NOT_EMPTY.format(what=" och ".join(found)))


@click.command("init")
@click.option("--org-name", default=None, help="Name of the förvaltning (the tree's root).")
@click.option("--admin-email", required=True, help="E-mail of the first administrator.")
@click.option("--admin-name", default=None, help="Their name (default from the e-mail).")
@click.option("--org-code", default=None, help="Code of the root unit (default: initials).")
@click.option(
    "--org-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Import the whole tree from this CSV, XLSX or JSON file instead.",
)
@with_appcontext
def init_command(
    org_name: str | None,
    admin_email: str,
    admin_name: str | None,
    org_code: str | None,
    org_file: Path | None,
) -> None:
    """Set up a new installation: migrate, create the root unit (or import the tree), the
    first administrator and their one-time password link; print the next steps."""
    if org_file is None and not (org_name or "").strip():
        raise click.ClickException("Ange förvaltningens namn med --org-name (eller --org-file).")
    _refuse_data_before_migrating()
    db.session.commit()  # end the inspection's transaction before Alembic runs
    migrate_upgrade()
    missing = [label for table, label in REFERENCE_TABLES.items() if not _count(table)]
    if missing:
        raise click.ClickException(
            "Referensdata saknas (" + ", ".join(missing) + "). Databasen är inte skapad av "
            "casetracks migreringar: börja om med en tom databas."
        )
    today = local_date(utcnow())
    with committed():
        if org_file is not None:
            root = _import_tree(org_file, org_code, today)
        else:
            root = admin_service.create_unit(
                None, code=org_code or code_from_name(org_name), name=org_name,
                level="forvaltning", parent_id=None, actor_label=ACTOR, valid_from=today,
            )  # fmt: skip
        admin = users.create_user(
            None, email=admin_email, name=admin_name or _name_from_email(admin_email),
            actor_label=ACTOR,
        )  # fmt: skip
        users.assign_role(None, admin, Role.ADMIN, root, actor_label=ACTOR)
        link = account_links.first_administrator_link(admin, actor_label=ACTOR)
    _print_done(root, admin.email, link)


def _import_tree(path: Path, org_code: str | None, today) -> OrgUnit:
    try:
        parsed = read(path)
    except OrgFileError as error:
        raise click.ClickException(str(error)) from error
    plan = org_import.plan(parsed.rows, parsed.problems)
    if plan.problems:
        raise click.ClickException(
            "Organisationsfilen har fel. Ingenting har skapats. Rätta felen och kör igen:\n  "
            + "\n  ".join(map(str, plan.problems))
        )
    roots = [new.row.code for new in plan.diff.new if not new.row.parent_code]
    wanted = org_code.strip().upper() if org_code else None
    if wanted is None and len(roots) != 1:
        raise click.ClickException(
            f"Filen har {len(roots)} enheter högst upp i trädet ({', '.join(roots)}). Ange "
            "med --org-code vilken den första administratören ska ha sin roll på."
        )
    root_code = wanted or roots[0]
    if root_code not in {new.row.code for new in plan.diff.new}:
        raise click.ClickException(f"Filen har ingen enhet med koden {root_code}.")
    print_plan(plan, effective=today)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    org_import.apply(plan, effective=today, file_digest=digest)
    return db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == root_code)).one()


def _print_done(root: OrgUnit, email: str, link: str) -> None:
    settings = current_app.config["CASETRACK"]
    base_url = settings["BASE_URL"]
    # Development and testing make a key of their own in the instance folder.
    key_problem = attachment_keys.problem(settings) if settings["ENV"] == "production" else None
    warning = (
        f"\nOBS: {key_problem}\nSätt nyckeln innan administratören loggar in första gången: "
        "tvåstegsverifieringen sparas krypterad med den, och utan den kan ingen logga in.\n"
        if key_problem
        else ""
    )
    click.echo(
        f"""{warning}
casetrack är installerat.

Organisationen: {root.name} (kod {root.code}). Använd koden med --unit, t.ex.
  casetrack create-user --email … --name … --role quality --unit {root.code}

Den första administratören: {email}
Engångslänk för att välja lösenord (fungerar en gång, i {account_links.NEW_ACCOUNT_HOURS} timmar):

  {link}

Vid första inloggningen lägger administratören till en nyckel i en autentiseringsapp
(tvåstegsverifiering). Behövs en ny länk: casetrack password-link --email {email}

Nästa steg:
  1. Sätt CASETRACK_BASE_URL till casetracks riktiga adress (nu {base_url}); länkar i
     e-post börjar med den. Var den fel här: kör casetrack password-link när den är rätt.
  2. Krypteringsnyckeln (CASETRACK_ATTACHMENT_KEY_FILE, docs/operations/keys.md): bilagor
     och tvåstegsverifieringen sparas krypterade med den.
  3. Sätt e-post (CASETRACK_SMTP_HOST med flera) och kontrollera med casetrack check-deploy.
  4. Inloggning via kommunens identitetstjänst: lägg leverantörerna i filen som
     CASETRACK_SSO_PROVIDERS_FILE pekar på (docs/operations/sso.md).
  5. Koppla grupper till roller på enheter i /admin (gruppmappningar), under
     Administration → Inloggning och grupper.
  6. Skickar kommunens katalog konton via SCIM (Entra ID): casetrack scim-token create
     --name "Entra ID" och ange token och adressen {base_url}/scim/v2 där
     (docs/operations/scim.md).
  7. Hela organisationsträdet: casetrack org import FIL (provkörning), sedan med --apply.
  8. Starta: casetrack serve (och en casetrack scheduler).
"""
    )
