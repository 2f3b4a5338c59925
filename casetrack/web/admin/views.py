"""Admin screens: accounts, roles, org tree, reference data (blueprint ``admin``).

Only systemadministratörer reach these pages; everyone else gets 404, as for any page
they may not see. None of these pages shows case content (SECURITY.md K3-22).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casetrack.access import org_tree
from casetrack.domain.codes import UNIT_LEVEL_LABELS
from casetrack.domain.errors import DomainError
from casetrack.domain.roles import ROLE_LABELS, Role
from casetrack.extensions import db
from casetrack.models import OrgUnit, RoleAssignment, User
from casetrack.queries import admin as admin_queries
from casetrack.services import account_links, security_keys
from casetrack.services import admin as admin_service
from casetrack.services import users as users_service
from casetrack.web.admin.blueprint import bp, get_or_404
from casetrack.web.admin.forms import EditUnitForm, NewUnitForm, ReferenceForm, RoleForm, UserForm
from casetrack.web.auth.forms import PostForm
from casetrack.web.common.submit import form_status, run, save

REFERENCE_TITLES = {
    "kind": "Ärendetyper",
    "source": "Från vem",
    "channel": "Kanaler",
    "category": "Kategorier",
    "status": "Statusar",
    "event_type": "Händelsetyper för avvikelser",
}


def _active_units_in_tree_order() -> list[tuple[str, str]]:
    """The units a role can be given on, indented under their parents (the cached tree)."""
    tree = org_tree.current()
    return list(tree.tree_choices(frozenset(u.id for u in tree.units.values() if u.active)))


@bp.route("/")
def index():
    return render_template("admin/index.html", titles=REFERENCE_TITLES)


# --- accounts ----------------------------------------------------------------------------


@bp.route("/anvandare")
def users():
    return render_template(
        "admin/users.html", users=admin_queries.accounts(), role_labels=ROLE_LABELS
    )


@bp.route("/anvandare/ny", methods=["GET", "POST"])
def new_user():
    form = UserForm()
    saved = None
    if form.validate_on_submit():
        saved = save(
            form,
            lambda: admin_service.create_account(
                current_user, email=form.email.data, name=form.name.data
            ),
        )
        if saved:
            user = saved.value
            flash(
                f"Kontot för {user.name} är skapat. {user.name} får ett e-postmeddelande med "
                f"en länk för att välja sitt lösenord (giltig i "
                f"{account_links.NEW_ACCOUNT_HOURS} timmar). Ge kontot en roll nedan.",
                "success",
            )
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_new.html", form=form), form_status(form, saved)


def _render_user(user: User, role_form: RoleForm | None = None, status: int = 200):
    role_form = role_form or RoleForm()
    role_form.org_unit_id.choices = _active_units_in_tree_order()
    return render_template(
        "admin/user.html",
        user=user,
        role_form=role_form,
        button_form=PostForm(),
        role_labels=ROLE_LABELS,
        security_key_count=len(security_keys.keys_of(user)),
        has_password=users_service.has_password(user),
        has_second_factor=account_links.has_second_factor(user),
        pending_reset=account_links.pending_mfa_reset(user),
        identities=admin_queries.linked_identities(user.id),
    ), status


@bp.route("/anvandare/<int:user_id>")
def user(user_id: int):
    return _render_user(get_or_404(User, user_id))


@bp.route("/anvandare/<int:user_id>/roller", methods=["POST"])
def add_role(user_id: int):
    account = get_or_404(User, user_id)
    form = RoleForm()
    form.org_unit_id.choices = _active_units_in_tree_order()
    if form.validate_on_submit() and save(
        form,
        lambda: admin_service.add_role(
            current_user, account, Role(form.role.data), form.org_unit_id.data
        ),
    ):
        flash("Rollen är tillagd.", "success")
        return redirect(url_for("admin.user", user_id=account.id))
    return _render_user(account, form, 422)


def _assignment_of(user_id: int, assignment_id: int) -> tuple[User, RoleAssignment]:
    account = get_or_404(User, user_id)
    assignment = get_or_404(RoleAssignment, assignment_id)
    if assignment.user_id != account.id:
        abort(404)
    return account, assignment


def _question(question: str, paragraphs: list[str], action: str, button: str, **page):
    """A question page before an action that is hard to undo or ends someone's sessions:
    asking changes nothing; the button posts the action (with CSRF)."""
    return render_template(
        "admin/confirm.html", question=question, paragraphs=paragraphs, action=action,
        button=button, button_form=PostForm(), **page,
    )  # fmt: skip


def _user_crumbs(account: User) -> dict:
    user_url = url_for("admin.user", user_id=account.id)
    return {
        "breadcrumbs": [("Användare", url_for("admin.users")), (account.name, user_url)],
        "cancel_href": user_url,
    }


@bp.route("/anvandare/<int:user_id>/roller/<int:assignment_id>/ta-bort")
def confirm_remove_role(user_id: int, assignment_id: int):
    """Ask before removing a role: the person is logged out at once (a misclick would
    end a care worker's session mid-shift)."""
    account, assignment = _assignment_of(user_id, assignment_id)
    role, unit = ROLE_LABELS[Role(assignment.role)], assignment.org_unit.name
    only = len(account.role_assignments) == 1
    paragraphs = [
        f"{account.name} förlorar rollen ”{role}” på {unit} och alla enheter under den.",
        f"Alla inloggningar för {account.name} avslutas direkt. Nästa gång gäller bara "
        "de roller som finns kvar.",
    ]
    if assignment.source == "group":
        paragraphs.append(
            f"Rollen kommer från gruppen {assignment.source_group}. Så länge personen är med "
            "i gruppen får hen tillbaka rollen vid nästa inloggning: ta bort personen ur "
            "gruppen i organisationens katalog, eller ta bort kopplingen under Inloggning "
            "och grupper."
        )
    return _question(
        f"Ta bort rollen ”{role}” på {unit}?",
        paragraphs,
        url_for("admin.remove_role", user_id=account.id, assignment_id=assignment.id),
        "Ta bort rollen",
        warning=(
            f"Det här är kontots enda roll. Utan roll kan {account.name} inte se något i casetrack."
        )
        if only
        else None,
        cancel="Avbryt, behåll rollen",
        **_user_crumbs(account),
    )


@bp.route("/anvandare/<int:user_id>/roller/<int:assignment_id>/ta-bort", methods=["POST"])
def remove_role(user_id: int, assignment_id: int):
    account, assignment = _assignment_of(user_id, assignment_id)
    return _post_action(
        account,
        lambda: admin_service.remove_role(current_user, assignment),
        "Rollen är borttagen. Personen loggas ut och får den nya behörigheten direkt.",
    )


@bp.route("/anvandare/<int:user_id>/inaktivera")
def confirm_deactivate_user(user_id: int):
    """Ask before deactivating: every session of the account ends at once."""
    account = get_or_404(User, user_id)
    return _question(
        f"Inaktivera kontot för {account.name}?",
        [
            f"{account.name} loggas ut direkt och kan inte logga in igen förrän kontot "
            "aktiveras. Rollerna finns kvar och gäller igen om kontot aktiveras.",
            "Ärenden och historik påverkas inte.",
        ],
        url_for("admin.deactivate_user", user_id=account.id),
        "Inaktivera kontot",
        cancel="Avbryt, behåll kontot aktivt",
        **_user_crumbs(account),
    )


@bp.route("/anvandare/<int:user_id>/inaktivera", methods=["POST"])
def deactivate_user(user_id: int):
    account = get_or_404(User, user_id)
    return _post_action(
        account,
        lambda: admin_service.set_active(current_user, account, False),
        "Kontot är inaktiverat och alla dess inloggningar är avslutade.",
    )


@bp.route("/anvandare/<int:user_id>/aktivera", methods=["POST"])
def activate_user(user_id: int):
    account = get_or_404(User, user_id)
    return _post_action(
        account,
        lambda: admin_service.set_active(current_user, account, True),
        "Kontot är aktiverat.",
    )


@bp.route("/anvandare/<int:user_id>/losenordslank", methods=["POST"])
def send_password_link(user_id: int):
    """ "Skicka länk för nytt lösenord": the link goes only to the person's e-mail."""
    account = get_or_404(User, user_id)
    still = (
        " Det nuvarande lösenordet fungerar tills personen har valt ett nytt."
        if users_service.has_password(account)
        else " Personen har inget lösenord ännu och kan logga in när hen har valt ett."
    )
    return _post_action(
        account,
        lambda: admin_service.send_password_link(current_user, account),
        f"En länk för nytt lösenord är skickad till {account.name} (giltig i "
        f"{account_links.RESET_HOURS} timmar).{still}",
    )


@bp.route("/anvandare/<int:user_id>/tvastegsverifiering", methods=["POST"])
def reset_second_factor(user_id: int):
    """Ask for a second-factor reset: the person confirms, or another admin approves."""
    account = get_or_404(User, user_id)
    return _post_action(
        account,
        lambda: admin_service.request_second_factor_reset(current_user, account),
        f"Återställningen är begärd. Inget ändras förrän {account.name} bekräftar med länken "
        "i e-posten, eller en annan systemadministratör godkänner den här på kontots sida.",
    )


@bp.route("/anvandare/<int:user_id>/tvastegsverifiering/godkann", methods=["POST"])
def approve_second_factor_reset(user_id: int):
    """Four eyes: a second administrator approves someone else's reset request."""
    account = get_or_404(User, user_id)
    if not PostForm().validate_on_submit():
        abort(400)
    try:
        admin_service.approve_second_factor_reset(current_user, account)
    except account_links.SelfApproval as error:
        db.session.rollback()
        account_links.record_self_approval_refused(current_user, account)
        db.session.commit()
        flash(error.message, "error")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            f"Tvåstegsverifieringen är återställd. {account.name} har fått e-post om det och "
            "aktiverar den på nytt vid nästa inloggning.",
            "success",
        )
    return redirect(url_for("admin.user", user_id=account.id))


