"""Journey 5: a lex Sarah track from rapport to recorded anmälan.

A handler registers a "Ny lex Sarah-rapport" (an anonymous rapportör is refused at the
field), records that the rapport is dokumenterad and that the utredning has started; the
SAS, who may decide for lex Sarah, records the ställningstagande "allvarligt
missförhållande" and the anmälan till IVO with IVO's diarienummer; the handler closes the
utredning. Every step goes through the case page, and the history tab tells the story.
"""

from __future__ import annotations

import re

import pytest

from casetrack.domain.dates import stockholm_today
from tests.e2e.conftest import PEOPLE, log_in, screenshot
from tests.e2e.helpers import assert_accessible

pytestmark = pytest.mark.slow  # a browser and a server process per session

IVO_REFERENCE = "IVO 8.5.1-04711/2026"
REPORTER = "Sara Ek"
DESCRIPTION = "Brukaren lämnades utan tillsyn under natten trots beslut om nattillsyn."


def _record_step(page, step: str, day: str, text: str) -> None:
    page.get_by_text("Registrera nästa steg", exact=True).click()
    form = page.locator("form[action$='/steg']")
    form.get_by_label("Steg").select_option(label=step)
    form.get_by_label("Datum").fill(day)
    form.get_by_label("Text", exact=True).fill(text)
    with page.expect_navigation():
        form.get_by_role("button", name="Registrera steget").click()
    assert "Steget är registrerat." in page.locator("main").inner_text()


