"""Incident page (/admin/incident, SECURITY.md K3-17, 109): block an account at once.

Lists the active accounts, those that logged in within the session's absolute lifetime
first (they may have a live session right now). "Spärra" deactivates the account and ends
all of its sessions (``admin.block_user``); the reason is a category, never free text.
Routes on the ``admin`` blueprint, so only admins reach them.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user

from casetrack.domain.roles import ROLE_LABELS
from casetrack.models import User, utcnow
from casetrack.queries import admin as admin_queries
from casetrack.services import admin as admin_service
from casetrack.web.admin.blueprint import bp, get_or_404
from casetrack.web.admin.forms import BlockForm
from casetrack.web.common.submit import run


def _form(user_id: int, submitted: bool = False) -> BlockForm:
    """The row's form; the prefix gives every row's field its own id and name."""
    if submitted:
        return BlockForm(prefix=f"u{user_id}")
    return BlockForm(formdata=None, prefix=f"u{user_id}")


def _render(failed: BlockForm | None = None, failed_id: int | None = None, status: int = 200):
    hours = int(current_app.config["CASETRACK"]["SESSION_ABSOLUTE_HOURS"])
    since = utcnow() - timedelta(hours=hours)
    accounts = admin_queries.accounts(active_only=True)
    rows = [(u, u.last_login_at is not None and u.last_login_at >= since) for u in accounts]

    def order(row):
        user, recent = row
        last = user.last_login_at.timestamp() if user.last_login_at else 0.0
        return (not recent, -last, user.name)

    rows.sort(key=order)
    forms = {user.id: _form(user.id) for user, _ in rows}
    if failed is not None:
        forms[failed_id] = failed
    return render_template(
        "admin/incident.html",
        rows=rows,
        forms=forms,
        failed=failed,
        hours=hours,
        role_labels=ROLE_LABELS,
    ), status


@bp.route("/incident")
def incident():
    return _render()


@bp.route("/incident/<int:user_id>/sparra", methods=["POST"])
def block_user(user_id: int):
    account = get_or_404(User, user_id)
    form = _form(user_id, submitted=True)
    if not form.validate():
        return _render(form, user_id, 422)
    run(
        lambda: admin_service.block_user(current_user, account, form.reason.data),
        f"Kontot för {account.name} är spärrat. Alla inloggningar är avslutade och "
        "kontot kan inte logga in igen förrän det aktiveras.",
    )
    return redirect(url_for("admin.incident"))
