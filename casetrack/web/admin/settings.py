"""Admin screen for organisation settings (/admin/installningar): the lex Sarah / lex
Maria step deadlines, the legal references shown to users and the attachment size limit.
Routes on the ``admin`` blueprint, so only admins reach them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from casetrack.domain import action_plans as plan_rules
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
    if key == org_settings.ORGANISATION_NAME:
        return "Organisationens namn på de öppna sidorna (e-tjänsten)"
    if key == rules.ANALYSIS_THRESHOLD_KEY:
        return "Avvikelser: riskvärde (1–16) från vilket en händelseanalys krävs"
    if key == rules.FALL_WINDOW_KEY:
        return (
            "Avvikelser: dagar inom vilka ett tredje fall för samma brukare ger fallriskbedömning"
        )
    if key == plan_rules.APPROVAL_ROLE_KEY:
        return (
            "Avvikelser: roll som godkänner åtgärdsplaner "
            "(manager = enhetschef, handler = biträdande enhetschef, none = inget godkännande)"
        )
    for track, deadlines in rules.DEFAULT_STEP_DEADLINES.items():
        for step, _start, _days in deadlines:
            if rules.deadline_setting_key(track, step) == key:
                return (
                    f"Frist i arbetsdagar: {rules.TRACK_LABELS[track]}, "
                    f"{rules.step_label(track, step)}"
                )
    return key


TOP_UNIT_NAME = "den översta enhetens namn"


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
    # The organisation's name defaults to the top unit's name: show the name in use.
    values[org_settings.ORGANISATION_NAME] = org_settings.organisation_name()
    defaults[org_settings.ORGANISATION_NAME] = TOP_UNIT_NAME
    rows = [(key, describe(key), value, defaults[key]) for key, value in sorted(values.items())]
    return render_template("admin/settings.html", rows=rows)


@bp.route("/installningar/<key>", methods=["GET", "POST"])
def edit_setting(key: str):
    defaults = default_settings()
    if key not in defaults:
        abort(404)
    current = (
        org_settings.organisation_name()
        if key == org_settings.ORGANISATION_NAME
        else org_settings.get(key)
    )
    form = SettingForm(value=current, version=org_settings.version(key))
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
    default = TOP_UNIT_NAME if key == org_settings.ORGANISATION_NAME else defaults[key]
    return render_template(
        "admin/setting_edit.html", form=form, key=key, default=default
    ), form_status(form, saved)
