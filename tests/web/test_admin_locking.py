"""Two administrators edit the same thing at once: the second to save gets the stale
message at the form and overwrites nothing; the first one's change is saved and audited
(issue 16: optimistic locking on the admin forms, as on cases)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, Category, MessageTemplate, OrgSetting, OrgUnit
from tests.conftest import Auth, csrf_from

STALE = "Någon annan har ändrat det här sedan du öppnade sidan"


@pytest.fixture
def admins(app, org, make):
    make.user([(Role.ADMIN, org["root"])], email="admin1@test.example")
    make.user([(Role.ADMIN, org["root"])], email="admin2@test.example")
    db.session.commit()
    clients = []
    for email in ("admin1@test.example", "admin2@test.example"):
        client = app.test_client()
        Auth(client).login(email)
        clients.append(client)
    return clients


def _hidden(html: str) -> dict:
    fields = {"csrf_token": csrf_from(html)}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def _both_open_then_save(admins, url, first: dict, second: dict):
    one, two = admins
    one_fields, two_fields = _hidden(one.get(url).text), _hidden(two.get(url).text)
    assert "version" in one_fields, "the form carries the version it was opened at"
    assert one.post(url, data={**one_fields, **first}).status_code == 302
    return two.post(url, data={**two_fields, **second})


def _audited(action: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_a_unit_saved_by_someone_else_meanwhile_is_not_overwritten(admins, org):
    url = f"/admin/organisation/{org['b'].id}"
    parent = str(org["dept"].id)
    response = _both_open_then_save(
        admins, url,
        {"name": "Enhet Björken", "parent_id": parent, "reference_prefix": "", "active": "y"},
        {"name": "Enhet Tallen", "parent_id": parent, "reference_prefix": "", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 409
    assert STALE in response.text
    db.session.expire_all()
    assert db.session.get(OrgUnit, org["b"].id).name == "Enhet Björken"
    assert _audited("unit.updated") == 1


def test_reference_data_saved_by_someone_else_meanwhile_is_not_overwritten(admins, org):
    url = "/admin/referensdata/category/bemotande"
    response = _both_open_then_save(
        admins, url,
        {"label": "Bemötande och kontakt", "sort_order": "3", "active": "y"},
        {"label": "Personalens bemötande", "sort_order": "3", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 409
    assert STALE in response.text
    db.session.expire_all()
    assert db.session.get(Category, "bemotande").label == "Bemötande och kontakt"
    assert _audited("reference.category.updated") == 1


def test_a_setting_saved_by_someone_else_meanwhile_is_not_overwritten(admins, org):
    url = "/admin/installningar/legal.lex_sarah"
    response = _both_open_then_save(
        admins, url, {"value": "14 kap. 3 § SoL (ny lydelse)"}, {"value": "14 kap. SoL"}
    )
    assert response.status_code == 409
    assert STALE in response.text
    db.session.expire_all()
    assert db.session.get(OrgSetting, "legal.lex_sarah").value == "14 kap. 3 § SoL (ny lydelse)"
    assert _audited("setting.changed") == 1

    # And again, now that the setting is stored (not only its default).
    response = _both_open_then_save(admins, url, {"value": "Tredje"}, {"value": "Fjärde"})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(OrgSetting, "legal.lex_sarah").value == "Tredje"


def test_a_message_template_saved_by_someone_else_meanwhile_is_not_overwritten(admins, org):
    url = "/admin/meddelanden/acknowledgement"
    response = _both_open_then_save(
        admins, url,
        {"subject": "Vi har tagit emot ditt ärende", "body": "Hej! Tack för att du hörde av dig."},
        {"subject": "Tack för ditt ärende", "body": "Hej, tack."},
    )  # fmt: skip
    assert response.status_code == 409
    assert STALE in response.text
    db.session.expire_all()
    assert db.session.get(MessageTemplate, "acknowledgement").subject == (
        "Vi har tagit emot ditt ärende"
    )
    assert _audited("message_template.updated") == 1


@pytest.mark.parametrize("version", [None, "", "x", "²", "-1", " 1"])
def test_an_admin_form_without_a_readable_version_is_refused_as_stale(admins, org, version):
    one, _ = admins
    url = "/admin/referensdata/category/bemotande"
    fields = _hidden(one.get(url).text)
    if version is None:
        del fields["version"]
    else:
        fields["version"] = version
    response = one.post(url, data={**fields, "label": "Ny", "sort_order": "3", "active": "y"})
    assert response.status_code == 409
    assert STALE in response.text
    db.session.expire_all()
    assert db.session.get(Category, "bemotande").label != "Ny"