def test_lex_sarah_rapport_is_taken_to_a_recorded_anmalan_till_ivo(new_context, live_server):
    visited: list[str] = []
    today = stockholm_today().isoformat()
    sas_name = PEOPLE["sas"][1]

    # The handler starts a new lex Sarah-rapport from the navigation.
    page = new_context().new_page()
    log_in(page, "handler")
    page.get_by_role("link", name="Ny lex Sarah-rapport").click()
    page.wait_for_url("**/lex-sarah/ny")
    assert page.get_by_role("heading", level=1).inner_text() == "Ny lex Sarah-rapport"
    assert "kan inte vara anonym" in page.locator("main").inner_text()
    assert_accessible(page, visited)

    page.get_by_label("Enhet").select_option(label="Aspudden hemtjänst")
    page.get_by_label("Rapporten mottogs").fill(today)
    page.get_by_label("Rapportör (namn)").fill("anonym")
    page.get_by_label("Händelsedatum").fill(today)
    page.get_by_label("Berörd brukare").fill("K. L.")
    page.get_by_label("Vad rapporten gäller").fill(DESCRIPTION)

    # An anonymous rapportör is refused, with the message at the field and in the summary.
    with page.expect_navigation():
        page.get_by_role("button", name="Registrera rapporten").click()
    assert "/lex-sarah/ny" in page.url
    refusal = "Rapportören måste anges med namn. En rapport kan inte vara anonym."
    reporter = page.get_by_label("Rapportör (namn)")
    assert reporter.get_attribute("aria-invalid") == "true"
    error_id = f"{reporter.get_attribute('id')}-error"
    assert error_id in reporter.get_attribute("aria-describedby").split()
    assert refusal in page.locator(f"#{error_id}").inner_text()
    assert refusal in page.locator(".error-summary").inner_text()
    # What the user typed is kept.
    assert page.get_by_label("Vad rapporten gäller").input_value() == DESCRIPTION
    screenshot(page, "journey5-1-anonymous-refused")
    assert_accessible(page, visited)

    # With a named rapportör the rapport becomes a case with a lex Sarah track.
    reporter.fill(REPORTER)
    with page.expect_navigation():
        page.get_by_role("button", name="Registrera rapporten").click()
    flash = page.locator("main").inner_text()
    match = re.search(r"Lex Sarah-rapporten är registrerad som (\S+)\.", flash)
    assert match, flash
    reference = match.group(1)
    assert reference in page.get_by_role("heading", level=1).inner_text()
    case_url = page.url.split("#")[0]
    track = page.locator("section[id^='lex-']")
    assert track.get_by_role("heading", name="Lex Sarah").is_visible()
    lines = track.inner_text()
    assert REPORTER in lines
    assert "Rapport mottagen" in lines
    assert "Inget ställningstagande ännu" in lines
    assert "Inte beslutat" in lines and "Inte avslutad" in lines
    # A handler may record steps but not decide.
    assert page.get_by_text("Registrera ställningstagande", exact=True).count() == 0
    screenshot(page, "journey5-2-case-started")
    assert_accessible(page, visited)

    _record_step(page, "Rapporten dokumenterad", today, "Rapporten finns i verksamhetssystemet.")
    _record_step(page, "Utredning påbörjad", today, "Lena Berg utreder, samtal med personalen.")
    steps = track.locator("ol.entry-list").inner_text()
    assert "Rapporten dokumenterad" in steps and "Utredning påbörjad" in steps
    assert "registrerat av Lena Berg" in steps
    assert_accessible(page, visited)

    # The SAS records the ställningstagande and the anmälan till IVO.
    sas = new_context().new_page()
    log_in(sas, "sas")
    sas.goto(case_url)
    assert reference in sas.get_by_role("heading", level=1).inner_text()
    assert_accessible(sas, visited)
    sas.get_by_text("Registrera ställningstagande", exact=True).click()
    decision = sas.locator("form[action$='/stallningstagande']")
    decision.get_by_label("Datum för ställningstagandet").fill(today)
    decision.get_by_label("Allvarligt missförhållande", exact=True).check()
    decision.get_by_label("Motivering").fill(
        "Utebliven nattillsyn är ett allvarligt missförhållande för brukaren."
    )
    with sas.expect_navigation():
        decision.get_by_role("button", name="Registrera ställningstagandet").click()
    sas_track = sas.locator("section[id^='lex-']")
    text = sas.locator("main").inner_text()
    assert "Ställningstagandet är registrerat." in text
    lines = sas_track.inner_text()
    assert "Allvarligt missförhållande (ska anmälas till IVO)" in lines
    assert_accessible(sas, visited)

    sas.get_by_text("Registrera anmälan till IVO", exact=True).click()
    ivo = sas.locator("form[action$='/ivo']")
    ivo.get_by_label("Anmälan skickad till IVO").fill(today)
    ivo.get_by_label("IVO:s diarienummer").fill(IVO_REFERENCE)
    ivo.get_by_label("Vem gjorde anmälan").select_option(label=sas_name)
    ivo.get_by_label("Kommentar").fill("Anmäld via IVO:s e-tjänst.")
    with sas.expect_navigation():
        ivo.get_by_role("button", name="Registrera anmälan").click()
    assert "Anmälan till IVO är registrerad." in sas.locator("main").inner_text()
    lines = sas_track.inner_text()
    assert f"IVO:s diarienummer {IVO_REFERENCE}" in lines
    assert f"anmäld av {sas_name}" in lines
    assert "Anmälan till IVO" in sas_track.locator("ol.entry-list").inner_text()
    # Once reported there is nothing more to decide.
    assert sas.get_by_text("Ingen anmälan till IVO", exact=True).count() == 0
    screenshot(sas, "journey5-3-anmalan-ivo")
    assert_accessible(sas, visited)

    # The handler closes the utredning.
    page.goto(case_url)
    assert IVO_REFERENCE in track.inner_text()
    _record_step(page, "Utredning avslutad", today, "Nattillsynen är nu schemalagd och följs upp.")
    lines = track.inner_text()
    assert "Inte avslutad" not in lines
    assert "Utredning avslutad" in track.locator("ol.entry-list").inner_text()
    # After the utredning only informing the enskilde may still be registered.
    options = page.locator("form[action$='/steg']").get_by_label("Steg").locator("option")
    assert [o.strip() for o in options.all_text_contents()] == ["Den enskilde informerad"]
    screenshot(page, "journey5-4-utredning-avslutad")
    assert_accessible(page, visited)

    # The history tab tells who did what.
    page.get_by_role("link", name="Historik").click()
    page.wait_for_url("**/historik")
    history = page.locator("ol.history").inner_text()
    assert "startade en utredning enligt Lex Sarah" in history
    assert f"rapport mottagen {today}" in history
    for step in ("Rapporten dokumenterad", "Utredning påbörjad", "Utredning avslutad"):
        assert f"Lex Sarah: {step}, {today}" in history
    assert f"{sas_name} registrerade ställningstagandet" in history
    assert f"{sas_name} registrerade anmälan till IVO" in history
    assert IVO_REFERENCE in history
    screenshot(page, "journey5-5-history")
    assert_accessible(page, visited)
    print("\njourney 5 scanned:", ", ".join(visited))
