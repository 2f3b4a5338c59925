"""Admin screen for organisation settings (/admin/installningar): the lex Sarah / lex
Maria step deadlines, the legal references shown to users and the attachment size limit.
Routes on the ``admin`` blueprint, so only admins reach them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from casetrack.domain import escalation as rules
from casetrack.domain.codes import LEGAL_LABELS
from casetrack.domain.escalation import default_settings
from casetrack.queries import settings as org_settings
from casetrack.services import settings as setting_service
from casetrack.web.admin.blueprint import bp
from casetrack.web.common.forms import SwedishForm
from casetrack.web.common.submit import form_status, save


def describe(key: str) -> str:
    """A Swedish name for a setting key, in the users' words."""
    if key in LEGAL_LABELS:
        return LEGAL_LABELS[key]
    if key == "attachment.max_bytes":
        return "Största bilaga (byte)"
    for track, deadlines in rules.DEFAULT_STEP_DEADLINES.items():
        for step, _start, _days in deadlines:
            if rules.deadline_setting_key(track, step) == key:
                return (
                    f"Frist i arbetsdagar: {rules.TRACK_LABELS[track]}, "
                    f"{rules.step_label(track, step)}"
                )
    return key


class SettingForm(SwedishForm):
    value = TextAreaField(
        "Värde",
        validators=[
            DataRequired("Ange ett värde."),
            Length(max=2000, message="Högst 2000 tecken."),
        ],
        render_kw={"rows": 3},
    )
    version = HiddenField()  # the setting's version when opened; 0 while only a default


@bp.route("/installningar")
def settings():
    values = org_settings.all_settings()
    defaults = default_settings()
    rows = [(key, describe(key), value, defaults[key]) for key, value in sorted(values.items())]
    return render_template("admin/settings.html", rows=rows)


@bp.route("/installningar/<key>", methods=["GET", "POST"])
def edit_setting(key: str):
    defaults = default_settings()
    if key not in defaults:
        abort(404)
    form = SettingForm(value=org_settings.get(key), version=org_settings.version(key))
    form.value.label.text = describe(key)
    saved = None
    if form.validate_on_submit():
        saved = save(
            form,
            lambda: setting_service.set_setting(current_user, key, form.value.data),
            version=org_settings.version(key),
            default_field="value",  # every refusal is about the value (the key is the URL's)
        )
        if saved:
            flash(f"Inställningen ”{describe(key)}” är sparad.", "success")
            return redirect(url_for("admin.settings"))
    return render_template(
        "admin/setting_edit.html", form=form, key=key, default=defaults[key]
    ), form_status(form, saved)
