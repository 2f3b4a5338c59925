"""The org tree cached per process (casetrack/access/org_tree.py): reused while the database's
tree version is unchanged, reloaded as soon as any writer changes a unit, on both
databases."""

from __future__ import annotations

import sqlalchemy as sa

from casetrack.access import org_tree, subtree_ids
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import OrgUnit


def _token() -> str:
    return db.session.scalar(sa.text("SELECT token FROM org_tree_version WHERE id = 1"))


def _in_new_request(app, func):
    """Run ``func`` in its own app context and session, as the next request would."""
    db.session.commit()
    with app.app_context():
        try:
            return func()
        finally:
            db.session.remove()


def test_every_kind_of_write_to_a_unit_gives_a_new_token(app, org):
    seen = {_token()}
    assert None not in seen
    # Through the ORM, and through plain SQL (no application code involved).
    org["b"].name = "Enhet B (ny)"
    db.session.commit()
    seen.add(_token())
    db.session.execute(
        sa.text(
            "INSERT INTO org_unit (parent_id, code, name, level, active) "
            "VALUES (:parent, 'C', 'Enhet C', 'enhet', :yes)"
        ),
        {"parent": org["dept"].id, "yes": True},
    )
    db.session.commit()
    seen.add(_token())
    db.session.execute(sa.text("DELETE FROM org_unit WHERE code = 'C'"))
    db.session.commit()
    seen.add(_token())
    assert len(seen) == 4


def test_the_tree_is_reused_until_a_unit_changes(app, org):
    a_id, b_id = org["a"].id, org["b"].id
    db.session.commit()  # end the test's own read (SQLite allows one transaction)
    first = _in_new_request(app, org_tree.current)
    assert _in_new_request(app, org_tree.current) is first  # nothing changed: no reload

    # Another connection adds a unit under Enhet A and commits.
    with db.engine.begin() as other:
        other.execute(
            sa.text(
                "INSERT INTO org_unit (parent_id, code, name, level, active) "
                "VALUES (:parent, 'A2', 'Arbetsgrupp A2', 'arbetsgrupp', :yes)"
            ),
            {"parent": a_id, "yes": True},
        )
    new_id = db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.code == "A2"))

    reloaded = _in_new_request(app, org_tree.current)
    assert reloaded is not first
    assert new_id in _in_new_request(app, lambda: subtree_ids({a_id}))
    assert new_id not in _in_new_request(app, lambda: subtree_ids({b_id}))


def test_a_rolled_back_change_is_not_kept(app, org, make):
    dept = org["dept"].id
    db.session.commit()  # end the test's own read (SQLite allows one transaction)
    before = _in_new_request(app, lambda: subtree_ids({dept}))

    def add_and_roll_back():
        subtree_ids({dept})  # the request has read the tree before its change
        unit = OrgUnit(parent_id=dept, code="TMP", name="Tillfällig", level="enhet")
        db.session.add(unit)
        db.session.flush()
        temporary_id = unit.id
        inside = subtree_ids({dept})  # the request sees its own change
        db.session.rollback()
        return temporary_id, inside

    temporary_id, inside = _in_new_request(app, add_and_roll_back)
    assert temporary_id in inside
    after = _in_new_request(app, lambda: subtree_ids({dept}))
    assert temporary_id not in after
    assert after == before


def test_a_moved_unit_moves_the_scope_of_a_user_on_the_next_request(app, client, auth, org, make):
    """Scoping follows the tree: a manager of Enhet B reaches Arbetsgrupp A1's cases only
    once A1 is moved under B."""
    manager = make.user([(Role.MANAGER, org["b"])], email="chef@test.example")
    staff = make.user([(Role.STAFF, org["a1"])], email="s@test.example")
    case = make.case(org["a1"], by=staff, kind_code="deviation")
    db.session.commit()
    auth.login(manager.email)
    assert client.get(f"/arenden/{case.id}").status_code == 404

    org["a1"].parent_id = org["b"].id
    db.session.commit()
    assert client.get(f"/arenden/{case.id}").status_code == 200


def test_the_unit_filter_lists_a_renamed_unit_by_its_new_name(app, client, auth, org, make):
    make.user([(Role.QUALITY, org["root"])], email="k@test.example")
    db.session.commit()
    auth.login("k@test.example")
    indent = "\xa0" * 4  # Enhet B is two levels below the förvaltning
    assert f">{indent}Enhet B</option>" in client.get("/arenden/").text

    org["b"].name = "Enhet Bagarmossen"
    db.session.commit()
    page = client.get("/arenden/").text
    assert f">{indent}Enhet Bagarmossen</option>" in page
    assert f">{indent}Enhet B</option>" not in page


def test_a_bulk_load_with_triggers_off_still_changes_the_token(app, org):
    before = _token()
    org_tree.mark_changed()
    db.session.commit()
    assert _token() != before
