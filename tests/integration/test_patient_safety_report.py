"""The patientsäkerhetsberättelse's figures against a hand-counted demo year (issue 19).

Unit A (with its arbetsgrupp A1) is reported; unit B's cases are the same kind and must
never be counted. 2025 is the reported year, 2024 the year before; one avvikelse on
2026-01-01 belongs to neither.
"""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from casetrack.domain.dates import stockholm_today
from casetrack.domain.escalation import ASSESSMENTS
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import (
    AccessLogEntry,
    Action,
    DeviationClassification,
    Investigation,
    InvestigationCause,
    InvestigationEvent,
    InvestigationParticipant,
)
from casetrack.queries import patient_safety as psb
from casetrack.services import handling
from tests.builders import lex_track


def _classify(case, lagrum=None, event_type=None, harm=None, risk=(None, None)):
    db.session.add(
        DeviationClassification(
            case_id=case.id,
            lagrum=lagrum,
            event_type_code=event_type,
            harm=harm,
            probability=risk[0],
            consequence_level=risk[1],
        )
    )


def _investigation(case, *, completed: bool, structured: bool = True):
    """An utredning; ``structured``: with the händelseanalys's parts (a händelseförlopp
    entry, a cause with its area, a participant), else only what the utredning had
    before issue 19 (what happened and a cause without an area)."""
    investigation = Investigation(
        case_id=case.id,
        started_on=case.received_on,
        what_happened="Brukaren fick fel dos på kvällen.",
        completed_on=case.received_on if completed else None,
    )
    db.session.add(investigation)
    db.session.flush()
    db.session.add(
        InvestigationCause(
            investigation_id=investigation.id,
            description="Rutin",
            area="rutiner" if structured else None,
        )
    )
    if structured:
        db.session.add_all([
            InvestigationEvent(investigation_id=investigation.id, occurred_on=case.received_on,
                               description="Dosen gavs till fel brukare."),
            InvestigationParticipant(investigation_id=investigation.id, name="Anna Ek",
                                     role="Undersköterska"),
        ])  # fmt: skip


def _action(case, done=None, verdict=None, waived=None):
    db.session.add(
        Action(
            case_id=case.id,
            description="Ny rutin",
            responsible="Lena",
            done_on=done,
            effect_verdict=verdict,
            effect_evaluated_on=done if verdict else None,
            effect_waived_reason=waived,
        )
    )