def _post_action(account: User, action, message: str):
    """A button on the account page: CSRF check, one service call, commit, flash."""
    if not PostForm().validate_on_submit():
        abort(400)
    run(action, message)
    return redirect(url_for("admin.user", user_id=account.id))


# --- org tree ----------------------------------------------------------------------------


def _tree() -> list[tuple[int, OrgUnit]]:
    """(depth, unit) pairs in tree order, for an indented list."""
    units = admin_queries.units()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[int, OrgUnit]] = []

    def walk(parent_id, depth):
        for unit in children.get(parent_id, []):
            ordered.append((depth, unit))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def _parent_choices(exclude: OrgUnit | None = None):
    choices = [("", "Ingen (högsta nivån)")]
    for depth, unit in _tree():
        if exclude is None or unit.id != exclude.id:
            choices.append((unit.id, "– " * depth + unit.name))
    return choices


@bp.route("/organisation")
def units():
    return render_template(
        "admin/units.html", tree=_tree(), levels=UNIT_LEVEL_LABELS, button_form=PostForm()
    )


@bp.route("/organisation/ny", methods=["GET", "POST"])
def new_unit():
    form = NewUnitForm()
    form.parent_id.choices = _parent_choices()
    if request.method == "GET":
        # A new unit usually goes inside the organisation: under the förvaltning when
        # there is one, as an enhet. A second top level is a deliberate choice.
        roots = [unit for unit in org_tree.current().units.values() if unit.parent_id is None]
        if len(roots) == 1:
            form.parent_id.data = roots[0].id
        form.level.data = "enhet"
    saved = None
    if form.validate_on_submit():
        saved = save(form, lambda: admin_service.create_unit(
            current_user, code=form.code.data, name=form.name.data, level=form.level.data,
            parent_id=form.parent_id.data, reference_prefix=form.reference_prefix.data,
        ))  # fmt: skip
        if saved:
            flash(f"Enheten {saved.value.name} är skapad.", "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=None), form_status(form, saved)


@bp.route("/organisation/<int:unit_id>", methods=["GET", "POST"])
def edit_unit(unit_id: int):
    unit = get_or_404(OrgUnit, unit_id)
    form = EditUnitForm(obj=unit)
    form.parent_id.choices = _parent_choices(exclude=unit)
    saved = None
    if form.validate_on_submit():
        saved = save(form, lambda: admin_service.update_unit(
            current_user, unit, name=form.name.data, parent_id=form.parent_id.data,
            reference_prefix=form.reference_prefix.data, active=form.active.data,
        ), version=unit.version)  # fmt: skip
        if saved:
            flash("Ändringarna är sparade.", "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit), form_status(form, saved)


@bp.route("/organisation/<int:unit_id>/ta-bort")
def confirm_delete_unit(unit_id: int):
    """Ask before deleting a unit (only an empty unit can be deleted; the service says
    so at the button)."""
    unit = get_or_404(OrgUnit, unit_id)
    units_url = url_for("admin.units")
    return _question(
        f"Ta bort enheten {unit.name}?",
        [
            "Enheten tas bort för gott. Det går bara för en enhet utan ärenden, "
            "underenheter och roller; en enhet som har använts inaktiveras i stället "
            "(på enhetens sida), så att dess ärenden och historik finns kvar.",
        ],
        url_for("admin.delete_unit", unit_id=unit.id),
        "Ta bort enheten",
        cancel="Avbryt, behåll enheten",
        breadcrumbs=[("Organisation", units_url)],
        cancel_href=units_url,
    )


@bp.route("/organisation/<int:unit_id>/ta-bort", methods=["POST"])
def delete_unit(unit_id: int):
    unit = get_or_404(OrgUnit, unit_id)
    if not PostForm().validate_on_submit():
        abort(400)
    run(lambda: admin_service.delete_unit(current_user, unit), f"Enheten {unit.name} är borttagen.")
    return redirect(url_for("admin.units"))


# --- reference data ----------------------------------------------------------------------


@bp.route("/referensdata")
def reference_data():
    tables = {
        name: admin_queries.reference_rows(model)
        for name, model in admin_service.REFERENCE_TABLES.items()
    }
    return render_template("admin/reference.html", tables=tables, titles=REFERENCE_TITLES)


@bp.route("/referensdata/<table>/<code>", methods=["GET", "POST"])
def edit_reference(table: str, code: str):
    if table not in admin_service.REFERENCE_TABLES:
        abort(404)
    row = get_or_404(admin_service.REFERENCE_TABLES[table], code)
    form = ReferenceForm(obj=row)
    if table != "kind":
        del form.retention_years
    if table != "event_type":
        del form.description, form.example
    saved = None
    if form.validate_on_submit():
        saved = save(form, lambda: admin_service.update_reference(
            current_user, table, code, label=form.label.data, active=form.active.data,
            sort_order=form.sort_order.data,
            retention_years=form.retention_years.data if table == "kind" else None,
            description=form.description.data if table == "event_type" else None,
            example=form.example.data if table == "event_type" else None,
        ), version=row.version)  # fmt: skip
        if saved:
            flash("Ändringen är sparad.", "success")
            return redirect(url_for("admin.reference_data"))
    return render_template(
        "admin/reference_edit.html", form=form, row=row, title=REFERENCE_TITLES[table]
    ), form_status(form, saved)
