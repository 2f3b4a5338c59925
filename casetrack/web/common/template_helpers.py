"""Filters and globals the templates use: Swedish dates, labels, navigation rights."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app, g
from flask_login import current_user

from casetrack.access import has_permission
from casetrack.domain.dates import local_date, local_datetime
from casetrack.domain.roles import Permission
from casetrack.models import utcnow
from casetrack.queries.cases import reminder_count as count_reminders


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_datetime(value).strftime("%Y-%m-%d")
    return value.isoformat()


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return local_datetime(value).strftime("%Y-%m-%d %H:%M")


def format_number(value: int) -> str:
    """10000 → "10 000" (Swedish thousands separator, a no-break space)."""
    return f"{value:,}".replace(",", "\u00a0")


def provider_name(key: str | None) -> str:
    """The login-page name of an identity provider key; SCIM is the directory."""
    if key == "scim":
        return "katalogen (SCIM)"
    for provider in current_app.extensions.get("identity_providers", ()):
        if provider.key == key:
            return provider.name
    return key or "okänd källa"


def init_app(app: Flask) -> None:
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_global(provider_name, "provider_name")

    @app.context_processor
    def navigation():
        def can(permission: str) -> bool:
            return current_user.is_authenticated and has_permission(
                current_user, Permission(permission)
            )

        def reminder_count() -> int:
            """Overdue and due-soon cases in "Mina ärenden" (issue #7), for handlers.

            The Mina ärenden page has just counted both sections: it leaves the sum in
            ``g`` (the same set of cases; tested) instead of counting them again."""
            if "reminder_count" in g:
                return g.reminder_count
            return count_reminders(current_user, local_date(utcnow()))

        return {"can": can, "reminder_count": reminder_count}
