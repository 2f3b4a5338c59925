"""Saving through a service, or showing why not: the one place a view commits.

The commit rule: services never commit; a view commits once, through this module, after
the service returned (a job or a CLI command likewise commits once, at its end). A
refused change (a ``DomainError``) is rolled back whole, and its message is shown where
the user can act on it: at the field the error names, else above the form (``save``), or
as a flash message for a button without fields (``run``).

A view then keeps only: load (404), check access, validate, call, redirect::

    saved = None
    if form.validate_on_submit():
        saved = save(form, lambda: service.create_thing(current_user, name=form.name.data))
        if saved:
            flash("Sparat.", "success")
            return redirect(url_for("things.show", thing_id=saved.value.id))
    return render_template("things/new.html", form=form), form_status(form, saved)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import flash
from sqlalchemy.orm.exc import StaleDataError

from casetrack.domain.errors import DomainError, StaleCase, StaleRecord
from casetrack.domain.numbers import ascii_int
from casetrack.extensions import db


@dataclass(frozen=True)
class Saved:
    """What ``save`` did: true when the change was saved and committed (``value`` is what
    the service returned); else ``status`` is 409 (someone else saved in between) or 422
    (the service refused the value), with the message on the form."""

    status: int | None = None
    value: Any = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.status is None


def show_error(
    form,
    error: DomainError,
    *,
    default: str | None = None,
    names: Mapping[str, str] | None = None,
) -> None:
    """Put ``error.message`` on the field it names (``names`` maps the service's name of a
    field to the form's), else on ``default``, else above the form."""
    name = error.field or ""
    name = (names or {}).get(name, name)
    field = getattr(form, name, None) if name else None
    if field is None and default is not None:
        field = getattr(form, default)
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = [*field.errors, error.message]


def save(
    form,
    change: Callable[[], Any],
    *,
    version: int | None = None,
    default_field: str | None = None,
    field_names: Mapping[str, str] | None = None,
    keep_refused: bool = False,
) -> Saved:
    """Call ``change`` (one service call) for a validated ``form``, flush, and commit.

    ``version``: the record's current version, for an edit form that carries the version
    it was opened at (a ``version`` field): a save from another version, or without one,
    is refused as stale (409) before ``change`` runs; the flush checks the version again
    for a save racing this one. A stale case (``StaleCase``) is 409 as well.

    A ``DomainError`` rolls everything back (``keep_refused``: commits instead, when the
    service recorded the refusal itself, an audit entry or a used challenge, and that
    must stay) and shows the message on the form (``show_error``): 422.
    """
    try:
        if version is not None:
            # What was posted, not the value the form was filled with from the row.
            posted = form.version.raw_data[0] if form.version.raw_data else None
            StaleRecord.check(version, ascii_int(posted))
        value = change()
        db.session.flush()
    except (StaleRecord, StaleCase, StaleDataError) as error:
        db.session.rollback()
        domain_error = error if isinstance(error, DomainError) else None
        form.form_errors.append(domain_error.message if domain_error else StaleRecord.MESSAGE)
        return Saved(409, error=domain_error)
    except DomainError as error:
        if keep_refused:
            db.session.commit()
        else:
            db.session.rollback()
        show_error(form, error, default=default_field, names=field_names)
        return Saved(422, error=error)
    db.session.commit()
    return Saved(value=value)


def run(change: Callable[[], Any], success: str | None = None) -> bool:
    """A button without fields (CSRF checked by the caller): call ``change``, commit and
    flash ``success``; or roll back and flash the refusal. True when saved."""
    try:
        change()
        db.session.flush()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    db.session.commit()
    if success:
        flash(success, "success")
    return True


def form_status(form, saved: Saved | None = None) -> int:
    """The status of a page that shows ``form``: what ``save`` answered (409 or 422), else
    422 while the form has errors (``form.errors`` includes the form's own), else 200."""
    if saved is not None and saved.status is not None:
        return saved.status
    return 422 if form.errors else 200
