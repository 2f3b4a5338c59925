"""The report's per-case facts on the case row, kept by database triggers (migration 0960).

The tertial report counts återkoppling, done åtgärder and categories from columns on the
case row; triggers on the child tables keep them in the same transaction as the write,
whichever way the write is made. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Action, Case, Feedback, case_category
from casetrack.services import handling

NOW = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)


def _facts(case: Case) -> tuple[bool, bool, list[str]]:
    """Read from the database, not from the session's copy of the case."""
    has_feedback, has_done, codes = db.session.execute(
        sa.select(Case.has_feedback, Case.has_done_action, Case.category_codes).where(
            Case.id == case.id
        )
    ).one()
    return has_feedback, has_done, sorted(filter(None, codes.split(",")))


def test_services_keep_the_facts_of_the_case_row(org, make):
    handler = make.user([(Role.HANDLER, org["a"])])
    case = make.case(org["a"], by=handler, category_codes=["mat", "bemotande"])
    db.session.commit()
    assert _facts(case) == (False, False, ["bemotande", "mat"])

    handling.give_feedback(handler, case, given_on=date(2026, 3, 4), given_to="Brukaren",
                           method="telefon", summary="Vi har pratat.", now=NOW)  # fmt: skip
    action = handling.add_action(handler, case, description="Ny rutin", responsible="Lena",
                                 due_on=date(2026, 3, 20), now=NOW)  # fmt: skip
    db.session.flush()
    assert _facts(case)[:2] == (True, False)  # an åtgärd not done is not counted
    handling.complete_action(handler, action, done_on=date(2026, 3, 5), now=NOW)
    handling.update_details(handler, case, source_code=case.source_code,
                            channel_code=case.channel_code, category_codes=["bemanning"],
                            category_other_note=None, title=case.title, now=NOW)  # fmt: skip
    db.session.commit()
    assert _facts(case) == (True, True, ["bemanning"])


def test_writes_outside_the_services_are_followed_too(org, make):
    handler = make.user([(Role.HANDLER, org["a"])])
    case = make.case(org["a"], by=handler, category_codes=["mat"])
    other = make.case(org["a"], by=handler)
    db.session.add_all([
        Feedback(case_id=case.id, given_on=date(2026, 3, 1), given_to="Brukaren",
                 method="brev", summary="Svar."),
        Feedback(case_id=case.id, given_on=date(2026, 3, 2), given_to="Brukaren",
                 method="brev", summary="Svar igen."),
        Action(case_id=case.id, description="Rutin", responsible="Lena",
               done_on=date(2026, 3, 3)),
    ])  # fmt: skip
    db.session.commit()
    assert _facts(case) == (True, True, ["mat"])

    # One of two återkopplingar removed: still återkoppling. Both removed: none.
    first, second = db.session.scalars(sa.select(Feedback).where(Feedback.case_id == case.id))
    db.session.delete(first)
    db.session.commit()
    assert _facts(case)[0] is True
    db.session.delete(second)
    db.session.execute(sa.update(Action).where(Action.case_id == case.id).values(done_on=None))
    db.session.execute(sa.delete(case_category).where(case_category.c.case_id == case.id))
    db.session.commit()
    assert _facts(case) == (False, False, [])

    # A child moved to another case updates both cases.
    action = db.session.scalars(sa.select(Action).where(Action.case_id == case.id)).one()
    action.done_on = date(2026, 3, 4)
    db.session.commit()
    assert _facts(case)[1] is True
    action.case_id = other.id
    db.session.commit()
    assert _facts(case)[1] is False and _facts(other)[1] is True


def test_a_rolled_back_write_leaves_the_facts_as_they_were(org, make):
    handler = make.user([(Role.HANDLER, org["a"])])
    case = make.case(org["a"], by=handler, category_codes=["mat"])
    db.session.commit()
    db.session.add(Feedback(case_id=case.id, given_on=date(2026, 3, 1), given_to="Brukaren",
                            method="brev", summary="Svar."))  # fmt: skip
    db.session.execute(sa.insert(case_category).values(case_id=case.id, category_code="bemanning"))
    db.session.flush()
    assert _facts(case) == (True, False, ["bemanning", "mat"])
    db.session.rollback()
    assert _facts(case) == (False, False, ["mat"])
