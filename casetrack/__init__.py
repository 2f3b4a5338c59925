"""casetrack: synpunkter, klagomål, beröm och avvikelser för kommunal vård och omsorg."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from casetrack.config import flask_config, load_settings
from casetrack.infra.paths import resource_dir

__version__ = "0.1.0"


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings (defaults → CASETRACK_* → overrides), extensions, views."""
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=os.environ.get("CASETRACK_INSTANCE_PATH") or None,
    )
    settings = load_settings(overrides=config_overrides)
    app.config.update(flask_config(settings, Path(app.instance_path)))
    if settings["PROXY_COUNT"]:
        # Behind N reverse proxies: take the client address and scheme from their
        # X-Forwarded-* headers (rate limits per visitor, secure cookies).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_security(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


# The register_* functions import the layers when the app is built, not at the top: every
# module's "from casetrack import audit" runs this package first, and a top-level import
# of web/ or cli/ here would make that a cycle.
def register_extensions(app: Flask) -> None:
    from casetrack.extensions import csrf, db, limiter, login_manager, migrate
    from casetrack.infra import db_events  # noqa: F401  (SQLite pragmas and locking)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    from casetrack.infra import identity_providers, throttle
    from casetrack.web.auth import login as auth

    throttle.init_app(app)
    app.extensions["identity_providers"] = identity_providers.configured(app.config["CASETRACK"])

    auth.init_login_manager(login_manager)


def register_url_converters(app: Flask) -> None:
    from casetrack.web.common import converters

    converters.init_app(app)


def register_blueprints(app: Flask) -> None:
    from casetrack.web.admin import blueprint as admin
    from casetrack.web.admin import identity, incident, mail, settings, views  # noqa: F401
    from casetrack.web.auth import account, oidc, passwords, sso
    from casetrack.web.auth import login as auth
    from casetrack.web.auth import saml as saml_sso
    from casetrack.web.cases import handling
    from casetrack.web.cases import lex as escalation
    from casetrack.web.cases import views as cases
    from casetrack.web.deviations import analysis as event_analysis
    from casetrack.web.deviations import views as deviations
    from casetrack.web.home import views as main
    from casetrack.web.intake import views as intake
    from casetrack.web.oversight import logs, privacy, role_review
    from casetrack.web.reports import indicators as quality_indicators
    from casetrack.web.reports import patient_safety
    from casetrack.web.reports import views as reports
    from casetrack.web.scim import views as scim

    app.register_blueprint(main.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(passwords.bp)
    app.register_blueprint(logs.bp)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(role_review.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(sso.bp)
    app.register_blueprint(oidc.bp)
    app.register_blueprint(saml_sso.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(handling.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(patient_safety.bp)
    app.register_blueprint(quality_indicators.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(deviations.bp)
    app.register_blueprint(event_analysis.bp)
    app.register_blueprint(escalation.bp)
    app.register_blueprint(escalation.new_bp)
    app.register_blueprint(scim.bp)


def register_security(app: Flask) -> None:
    from casetrack import audit
    from casetrack.audit import security_log
    from casetrack.web.common import security

    security_log.init_app(app)
    security.init_app(app)
    audit.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from casetrack.web.common import errors

    errors.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from casetrack.web.common import template_helpers

    template_helpers.init_app(app)


def register_cli(app: Flask) -> None:
    from casetrack import cli

    cli.init_app(app)
