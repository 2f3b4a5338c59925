"""Admin screens for e-mail: message templates (/admin/meddelanden) and the outbox
(/admin/utkorg). Routes on the ``admin`` blueprint, so only admins reach them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from casetrack.domain.errors import DomainError
from casetrack.domain.messages import PLACEHOLDERS
from casetrack.extensions import db
from casetrack.models import MessageTemplate
from casetrack.queries import outbox as outbox_queries
from casetrack.services import messages as message_service
from casetrack.services import outbox as outbox_service
from casetrack.web.admin.views import bp, save_versioned
from casetrack.web.auth.forms import PostForm
from casetrack.web.cases.forms import SwedishForm


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
    templates = db.session.scalars(sa.select(MessageTemplate).order_by(MessageTemplate.name)).all()
    return render_template("admin/message_templates.html", templates=templates)


@bp.route("/meddelanden/<code>", methods=["GET", "POST"])
def edit_message_template(code: str):
    template = db.session.get(MessageTemplate, code)
    if template is None:
        abort(404)
    form = TemplateForm(obj=template)
    status = 200
    if form.validate_on_submit():
        status = save_versioned(
            form,
            template.version,
            lambda: message_service.update_template(
                current_user, code, subject=form.subject.data, body=form.body.data
            ),
        )
        if status is None:
            db.session.commit()
            flash(f"Meddelandet ”{template.name}” är sparat.", "success")
            return redirect(url_for("admin.message_templates"))
    elif form.errors:
        status = 422
    return render_template(
        "admin/message_template_edit.html",
        template=template,
        form=form,
        placeholders=PLACEHOLDERS,
    ), status


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
    try:
        outbox_service.retry(current_user, message_id)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Meddelandet skickas igen vid nästa utskick.", "success")
    return redirect(url_for("admin.outbox"))
