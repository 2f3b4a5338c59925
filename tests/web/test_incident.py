"""Incident page (/admin/incident, K3-17, 109): block an account and end its sessions at
once; the reason is a category; an admin cannot block themselves or the last admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, User, utcnow
from casetrack.services import admin as admin_service
from tests.conftest import Auth, csrf_from

PAGE = "/admin/incident"


@pytest.fixture
def people(org, make):
    result = {
        "admin": make.user(
            [(Role.ADMIN, org["root"])], email="admin@test.example", name="Per Admin"
        ),
        "handler": make.user(
            [(Role.HANDLER, org["a"])], email="lena@test.example", name="Lena Berg"
        ),
        "manager": make.user(
            [(Role.MANAGER, org["a"])], email="chef@test.example", name="Maja Chef"
        ),
        "idle": make.user([(Role.STAFF, org["a"])], email="idle@test.example", name="Ivar Inaktiv"),
        "gone": make.user(
            [(Role.STAFF, org["a"])], email="gone@test.example", name="Greta Gammal", active=False
        ),
    }
    result["idle"].last_login_at = utcnow() - timedelta(days=3)
    db.session.commit()
    return result


@pytest.fixture
def admin_client(client, people):
    assert Auth(client).login("admin@test.example").status_code == 302
    return client


def _block(client, user, reason: str, **kw):
    token = csrf_from(client.get(PAGE).text)
    return client.post(
        f"{PAGE}/{user.id}/sparra", data={"csrf_token": token, f"u{user.id}-reason": reason}, **kw
    )


def test_the_page_lists_active_accounts_recent_logins_first(app, admin_client, people):
    handler_client = app.test_client()
    Auth(handler_client).login(people["handler"].email)
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    text = response.text[response.text.find("<tbody>") :]
    assert "Greta Gammal" not in text  # inactive already
    assert text.index("Lena Berg") < text.index("Ivar Inaktiv")
    handler_row = text[text.index("Lena Berg") :]
    assert "Ja, kan vara inloggad nu" in handler_row[: handler_row.index("</tr>")]
    idle_row = text[text.index("Ivar Inaktiv") :]
    assert "<td>Nej</td>" in idle_row[: idle_row.index("</tr>")]
    # No button on the admin's own row.
    assert f"{PAGE}/{people['admin'].id}/sparra" not in text


def test_a_blocked_users_session_cookie_is_refused_on_the_very_next_request(
    app, admin_client, people
):
    victim = app.test_client()
    Auth(victim).login(people["handler"].email)
    assert victim.get("/arenden/mina").status_code == 200
    response = _block(admin_client, people["handler"], "intrusion", follow_redirects=True)
    assert "Kontot för Lena Berg är spärrat." in response.text
    follow = victim.get("/arenden/mina")
    assert follow.status_code == 302
    assert "/logga-in" in follow.headers["Location"]
    db.session.expire_all()
    assert people["handler"].active is False
    # The password no longer logs in either.
    again = Auth(app.test_client()).login(people["handler"].email, follow=True)
    assert again.request.path == "/logga-in"
    assert "/arenden" not in again.headers.get("Location", "")


def test_blocking_is_audited_with_the_reason_category_only(admin_client, people):
    _block(admin_client, people["manager"], "lost_device")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.blocked")
    ).one()
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == (
        "user",
        people["manager"].id,
        people["admin"].id,
    )
    assert entry.before == {"active": True}
    assert entry.after == {"active": False, "reason": "lost_device"}


def test_a_reason_is_required_and_shown_at_the_field(admin_client, people):
    response = _block(admin_client, people["handler"], "")
    assert response.status_code == 422
    assert "Välj varför kontot spärras." in response.text
    field_id = f"u{people['handler'].id}-reason"
    assert f'href="#{field_id}"' in response.text
    assert f'id="{field_id}-error"' in response.text
    db.session.expire_all()
    assert people["handler"].active is True


def test_free_text_is_not_accepted_as_a_reason(admin_client, people):
    response = _block(admin_client, people["handler"], "Hon sa något konstigt i telefon")
    assert response.status_code == 422
    db.session.expire_all()
    assert people["handler"].active is True
    assert not db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.blocked")
    ).all()


def test_an_admin_cannot_block_themselves(admin_client, people):
    response = _block(admin_client, people["admin"], "other", follow_redirects=True)
    assert "Du kan inte spärra ditt eget konto." in response.text
    db.session.expire_all()
    assert people["admin"].active is True


def test_the_last_active_admin_cannot_be_blocked(people):
    with pytest.raises(DomainError) as error:
        admin_service.block_user(people["manager"], people["admin"], "intrusion")
    assert "minst en aktiv systemadministratör" in error.value.message
    assert people["admin"].active is True


def test_an_account_blocked_meanwhile_gets_a_clear_message(admin_client, people):
    page = admin_client.get(PAGE)
    people["handler"].active = False
    db.session.commit()
    response = admin_client.post(
        f"{PAGE}/{people['handler'].id}/sparra",
        data={"csrf_token": csrf_from(page.text), f"u{people['handler'].id}-reason": "other"},
        follow_redirects=True,
    )
    assert "Kontot för Lena Berg är redan spärrat eller inaktiverat." in response.text


def test_blocking_needs_a_csrf_token(admin_client, people):
    response = admin_client.post(
        f"{PAGE}/{people['handler'].id}/sparra", data={f"u{people['handler'].id}-reason": "other"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert people["handler"].active is True


@pytest.mark.parametrize("who", ["handler", "manager"])
def test_only_admins_reach_the_incident_page(client, people, who):
    Auth(client).login(people[who].email)
    assert client.get(PAGE).status_code == 404
    token = csrf_from(client.get("/", follow_redirects=True).text)
    response = client.post(
        f"{PAGE}/{people['idle'].id}/sparra",
        data={"csrf_token": token, f"u{people['idle'].id}-reason": "other"},
    )
    assert response.status_code == 404
    assert db.session.get(User, people["idle"].id).active is True


def test_the_admin_start_page_links_to_both_pages(admin_client):
    text = admin_client.get("/admin/").text
    assert 'href="/admin/incident"' in text
    assert 'href="/behorighetsgranskning/"' in text
