"""Alembic environment for casetrack, run through Flask-Migrate."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db_ext = current_app.extensions["migrate"].db


def get_metadata():
    return db_ext.metadata


from casetrack.models.schema_filter import include_object  # noqa: E402


def run_migrations_offline():
    url = str(db_ext.engine.url).replace("%", "%%")
    context.configure(
        url=url,
        target_metadata=get_metadata(),
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_as_batch", True)
    conf_args.setdefault("compare_type", True)
    conf_args.setdefault("include_object", include_object)

    connectable = db_ext.engine
    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild SQLite tables (copy, drop, rename); with foreign keys
            # on, dropping the old table would cascade-delete child rows. The pragma only
            # works outside a transaction, so it goes straight to the DBAPI connection.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.commit()
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")
            if problems:
                raise RuntimeError(f"foreign key violations after migration: {problems[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
