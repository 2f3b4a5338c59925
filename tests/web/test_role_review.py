"""Behörighetsgranskning through HTTP (K3-18): who sees which assignments, recording a
review, removing a role (the person's sessions end), many at once, and an assignment
removed by someone else meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, RoleAssignment, utcnow
from tests.conftest import Auth, csrf_from

PAGE = "/behorighetsgranskning/"


def _given(user, days_ago: int) -> RoleAssignment:
    assignment = user.role_assignments[0]
    assignment.created_at = utcnow() - timedelta(days=days_ago)
    return assignment


@pytest.fixture
def people(org, make):
    result = {
        "admin": make.user(
            [(Role.ADMIN, org["root"])], email="admin@test.example", name="Per Admin"
        ),
        "manager": make.user(
            [(Role.MANAGER, org["a"])], email="chef@test.example", name="Maja Chef"
        ),
        "staff": make.user([(Role.STAFF, org["a1"])], email="sven@test.example", name="Sven Staff"),
        "handler": make.user(
            [(Role.HANDLER, org["a"])], email="hanna@test.example", name="Hanna Handläggare"
        ),
        "staff_b": make.user(
            [(Role.STAFF, org["b"])], email="bo@test.example", name="Bo Annanenhet"
        ),
        "quality": make.user(
            [(Role.QUALITY, org["a"])], email="kim@test.example", name="Kim Kvalitet"
        ),
    }
    _given(result["staff"], 100)  # quarterly: overdue
    _given(result["handler"], 10)  # not due for months
    _given(result["quality"], 40)  # monthly: overdue
    db.session.commit()
    return result


def login(client, user) -> Auth:
    auth = Auth(client)
    assert auth.login(user.email).status_code == 302
    return auth


def _rows(html: str) -> str:
    return html[html.find("<tbody>") :]


def test_a_manager_reviews_staff_and_handlers_in_their_units_only(client, people):
    login(client, people["manager"])
    response = client.get(PAGE)
    assert response.status_code == 200
    rows = _rows(response.text)
    assert "Sven Staff" in rows and "Hanna Handläggare" in rows
    # Another unit, a privileged role and the manager's own role are not theirs to review.
    assert "Bo Annanenhet" not in rows
    assert "Kim Kvalitet" not in rows
    assert "Maja Chef" not in rows
    # Overdue is said in words, and comes first.
    assert "Försenad" in rows
    assert rows.index("Sven Staff") < rows.index("Hanna Handläggare")


def test_the_admin_sees_every_assignment_including_the_privileged(client, people):
    login(client, people["admin"])
    rows = _rows(client.get(PAGE).text)
    for name in ("Sven Staff", "Hanna Handläggare", "Bo Annanenhet", "Kim Kvalitet", "Maja Chef"):
        assert name in rows
    assert "(utökade rättigheter)" in rows
    # Their own admin role is listed without buttons.
    own = people["admin"].role_assignments[0].id
    assert "Din egen behörighet" in rows
    assert f"/behorighetsgranskning/{own}/granskad" not in rows


@pytest.mark.parametrize("who", ["staff", "handler", "quality"])
def test_others_do_not_reach_the_page(client, people, who):
    login(client, people[who])
    assert client.get(PAGE).status_code == 404
    staff_role = people["staff"].role_assignments[0].id
    token = csrf_from(client.get("/", follow_redirects=True).text)
    response = client.post(f"{PAGE}{staff_role}/granskad", data={"csrf_token": token})
    assert response.status_code == 404
    assert people["staff"].role_assignments[0].last_reviewed_at is None


def test_the_navigation_links_to_the_page_for_managers(client, people):
    login(client, people["manager"])
    assert f'href="{PAGE}"' in client.get("/arenden/").text


def test_recording_a_review_moves_the_next_due_date_and_is_audited(client, people):
    login(client, people["manager"])
    assignment = people["staff"].role_assignments[0]
    page = client.get(PAGE)
    response = client.post(
        f"{PAGE}{assignment.id}/granskad",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "Granskningen är sparad: Sven Staff behöver Medarbetare på Arbetsgrupp A1." in (
        response.text
    )
    db.session.expire_all()
    assert assignment.last_reviewed_by_id == people["manager"].id
    assert utcnow() - assignment.last_reviewed_at < timedelta(minutes=5)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "role.reviewed")
    ).one()
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == (
        "role_assignment",
        assignment.id,
        people["manager"].id,
    )
    assert "Sven" not in str(entry.after)
    # The row now shows who reviewed it, and it is no longer overdue.
    rows = _rows(response.text)
    row = rows[rows.index("Sven Staff") :]
    row = row[: row.index("</tr>")]
    assert "av Maja Chef" in row and "Försenad" not in row


def test_only_due_filter_uses_a_flag_and_a_unit_id_in_the_url(client, people, org):
    login(client, people["admin"])
    rows = _rows(client.get(f"{PAGE}?att_granska=1").text)
    assert "Sven Staff" in rows and "Kim Kvalitet" in rows
    assert "Hanna Handläggare" not in rows
    rows = _rows(client.get(f"{PAGE}?enhet={org['b'].id}").text)
    assert "Bo Annanenhet" in rows and "Sven Staff" not in rows


def test_a_manager_cannot_filter_by_a_unit_outside_their_scope(client, people, org):
    login(client, people["manager"])
    response = client.get(f"{PAGE}?enhet={org['b'].id}")
    assert response.status_code == 422
    assert "Bo Annanenhet" not in response.text


def test_removing_a_role_ends_the_persons_sessions_at_once(app, client, people):
    staff_client = app.test_client()
    login(staff_client, people["staff"])
    assert staff_client.get("/avvikelser/ny").status_code == 200
    login(client, people["manager"])
    assignment_id = people["staff"].role_assignments[0].id
    response = client.post(
        f"{PAGE}{assignment_id}/ta-bort",
        data={"csrf_token": csrf_from(client.get(PAGE).text)},
        follow_redirects=True,
    )
    assert "Behörigheten Medarbetare på Arbetsgrupp A1 är borttagen för Sven Staff." in (
        response.text
    )
    assert db.session.get(RoleAssignment, assignment_id) is None
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "role.removed"))
    assert entry.one().actor_id == people["manager"].id
    follow = staff_client.get("/avvikelser/ny")
    assert follow.status_code == 302 and "/logga-in" in follow.headers["Location"]


def test_a_manager_cannot_review_or_remove_what_is_not_theirs(client, people):
    login(client, people["manager"])
    token = csrf_from(client.get(PAGE).text)
    for other in ("quality", "staff_b", "manager"):
        assignment = people[other].role_assignments[0]
        response = client.post(
            f"{PAGE}{assignment.id}/ta-bort", data={"csrf_token": token}, follow_redirects=True
        )
        assert "finns inte längre i din lista" in response.text
        db.session.expire_all()
        assert db.session.get(RoleAssignment, assignment.id) is not None
    assert not db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.in_(["role.removed", "role.reviewed"]))
    ).all()


def test_an_assignment_removed_meanwhile_gets_a_clear_message(client, people):
    login(client, people["manager"])
    page = client.get(PAGE)
    assignment = people["staff"].role_assignments[0]
    people["staff"].role_assignments.remove(assignment)  # an admin removed it meanwhile
    db.session.commit()
    response = client.post(
        f"{PAGE}{assignment.id}/granskad",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Behörigheten finns inte längre i din lista" in response.text
    assert "Sven Staff" not in _rows(response.text)


def test_many_at_once_and_a_missing_one_is_reported(client, people):
    login(client, people["manager"])
    page = client.get(f"{PAGE}?att_granska=1")
    staff = people["staff"].role_assignments[0]
    handler = people["handler"].role_assignments[0]
    outside = people["staff_b"].role_assignments[0]
    response = client.post(
        f"{PAGE}granskad",
        data={
            "csrf_token": csrf_from(page.text),
            "assignment_ids": [str(staff.id), str(handler.id), str(outside.id)],
            "att_granska": "1",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{PAGE}?att_granska=1")
    text = client.get(response.headers["Location"]).text
    assert "2 behörigheter är markerade som granskade." in text
    assert "1 av de markerade behörigheterna finns inte längre i din lista." in text
    db.session.expire_all()
    assert staff.last_reviewed_at is not None and handler.last_reviewed_at is not None
    assert outside.last_reviewed_at is None


def test_nothing_ticked_is_explained(client, people):
    login(client, people["manager"])
    response = client.post(
        f"{PAGE}granskad",
        data={"csrf_token": csrf_from(client.get(PAGE).text)},
        follow_redirects=True,
    )
    assert "Markera minst en behörighet i listan." in response.text


def test_a_post_without_csrf_token_is_refused(client, people):
    login(client, people["manager"])
    staff = people["staff"].role_assignments[0]
    assert client.post(f"{PAGE}{staff.id}/granskad").status_code == 400
    db.session.expire_all()
    assert staff.last_reviewed_at is None


def test_the_admin_reviews_a_privileged_assignment(client, people):
    login(client, people["admin"])
    quality = people["quality"].role_assignments[0]
    response = client.post(
        f"{PAGE}{quality.id}/granskad",
        data={"csrf_token": csrf_from(client.get(PAGE).text)},
        follow_redirects=True,
    )
    assert "Kim Kvalitet behöver Kvalitetsansvarig" in response.text
    db.session.expire_all()
    assert quality.last_reviewed_by_id == people["admin"].id


def test_the_admin_cannot_review_their_own_role(client, people):
    login(client, people["admin"])
    own = people["admin"].role_assignments[0]
    response = client.post(
        f"{PAGE}{own.id}/granskad",
        data={"csrf_token": csrf_from(client.get(PAGE).text)},
        follow_redirects=True,
    )
    assert "finns inte längre i din lista" in response.text
    db.session.expire_all()
    assert own.last_reviewed_at is None