@pytest.fixture
def demo(org, make):
    handler = make.user([(Role.HANDLER, org["dept"])], name="Lena Berg")
    make.user([(Role.MAS, org["dept"])], email="mas@test.example")
    make.user([(Role.MAS, org["b"])], email="mas-b@test.example")
    make.user([(Role.STAFF, org["a"])], email="staff@test.example")
    make.user([(Role.HANDLER, org["a"])], email="handl@test.example")

    def case(unit, day, kind="deviation"):
        return make.case(org[unit], by=handler, kind_code=kind, received_on=day)

    c = {
        # 2025, unit A and A1: seven avvikelser.
        "d1": case("a", date(2025, 2, 10)),  # HSL fall, lindrig, 3×2 = 6 måttlig
        "d2": case("a1", date(2025, 3, 5)),  # HSL utebliven dos, ingen, 2×1 = 2 låg
        "d3": case("a", date(2025, 5, 20)),  # HSL fel dos, allvarlig, 3×3 = 9 hög, analysed
        "d4": case("a", date(2025, 8, 1)),  # SoL hot och våld, måttlig, 16, not analysed
        "d5": case("a1", date(2025, 11, 30)),  # nothing classified
        "d6": case("a", date(2025, 12, 31)),  # LSS, no type, no harm, no risk
        "d7": case("a", date(2025, 6, 1)),  # HSL fall, ingen, 1×1 = 1 låg, analysed anyway
        "k1": case("a", date(2025, 4, 2), "complaint"),  # återkoppling and a done åtgärd
        "k2": case("a1", date(2025, 9, 9), "complaint"),  # lex Sarah, no ställningstagande
        "s1": case("a", date(2025, 10, 10), "suggestion"),
        "b1": case("a", date(2025, 3, 3), "praise"),  # beröm: never counted
        # 2024, unit A: three avvikelser and one klagomål.
        "p1": case("a", date(2024, 4, 4)),  # HSL fall, lindrig, 2×2 = 4 måttlig
        "p2": case("a", date(2024, 9, 9)),  # HSL fall, ingen, no risk
        "p3": case("a1", date(2024, 12, 31)),  # SoL hot och våld, ingen, no risk
        "pk": case("a", date(2024, 1, 1), "complaint"),
        # Outside the two years, and unit B: never counted for A.
        "n1": case("a", date(2026, 1, 1)),
        "x1": case("b", date(2025, 3, 3)),
        "x2": case("b", date(2025, 3, 4), "complaint"),
    }
    _classify(c["d1"], "hsl", "fall", "lindrig", (3, 2))
    _classify(c["d2"], "hsl", "lakemedel_utebliven_dos", "ingen", (2, 1))
    _classify(c["d3"], "hsl", "lakemedel_fel_dos", "allvarlig", (3, 3))
    _classify(c["d4"], "sol", "hot_vald", "mattlig", (4, 4))
    _classify(c["d6"], "lss")
    _classify(c["d7"], "hsl", "fall", "ingen", (1, 1))
    _classify(c["p1"], "hsl", "fall", "lindrig", (2, 2))
    _classify(c["p2"], "hsl", "fall", "ingen")
    _classify(c["p3"], "sol", "hot_vald", "ingen")
    _classify(c["n1"], "hsl", "fall", "lindrig", (4, 4))
    _classify(c["x1"], "hsl", "fall", "lindrig", (4, 4))
    _investigation(c["d3"], completed=True)
    _investigation(c["d4"], completed=False)  # begun, not completed: no händelseanalys
    # An utredning completed the way it was before the händelseanalys had its parts (no
    # händelseförlopp, no deltagare, a cause without an area): not a händelseanalys.
    _investigation(c["p1"], completed=True, structured=False)
    _investigation(c["d7"], completed=True)
    _investigation(c["x1"], completed=True)
    # Åtgärder 2025: six on avvikelser, five done.
    _action(c["d1"], date(2025, 3, 1), "achieved")
    _action(c["d1"], date(2025, 3, 2), "partial")
    _action(c["d1"])  # not done
    _action(c["d3"], date(2025, 6, 1), "none")
    _action(c["d3"], date(2025, 6, 2), waived="Åtgärden var en engångsinsats")
    _action(c["d4"], date(2025, 8, 15))  # done, effect not followed up yet
    _action(c["k1"], date(2025, 4, 10))  # a klagomål's åtgärd: not in the åtgärder section
    _action(c["p1"], date(2024, 5, 1), "achieved")
    _action(c["x1"], date(2025, 4, 1), "achieved")
    now = datetime(2025, 4, 3, 9, 0, tzinfo=UTC)
    handling.give_feedback(handler, c["k1"], given_on=date(2025, 4, 3), given_to="Brukaren",
                           method="telefon", summary="Svar", now=now)  # fmt: skip
    # Lex Maria: d3 allvarlig vårdskada, anmäld to IVO; p1 (2024) risk för vårdskada.
    # Lex Sarah: d4 missförhållande; d6 påtaglig risk för ett allvarligt missförhållande,
    # not yet anmäld; k2 (a klagomål) without a ställningstagande. x1 is unit B's.
    for key, track, assessment, ivo in (
        ("d3", "lex_maria", "allvarlig_vardskada", date(2025, 6, 10)),
        ("p1", "lex_maria", "risk_vardskada", None),
        ("d4", "lex_sarah", "missforhallande", None),
        ("d6", "lex_sarah", "risk_allvarligt_missforhallande", None),
        ("k2", "lex_sarah", None, None),
        ("x1", "lex_maria", "allvarlig_vardskada", date(2025, 4, 1)),
    ):
        escalation = lex_track(c[key], track=track)
        escalation.assessment, escalation.ivo_reported_on = assessment, ivo
    db.session.commit()
    return c


def _by_key(figures):
    return {f.key: (f.current, f.previous) for f in figures}


def _matrix(report):
    return {cell.key: (cell.current, cell.previous)
            for table in report.by_lagrum for row in (*table.rows, table.total)
            for cell in row.cells}  # fmt: skip


