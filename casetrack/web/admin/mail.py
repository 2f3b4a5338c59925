"""Admin screens for e-mail: message templates (/admin/meddelanden) and the outbox
(/admin/utkorg). Routes on the ``admin`` blueprint, so only admins reach them."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from casetrack.domain.messages import PLACEHOLDERS
from casetrack.models import MessageTemplate
from casetrack.queries import admin as admin_queries
from casetrack.queries import outbox as outbox_queries
from casetrack.services import messages as message_service
from casetrack.services import outbox as outbox_service
from casetrack.web.admin.blueprint import bp, get_or_404
from casetrack.web.auth.forms import PostForm
from casetrack.web.common.forms import SwedishForm
from casetrack.web.common.submit import form_status, run, save


class TemplateForm(SwedishForm):
    subject = StringField(
        "Ämnesrad",
        validators=[
            DataRequired("Skriv en ämnesrad."),
            Length(max=200, message="Högst 200 tecken."),
        ],
    )
    body = TextAreaField(
        "Text",
        validators=[DataRequired("Skriv en text."), Length(max=5000, message="Högst 5000 tecken.")],
        render_kw={"rows": 12},
    )
    version = HiddenField()  # the template's version when the form was opened


@bp.route("/meddelanden")
def message_templates():
    templates = admin_queries.message_templates()
    return render_template("admin/message_templates.html", templates=templates)


@bp.route("/meddelanden/<code>", methods=["GET", "POST"])
def edit_message_template(code: str):
    template = get_or_404(MessageTemplate, code)
    form = TemplateForm(obj=template)
    saved = None
    if form.validate_on_submit():
        saved = save(
            form,
            lambda: message_service.update_template(
                current_user, code, subject=form.subject.data, body=form.body.data
            ),
            version=template.version,
        )
        if saved:
            flash(f"Meddelandet ”{template.name}” är sparat.", "success")
            return redirect(url_for("admin.message_templates"))
    return render_template(
        "admin/message_template_edit.html",
        template=template,
        form=form,
        placeholders=PLACEHOLDERS,
    ), form_status(form, saved)


@bp.route("/utkorg")
def outbox():
    return render_template(
        "admin/outbox.html",
        messages=outbox_queries.waiting_and_failed(),
        smtp_configured=bool(current_app.config["CASETRACK"].get("SMTP_HOST")),
        form=PostForm(),
    )


@bp.route("/utkorg/<int:message_id>/forsok-igen", methods=["POST"])
def retry_message(message_id: int):
    form = PostForm()
    if not form.validate_on_submit():
        abort(400)
    run(
        lambda: outbox_service.retry(current_user, message_id),
        "Meddelandet skickas igen vid nästa utskick.",
    )
    return redirect(url_for("admin.outbox"))
