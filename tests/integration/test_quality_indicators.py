"""The quality indicators against a hand-counted tertial (issue 23, first section).

Äldreomsorg (dept) is reported: Enhet A (with arbetsgrupp A1) and Enhet B under it.
Every counted case came in during T1 2026, in the first week of March (no holidays:
Mon 2 March – Fri 20 March are all working days). Enhet C lies outside Äldreomsorg and
is never counted; one case of May 2026 belongs to T2. Deadlines are the defaults:
mottagningsbekräftelse 2 and återkoppling 10 working days.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Action, AuditEntry, EscalationStep, Feedback
from casetrack.queries import indicators
from tests.builders import lex_track

# Late enough that every T1 2026 deadline has passed; T1 2026 is the latest ended
# tertial, so it is the one the units are compared on.
TODAY = date(2026, 6, 15)
T1 = (2026, 1)


@pytest.fixture
def demo(org, make):
    handler = make.user([(Role.HANDLER, org["root"])], name="Lena Berg")
    make.user([(Role.QUALITY, org["dept"])], email="quality@test.example")
    make.user([(Role.HANDLER, org["a"])], email="handl@test.example")
    make.user([(Role.STAFF, org["a"])], email="staff@test.example")
    unit_c = make.unit("Enhet C", parent=org["root"], code="C")
    db.session.commit()

    def case(unit, day, kind="complaint", **kw):
        target = unit_c if unit == "c" else org[unit]
        return make.case(target, by=handler, kind_code=kind, received_on=day, **kw)

    mail = {"submitter_email": "brukare@example.se"}
    c = {
        "k1": case("a", date(2026, 3, 2), **mail),
        "k2": case("a1", date(2026, 3, 2), **mail),
        "k3": case("a", date(2026, 3, 2), submitter_phone="070-1234567"),
        "k4": case("a", date(2026, 3, 2), is_anonymous=True, wants_feedback=False),
        "k5": case("a", date(2026, 3, 2), "suggestion", wants_feedback=False, **mail),
        "s1": case("a", date(2026, 3, 3), "suggestion", **mail),
        "x1": case("b", date(2026, 3, 2), **mail),
        "t2": case("a", date(2026, 5, 4)),  # T2 2026
        "c1": case("c", date(2026, 3, 2), **mail),  # outside Äldreomsorg
    }
    # Mottagningsbekräftelse: k1 Wed (2 wd), k2 Thu (3 wd, late), k5 Wed (2 wd),
    # s1 same day (0 wd), x1 Tue (1 wd), c1 Tue; k3 never (past due).
    for key, day in (("k1", 4), ("k2", 5), ("k5", 4), ("s1", 3), ("x1", 3), ("c1", 3)):
        c[key].acknowledged_on = date(2026, 3, day)
    # Återkoppling: k1 Mon 9 March (5 wd), k2 Fri 20 March (14 wd, late), s1 Wed 4 March
    # (1 wd), c1; k3 never (past due); x1 closed with a reason instead.
    for key, day in (("k1", 9), ("k2", 20), ("s1", 4), ("c1", 4)):
        db.session.add(Feedback(case_id=c[key].id, given_on=date(2026, 3, day),
                                given_to="Brukaren", method="telefon", summary="Svar"))  # fmt: skip
        c[key].has_feedback = True
    closed = datetime(2026, 3, 25, 10, 0, tzinfo=UTC)
    for key in ("k1", "x1"):
        c[key].status_code, c[key].closed_at = "avslutad", closed
    c["x1"].no_feedback_reason = "anonym"
    # Åtgärder: on k1 one done before its date (achieved) and one after it (none); on k3
    # one past its date, not done; on x1 one without a date, done (partial).
    for key, due, done, verdict in (
        ("k1", date(2026, 3, 20), date(2026, 3, 18), "achieved"),
        ("k1", date(2026, 3, 10), date(2026, 3, 12), "none"),
        ("k3", date(2026, 3, 10), None, None),
        ("x1", None, date(2026, 3, 5), "partial"),
        ("c1", date(2026, 3, 20), date(2026, 3, 18), "achieved"),
    ):
        db.session.add(Action(case_id=c[key].id, description="Ny rutin", responsible="Lena",
                              due_on=due, done_on=done, effect_verdict=verdict,
                              effect_evaluated_on=done if verdict else None))  # fmt: skip
    # Lex Sarah on k3, reported Mon 2 March: dokumenterad Tue 3 (1 wd, within 1), utredning
    # påbörjad Fri 6 (4 wd, late: 2), no ställningstagande (10 wd passed on 16 March).
    track = lex_track(c["k3"])
    for step, day in (("dokumenterad", 3), ("utredning_paborjad", 6)):
        db.session.add(EscalationStep(escalation_id=track.id, step=step,
                                      occurred_on=date(2026, 3, day)))  # fmt: skip
    # k2 was reopened once (and so was c1, outside the unit).
    for key in ("k2", "c1"):
        db.session.add(AuditEntry(entity_type="case", entity_id=c[key].id, case_id=c[key].id,
                                  action="case.reopened", actor_label="test"))  # fmt: skip
    db.session.commit()
    return c


def _cells(report, period=T1):
    index = report.periods.index(period)
    return {
        (row.measure.code, row.measure.kind): (row.cells[index].value, row.cells[index].part,
                                               row.cells[index].whole)
        for row in report.rows
    }  # fmt: skip


def test_every_indicator_matches_the_hand_count(org, demo):
    report = indicators.build_report(org["dept"], TODAY)
    cells = _cells(report)
    # Mottagningsbekräftelse: k1, k2, k3, k5, s1, x1 (k4 anonymous, c1 outside);
    # within 2 wd: k1, k5, s1, x1 = 4 of 6; days of those done: 0, 1, 2, 2, 3 → median 2.
    assert cells[("kvitto", "share")] == (67, 4, 6)
    assert cells[("kvitto", "median")] == (2, 5, 5)
    # Återkoppling: k1, k2, k3, s1 (k4, k5 want none, x1 closed with a reason);
    # within 10 wd: k1, s1 = 2 of 4; days 1, 5, 14 → median 5.
    assert cells[("aterk", "share")] == (50, 2, 4)
    assert cells[("aterk", "median")] == (5, 3, 3)
    # Klagomål k1, k2, k3, k4, x1; with återkoppling k1, k2 = 2 of 5.
    assert cells[("kom", "share")] == (40, 2, 5)
    # Closed (not beröm): k1, x1; with a reason instead of återkoppling: x1.
    assert cells[("skal", "share")] == (50, 1, 2)
    # Reopened: k2 of the seven T1 cases (k1–k5, s1, x1).
    assert cells[("ater", "share")] == (14, 1, 7)
    # Åtgärder (each counted): decided 4; with a date passed or done 3 (k1 ×2, k3), done
    # by the date 1 (k1's first); done 3 (k1 ×2, x1), all followed up, one each verdict.
    atg = {row.measure.label: row.cells[report.periods.index(T1)] for row in report.rows
           if row.measure.code == "atg"}  # fmt: skip
    assert atg["Beslutade åtgärder"].part == 4
    assert (atg["Åtgärder genomförda senast sista datum"].part,
            atg["Åtgärder genomförda senast sista datum"].whole) == (1, 3)  # fmt: skip
    assert atg["Genomförda åtgärder med uppföljd effekt"].value == 100
    for label in ("hade effekt", "delvis effekt", "ingen effekt"):
        assert (atg[f"Genomförda åtgärder som {label}"].part,
                atg[f"Genomförda åtgärder som {label}"].whole) == (1, 3)  # fmt: skip
    # Lex Sarah (k3): dokumenterad 1 wd, within; utredning påbörjad 4 wd, late;
    # ställningstagande not made and past due.
    assert cells[("lex:lex_sarah:dokumenterad", "share")] == (100, 1, 1)
    assert cells[("lex:lex_sarah:dokumenterad", "median")] == (1, 1, 1)
    assert cells[("lex:lex_sarah:utredning_paborjad", "share")] == (0, 0, 1)
    assert cells[("lex:lex_sarah:utredning_paborjad", "median")] == (4, 1, 1)
    assert cells[("lex:lex_sarah:stallningstagande", "share")] == (0, 0, 1)
    assert cells[("lex:lex_sarah:stallningstagande", "median")] == (None, 0, 0)
    assert cells[("lex:lex_maria:dokumenterad", "share")] == (None, 0, 0)
    # T2 2026 has only t2 (no contact, wants återkoppling but past due, no feedback).
    t2 = _cells(report, (2026, 2))
    assert t2[("ater", "share")] == (0, 0, 1)
    assert t2[("aterk", "share")] == (0, 0, 1)
    assert t2[("kvitto", "share")] == (None, 0, 0)


def test_periods_cover_three_years_and_mark_the_unfinished_tertial(org, demo):
    report = indicators.build_report(org["dept"], TODAY)
    assert report.periods[0] == (2024, 1) and report.periods[-1] == (2026, 2)
    assert len(report.periods) == 8
    assert report.open_periods == {7: "pågår"}  # T2 2026 has not ended on 15 June
    assert report.compare_period == T1


def test_units_are_compared_best_first_with_small_counts_marked(org, demo):
    report = indicators.build_report(org["dept"], TODAY)
    kvitto = next(
        r for r in report.rows if r.measure.code == "kvitto" and r.measure.kind == "share"
    )
    # Enhet A: k1, k2 (A1), k3, k5, s1; within k1, k5, s1 = 3 of 5 (60 %). Enhet B: x1,
    # 1 of 1 (100 %) but fewer than 5 cases: marked and last.
    assert [(u.unit.name, u.cell.value, u.cell.whole, u.cell.few) for u in kvitto.comparison] == [
        ("Enhet A", 60, 5, False),
        ("Enhet B", 100, 1, True),
    ]


def test_other_units_are_never_counted(org, demo):
    report = indicators.build_report(org["b"], TODAY)
    cells = _cells(report)
    assert cells[("kvitto", "share")] == (100, 1, 1)  # x1 only
    assert cells[("ater", "share")] == (0, 0, 1)  # c1's reopening is Enhet C's
    assert report.children == []


LINK = re.compile(
    r'<a href="(/arenden/\?[^"]+)" aria-label="([^"]+): (\d+) (ärenden?|åtgärd(?:er)?)"'
)


def _listed(client, url: str, demo) -> set[str]:
    page = client.get(url)
    assert page.status_code == 200, url
    return {name for name, case in demo.items() if case.reference in page.text}


EXPECTED = {
    "Mottagningsbekräftelse inom fristen, T1 2026": {"k1", "k5", "s1", "x1"},
    "Ärenden med frist för mottagningsbekräftelse, T1 2026": {"k1", "k2", "k3", "k5", "s1", "x1"},
    "Ärenden med återkoppling, T1 2026": {"k1", "k2", "s1"},
    "Återkoppling inom fristen, T1 2026": {"k1", "s1"},
    "Klagomål, T1 2026": {"k1", "k2", "k3", "k4", "x1"},
    "Avslutade med skäl i stället för återkoppling, T1 2026": {"x1"},
    "Ärenden som öppnats igen, T1 2026": {"k2"},
    "Ärenden med beslutade åtgärder, T1 2026": {"k1", "k3", "x1"},
    "Ärenden med åtgärder genomförda senast sista datum, T1 2026": {"k1"},
    "Lex Sarah: utredning påbörjad, med frist, T1 2026": {"k3"},
    "Ärenden med frist för återkoppling, T2 2026": {"t2"},
}


def test_every_figure_links_to_exactly_its_cases(client, auth, org, demo):
    auth.login("quality@test.example")
    page = client.get(f"/rapport/kvalitetsindikatorer/?enhet={org['dept'].id}")
    assert page.status_code == 200
    assert "Så räknas siffrorna" in page.text and "inkom-datum" in page.text
    links = [(html.unescape(u), html.unescape(label), int(n), word)
             for u, label, n, word in LINK.findall(page.text)]  # fmt: skip
    assert len(links) > 30
    found = {}
    for url, label, n, word in links:
        listed = _listed(client, url, demo)
        assert "c1" not in listed, label  # never Enhet C's
        if word.startswith("åtgärd"):
            assert 0 < len(listed) <= n, (label, listed)  # åtgärder: their cases
        else:
            assert len(listed) == n, (label, listed)
        found.setdefault(label, listed)
    for label, cases in EXPECTED.items():
        assert found[label] == cases, label


def test_a_drill_down_list_names_the_figure_and_leads_back(client, auth, org, demo):
    auth.login("quality@test.example")
    page = client.get(f"/rapport/kvalitetsindikatorer/?enhet={org['dept'].id}").text
    url = next(html.unescape(u) for u, label, _, _ in LINK.findall(page)
               if html.unescape(label) == "Återkoppling inom fristen, T1 2026")  # fmt: skip
    listing = html.unescape(client.get(url).text)
    assert "<h1>Återkoppling inom fristen, T1 2026: 2 ärenden</h1>" in listing
    assert "Kvalitetsindikator: Återkoppling inom fristen" in listing
    assert "Tillbaka till kvalitetsindikatorerna: Äldreomsorg" in listing


def test_the_page_marks_small_counts_in_words(client, auth, org, demo):
    auth.login("quality@test.example")
    page = client.get(f"/rapport/kvalitetsindikatorer/?enhet={org['dept'].id}").text
    assert "pågår" in page
    # Whatever tertial is the latest ended one today, Enhet B has fewer than 5 cases.
    if "Jämförelse mellan enheterna" in page:
        assert "för få ärenden för att jämföra" in page


@pytest.mark.parametrize("who", ["handl@test.example", "staff@test.example"])
def test_handlers_and_staff_get_404(client, auth, org, demo, who):
    auth.login(who)
    assert client.get("/rapport/kvalitetsindikatorer/").status_code == 404
    assert client.get(f"/rapport/kvalitetsindikatorer/?enhet={org['a'].id}").status_code == 404


def test_a_unit_out_of_scope_is_404(client, auth, org, demo):
    auth.login("quality@test.example")  # kvalitetsansvarig for Äldreomsorg only
    assert client.get(f"/rapport/kvalitetsindikatorer/?enhet={org['root'].id}").status_code == 404


@pytest.mark.parametrize("query", ["ind=kvitto:okand", "ind=a%00b", "ind=" + "x" * 5000])
def test_an_unknown_figure_in_the_list_is_a_message_not_an_error(client, auth, org, demo, query):
    auth.login("quality@test.example")
    page = client.get(f"/arenden/?enhet={org['dept'].id}&{query}")
    assert page.status_code == 422
    assert "Siffran finns inte bland kvalitetsindikatorerna." in page.text


@pytest.mark.parametrize("query", ["enhet=%C2%B2", "enhet=99999", "enhet=abc"])
def test_a_strange_choice_on_the_page_is_never_a_server_error(client, auth, org, demo, query):
    auth.login("quality@test.example")
    assert client.get(f"/rapport/kvalitetsindikatorer/?{query}").status_code in (404, 422)


def test_working_days_follow_the_swedish_calendar():
    from casetrack.domain.workdays import working_days_between

    assert working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert working_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1  # Fri → Mon
    # Maundy Thursday 2 April → Tuesday 7 April: Good Friday and Easter Monday are off.
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1


def test_the_figures_cost_a_constant_number_of_queries(org, demo, make, count_queries):
    indicators.build_report(org["dept"], TODAY)  # a running server has the tree cached
    db.session.commit()
    with count_queries() as statements:
        indicators.build_report(org["dept"], TODAY)
    few = len(statements)
    for day in range(2, 12):
        case = make.case(org["b"], received_on=date(2026, 2, day),
                         submitter_email="brukare@example.se")  # fmt: skip
        lex_track(case)
        db.session.add(Action(case_id=case.id, description="Rutin", responsible="Lena"))
    db.session.commit()
    with count_queries() as statements:
        report = indicators.build_report(org["dept"], TODAY)
    assert len(statements) == few
    assert _cells(report)[("kom", "share")][2] == 15  # 5 + the 10 new klagomål


def test_the_xlsx_has_the_figures_and_is_in_the_access_log(client, auth, org, demo):
    import io

    import sqlalchemy as sa
    from openpyxl import load_workbook

    from casetrack.models import AccessLogEntry

    auth.login("quality@test.example")
    response = client.get(f"/rapport/kvalitetsindikatorer/export.xlsx?enhet={org['dept'].id}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    rows = [list(row) for row in book["Per tertial"].iter_rows(values_only=True)]
    # The same hand count as on the page: 4 of 6 within the deadline in T1 2026.
    assert ["Mottagningsbekräftelse inom fristen", "T1 2026", 67, "procent", 4, 6] in rows
    assert "Så räknas siffrorna" in book.sheetnames
    entry = db.session.scalars(
        sa.select(AccessLogEntry).where(AccessLogEntry.what == "indicators.export")
    ).one()
    assert entry.detail == f"xlsx {org['dept'].code}"


def test_the_xlsx_is_refused_to_handlers(client, auth, org, demo):
    auth.login("handl@test.example")
    assert client.get("/rapport/kvalitetsindikatorer/export.xlsx").status_code == 404


def test_the_xlsx_keeps_a_formula_like_unit_name_as_text(client, auth, org, demo):
    import io

    from openpyxl import load_workbook

    org["b"].name = "=1+1"
    db.session.commit()
    auth.login("quality@test.example")
    response = client.get(f"/rapport/kvalitetsindikatorer/export.xlsx?enhet={org['dept'].id}")
    sheet = load_workbook(io.BytesIO(response.data))["Jämförelse"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == "=1+1"]
    assert cells and all(cell.data_type == "s" for cell in cells)
