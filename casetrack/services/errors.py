"""Errors raised by services, with Swedish messages for the user."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the change. ``field`` names the form field, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotPermitted(DomainError):
    """The actor may not do this here (views answer 404 to keep ids from leaking)."""
