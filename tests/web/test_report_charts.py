"""The report's charts are honest and the page is valid (issue 20): bars of one group
share a scale and carry their numbers, a tertial that has not ended says so, the
comparison with a finished tertial is marked, and no id repeats."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest

from casetrack.domain.dates import stockholm_today
from casetrack.domain.roles import Role
from casetrack.domain.tertials import tertial_of
from casetrack.extensions import db


@pytest.fixture
def world(org, make):
    handler = make.user([(Role.HANDLER, org["dept"])], name="H")
    make.user([(Role.QUALITY, org["dept"])], email="q@test.example")
    cases = [(date(2025, 2, 3), ["mat"])] + [
        (date(2025, 2, 4 + n), ["bemotande"]) for n in range(6)
    ]
    for day, categories in cases:
        make.case(
            org["a"], by=handler, received_on=day, source_code="brukare", category_codes=categories
        )
    db.session.commit()


def _trend_svg(page: str, row_label: str) -> str:
    trend = page[page.index('id="trend"') :]
    found = re.search(
        rf'<th scope="row">{re.escape(row_label)}</th>.*?(<svg class="sparkbars".*?</svg>)',
        trend,
        re.S,
    )
    assert found, row_label
    return found.group(1)


def _bars(svg: str) -> list[tuple[float, str]]:
    return [(float(h), kind) for h, kind in re.findall(r'height="([\d.]+)" class="([^"]+)"', svg)]


def test_bars_of_a_group_share_one_scale_and_show_their_numbers(client, auth, org, world):
    auth.login("q@test.example")
    page = client.get(f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3").text
    mat, bemotande = _trend_svg(page, "Mat och måltider"), _trend_svg(page, "Bemötande")
    (mat_height, _), (bemotande_height, _) = _bars(mat)[0], _bars(bemotande)[0]
    assert bemotande_height == pytest.approx(6 * mat_height, rel=0.01)  # 1 is a sixth of 6
    values = r'class="spark-value"[^>]*>(\d+)</text>'
    assert re.findall(values, mat) == ["0", "0", "0", "1", "0", "0"]  # T1 2024 … VB 2025
    assert re.findall(values, bemotande) == ["0", "0", "0", "6", "0", "0"]
    assert "Skala 0–6" in mat and "Skala 0–6" in bemotande
    assert "Diagram (skala 0–6)" in page
    # All of 2025 has ended: nothing is marked as in progress.
    assert "pågår" not in page

    # Bars by category and by från vem, with the numbers beside them.
    distribution = page[page.index('id="fordelning"') : page.index('id="trend"')]
    assert "<caption>Från vem har klagomål" in distribution
    assert "<caption>Vad gällde klagomålet" in distribution
    row = re.search(r'<th scope="row">Bemötande</th><td class="num">(\d+)</td>', distribution)
    assert row.group(1) == "6"


def test_a_tertial_that_has_not_ended_is_marked_in_text(client, auth, org, make, world):
    today = stockholm_today()
    make.case(org["a"], by=None, received_on=today, source_code="brukare", category_codes=["mat"])
    db.session.commit()
    auth.login("q@test.example")
    name = {1: "T1", 2: "T2", 3: "VB"}[tertial_of(today)]
    page = client.get(
        f"/rapport/?enhet={org['dept'].id}&ar={today.year}&tertial={tertial_of(today)}"
    ).text
    assert f"{name} {today.year} (pågår)</th>" in page  # the trend's and comparison's column
    assert f"{name} {today.year} pågår till och med" in page
    assert "så skillnaden är inte slutlig" in page
    svg = _trend_svg(page, "Mat och måltider")
    assert f"{name} {today.year} (pågår): 1" in svg
    assert _bars(svg)[-1][1] == "spark-bar spark-bar--open"


def test_no_id_repeats_on_the_report_page(client, auth, org, world):
    auth.login("q@test.example")
    page = client.get(f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3").text
    assert page.count("Spara text") == 25  # the summary forms are there
    repeated = {i: n for i, n in Counter(re.findall(r'\sid="([^"]+)"', page)).items() if n > 1}
    assert not repeated


def test_each_scroll_box_is_a_named_focusable_region(client, auth, org, world):
    auth.login("q@test.example")
    for url in (f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3", "/arenden/"):
        page = client.get(url).text
        boxes = re.findall(r'<div class="table-wrap"[^>]*>', page)
        assert boxes
        for box in boxes:
            assert 'tabindex="0"' in box and 'role="region"' in box
            assert re.search(r'aria-label(ledby)?="[^"]+"', box)
