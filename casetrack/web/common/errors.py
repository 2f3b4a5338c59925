"""Swedish error pages that never reveal internals (SECURITY.md K3-59)."""

from __future__ import annotations

from flask import Flask, g, render_template
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from casetrack.audit import security_log
from casetrack.extensions import db
from casetrack.services import sessions

MESSAGES = {
    400: ("Felaktig begäran", "Begäran kunde inte tolkas. Gå tillbaka och försök igen."),
    403: ("Åtkomst nekad", "Du har inte behörighet till den här sidan."),
    404: (
        "Sidan finns inte",
        "Sidan eller ärendet finns inte, eller så har du inte behörighet till det.",
    ),
    405: ("Otillåten metod", "Det går inte att göra så på den här sidan."),
    409: ("Ändrat av någon annan", "Någon annan har ändrat uppgifterna. Ladda om och försök igen."),
    413: ("För mycket data", "Det du skickade var för stort. Korta texten eller bilagan."),
    429: ("För många försök", "Du har gjort för många försök. Vänta en stund och försök igen."),
    500: (
        "Något gick fel",
        "Ett oväntat fel inträffade. Ingenting sparades. Försök igen om en stund.",
    ),
}


def render_error(status: int, message: str | None = None):
    title, default_message = MESSAGES.get(status, MESSAGES[500])
    if status >= 500:
        # The header's reminder count reads cases and deadlines: whatever failed may fail
        # again there, and the Swedish error page must still be shown.
        g.reminder_count = 0
    return (
        render_template("errors/error.html", title=title, message=message or default_message),
        status,
    )


def log_refusal(status: int) -> None:
    """A refused access (K3-76): audited for a logged-in user, and so written to the
    security stream after the commit; for anyone else only streamed (an anonymous flood
    of 429s must not become a flood of database writes)."""
    event = security_log.refusal_event(status)
    if event is None:
        return
    entity_type, entity_id = security_log.refused_entity()
    details = {"status": status}
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if user is not None:
        try:
            sessions.access_refused(
                user, event, entity_type=entity_type, entity_id=entity_id, status=status
            )
            db.session.commit()
            return
        except SQLAlchemyError:
            db.session.rollback()
    security_log.emit(
        security_log.build(
            event, actor=user, entity_type=entity_type, entity_id=entity_id, details=details
        )
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        db.session.rollback()
        log_refusal(400)
        return render_error(
            400,
            "Formuläret hade gått ut eller saknade säkerhetstoken. "
            "Ladda om sidan och skicka formuläret igen.",
        )

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        db.session.rollback()
        log_refusal(429)
        # A view's own Swedish message (error_message=...) when it has one.
        custom = error.limit.error_message if error.limit is not None else None
        return render_error(429, error.description if custom else None)

    # Unhandled exceptions reach this as InternalServerError (500); in testing they
    # propagate so that tests see the traceback.
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        if error.code in (403, 404):
            log_refusal(error.code)
        return render_error(error.code or 500)
