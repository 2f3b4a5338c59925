"""Retention anonymises closed cases past their kind's period; the statistics do not change."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import (
    AuditEntry,
    Case,
    DeviationClassification,
    Feedback,
    case_category,
    utcnow,
)
from casetrack.services import retention

NOW = utcnow()


def _close(case: Case, years_ago: float) -> None:
    case.status_code = "avslutad"
    db.session.flush()
    db.session.execute(
        sa.update(Case)
        .where(Case.id == case.id)
        .values(updated_at=NOW - timedelta(days=365.25 * years_ago))
    )


@pytest.fixture
def cases(org, make):
    handler = make.user([(Role.HANDLER, org["a"])])
    made = {}
    for name, kind, source, cats, years in [
        ("old_complaint", "complaint", "brukare", ["bemotande", "mat"], 3),
        ("old_praise", "praise", "narstaende", [], 2.5),
        ("recent_complaint", "complaint", "brukare", ["mat"], 1),
        ("old_deviation_short", "deviation", "medarbetare", ["rutiner"], 3),
        ("old_deviation_long", "deviation", "medarbetare", ["rutiner", "annat"], 6),
    ]:
        case = make.case(
            org["a"], by=handler, kind_code=kind, source_code=source, category_codes=cats,
            submitter_name="Karin Ek", submitter_email="karin@example.se",
            submitter_phone="070-1234567", person_concerned="K.E.",
            description="Karin Ek berättade att maten var kall.",
            category_other_note="Annat: nattvak" if "annat" in cats else None,
            received_on=date(2026, 3, 2),
        )  # fmt: skip
        made[name] = (case, years)
    open_case = make.case(org["a"], by=handler, submitter_name="Öppen Person")
    db.session.add(
        Feedback(
            case=made["old_complaint"][0],
            given_on=date(2026, 3, 5),
            given_to="Karin Ek",
            method="telefon",
            summary="Vi ringde Karin.",
        )
    )
    # An avvikelse's classification: the consequence is free text about the brukare.
    db.session.add(
        DeviationClassification(
            case_id=made["old_deviation_long"][0].id, lagrum="hsl", event_type_code="fall",
            harm="lindrig", consequence="Karin fick ett blåmärke på höften.",
        )
    )  # fmt: skip
    # Its händelseanalys: texts and participants about people (issue 19).
    from tests.builders import furnish_analysis

    furnish_analysis(made["old_deviation_long"][0])
    for case, years in made.values():
        _close(case, years)
    db.session.execute(
        sa.update(Case).where(Case.id == open_case.id).values(updated_at=NOW - timedelta(days=4000))
    )
    db.session.commit()
    return {name: case.id for name, (case, _) in made.items()} | {"open": open_case.id}


def _statistics() -> Counter:
    """What the tertial report counts: kind, source, category per unit and received date."""
    counts: Counter = Counter()
    for kind, source, unit, received, status in db.session.execute(
        sa.select(Case.kind_code, Case.source_code, Case.org_unit_id, Case.received_on,
                  Case.status_code)
    ):  # fmt: skip
        counts[("case", kind, source, unit, received, status)] += 1
    for kind, category in db.session.execute(
        sa.select(Case.kind_code, case_category.c.category_code).join(
            case_category, case_category.c.case_id == Case.id
        )
    ):
        counts[("category", kind, category)] += 1
    return counts


def test_only_closed_cases_past_their_kinds_period_are_due(cases):
    due = {case.id for case in retention.due_cases(NOW)}
    # complaint/praise: 2 years; deviation: 5 years (migration defaults)
    assert due == {cases["old_complaint"], cases["old_praise"], cases["old_deviation_long"]}


def test_a_dry_run_changes_nothing(cases):
    result = retention.run(dry_run=True, now=NOW)
    assert len(result.due) == 3
    db.session.commit()
    assert db.session.get(Case, cases["old_complaint"]).submitter_name == "Karin Ek"


def test_anonymising_removes_personal_data_and_keeps_the_statistics(cases):
    before = _statistics()
    retention.run(dry_run=False, now=NOW)
    db.session.commit()
    db.session.expire_all()
    assert _statistics() == before
    case = db.session.get(Case, cases["old_complaint"])
    assert (case.submitter_name, case.submitter_email, case.submitter_phone) == (None,) * 3
    assert case.person_concerned is None
    assert "Karin" not in case.description and "Karin" not in case.title
    assert case.feedback[0].given_to == "(gallrad)"
    assert "Karin" not in case.feedback[0].summary
    assert case.anonymised_at is not None
    assert case.kind_code == "complaint" and case.source_code == "brukare"
    assert db.session.get(Case, cases["recent_complaint"]).submitter_name == "Karin Ek"
    assert db.session.get(Case, cases["open"]).submitter_name == "Öppen Person"
    audit_actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.case_id == case.id)
    ).all()
    assert audit_actions[-1] == "case.anonymised"
    # Nothing in the audit trail of the case still names the person.
    for entry in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.case_id == case.id)):
        assert "Karin" not in str(entry.before) + str(entry.after)
    # The avvikelse keeps its lagrum, händelsetyp and harm, not the text about the person.
    classified = db.session.get(DeviationClassification, cases["old_deviation_long"])
    assert (classified.lagrum, classified.event_type_code, classified.harm) == (
        "hsl",
        "fall",
        "lindrig",
    )
    assert "Karin" not in classified.consequence
    # The händelseanalys keeps its rows and dates, not its texts or who took part.
    from casetrack.models import Investigation
    from casetrack.queries.deviations import analysis_missing

    deviation = db.session.get(Case, cases["old_deviation_long"])
    investigation = db.session.scalar(
        sa.select(Investigation).where(Investigation.case_id == deviation.id)
    )
    assert [e.description for e in investigation.events] == ["(gallrad)"]
    assert [c.description for c in investigation.causes] == ["(gallrad)"]
    assert [(p.name, p.role) for p in investigation.participants] == [("(gallrad)",) * 2]
    assert investigation.events[0].occurred_on == date(2026, 3, 1)
    assert "händelseförloppet (minst en händelse)" not in analysis_missing(deviation)
    # A second run finds nothing left to do.
    assert retention.run(dry_run=False, now=NOW).due == []


def test_the_command_has_a_dry_run(runner, cases):
    result = runner.invoke(args=["retention", "--dry-run"])
    assert result.exit_code == 0
    assert "3 ärenden skulle anonymiseras (provkörning, inget ändrat)." in result.output
    assert db.session.get(Case, cases["old_praise"]).anonymised_at is None
    result = runner.invoke(args=["retention"])
    assert result.exit_code == 0
    assert "3 ärenden anonymiserades." in result.output
    db.session.expire_all()
    assert db.session.get(Case, cases["old_praise"]).anonymised_at is not None
