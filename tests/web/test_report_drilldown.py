"""A number in the report opens a case list that says which cell it is, shows its filter
as links that remove each part, and leads back to the same report (issue 20)."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from casetrack.domain.roles import Role
from casetrack.extensions import db


@pytest.fixture
def world(org, make):
    handler = make.user([(Role.HANDLER, org["dept"])], name="H")
    make.user([(Role.QUALITY, org["dept"])], email="q@test.example")
    make.user([(Role.HANDLER, org["a"])], email="handl@test.example")
    for day, source in (
        (date(2025, 2, 3), "brukare"),
        (date(2025, 3, 9), "brukare"),
        (date(2025, 6, 3), "brukare"),
        (date(2025, 3, 4), "narstaende"),
    ):
        make.case(org["a"], by=handler, received_on=day, source_code=source, category_codes=[])
    db.session.commit()


def _link(page: str, label_start: str) -> str:
    found = re.search(rf'<a href="(/arenden/\?[^"]+)" aria-label="{re.escape(label_start)}', page)
    assert found, label_start
    return html.unescape(found.group(1))


def _h1(page: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()


def _chips(page: str) -> dict[str, str]:
    """{filter text: the URL that removes it}."""
    return {
        html.unescape(text): html.unescape(url)
        for url, text in re.findall(r'<a class="chip" href="([^"]+)"><span>([^<]+)</span>', page)
    }


def _back(page: str) -> tuple[str, str] | None:
    found = re.search(r'<p class="back-link"><a href="([^"]+)">([^<]+)</a>', page)
    return (html.unescape(found.group(1)), html.unescape(found.group(2))) if found else None


def test_a_report_number_opens_a_list_named_after_its_cell(client, auth, org, world):
    auth.login("q@test.example")
    report = client.get(f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3").text
    listing = client.get(_link(report, "Brukare/patient, T1: 2 ärenden"))
    assert listing.status_code == 200
    assert _h1(listing.text) == "Brukare/patient, T1 2025: 2 ärenden"
    assert "<title>Brukare/patient, T1 2025: 2 ärenden" in listing.text
    assert set(_chips(listing.text)) == {
        "Enhet: Äldreomsorg",
        "Inkom från och med: 2025-01-01",
        "Inkom till och med: 2025-04-30",
        "Rad i tertialrapporten: Brukare/patient",
    }
    url, text = _back(listing.text)
    assert text == "Tillbaka till rapporten: Äldreomsorg, 2025 till och med VB"
    assert url == f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3#rad-source-brukare"
    assert client.get(url).status_code == 200

    total = client.get(_link(report, "Brukare/patient, totalt: 3 ärenden"))
    assert _h1(total.text) == "Brukare/patient, totalt 2025 till och med VB: 3 ärenden"


def test_removing_a_filter_widens_the_list_and_keeps_the_way_back(client, auth, org, world):
    auth.login("q@test.example")
    report = client.get(f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3").text
    listing = client.get(_link(report, "Brukare/patient, T1: 2 ärenden")).text

    wider = client.get(_chips(listing)["Inkom till och med: 2025-04-30"])
    assert wider.status_code == 200
    assert _h1(wider.text) == "Brukare/patient, inkom från och med 2025-01-01: 3 ärenden"
    assert "Inkom till och med: 2025-04-30" not in _chips(wider.text)
    assert _back(wider.text) == _back(listing)

    # Without the row filter the list is the plain case list again, still with the link.
    plain = client.get(_chips(wider.text)["Rad i tertialrapporten: Brukare/patient"])
    assert _h1(plain.text) == "Ärenden"
    assert "4 ärenden. Sida 1" in plain.text
    back_url, back_text = _back(plain.text)
    assert back_text == _back(listing)[1]
    assert back_url == f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3"


def test_the_missing_data_warning_names_its_list(client, auth, org, world):
    auth.login("q@test.example")
    report = client.get(f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3").text
    found = re.search(r'<a href="([^"]+)">4 ärenden saknar kategori</a>', report)
    listing = client.get(html.unescape(found.group(1)))
    assert _h1(listing.text) == "Saknar kategori, totalt 2025 till och med VB: 4 ärenden"


def test_a_report_the_viewer_may_not_read_gives_no_way_back(client, auth, org, world):
    """A handler (no report access) opening a shared drill-down link sees the list of their
    own cases without a link to a report they cannot open; a made-up value is ignored."""
    auth.login("handl@test.example")
    url = f"/arenden/?enhet={org['a'].id}&rad=source:brukare&rapport={org['dept'].id}-2025-3"
    page = client.get(url)
    assert page.status_code == 200
    assert _back(page.text) is None
    assert _h1(page.text) == "Brukare/patient: 3 ärenden"
    auth.logout()
    auth.login("q@test.example")
    for bad in ("x", "1-2-3-4", f"{org['dept'].id}-1999-3", f"{org['dept'].id}-2025-7"):
        page = client.get(f"/arenden/?rad=source:brukare&rapport={bad}")
        assert page.status_code == 200
        assert _back(page.text) is None


def test_filters_of_an_ordinary_list_are_shown_and_removable(client, auth, org, world):
    auth.login("q@test.example")
    page = client.get("/arenden/?status=open&kalla=narstaende&forsenade=y&sortering=status")
    chips = _chips(page.text)
    assert set(chips) == {"Status: Alla öppna", "Från vem: Närstående (anhörig, god man, etc.)",
                          "Bara försenade"}  # fmt: skip
    assert _h1(page.text) == "Ärenden"
    without = chips["Bara försenade"]
    assert "forsenade" not in without and "sortering=status" in without
