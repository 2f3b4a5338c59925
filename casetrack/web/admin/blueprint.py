"""The admin blueprint (``admin``, under /admin): one guard for every admin page.

Only systemadministratörer reach these pages; everyone else gets 404, as for any page
they may not see. The screens add their routes to ``bp``: accounts, roles, the org tree
and reference data (``views``), e-mail templates and the outbox (``mail``), organisation
settings (``settings``) and the incident page (``incident``).
"""

from __future__ import annotations

from flask import Blueprint, abort

from casetrack.access.guard import guard_blueprint
from casetrack.domain.roles import Permission
from casetrack.queries import admin as admin_queries

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Permission.ADMINISTER)


def get_or_404(model, ident):
    """The row ``ident`` of ``model`` (an account, unit, role, template …), or 404."""
    obj = admin_queries.row(model, ident)
    if obj is None:
        abort(404)
    return obj
