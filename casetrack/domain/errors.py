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


class StaleCase(DomainError):
    """Someone else changed the case after the form was opened (optimistic locking)."""

    def __init__(self, expected_version: int, current_version: int):
        super().__init__(
            "Någon annan har ändrat ärendet sedan du öppnade sidan. "
            "Se ändringarna nedan och gör om din ändring."
        )
        self.expected_version = expected_version
        self.current_version = current_version


class StaleRecord(DomainError):
    """Someone else saved the unit, reference row, template or setting after the form
    was opened (optimistic locking on the admin forms): nothing is overwritten."""

    MESSAGE = (
        "Någon annan har ändrat det här sedan du öppnade sidan. Din ändring sparades inte, "
        "så att ingenting skrivs över. Öppna sidan på nytt och gör om ändringen."
    )

    def __init__(self):
        super().__init__(self.MESSAGE)

    @classmethod
    def check(cls, current_version: int, expected_version: int | None) -> None:
        """Refuse a save from a form opened at another version, or with none."""
        if expected_version is None or expected_version != current_version:
            raise cls()
