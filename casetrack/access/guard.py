"""One guard for views and blueprints: ``require(permission)``.

A page the user may not see answers 404, as an unknown id does (DESIGN §3: ids and pages
do not leak); a visitor who is not logged in is sent to the login page first (Flask-Login).
The refusal is audited where every 404 is, by the error handler (web/common/errors.py);
this module renders nothing and writes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Blueprint, abort
from flask_login import current_user, login_required

from casetrack.access.scoping import has_permission
from casetrack.domain.roles import Permission
from casetrack.models import User

Check = Permission | Callable[[User], bool]


def _allows(check: Check) -> Callable[[User], bool]:
    if isinstance(check, Permission):
        return lambda user: has_permission(user, check)
    return check


def require(check: Check):
    """Decorate a view: logged in, and ``check`` (a permission, or a test of the user)
    holds, else 404."""
    allows = _allows(check)

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if not allows(current_user):
                abort(404)
            return view(*args, **kwargs)

        return guarded

    return decorate


def _go_on() -> None:
    return None


def guard_blueprint(bp: Blueprint, check: Check) -> None:
    """``require(check)`` for every view of ``bp`` (before the view, on every request)."""
    bp.before_request(require(check)(_go_on))
