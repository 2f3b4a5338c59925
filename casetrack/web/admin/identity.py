"""Admin screen for the organisation's login (/admin/inloggning, issue 18): the identity
providers configured for this installation (read-only: they live in the providers file)
and the mapping from provider groups to casetrack roles, which the administrator edits
here (audited). Routes on the ``admin`` blueprint, so only admins reach them."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from casetrack.domain.roles import ROLE_LABELS, Role
from casetrack.models import GroupRoleMapping
from casetrack.queries import admin as admin_queries
from casetrack.services import identity
from casetrack.web.admin.blueprint import bp, get_or_404
from casetrack.web.admin.views import _active_units_in_tree_order, _question
from casetrack.web.auth import sso
from casetrack.web.auth.forms import PostForm
from casetrack.web.common.forms import SwedishForm
from casetrack.web.common.submit import form_status, run, save

ANY_SOURCE = ""


class MappingForm(SwedishForm):
    provider = SelectField("Källa", validate_choice=True)
    group_ref = StringField(
        "Grupp",
        validators=[
            InputRequired("Ange gruppens id eller namn som den kommer från IdP:n."),
            Length(max=255, message="Gruppens id får ha högst 255 tecken."),
        ],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    label = StringField(
        "Beskrivning (valfri)",
        validators=[Length(max=200, message="Beskrivningen får ha högst 200 tecken.")],
    )
    role = SelectField(
        "Roll",
        choices=[(role.value, label) for role, label in ROLE_LABELS.items() if role != Role.ADMIN],
        validators=[InputRequired("Välj en roll.")],
    )
    org_unit_id = SelectField(
        "Enhet", coerce=int, validators=[InputRequired("Välj vilken enhet rollen gäller.")]
    )


def _source_choices() -> list[tuple[str, str]]:
    choices = [(ANY_SOURCE, "Alla källor (gruppen har samma id överallt)")]
    choices += [(p.key, f"{p.name} ({p.protocol.upper()})") for p in sso.providers()]
    choices.append((identity.SCIM_SOURCE, "Katalogen (SCIM)"))
    return choices


def _form(**kwargs) -> MappingForm:
    form = MappingForm(**kwargs)
    form.provider.choices = _source_choices()
    form.org_unit_id.choices = _active_units_in_tree_order()
    return form


def _render(form: MappingForm, status: int = 200):
    settings = current_app.config["CASETRACK"]
    return render_template(
        "admin/identity.html",
        providers=sso.providers(),
        local_login=settings["LOCAL_LOGIN"],
        mappings=admin_queries.group_mappings(),
        form=form,
        role_labels=ROLE_LABELS,
    ), status


@bp.route("/inloggning")
def identity_page():
    return _render(_form())


@bp.route("/inloggning/grupper", methods=["POST"])
def add_group_mapping():
    form = _form()
    saved = None
    if form.validate_on_submit():
        saved = save(
            form,
            lambda: identity.add_mapping(
                current_user,
                provider=form.provider.data or None,
                group_ref=form.group_ref.data,
                label=form.label.data or "",
                role=Role(form.role.data),
                unit_id=form.org_unit_id.data,
            ),
        )
        if saved:
            flash(
                "Kopplingen är sparad. Den gäller från varje persons nästa inloggning "
                "(eller direkt när katalogen skickar gruppen via SCIM).",
                "success",
            )
            return redirect(url_for("admin.identity_page"))
    return _render(form, form_status(form, saved))


def _mapping_title(mapping: GroupRoleMapping) -> str:
    return (
        f"gruppen {mapping.label or mapping.group_ref} → {ROLE_LABELS[Role(mapping.role)]} "
        f"på {mapping.org_unit.name}"
    )


@bp.route("/inloggning/grupper/<int:mapping_id>/ta-bort")
def confirm_remove_group_mapping(mapping_id: int):
    mapping = get_or_404(GroupRoleMapping, mapping_id)
    page_url = url_for("admin.identity_page")
    return _question(
        f"Ta bort kopplingen för {_mapping_title(mapping)}?",
        [
            "Medlemmarna i gruppen förlorar rollen vid sin nästa inloggning (eller när "
            "katalogen nästa gång skickar deras grupper). Då avslutas också deras andra "
            "inloggningar.",
            "Roller som har getts för hand påverkas inte.",
        ],
        url_for("admin.remove_group_mapping", mapping_id=mapping.id),
        "Ta bort kopplingen",
        cancel="Avbryt, behåll kopplingen",
        breadcrumbs=[("Administration", url_for("admin.index")), ("Inloggning", page_url)],
        cancel_href=page_url,
    )


@bp.route("/inloggning/grupper/<int:mapping_id>/ta-bort", methods=["POST"])
def remove_group_mapping(mapping_id: int):
    mapping = get_or_404(GroupRoleMapping, mapping_id)
    if PostForm().validate_on_submit():
        run(lambda: identity.remove_mapping(current_user, mapping), "Kopplingen är borttagen.")
    return redirect(url_for("admin.identity_page"))