def test_every_figure_matches_the_hand_count(org, demo):
    report = psb.build_report(org["a"], 2025)
    # d1–d7 in 2025; p1–p3 in 2024 (n1 is 2026, x1 is unit B).
    assert (report.deviations.current, report.deviations.previous) == (7, 3)
    m = _matrix(report)
    # HSL: d1, d2, d3, d7 (2025); p1, p2 (2024).
    assert m["avv:hsl:alla:alla"] == (4, 2)
    assert m["avv:hsl:alla:ingen"] == (2, 1)  # d2, d7 / p2
    assert m["avv:hsl:alla:lindrig"] == (1, 1)  # d1 / p1
    assert m["avv:hsl:alla:allvarlig"] == (1, 0)  # d3
    assert m["avv:hsl:fall:alla"] == (2, 2)  # d1, d7 / p1, p2
    assert m["avv:hsl:fall:lindrig"] == (1, 1)
    # Läkemedel holds its subtypes: d2 (utebliven dos) and d3 (fel dos).
    assert m["avv:hsl:lakemedel:alla"] == (2, 0)
    assert m["avv:hsl:lakemedel_utebliven_dos:ingen"] == (1, 0)
    assert m["avv:hsl:lakemedel_fel_dos:allvarlig"] == (1, 0)
    assert m["avv:sol:hot_vald:alla"] == (1, 1)  # d4 / p3
    assert m["avv:sol:hot_vald:mattlig"] == (1, 0)
    assert m["avv:lss:ej:ej"] == (1, 0)  # d6: lagrum only
    assert m["avv:ej:ej:ej"] == (1, 0)  # d5: nothing
    assert report.unclassified == 2  # d5, d6 (flagged above the tables)
    # No LSS or "ej" rows for types nobody reported; no trycksår row at all.
    assert "avv:hsl:trycksar:alla" not in m
    hsl = next(t for t in report.by_lagrum if t.code == "hsl")
    assert [(r.label, r.level) for r in hsl.rows] == [
        ("Fall", 0),
        ("Läkemedel", 0),
        ("Läkemedel: utebliven dos", 1),
        ("Läkemedel: fel dos", 1),
    ]
    assert _by_key(report.risk) == {
        "risk:lag": (2, 0),  # d2 (2), d7 (1)
        "risk:mattlig": (1, 1),  # d1 (6) / p1 (4)
        "risk:hog": (1, 0),  # d3 (9)
        "risk:mycket_hog": (1, 0),  # d4 (16)
        "risk:ej": (2, 2),  # d5, d6 / p2, p3
    }
    assert _by_key(report.analysis) == {
        "analys:kravs": (2, 0),  # d3, d4 (risk ≥ 8)
        "analys:kravs_gjord": (1, 0),  # d3
        "analys:kravs_saknas": (1, 0),  # d4: its utredning is not completed
        "analys:gjord": (2, 0),  # d3, d7
    }
    assert _by_key(report.actions) == {
        "atg:beslutade": (6, 1),  # d1 ×3, d3 ×2, d4 / p1 (k1's is a klagomål's)
        "atg:genomforda": (5, 1),
        "atg:effekt_achieved": (1, 1),
        "atg:effekt_partial": (1, 0),
        "atg:effekt_none": (1, 0),
        "atg:effekt_waived": (1, 0),
        "atg:effekt_open": (1, 0),  # d4's
    }
    lex = {track: _by_key(figures) for track, _, figures in report.lex}
    assert lex["lex_maria"] == {
        "lex:lex_maria:alla": (1, 1),  # d3 / p1
        "lex:lex_maria:ingen_vardskada": (0, 0),
        "lex:lex_maria:risk_vardskada": (0, 1),  # p1
        "lex:lex_maria:vardskada": (0, 0),
        "lex:lex_maria:risk_allvarlig_vardskada": (0, 0),
        "lex:lex_maria:allvarlig_vardskada": (1, 0),  # d3
        "lex:lex_maria:ej": (0, 0),
        "lex:lex_maria:allvarliga": (1, 0),  # d3
        "lex:lex_maria:ivo": (1, 0),  # d3 (x1 is unit B's)
    }
    assert lex["lex_sarah"] == {
        "lex:lex_sarah:alla": (3, 0),  # d4, d6, k2
        "lex:lex_sarah:inget_missforhallande": (0, 0),
        "lex:lex_sarah:risk_missforhallande": (0, 0),
        "lex:lex_sarah:missforhallande": (1, 0),  # d4
        "lex:lex_sarah:risk_allvarligt_missforhallande": (1, 0),  # d6
        "lex:lex_sarah:allvarligt_missforhallande": (0, 0),
        "lex:lex_sarah:ej": (1, 0),  # k2: no ställningstagande yet
        "lex:lex_sarah:allvarliga": (1, 0),  # d6 …
        "lex:lex_sarah:ivo": (0, 0),  # … not yet anmäld
    }
    # The levels are listed from the least serious, as the regulations order them.
    sarah = next(figures for track, _, figures in report.lex if track == "lex_sarah")
    assert [f.label for f in sarah[1:6]] == [label for _, label in ASSESSMENTS["lex_sarah"]]
    assert _by_key(report.complaints) == {
        "kom:complaint": (2, 1),  # k1, k2 / pk
        "kom:suggestion": (1, 0),  # s1
        "kom:alla": (3, 1),
        "kom:aterkoppling": (1, 0),  # k1
        "kom:atgardade": (1, 0),  # k1
    }


