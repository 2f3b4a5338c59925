"""Administrators edit the organisation settings: lex step deadlines and legal references."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry
from casetrack.queries.escalation import step_deadlines
from tests.builders import case_with_lex_sarah


def _admin(make, org, auth):
    make.user([(Role.ADMIN, org["root"])], email="admin@test.example")
    db.session.commit()
    assert auth.login("admin@test.example").status_code == 302


def test_an_admin_changes_a_deadline_and_the_case_page_follows(client, auth, org, make):
    _admin(make, org, auth)
    page = client.get("/admin/installningar")
    assert page.status_code == 200
    assert "Frist i arbetsdagar: Lex Sarah" in page.text
    key = "deadline.lex_sarah.utredning_paborjad"
    response = auth.post(f"/admin/installningar/{key}", {"value": "5"})
    assert response.status_code == 302
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "setting.changed")
    ).one()
    assert entry.before == {"key": key, "value": "2"} and entry.after == {"key": key, "value": "5"}
    # The changed deadline is what the case page shows.
    handler = make.user([(Role.HANDLER, org["a"])])
    case, _ = case_with_lex_sarah(
        make, org["a"], handler, "Amina", kind_code="deviation", received_on=date(2026, 3, 2)
    )
    db.session.commit()
    dues = {d.label: d.due for d in step_deadlines(case, date(2026, 3, 20))}
    assert dues["Lex Sarah: Utredning påbörjad"] == date(2026, 3, 9)  # 5 working days


def test_bad_values_get_a_swedish_message_and_nothing_is_saved(client, auth, org, make):
    _admin(make, org, auth)
    response = auth.post("/admin/installningar/deadline.lex_sarah.dokumenterad", {"value": "snart"})
    assert response.status_code == 422
    assert "Ange ett heltal mellan 0 och 260." in response.text
    response = auth.post("/admin/installningar/legal.lex_sarah", {"value": ""})
    assert response.status_code == 422 and "Ange ett värde." in response.text
    assert client.get("/admin/installningar/finns.inte").status_code == 404
    assert db.session.scalar(sa.text("SELECT count(*) FROM org_setting")) == 0


def test_legal_references_are_editable_text(client, auth, org, make):
    _admin(make, org, auth)
    text = "Lex Sarah: 27 kap. socialtjänstlagen (2025:400) och 24 a–g §§ LSS"
    assert auth.post("/admin/installningar/legal.lex_sarah", {"value": text}).status_code == 302
    assert text in client.get("/admin/installningar").text


def test_deadlines_and_the_attachment_limit_have_sensible_bounds(client, auth, org, make):
    """Found by the fresh-eyes check: a lex deadline of 3,000,000 working days was saved and
    then every handler's page answered 500 (the date overflowed)."""
    _admin(make, org, auth)
    key = "deadline.lex_sarah.dokumenterad"
    for value in ("3000000", "365000", "-3", "261"):
        response = auth.post(f"/admin/installningar/{key}", {"value": value})
        assert response.status_code == 422, value
        assert "Ange ett heltal mellan 0 och 260" in response.text
    assert auth.post(f"/admin/installningar/{key}", {"value": "260"}).status_code == 302
    for value in ("0", "20000000"):
        response = auth.post("/admin/installningar/attachment.max_bytes", {"value": value})
        assert response.status_code == 422, value
        assert "Ange ett heltal mellan 1024 och 10485760" in response.text


def test_a_stored_deadline_out_of_bounds_falls_back_to_its_default(client, auth, org, make):
    """A value stored before the bounds (or straight into the table) cannot take pages down."""
    from casetrack.models import OrgSetting

    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example")
    case, _ = case_with_lex_sarah(
        make, org["a"], handler, "Amina", kind_code="deviation", received_on=date(2026, 3, 2)
    )
    db.session.add(OrgSetting(key="deadline.lex_sarah.dokumenterad", value="3000000"))
    db.session.commit()
    assert auth.login("h@test.example").status_code == 302
    assert client.get("/arenden/mina").status_code == 200
    assert client.get(f"/arenden/{case.id}").status_code == 200
    dues = {d.label: d.due for d in step_deadlines(case, date(2026, 3, 20))}
    assert dues["Lex Sarah: Rapporten dokumenterad"] == date(2026, 3, 3)  # the default, 1 day
