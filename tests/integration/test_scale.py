"""City scale in small (issue #9): generated data, the report's query count and the plans.

No timing assertions: the benchmarks measure time (docs/BENCHMARKS.md). These tests catch
the regressions that make time grow with the data — an N+1 in the report, or a query that
stops using its index.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
import sqlalchemy as sa

from casetrack.access import org_tree
from casetrack.cli import synthetic
from casetrack.domain.case_numbers import REFERENCE_PATTERN
from casetrack.extensions import db
from casetrack.models import (
    AuditEntry,
    Case,
    CaseSearchDocument,
    DeviationClassification,
    OrgUnit,
    ReferenceCounter,
)
from casetrack.queries.report import build_report

pytestmark = pytest.mark.slow

CASES = 20_000
TODAY = date(2026, 11, 20)


@pytest.fixture
def generated(app):
    summary = synthetic.generate(CASES, 150, seed=9, today=TODAY)
    db.session.commit()
    synthetic.vacuum_after_load()  # as `casetrack generate` does
    return summary


def _plan(statement: str, parameters) -> str:
    raw = db.session.connection().connection.driver_connection
    cursor = raw.cursor()
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    cursor.execute(prefix + statement, parameters)
    plan = "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
    cursor.close()
    return plan


def test_generated_data_is_consistent(generated):
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == CASES
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseSearchDocument)) == CASES
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == CASES
    references = db.session.scalars(sa.select(Case.reference)).all()
    assert len(set(references)) == CASES
    assert all(REFERENCE_PATTERN.match(r) for r in references[:1000])
    # The counter holds the highest number handed out per prefix and year.
    for counter in db.session.scalars(sa.select(ReferenceCounter)):
        highest = f"{counter.prefix}-{counter.year}-{counter.last_value:05d}"
        assert highest in set(references)


def test_generated_avvikelser_read_like_avvikelser_and_are_classified(generated):
    deviations = db.session.execute(
        sa.select(Case.id, Case.description, DeviationClassification.event_type_code)
        .outerjoin(DeviationClassification, DeviationClassification.case_id == Case.id)
        .where(Case.kind_code == "deviation")
    ).all()
    assert len(deviations) > CASES // 5
    # Every avvikelse has its classification row; about one in ten is "ej angivet".
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(DeviationClassification))
    assert rows == len(deviations)
    unclassified = sum(1 for _, _, code in deviations if code is None)
    assert 0.05 < unclassified / len(deviations) < 0.15
    falls = [text for _, text, code in deviations if code == "fall"]
    assert falls and not any("fika" in text.casefold() for _, text, _ in deviations)
    # Risk values stay below the händelseanalys threshold (synthetic cases have none).
    highest = db.session.scalar(
        sa.select(
            sa.func.max(
                DeviationClassification.probability * DeviationClassification.consequence_level
            )
        )
    )
    assert highest < 8


def test_generated_cases_carry_the_report_facts_their_children_give(generated):
    from casetrack.models import Action, Feedback, case_category

    codes = {
        case_id: ",".join(sorted(c for _, c in rows))
        for case_id, rows in itertools.groupby(
            db.session.execute(
                sa.select(case_category.c.case_id, case_category.c.category_code).order_by(
                    case_category.c.case_id
                )
            ),
            key=lambda row: row[0],
        )
    }
    with_feedback = set(db.session.scalars(sa.select(Feedback.case_id)))
    with_done = set(
        db.session.scalars(sa.select(Action.case_id).where(Action.done_on.is_not(None)))
    )
    wrong = [
        case_id
        for case_id, has_feedback, has_done, stored in db.session.execute(
            sa.select(Case.id, Case.has_feedback, Case.has_done_action, Case.category_codes)
        )
        if has_feedback != (case_id in with_feedback)
        or has_done != (case_id in with_done)
        or ",".join(sorted(filter(None, stored.split(",")))) != codes.get(case_id, "")
    ]
    assert wrong == []


def test_report_query_count_does_not_grow_with_the_unit(generated, count_queries):
    root = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == "STAD")).one()
    enhet = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == "ENH0001")).one()
    build_report(root, 2025, 3)  # a running server has its org tree cached already
    # Each measured as a new request: the tree version, 3 aggregates, snapshots, texts,
    # the count of avvikelser without lagrum or händelsetyp (issue 19) and the unit's
    # imported history for the trend (issue 22, an index lookup by unit and year).
    org_tree.forget_for_request()
    with count_queries() as whole:
        build_report(root, 2025, 3)
    org_tree.forget_for_request()
    with count_queries() as one:
        build_report(enhet, 2025, 3)
    assert len(whole) == len(one) == 8
    assert sum("GROUP BY" in s for s, _ in whole) == 3
    assert sum("deviation_classification" in s for s, _ in whole) == 1


def test_report_and_search_use_their_indexes(generated, client, auth, count_queries):
    enhet = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == "ENH0001")).one()
    with count_queries() as statements:
        build_report(enhet, 2025, 3)
    source_rows = next(s for s in statements if "GROUP BY" in s[0])
    assert "ix_case_record_unit_received" in _plan(*source_rows)

    from casetrack.queries.cases import _search_clause

    # No user: the shared text only (internal notes are searched for handlers).
    clause = _search_clause(None, "Kista larmet", db.engine.dialect.name)
    compiled = sa.select(Case.id).where(clause).compile(db.engine)
    raw_sql = str(compiled)
    params = compiled.params
    if db.engine.dialect.name == "sqlite":
        plan = _plan(raw_sql, tuple(params[k] for k in compiled.positiontup))
        assert re.search(r"case_search_fts VIRTUAL TABLE INDEX", plan)
    else:
        plan = _plan(raw_sql, params)
        assert "ix_case_search_document_fts" in plan