def test_another_units_cases_are_never_counted(org, demo):
    report = psb.build_report(org["b"], 2025)
    assert (report.deviations.current, report.deviations.previous) == (1, 0)  # x1
    assert _by_key(report.analysis)["analys:kravs_gjord"] == (1, 0)
    assert _by_key(report.complaints)["kom:alla"] == (1, 0)  # x2
    dept = psb.build_report(org["dept"], 2025)
    assert dept.deviations.current == 8  # A's seven and B's one


# --- the page, its links, the export, access ---------------------------------------------

LINK = re.compile(
    r'<a href="(/arenden/\?[^"]+)" aria-label="([^"]+): (\d+) (ärenden?|åtgärd(?:er)?)"'
)


def _links(page: str) -> list[tuple[str, str, int, str]]:
    return [(html.unescape(u), html.unescape(label), int(n), unit)
            for u, label, n, unit in LINK.findall(page)]  # fmt: skip


def _listed(client, url: str, demo) -> set[str]:
    page = client.get(url)
    assert page.status_code == 200, url
    return {name for name, case in demo.items() if case.reference in page.text}


EXPECTED_CASES = {
    ("Avvikelser totalt, 2025", "avv"): {"d1", "d2", "d3", "d4", "d5", "d6", "d7"},
    ("Avvikelser totalt, 2024", "avv"): {"p1", "p2", "p3"},
    ("Låg risk, 2025", "risk"): {"d2", "d7"},
    ("Ej riskbedömd, 2024", "risk"): {"p2", "p3"},
    ("varav händelseanalys saknas, 2025", "analys"): {"d4"},
    ("Alla avvikelser med händelseanalys, 2025", "analys"): {"d3", "d7"},
    ("Beslutade åtgärder, 2025", "atg"): {"d1", "d3", "d4"},
    ("Effekt inte följd upp ännu, 2025", "atg"): {"d4"},
    ("Ingen effektuppföljning (med skäl), 2025", "atg"): {"d3"},
    ("Lex Maria totalt, 2024", "lex"): {"p1"},
    ("Anmälda till IVO, 2025", "lex"): {"d3"},
    ("Påtaglig risk för ett allvarligt missförhållande, 2025", "lex"): {"d6"},
    ("Inget ställningstagande ännu, 2025", "lex"): {"k2"},
    ("Klagomål och synpunkter totalt, 2025", "kom"): {"k1", "k2", "s1"},
    ("Hälso- och sjukvård (HSL): Läkemedel, totalt, 2025", "avv"): {"d2", "d3"},
}


def test_every_figure_links_to_exactly_its_cases(client, auth, org, demo):
    auth.login("mas@test.example")
    page = client.get(f"/rapport/patientsakerhet/?enhet={org['a'].id}&ar=2025")
    assert page.status_code == 200
    assert "Så räknas siffrorna" in page.text and "inkom-datum" in page.text
    links = _links(page.text)
    assert len(links) > 40
    found = {}
    for url, label, n, unit in links:
        listed = _listed(client, url, demo)
        # Never a case from unit B, another year or a beröm.
        assert not listed & {"x1", "x2", "n1", "b1"}, label
        if unit.startswith("ärende"):
            assert len(listed) == n, (label, listed)
        else:  # åtgärder: the avvikelser they belong to, at most one per åtgärd
            assert 0 < len(listed) <= n, (label, listed)
        found[label] = listed
    for (label, _), cases in EXPECTED_CASES.items():
        assert found[label] == cases, label
    # The flag of unclassified avvikelser opens the tertial table's list of exactly them.
    flag = re.search(r'<a href="([^"]+)">2 avvikelser från 2025 saknar lagrum', page.text)
    assert _listed(client, html.unescape(flag.group(1)), demo) == {"d5", "d6"}
    # ...named in the report's words, with the way back to the patientsäkerhetsberättelse.
    listing = html.unescape(client.get(html.unescape(flag.group(1))).text)
    assert "<h1>Avvikelser utan lagrum eller händelsetyp, 2025: 2 ärenden</h1>" in listing
    assert "Rad i tertialrapporten: " not in listing  # a warning, not a table row
    assert "Tillbaka till patientsäkerhetsberättelsen: Enhet A, 2025" in listing
    # Zero is not a link.
    assert not any(label.startswith("Effekt delvis uppnådd, 2024") for label in found)


