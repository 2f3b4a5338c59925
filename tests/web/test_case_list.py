"""The case list: filters, search, export and Mina ärenden, against hand-counted data."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest

from casetrack.domain.roles import Role
from casetrack.exports.spreadsheet import safe_text as spreadsheet_safe
from casetrack.extensions import db
from casetrack.services import handling

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def data(org, make):
    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example", name="Lena Berg")
    other = make.user([(Role.HANDLER, org["b"])], email="o@test.example")
    staff = make.user([(Role.STAFF, org["a1"])], email="s@test.example")
    cases = {
        "c1": make.case(org["a"], by=handler, kind_code="complaint", source_code="narstaende",
                        category_codes=["bemotande", "mat"], received_on=date(2026, 1, 10),
                        description="Maten var kall och personalen otrevlig"),
        "c2": make.case(org["a"], by=handler, kind_code="suggestion", source_code="brukare",
                        category_codes=["fraga_ide"], received_on=date(2026, 2, 15),
                        description="Förslag om en promenadgrupp på tisdagar"),
        "c3": make.case(org["a"], by=handler, kind_code="praise", source_code="narstaende",
                        category_codes=["bemotande"], received_on=date(2026, 3, 1),
                        description="Tack för ett fint bemötande"),
        "c4": make.case(org["a1"], by=staff, kind_code="deviation", source_code="medarbetare",
                        category_codes=["utebliven_insats"], received_on=date(2026, 3, 3),
                        description="Duschen blev inte av"),
        "c5": make.case(org["b"], by=other, kind_code="complaint", source_code="narstaende",
                        category_codes=["mat"], received_on=date(2026, 1, 12),
                        description="Maten var kall igen"),
    }  # fmt: skip
    handling.assign_handler(handler, cases["c4"], handler, now=NOW)
    handling.give_feedback(
        handler, cases["c2"], given_on=date(2026, 2, 20), given_to="Brukaren",
        method="mote", summary="Vi startar en grupp.", now=NOW,
    )  # fmt: skip
    handling.add_note(handler, cases["c2"], "Behöver rullstolsanpassad slinga", now=NOW)
    db.session.commit()
    return {"handler": handler, **cases}


def _refs(html: str) -> set[str]:
    return set(re.findall(r">((?:AO|HA)-\d{4}-\d{5})</a>", html))


def _ref(data, *names) -> set[str]:
    return {data[name].reference for name in names}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["c1", "c2", "c3", "c4"]),
        ("typ=complaint", ["c1"]),
        ("kategori=bemotande", ["c1", "c3"]),
        ("kategori=mat", ["c1"]),
        ("kategori=utebliven_insats", ["c4"]),
        ("kalla=narstaende", ["c1", "c3"]),
        ("fran=2026-02-01&till=2026-03-01", ["c2", "c3"]),
        ("handlaggare=none", ["c1", "c2", "c3"]),
        ("status=open", ["c1", "c2", "c3", "c4"]),
        ("status=closed", []),
        ("forsenade=y", ["c1", "c4"]),
        ("typ=complaint&kalla=brukare", []),
    ],
)
def test_filters_match_hand_counted_cases(client, auth, data, query, expected):
    auth.login("h@test.example")
    response = client.get(f"/arenden/?{query}")
    assert response.status_code == 200
    assert _refs(response.text) == _ref(data, *expected)


def test_the_unit_filter_takes_the_subtree(client, auth, org, data):
    auth.login("h@test.example")
    assert _refs(client.get(f"/arenden/?enhet={org['a1'].id}").text) == _ref(data, "c4")
    assert _refs(client.get(f"/arenden/?enhet={org['a'].id}").text) == _ref(
        data, "c1", "c2", "c3", "c4"
    )
    # Another unit's id narrows to nothing rather than widening the scope.
    response = client.get(f"/arenden/?enhet={org['b'].id}")
    assert response.status_code == 422
    assert not _refs(response.text)


def test_the_unit_filter_keeps_the_choice_and_escapes_names(client, auth, org, data):
    org["a1"].name = 'Grupp <b>"A1"</b>'
    db.session.commit()
    auth.login("h@test.example")
    page = client.get(f"/arenden/?enhet={org['a1'].id}").text
    # Under its enhet, indented (two no-break spaces per level), escaped.
    assert (
        f'<option selected value="{org["a1"].id}">\xa0\xa0Grupp &lt;b&gt;&#34;A1&#34;&lt;/b&gt;'
        "</option>" in page
    )
    unit_select = re.search(r'<select[^>]*name="enhet".*?</select>', page, re.S).group(0)
    assert unit_select.count("selected") == 1
    # Without a unit chosen, "Alla mina enheter" is the one shown; the handler's enhet
    # comes first, its arbetsgrupp under it.
    options = re.findall(r'<option value="(\d*)"', client.get("/arenden/").text)
    assert options[:3] == ["", str(org["a"].id), str(org["a1"].id)]


def test_a_bad_filter_value_gets_a_swedish_message(client, auth, data):
    auth.login("h@test.example")
    response = client.get("/arenden/?fran=igår")
    assert response.status_code == 422
    assert "Inkom från" in response.text and "Det finns fel i formuläret" in response.text
    response = client.get("/arenden/?fran=2026-03-01&till=2026-02-01")
    assert "Slutdatum kan inte vara före startdatum." in response.text


def _search(client, text: str, query: str = ""):
    page = client.get(f"/arenden/?{query}").text
    token = re.search(
        r'<form method="post" action="/arenden/sok[^"]*".*?value="([^"]+)"', page, re.S
    )
    response = client.post(
        f"/arenden/sok?{query}", data={"csrf_token": token.group(1), "text": text}
    )
    assert response.status_code == 302
    assert text not in response.headers["Location"]  # no search words in the URL
    return client.get(response.headers["Location"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kall", ["c1"]),  # c5 has the same words but is another unit's
        ("maten kall", ["c1"]),
        ("rullstolsanpassad", ["c2"]),  # found through an internal note
        ("promenadgrupp", ["c2"]),
        ("duschen", ["c4"]),
        ("finns-inte-någonstans", []),
    ],
)
@pytest.mark.parametrize("many_matches", [False, True])
def test_full_text_search_stays_inside_the_scope(
    client, auth, data, text, expected, many_matches, monkeypatch
):
    if many_matches:  # the plan for common words: cases newest first, each tested
        monkeypatch.setattr("casetrack.queries.cases.MANY_MATCHES", 0)
    auth.login("h@test.example")
    response = _search(client, text)
    assert _refs(response.text) == _ref(data, *expected)


def test_a_search_link_that_is_gone_says_so(client, auth, data):
    auth.login("h@test.example")
    page = client.get("/arenden/?sokning=finns-inte").text
    assert "Sökningen finns inte längre" in page
    assert _refs(page) == _ref(data, "c1", "c2", "c3", "c4")


def test_a_diarienummer_finds_its_case_within_the_scope(client, auth, data):
    auth.login("h@test.example")
    reference = data["c2"].reference
    assert _refs(_search(client, reference.lower()).text) == {reference}
    # Another unit's case is not found by its number either.
    assert _refs(_search(client, data["c5"].reference).text) == set()


def test_search_combines_with_filters(client, auth, data):
    auth.login("h@test.example")
    assert _refs(_search(client, "bemötande", "typ=praise").text) == _ref(data, "c3")


def test_csv_export_has_exactly_the_filtered_cases_and_no_free_text(client, auth, data):
    auth.login("h@test.example")
    response = client.get("/arenden/export.csv?kategori=bemotande")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Diarienummer", "Ärendetyp", "Enhet"]
    assert {row[0] for row in rows[1:]} == _ref(data, "c1", "c3")
    assert "Maten var kall" not in response.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+46", "'+46"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("Bemötande", "Bemötande"),
        (None, ""),
    ],
)
def test_spreadsheet_formulas_are_neutralised(value, expected):
    assert spreadsheet_safe(value) == expected


def test_my_work_counts_assigned_unassigned_and_overdue(client, auth, data):
    auth.login("h@test.example")
    page = client.get("/", follow_redirects=True).text
    assert "<h1>Mina ärenden</h1>" in page
    counts = dict(re.findall(r'<a id="antal-(\w+)" href="[^"]+">[^<]*<strong>(\d+)</strong>', page))
    assert counts == {
        "assigned": "1",  # c4
        "unassigned": "3",  # c1, c2, c3
        "overdue": "2",  # c1 and c4 lack återkoppling past 10 working days
        "due_soon": "0",  # nothing due in the next two working days
    }
    assert data["c5"].reference not in page


def test_my_work_lists_open_atgarder_in_my_units_only(client, auth, data):
    from casetrack.models import Action

    def action(case, **kw):
        db.session.add(Action(case_id=case.id, description="Ny rutin", responsible="Lena",
                              created_at=NOW, **kw))  # fmt: skip

    action(data["c1"], due_on=date(2026, 2, 1))  # not done: open
    action(data["c2"], done_on=date(2026, 2, 20), effect_verdict="achieved")  # followed up
    action(data["c4"], done_on=date(2026, 3, 10))  # done, effect not yet followed up: open
    action(data["c5"], due_on=date(2026, 2, 1))  # open, but in another enhet
    db.session.commit()
    auth.login("h@test.example")
    page = client.get("/arenden/mina").text
    rows = re.findall(r'<tr class="todo[^"]*">(.*?)</tr>', page, re.S)
    actions = [row for row in rows if "Ny rutin" in row]
    assert len(actions) == 2
    assert data["c1"].reference in actions[0] and "Åtgärd: Ny rutin" in actions[0]
    assert "Försenad" in actions[0] and "2026-02-01" in actions[0]
    assert data["c4"].reference in actions[1]
    assert "Följ upp effekten av åtgärden: Ny rutin" in actions[1]
    assert data["c2"].reference not in "".join(actions) and data["c5"].reference not in page


def test_staff_and_quality_do_not_get_mina_arenden(client, auth, org, make, data):
    auth.login("s@test.example")
    response = client.get("/arenden/mina")
    assert response.status_code == 302
    assert _refs(client.get("/arenden/").text) == _ref(data, "c4")


def test_a_long_list_says_more_than_the_cap_and_pages_on(client, auth, org, make, monkeypatch):
    """Above the count cap the list says "Fler än …" instead of counting every case in
    scope, and the pages still run to the last case."""
    from casetrack.queries import paging
    from casetrack.web.cases import views as case_views

    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    monkeypatch.setattr(case_views, "PAGE_SIZE", 3)
    handler = make.user([(Role.HANDLER, org["a"])], email="h@test.example")
    made = [make.case(org["a"], by=handler, received_on=date(2026, 1, d)) for d in range(1, 9)]
    db.session.commit()
    auth.login("h@test.example")

    first = client.get("/arenden/").text
    assert "Fler än 5 ärenden" in first
    # Newest first, in page order.
    newest = [case.reference for case in reversed(made)]
    assert re.findall(r">((?:AO|HA)-\d{4}-\d{5})</a>", first) == newest[:3]
    assert "Nästa sida" in first and "Föregående sida" not in first
    seen = _refs(first) | _refs(client.get("/arenden/?sida=2").text)
    last = client.get("/arenden/?sida=3").text
    seen |= _refs(last)
    assert "Nästa sida" not in last and "Föregående sida" in last
    assert seen == {case.reference for case in made}

    past_the_end = client.get("/arenden/?fran=2026-01-01&sida=9", follow_redirects=True)
    assert "Listan har ingen sida 9. Här är första sidan." in past_the_end.text
    assert _refs(past_the_end.text) == _refs(first)

    narrow = client.get("/arenden/?fran=2026-01-07").text  # two cases: one page, exact
    assert "2 ärenden. Sida 1 av 1." in narrow
    assert "Nästa sida" not in narrow


@pytest.mark.parametrize("page", ["/arenden/", "/arenden/mina"])
def test_a_list_page_runs_as_many_statements_for_twelve_cases_as_for_four(
    client, auth, org, make, data, count_queries, page
):
    # The statements of a list page do not grow with its rows (no query per case).
    auth.login("h@test.example")
    client.get(page)  # warm the per-process caches (org tree, reference data)
    with count_queries() as few:
        assert client.get(page).status_code == 200
    for number in range(8):
        make.case(org["a"], by=data["handler"], kind_code="complaint", source_code="brukare",
                  category_codes=["mat"], received_on=date(2026, 3, 2 + number),
                  description=f"Ännu ett klagomål {number}")  # fmt: skip
    db.session.commit()
    with count_queries() as many:
        assert client.get(page).status_code == 200
    assert len(many) == len(few)
