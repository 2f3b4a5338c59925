"""Start pages: every count is the length of the list its link opens, Mina ärenden has one
row per thing to do, and medarbetare start on Mina avvikelser (issue 20)."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest

from casetrack.domain.dates import stockholm_today
from casetrack.domain.deadlines import due_date
from casetrack.domain.roles import Role
from casetrack.domain.workdays import add_working_days
from casetrack.extensions import db
from casetrack.services import handling

REFERENCE = r"[A-Z]{2}-\d{4}-\d{5}"


def _received_for_feedback_due(day: date) -> date:
    """A received date whose återkoppling (10 working days) is due on ``day``."""
    received = day
    while due_date(received, 10) > day:
        received -= timedelta(days=1)
    assert due_date(received, 10) == day
    return received


@pytest.fixture
def spread(org, make, people):
    """Cases in enhet A spread over people and deadlines, so that the counts differ: some
    overdue in the unit assigned to others, some due soon, some closed, one in enhet B."""
    today = stockholm_today()
    long_ago = today - timedelta(days=40)
    soon = _received_for_feedback_due(add_working_days(today, 1))
    handler, colleague, manager = people["handler"], people["colleague"], people["manager"]

    def case(received, assigned=None, unit="a", **kw):
        made = make.case(org[unit], by=people["other" if unit == "b" else "handler"],
                         received_on=received, **kw)  # fmt: skip
        if assigned is not None:
            handling.assign_handler(assigned, made, assigned)
        return made

    cases = {
        "free_overdue": case(long_ago),
        "free_overdue_2": case(long_ago - timedelta(days=3)),
        "colleague_overdue": case(long_ago, colleague),
        "colleague_overdue_2": case(long_ago - timedelta(days=1), colleague),
        "manager_overdue": case(long_ago, manager),
        "handler_overdue": case(long_ago, handler),
        "free_soon": case(soon),
        "colleague_soon": case(soon, colleague),
        "handler_new": case(today, handler),
        "free_new": case(today, submitter_email="anna@exempel.se"),
        "closed": case(long_ago, handler),
        "other_unit_overdue": case(long_ago, unit="b"),
    }
    closed = cases["closed"]
    handling.give_feedback(handler, closed, given_on=today, given_to="Anna", method="telefon",
                           summary="Vi har ringt.")  # fmt: skip
    handling.add_action(handler, closed, description="Byta larmet i lägenheten",
                        responsible="Lena", due_on=today - timedelta(days=3))  # fmt: skip
    # Closing asks for what the report counts (issue 20, the case page).
    handling.close_case(handler, closed, source_code="brukare", category_codes=["teknik"])
    db.session.commit()
    return cases


def _counts(page: str) -> dict[str, tuple[str, int]]:
    found = re.findall(r'<a id="antal-(\w+)" href="([^"]+)">[^<]*<strong>(\d+)</strong>', page)
    return {key: (html.unescape(href), int(total)) for key, href, total in found}


def _list_length(client, url: str) -> int:
    """How many cases the case list at ``url`` shows (every page of it)."""
    page = client.get(url)
    assert page.status_code == 200, url
    refs = set(re.findall(rf">({REFERENCE})</a>", page.text))
    if "Inga ärenden matchar." in page.text:
        return 0
    stated = int(re.search(r"(\d+) ärenden?\. Sida", page.text).group(1))
    assert stated == len(refs), url  # one page: the test data is far below 50
    return stated


def _todo_rows(page: str) -> list[str]:
    section = page.split('id="att-gora"', 1)[1]
    return re.findall(r'<tr class="todo[^"]*">(.*?)</tr>', section, re.S)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        # Försenade and Frist snart count the user's own and the unassigned cases; the
        # enhetschef also gets her units' cases whoever handles them.
        ("h@test.example", {"overdue": 3, "due_soon": 1, "assigned": 2, "unassigned": 4}),
        ("c@test.example", {"overdue": 4, "due_soon": 2, "assigned": 3, "unassigned": 4}),
        (
            "m@test.example",
            {
                "overdue": 3,
                "due_soon": 1,
                "assigned": 1,
                "unassigned": 4,
                "unit_overdue": 6,
                "unit_due_soon": 2,
            },
        ),
        ("o@test.example", {"overdue": 1, "due_soon": 0, "assigned": 0, "unassigned": 1}),
    ],
)
def test_every_count_on_a_start_page_equals_the_list_its_link_opens(
    client, auth, spread, who, expected
):
    auth.login(who)
    page = client.get("/", follow_redirects=True).text
    assert "<h1>Mina ärenden</h1>" in page
    counts = _counts(page)
    assert {key: total for key, (_, total) in counts.items()} == expected
    for key, (url, total) in counts.items():
        assert url.startswith("/arenden/?"), key
        assert _list_length(client, url) == total, (key, url)
    # "Att göra" opens its own section: exactly as many rows as it says.
    todo_count = int(re.search(r'href="#att-gora">Att göra: <strong>(\d+)<', page).group(1))
    assert len(_todo_rows(page)) == todo_count
    # The header's badge is the page's own Försenade + Frist snart.
    badge = re.search(r'class="badge">(\d+)<', page)
    assert int(badge.group(1)) == expected["overdue"] + expected["due_soon"]
    assert spread["other_unit_overdue"].reference not in page or who == "o@test.example"


def test_the_manager_sees_the_overdue_cases_of_her_unit_not_only_her_own(client, auth, spread):
    auth.login("m@test.example")
    page = client.get("/arenden/mina").text
    assert "Försenade i mina enheter: <strong>6</strong>" in page
    url = _counts(page)["unit_overdue"][0]
    listed = client.get(url).text
    for key in ("colleague_overdue", "colleague_overdue_2", "handler_overdue", "closed"):
        expected_in = key != "closed"
        assert (spread[key].reference in listed) is expected_in, key
    # The filter is visible in the list's form, so it can be seen and removed.
    assert re.search(r'<input[^>]*checked[^>]*name="mina_enheter"|name="mina_enheter"[^>]*checked',
                     listed)  # fmt: skip


def test_mina_arenden_has_one_row_per_thing_to_do_sorted_by_when(client, auth, spread):
    today = stockholm_today()
    auth.login("h@test.example")
    page = client.get("/arenden/mina").text
    rows = _todo_rows(page)
    things = [
        (re.search(REFERENCE, row).group(0), re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", row)))
        for row in rows
    ]
    by_case: dict[str, list[str]] = {}
    for reference, text in things:
        by_case.setdefault(reference, []).append(text)

    # The case with an e-mail address: acknowledgement and återkoppling, two rows.
    free_new = by_case[spread["free_new"].reference]
    assert len(free_new) == 2
    assert any("Skicka mottagningsbekräftelse" in text for text in free_new)
    assert any("Ge återkoppling" in text for text in free_new)
    # A closed case comes only with its open åtgärd, naming it and its date.
    closed = by_case[spread["closed"].reference]
    assert len(closed) == 1
    assert "Åtgärd: Byta larmet i lägenheten" in closed[0]
    assert "Försenad" in closed[0]
    assert (today - timedelta(days=3)).isoformat() in closed[0]
    # A colleague's case is not on my list; no case is listed under several headings.
    assert spread["colleague_overdue"].reference not in by_case
    assert re.findall(r'<h2 id="([^"]+)"', page) == ["att-gora", "idle-warning-title"]
    assert all(len(texts) == len(set(texts)) for texts in by_case.values())
    # Overdue is said in words, and the rows come soonest first.
    dates = [date.fromisoformat(d) for d in re.findall(r"(\d{4}-\d{2}-\d{2})", " ".join(
        re.search(r"<td>(.*?)</td>", row, re.S).group(1) for row in rows))]  # fmt: skip
    assert dates == sorted(dates)
    overdue_rows = [text for _, text in things if "Försenad" in text]
    assert len(overdue_rows) == 4  # three återkoppling past due, the closed case's åtgärd


def test_an_open_atgard_on_a_closed_case_leaves_the_list_when_done_and_followed_up(
    client, auth, spread, people
):
    closed = spread["closed"]
    action = closed.actions[0]
    handling.complete_action(people["handler"], action, done_on=stockholm_today())
    db.session.commit()
    auth.login("h@test.example")
    rows = [row for row in _todo_rows(client.get("/arenden/mina").text) if closed.reference in row]
    assert len(rows) == 1 and "Följ upp effekten av åtgärden: Byta larmet" in rows[0]
    handling.complete_action(people["handler"], db.session.merge(action),
                             done_on=stockholm_today(), effect_verdict="achieved",
                             effect_evaluated_on=stockholm_today())  # fmt: skip
    db.session.commit()
    assert closed.reference not in "".join(_todo_rows(client.get("/arenden/mina").text))


def test_medarbetare_start_on_mina_avvikelser_and_handlers_on_mina_arenden(
    client, auth, org, make, people
):
    make.case(
        org["a1"],
        by=people["staff"],
        kind_code="deviation",
        description="Larmet tjöt",
        channel_code="avvikelseblankett",
    )
    db.session.commit()
    auth.login("s@test.example")
    start = client.get("/", follow_redirects=True)
    assert start.request.path == "/avvikelser/"
    assert "<h1>Mina avvikelser</h1>" in start.text
    assert 'href="/avvikelser/ny"' in start.text
    assert "<dt>Återkoppling</dt><dd>Inte ännu</dd>" in start.text
    assert "<table" not in start.text  # cards, not a seven-column table
    auth.logout()
    auth.login("h@test.example")
    assert client.get("/", follow_redirects=True).request.path == "/arenden/mina"


def test_information_from_the_public_shows_on_mina_arenden_until_marked_as_read(
    client, auth, spread, people
):
    from casetrack.services import intake
    from tests.conftest import csrf_from

    closed = spread["closed"]
    intake.add_submitter_information(closed, "Larmet tjuter fortfarande.")
    db.session.commit()
    auth.login("c@test.example")  # handles the unit, though the case is Lena's
    page = client.get("/arenden/mina").text
    [row] = [row for row in _todo_rows(page) if "Ny information" in row]
    assert "Ny information från den som lämnade ärendet" in row and closed.reference in row
    assert f'Kom in <span class="nowrap">{stockholm_today().isoformat()}</span>' in row
    assert "Larmet tjuter" not in page  # the text itself is on the case page
    action = re.search(r'<form method="post" action="([^"]+)"', row).group(1)
    assert action == f"/arenden/{closed.id}/ny-information/last"
    # Without the CSRF token nothing happens.
    assert client.post(action).status_code == 400
    response = client.post(action, data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert f"Informationen i {closed.reference} är markerad som läst." in response.text
    assert "Ny information" not in "".join(_todo_rows(response.text))
    # Marked as read for everyone who handles the unit; the history says who did it.
    auth.logout()
    auth.login("h@test.example")
    assert "Ny information" not in client.get("/arenden/mina").text
    history = client.get(f"/arenden/{closed.id}/historik").text
    assert "markerade den nya informationen som läst" in history


def test_a_handler_of_another_unit_cannot_mark_the_information_read(client, auth, spread):
    from casetrack.services import intake
    from tests.conftest import csrf_from

    closed = spread["closed"]
    intake.add_submitter_information(closed, "Larmet tjuter fortfarande.")
    db.session.commit()
    auth.login("o@test.example")
    page = client.get("/arenden/mina").text
    assert closed.reference not in page
    response = client.post(
        f"/arenden/{closed.id}/ny-information/last", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 404
    from casetrack.queries.start_pages import has_unread_information

    assert has_unread_information(closed)


def test_a_running_lex_sarah_track_gives_a_row_per_step_still_to_register(
    client, auth, org, make, people
):
    from casetrack.services import escalation as escalation_service

    long_ago = stockholm_today() - timedelta(days=60)
    case = make.case(org["a"], by=people["handler"], kind_code="deviation",
                     received_on=long_ago, wants_feedback=False)  # fmt: skip
    handling.assign_handler(people["handler"], case, people["handler"])
    escalation_service.start_track(
        people["handler"], case, track="lex_sarah", reported_on=long_ago,
        reporter_name="Anna Ek", text="Brukaren föll när ingen kom.",
    )  # fmt: skip
    db.session.commit()
    auth.login("h@test.example")
    rows = _todo_rows(client.get("/arenden/mina").text)
    lex = [row for row in rows if case.reference in row]
    assert lex and all("Lex Sarah: " in row for row in lex)
    assert any("Försenad" in row for row in lex)
    # One row per step: no step twice.
    steps = [re.search(r"Lex Sarah: ([^<]+)", row).group(1).strip() for row in lex]
    assert len(steps) == len(set(steps))


def test_the_lex_decisions_show_to_who_records_them(client, auth, org, make, people):
    """The ställningstagande and the anmälan to IVO are the enhetschef's (or SAS's) to
    record: she sees them on her Mina ärenden whoever handles the case; the handler sees
    who records them; with an independent utredare SAS decides and she sees none."""
    from casetrack.services import escalation as escalation_service

    long_ago = stockholm_today() - timedelta(days=60)
    case = make.case(org["a"], by=people["handler"], kind_code="deviation",
                     received_on=long_ago, wants_feedback=False)  # fmt: skip
    handling.assign_handler(people["handler"], case, people["handler"])
    track = escalation_service.start_track(
        people["handler"], case, track="lex_sarah", reported_on=long_ago,
        reporter_name="Anna Ek", text="Brukaren lämnades ensam.",
    )  # fmt: skip
    db.session.commit()

    def rows_of(email: str) -> list[str]:
        auth.login(email)
        rows = _todo_rows(client.get("/arenden/mina").text)
        auth.logout()
        return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows
                if case.reference in row]  # fmt: skip

    handler_rows = rows_of("h@test.example")
    assert any(
        "Lex Sarah: Ställningstagande (registreras av enhetschef eller SAS)" in row
        for row in handler_rows
    )
    manager_rows = rows_of("m@test.example")  # the case is the handler's, not hers
    assert [row for row in manager_rows if "Lex Sarah: Ställningstagande" in row]
    assert not any("registreras av" in row for row in manager_rows)
    assert not any("Dokumenterad" in row or "dokumenterad" in row for row in manager_rows)

    # SAS names an independent utredare: the decision is SAS's, not the enhetschef's.
    investigator = make.user([(Role.INVESTIGATOR, org["root"])], email="u@test.example")
    escalation_service.assign_investigator(people["sas"], track, investigator)
    db.session.commit()
    assert not rows_of("m@test.example")