def test_a_drill_down_list_names_the_figure_and_leads_back(client, auth, org, demo):
    auth.login("mas@test.example")
    page = client.get(f"/rapport/patientsakerhet/?enhet={org['a'].id}&ar=2025").text
    url = next(u for u, label, _, _ in _links(page) if label == "Låg risk, 2025")
    listing = client.get(url).text
    assert "<h1>Avvikelser, låg risk, 2025: 2 ärenden</h1>" in listing
    assert "Siffra i patientsäkerhetsberättelsen: Avvikelser, låg risk" in html.unescape(listing)
    back = re.search(r'<p class="back-link"><a href="([^"]+)">([^<]+)</a>', listing)
    assert (
        html.unescape(back.group(2)) == "Tillbaka till patientsäkerhetsberättelsen: Enhet A, 2025"
    )
    assert html.unescape(back.group(1)).endswith("#psb-risk")


def test_the_page_opens_without_choices_on_the_default_year(client, auth, org, demo):
    auth.login("mas@test.example")
    page = client.get("/rapport/patientsakerhet/")
    assert page.status_code == 200
    year = psb.default_year(stockholm_today())
    assert f'<h2 class="report-heading">Äldreomsorg, {year}</h2>' in page.text


def test_an_unknown_figure_in_the_list_is_a_message_not_an_error(client, auth, org, demo):
    auth.login("mas@test.example")
    page = client.get(f"/arenden/?enhet={org['a'].id}&psb=risk:okand")
    assert page.status_code == 422
    assert "Siffran finns inte i patientsäkerhetsberättelsen." in page.text


def test_the_xlsx_has_a_sheet_per_section_and_the_figures(client, auth, org, demo):
    auth.login("mas@test.example")
    response = client.get(f"/rapport/patientsakerhet/export.xlsx?enhet={org['a'].id}&ar=2025")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "Avvikelser",
        "Risknivå",
        "Händelseanalys",
        "Åtgärder",
        "Lex Sarah och lex Maria",
        "Klagomål och synpunkter",
        "Så räknas siffrorna",
    ]
    rows = [list(r) for r in book["Avvikelser"].iter_rows(min_row=5, values_only=True)]
    assert ["Alla lagrum", "Avvikelser totalt", "totalt", 7, 3, 4] in rows
    assert ["Hälso- och sjukvård (HSL)", "Fall", "Lindrig skada", 1, 1, 0] in rows
    risk = {r[0]: r[1:] for r in book["Risknivå"].iter_rows(min_row=5, values_only=True)}
    assert risk["Hög risk"] == (1, 0, 1)
    actions = {r[0].strip(): r[1:] for r in book["Åtgärder"].iter_rows(min_row=5, values_only=True)}
    assert actions["Genomförda åtgärder"] == (5, 1, 4)
    for sheet in book.worksheets:
        assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert book["Risknivå"]["A2"].value == "Enhet A, 2025"  # a year that is over

    # This year's export says on every sheet that the year is not over.
    today = stockholm_today()
    response = client.get(
        f"/rapport/patientsakerhet/export.xlsx?enhet={org['a'].id}&ar={today.year}"
    )
    book = load_workbook(io.BytesIO(response.data))
    running = f"Enhet A, {today.year} (pågår, till och med {today.isoformat()})"
    assert {sheet["A2"].value for sheet in book.worksheets[:-1]} == {running}


