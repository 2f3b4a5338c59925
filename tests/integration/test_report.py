"""The tertial table against hand-counted cases (DESIGN §5 counting rules)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from casetrack.domain.errors import DomainError
from casetrack.domain.roles import Role
from casetrack.exports import report as export
from casetrack.extensions import db
from casetrack.models import Case
from casetrack.queries.report import (
    MISSING_CATEGORY,
    MISSING_SOURCE,
    UNCLASSIFIED_DEVIATION,
    build_report,
)
from casetrack.services import handling, reports
from casetrack.services.intake import PublicSubmission, submit_public
from tests.builders import lex_track

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _figures(report, tertial):
    return {row.key: row.cells[tertial].shown for row in report.rows}


@pytest.fixture
def counted(org, make):
    """Hand-counted cases in unit A (and its arbetsgrupp A1) and unit B, 2026."""
    handler = make.user([(Role.HANDLER, org["dept"])], name="Lena Berg")
    make_case = make.case

    def case(unit, **kw):
        return make_case(org[unit], by=handler, **kw)

    cases = {
        # T1
        "k1": case("a", kind_code="complaint", source_code="brukare",
                   category_codes=["bemotande", "mat"], received_on=date(2026, 1, 15)),
        "k2": case("a1", kind_code="deviation", source_code="medarbetare",
                   category_codes=["utebliven_insats"], received_on=date(2026, 2, 3)),
        "b1": case("a", kind_code="praise", source_code="narstaende",
                   category_codes=["bemotande"], received_on=date(2026, 3, 1)),
        "k3": case("a", kind_code="suggestion", source_code=None,
                   category_codes=[], received_on=date(2026, 4, 30)),
        # T2
        "k4": case("a1", kind_code="deviation", source_code="medarbetare",
                   category_codes=["rutiner", "kompetens", "annat"], received_on=date(2026, 5, 2)),
        "k5": case("a", kind_code="complaint", source_code="narstaende",
                   category_codes=["bemanning"], received_on=date(2026, 6, 10)),
        # another unit, same period
        "x1": case("b", kind_code="complaint", source_code="brukare",
                   category_codes=["mat"], received_on=date(2026, 1, 20)),
    }  # fmt: skip
    now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    handling.give_feedback(handler, cases["k1"], given_on=date(2026, 1, 20), given_to="Brukaren",
                           method="telefon", summary="Svar", now=now)  # fmt: skip
    handling.give_feedback(handler, cases["b1"], given_on=date(2026, 3, 2), given_to="Dottern",
                           method="brev", summary="Tack", now=now)  # fmt: skip
    done = handling.add_action(handler, cases["k2"], description="Rutin", responsible="Lena",
                               now=now)  # fmt: skip
    handling.complete_action(handler, done, done_on=date(2026, 2, 10), now=now)
    handling.add_action(handler, cases["k5"], description="Ej klar", responsible="Lena", now=now)
    # Lex Sarah from k2 (counted) and k4 (an IA incident: not counted); lex Maria from k5.
    for key, track in (("k2", "lex_sarah"), ("k4", "lex_sarah"), ("k5", "lex_maria")):
        lex_track(cases[key], "Amina", track=track)
    cases["k4"].ia_reported_on = date(2026, 5, 3)
    cases["k4"].ia_reference = "IA-123"
    db.session.commit()
    return {"handler": handler, **cases}


def test_every_row_matches_the_hand_count(org, counted):
    report = build_report(org["a"], 2026, 2)
    t1, t2 = _figures(report, 1), _figures(report, 2)
    assert t1["praise:praise"] == 1 and t2["praise:praise"] == 0
    # Sources: beröm is not counted; k3 has no source.
    assert (t1["source:brukare"], t1["source:medarbetare"], t1["source:narstaende"]) == (1, 1, 0)
    assert (t2["source:medarbetare"], t2["source:narstaende"]) == (1, 1)
    assert t1["source:annan"] == 0  # a missing source is never counted as Annan
    # Categories: once per category, beröm excluded (b1 is bemötande).
    assert (t1["category:bemotande"], t1["category:mat"], t1["category:utebliven_insats"]) == (
        1, 1, 1,
    )  # fmt: skip
    assert (t2["category:rutiner"], t2["category:kompetens"], t2["category:annat"]) == (1, 1, 1)
    assert sum(v for k, v in t2.items() if k.startswith("category:")) == 4  # 2 cases
    # Lex rows exclude the IA incident.
    assert (t1["escalation:lex_sarah"], t2["escalation:lex_sarah"]) == (1, 0)
    assert t2["escalation:lex_maria"] == 1
    # Återkoppling and åtgärder count non-beröm cases with feedback / a done action.
    assert (t1["feedback:feedback_given"], t2["feedback:feedback_given"]) == (1, 0)
    assert (t1["actions:actions_taken"], t2["actions:actions_taken"]) == (1, 0)
    totals = {row.key: row.total for row in report.rows}
    assert totals["category:bemotande"] == 1 and totals["source:medarbetare"] == 2
    # k2 and k4 are avvikelser with no lagrum or händelsetyp (issue 19).
    assert report.quality == {MISSING_SOURCE: 1, MISSING_CATEGORY: 1, UNCLASSIFIED_DEVIATION: 2}


def test_the_subtree_rolls_up_and_scope_separates_units(org, counted):
    a = build_report(org["a"], 2026, 2)
    a1 = build_report(org["a1"], 2026, 2)
    b = build_report(org["b"], 2026, 2)
    dept = build_report(org["dept"], 2026, 2)
    for row_a, row_b, row_dept in zip(a.rows, b.rows, dept.rows, strict=True):
        assert row_a.total + row_b.total == row_dept.total, row_a.key
    assert {r.key: r.total for r in a1.rows}["source:medarbetare"] == 2
    assert {r.key: r.total for r in b.rows}["category:mat"] == 1


def test_the_tertial_follows_the_stockholm_calendar_date(org, make):
    # 30 April 23:30 in Stockholm is 21:30 UTC; 1 May 00:30 is 22:30 UTC.
    for moment in (
        datetime(2026, 4, 30, 21, 30, tzinfo=UTC),
        datetime(2026, 4, 30, 22, 30, tzinfo=UTC),
    ):
        submission = PublicSubmission(
            kind_code="complaint",
            org_unit_id=org["a"].id,
            description="Sent på kvällen",
            is_anonymous=True,
            wants_feedback=False,
        )
        submit_public(submission, now=moment)
    db.session.commit()
    received = sorted(db.session.scalars(sa.select(Case.received_on)))
    assert received == [date(2026, 4, 30), date(2026, 5, 1)]
    report = build_report(org["a"], 2026, 2)
    assert report.quality[MISSING_SOURCE] == 2
    assert [report.rows[0].cells[t].live for t in (1, 2)] == [0, 0]  # not beröm
    drill = {t: sum(1 for d in received if (d.month - 1) // 4 + 1 == t) for t in (1, 2)}
    assert drill == {1: 1, 2: 1}


def test_a_reclassified_case_counts_as_its_current_kind(org, counted):
    before = build_report(org["a"], 2026, 1)
    case = counted["b1"]  # beröm in T1 → turns out to be a klagomål
    case.kind_code = "complaint"
    db.session.commit()
    after = build_report(org["a"], 2026, 1)
    assert _figures(before, 1)["praise:praise"] == 1 and _figures(after, 1)["praise:praise"] == 0
    assert _figures(after, 1)["source:narstaende"] == _figures(before, 1)["source:narstaende"] + 1
    assert _figures(after, 1)["feedback:feedback_given"] == 2


def test_freezing_keeps_the_figures_and_flags_later_changes(org, counted):
    quality = counted["handler"]
    snapshot = reports.freeze(None, org["a"], 2026, 1, actor_label="test", now=NOW)
    db.session.commit()
    assert snapshot.figures["source:brukare"] == 1
    # A late-registered T1 case changes the live figure, not the frozen one.
    from casetrack.services.cases import NewCase, register_case

    register_case(quality, NewCase(kind_code="complaint", org_unit_id=org["a"].id,
                                   received_on=date(2026, 3, 3), description="Sent registrerat",
                                   source_code="brukare"), now=NOW)  # fmt: skip
    db.session.commit()
    report = build_report(org["a"], 2026, 2)
    cell = {row.key: row for row in report.rows}["source:brukare"].cells[1]
    assert (cell.frozen, cell.live, cell.shown, cell.drifted) == (1, 2, 1, True)
    assert [row.key for row in report.drifted_rows] == ["source:brukare"]
    with pytest.raises(DomainError, match="redan fastställd"):
        reports.freeze(None, org["a"], 2026, 1, now=NOW)


def test_a_tertial_that_has_not_ended_cannot_be_frozen(org, counted):
    with pytest.raises(DomainError, match="inte slut"):
        reports.freeze(None, org["a"], 2026, 3, now=NOW)


def test_the_xlsx_export_reads_back_with_the_exact_labels_and_numbers(org, counted):
    report = build_report(org["a"], 2026, 2)
    book = load_workbook(io.BytesIO(export.to_xlsx(report, NOW)))
    sheet = book.worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if r[0] == "Uppdelning Klagomål/synpunkter/kategorier")
    assert header[1:5] == ["Utfall T1", "Utfall T2", "Utfall VB", "Totalt ack. Utfall"]
    by_label = {r[0]: r for r in rows if r[0]}
    assert by_label["Brukare/patient"][1:6] == [1, 0, None, 1, "st"]
    assert by_label["Medarbetare/verksamhet inom förvaltningen"][1:5] == [1, 1, None, 2]
    assert isinstance(by_label["Antal beröm"][1], int)
    assert "Vad gällde klagomålet, synpunkten eller avvikelsen?" in by_label
    rules = book["Så räknas tabellen"]
    assert any(row[0].value == "Exporterad" for row in rules.iter_rows())


def test_the_report_costs_a_constant_number_of_queries(org, counted, make, count_queries):
    build_report(org["dept"], 2026, 2)  # a running server has the tree's history cached
    db.session.commit()
    with count_queries() as statements:
        build_report(org["dept"], 2026, 2)
    few = len(statements)
    handler = counted["handler"]
    for day in range(1, 29):
        make.case(org["b"], by=handler, category_codes=["mat", "kompetens"],
                  source_code="brukare", received_on=date(2026, 2, day))  # fmt: skip
    db.session.commit()
    with count_queries() as statements:
        build_report(org["dept"], 2026, 2)
    assert len(statements) == few