def test_a_formula_like_unit_name_stays_text_in_the_xlsx(client, auth, org, demo):
    org["a"].name = '=HYPERLINK("https://example.org","Klicka")'
    db.session.commit()
    auth.login("mas@test.example")
    response = client.get(f"/rapport/patientsakerhet/export.xlsx?enhet={org['a'].id}&ar=2025")
    book = load_workbook(io.BytesIO(response.data))
    cell = book["Avvikelser"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


@pytest.mark.parametrize("email", ["staff@test.example", "handl@test.example"])
def test_staff_and_handlers_are_refused(client, auth, org, demo, email):
    auth.login(email)
    assert client.get("/rapport/patientsakerhet/").status_code == 404
    url = f"/rapport/patientsakerhet/export.xlsx?enhet={org['a'].id}&ar=2025"
    assert client.get(url).status_code == 404


def test_a_unit_out_of_scope_is_not_found(client, auth, org, demo):
    auth.login("mas-b@test.example")
    assert client.get(f"/rapport/patientsakerhet/?enhet={org['a'].id}&ar=2025").status_code == 404
    # The same figure's list without a unit shows only the cases in the viewer's reach.
    query = "fran=2025-01-01&till=2025-12-31&psb=avv:alla:alla:alla"
    assert _listed(client, f"/arenden/?{query}&rapport=psb-{org['a'].id}-2025", demo) == {"x1"}
    listing = client.get(f"/arenden/?{query}&rapport=psb-{org['a'].id}-2025").text
    assert "Tillbaka till patientsäkerhetsberättelsen" not in listing  # A is not hers


def test_a_bad_year_is_a_message_at_the_field(client, auth, org, demo):
    auth.login("mas@test.example")
    page = client.get(f"/rapport/patientsakerhet/?enhet={org['a'].id}&ar=tjugo")
    assert page.status_code == 422
    # One message, in the users' words (not also WTForms' "not a valid integer").
    assert "Skriv året med siffror, till exempel 2026." in page.text
    assert "heltal" not in page.text and "mellan 2000 och 2100" not in page.text
    # A year that has not begun is refused rather than compared with this one.
    next_year = stockholm_today().year + 1
    page = client.get(f"/rapport/patientsakerhet/?enhet={org['a'].id}&ar={next_year}")
    assert page.status_code == 422
    assert f"{next_year} har inte börjat än." in page.text


def test_the_default_year_is_last_year_until_1_march():
    assert psb.default_year(date(2026, 2, 28)) == 2025
    assert psb.default_year(date(2026, 3, 1)) == 2026


def test_the_figures_cost_a_constant_number_of_queries(org, demo, make, count_queries):
    psb.build_report(org["dept"], 2025)  # a running server has the tree's history cached
    db.session.commit()
    with count_queries() as statements:
        psb.build_report(org["dept"], 2025)
    few = len(statements)
    for day in range(1, 21):
        case = make.case(org["b"], kind_code="deviation", received_on=date(2025, 2, day))
        _classify(case, "hsl", "fall", "ingen", (2, 2))
        _action(case, date(2025, 3, day), "achieved")
        lex_track(case, track="lex_maria")
    db.session.commit()
    with count_queries() as statements:
        report = psb.build_report(org["dept"], 2025)
    assert len(statements) == few
    assert report.deviations.current == 28


@pytest.mark.parametrize(
    "query",
    [
        "psb=avv:alla:alla",
        "psb=a%00b",
        "psb=" + "x" * 5000,
        "psb=lex:lex_sarah:vardskada",  # a lex Maria level under lex Sarah
        "psb=avv:hsl:fall:alla&enhet=%C2%B2&fran=0001-01-01&till=9999-12-31",
    ],
)
def test_a_strange_figure_in_the_list_is_never_a_server_error(client, auth, org, demo, query):
    auth.login("mas@test.example")
    assert client.get(f"/arenden/?{query}").status_code in (200, 422)


@pytest.mark.parametrize(
    "query", ["ar=9223372036854775808", "ar=%C2%B2", "enhet=%C2%B2", "enhet=99999&ar=2025"]
)
def test_a_strange_choice_on_the_page_is_never_a_server_error(client, auth, org, demo, query):
    auth.login("mas@test.example")
    for path in ("/rapport/patientsakerhet/", "/rapport/patientsakerhet/export.xlsx"):
        assert client.get(f"{path}?{query}").status_code in (400, 404, 422), (path, query)


def test_the_download_is_in_the_access_log(client, auth, org, demo):
    auth.login("mas@test.example")
    client.get(f"/rapport/patientsakerhet/export.xlsx?enhet={org['a'].id}&ar=2025")
    entry = db.session.scalars(
        sa.select(AccessLogEntry).where(AccessLogEntry.what == "psb.export")
    ).one()
    assert entry.detail == "xlsx A 2025"
