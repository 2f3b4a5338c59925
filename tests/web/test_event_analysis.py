"""Issue 19, händelseanalys: the handler records the händelseförlopp, the causes by cause
area, who took part and when the result was reported back, on a page reached from the
case's Utredning section; above the risk threshold the avvikelse cannot be closed until
the analysis is complete, and the refusal says what is missing."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.dates import stockholm_today
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import (
    AccessLogEntry,
    AuditEntry,
    Case,
    InvestigationCause,
    InvestigationEvent,
    InvestigationParticipant,
)
from tests.web.test_deviation_classification import _classify
from tests.web.test_handling_pages import _form_fields


@pytest.fixture
def people(org, make):
    people = {
        "staff": make.user([(Role.STAFF, org["a1"])], email="staff@test.example"),
        "handler": make.user([(Role.HANDLER, org["a"])], email="handler@test.example"),
        "handler_b": make.user([(Role.HANDLER, org["b"])], email="handler-b@test.example"),
        "quality": make.user([(Role.QUALITY, org["root"])], email="quality@test.example"),
        "admin": make.user([(Role.ADMIN, org["root"])], email="admin@test.example"),
    }
    db.session.commit()
    return people


def _page_url(case) -> str:
    return f"/avvikelser/{case.id}/handelseanalys"


def _post(client, case, path: str, data: dict, *, form_action: str | None = None):
    """Post one of the page's forms as a browser would: its hidden fields from the page."""
    page = client.get(_page_url(case)).text
    url = _page_url(case) + path
    return client.post(url, data={**_form_fields(page, form_action or url), **data})


def _deviation(make, org, people, **kw) -> Case:
    return make.case(
        org["a1"], by=people["staff"], kind_code="deviation", source_code="medarbetare",
        category_codes=["rutiner"], **kw,
    )  # fmt: skip


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_closing_is_refused_until_the_analysis_is_complete_then_allowed(
    client, auth, org, people, make
):
    from casetrack.services import handling

    case = _deviation(make, org, people)
    handling.give_feedback(
        people["handler"], case, given_on=date(2026, 3, 3), given_to="Medarbetaren",
        method="mote", summary="Vi har gått igenom händelsen tillsammans.",
    )  # fmt: skip
    db.session.commit()
    auth.login("handler@test.example")
    response = _classify(
        auth, case, lagrum="hsl", event_type_code="fall", probability="3", consequence_level="3"
    )
    assert response.status_code == 302

    # The case page's Utredning section leads to the analysis.
    case_page = client.get(f"/arenden/{case.id}").text
    assert f'href="{_page_url(case)}"' in case_page
    assert "Händelseanalysen är inte komplett än." in case_page

    close_url = f"/arenden/{case.id}/avsluta"
    response = client.post(close_url, data=_form_fields(case_page, close_url))
    assert response.status_code == 422
    assert (
        "Det saknas: händelseförloppet (minst en händelse), minst en orsak med "
        "orsaksområde, vilka som deltog (minst en deltagare), datum då utredningen "
        "avslutades." in _text(response.text)
    )

    # The händelseförlopp, entered out of order, is shown in order.
    for data in (
        {"occurred_on": "2026-03-01", "occurred_time": "07:45",
         "description": "Morgonpersonalen hittade brukaren på golvet i badrummet."},
        {"occurred_on": "2026-03-01", "occurred_time": "",
         "description": "Nattpersonalen gick sista tillsynen utan anteckning."},
        {"occurred_on": "2026-02-28", "occurred_time": "22.10",
         "description": "Brukaren fick sin kvällsmedicin."},
    ):  # fmt: skip
        response = _post(client, case, "/handelser", data)
        assert response.status_code == 302, response.text
        assert response.headers["Location"].endswith("#forlopp")
    page = client.get(_page_url(case)).text
    evening = page.index("Brukaren fick sin kvällsmedicin.")
    night = page.index("Nattpersonalen gick sista tillsynen")
    morning = page.index("Morgonpersonalen hittade brukaren")
    assert evening < night < morning
    assert "kl. 22:10" in page and "kl. 07:45" in page

    # One entry corrected, one removed.
    night_id = db.session.scalar(
        sa.select(InvestigationEvent.id).where(
            InvestigationEvent.description.like("Nattpersonalen%")
        )
    )
    response = _post(
        client, case, f"/handelser/{night_id}",
        {"occurred_on": "2026-03-01", "occurred_time": "05:30",
         "description": "Nattpersonalen gick sista tillsynen kl. 05.30."},
    )  # fmt: skip
    assert response.status_code == 302
    evening_id = db.session.scalar(
        sa.select(InvestigationEvent.id).where(InvestigationEvent.description.like("Brukaren%"))
    )
    assert _post(client, case, f"/handelser/{evening_id}/ta-bort", {}).status_code == 302
    page = client.get(_page_url(case)).text
    assert "kvällsmedicin" not in page
    assert "kl. 05:30" in page and "sista tillsynen kl. 05.30" in page

    # A cause with its area, and who took part.
    response = _post(
        client, case, "/orsaker",
        {"description": "Larmet i badrummet var avstängt.", "area": "teknik"},
    )  # fmt: skip
    assert response.status_code == 302
    response = _post(
        client, case, "/deltagare", {"name": "Anna Ek", "role": "Undersköterska, nattpersonal"}
    )
    assert response.status_code == 302
    page = client.get(_page_url(case)).text
    assert "Teknik/utrustning" in page and "Larmet i badrummet var avstängt." in page
    assert "Ingen åtgärd kopplad" in page
    assert "Anna Ek, Undersköterska, nattpersonal" in page

    # Still not complete: the utredning is not completed.
    response = client.post(close_url, data=_form_fields(client.get(f"/arenden/{case.id}").text,
                                                        close_url))  # fmt: skip
    assert response.status_code == 422
    assert "Det saknas: datum då utredningen avslutades." in _text(response.text)

    inv_url = f"/arenden/{case.id}/utredning"
    response = client.post(
        inv_url,
        data={
            **_form_fields(client.get(f"/arenden/{case.id}").text, inv_url),
            "started_on": "2026-03-03",
            "what_happened": "",
            "assessment": "",
            "conclusion": "Larmet ska alltid vara på nattetid.",
            "completed_on": "2026-03-10",
        },
    )
    assert response.status_code == 302
    response = _post(
        client, case, "/aterrapportering",
        {"reported_back_on": "2026-03-12", "reported_back_how": "på arbetsplatsträffen"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(_page_url(case)).text
    assert "Händelseanalysen är komplett." in page
    assert "återrapporterades till personalen 2026-03-12 (på arbetsplatsträffen)" in page

    case_page = client.get(f"/arenden/{case.id}").text
    assert "Händelseanalysen är komplett." in case_page
    assert "(händelseanalys gjord)" in case_page
    assert "Orsaksområde: Teknik/utrustning" in case_page
    response = client.post(
        close_url, data={**_form_fields(case_page, close_url), "no_feedback_reason": ""}
    )
    assert response.status_code == 302, _text(response.text)[:3000]
    db.session.expire_all()
    assert db.session.get(Case, case.id).closed_at is not None

    # Every write is audited, none with its free text; the reads are access-logged.
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.case_id == case.id)).all()
    actions = [entry.action for entry in entries]
    for action in (
        "analysis.event_added",
        "analysis.event_updated",
        "analysis.event_removed",
        "cause.added",
        "analysis.participant_added",
        "analysis.reported_back",
    ):
        assert action in actions
    stored = json.dumps([[e.before, e.after] for e in entries], ensure_ascii=False)
    for secret in ("Anna Ek", "nattpersonal", "Larmet", "Morgonpersonalen", "arbetsplatsträffen"):
        assert secret not in stored
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.case_id == case.id, AccessLogEntry.what == "deviation.analysis")
    )
    history = client.get(f"/arenden/{case.id}/historik").text
    assert "lade till en händelse i händelseförloppet" in history
    assert "registrerade återrapporteringen till personalen" in history


def test_earlier_causes_have_no_area_until_set_and_show_their_atgarder(
    client, auth, org, people, make
):
    from casetrack.services import handling, investigation

    case = _deviation(make, org, people)
    old = investigation.add_cause(people["handler"], case, "Ny vikarie utan introduktion.")
    other = investigation.add_cause(people["handler"], case, "Halt golv efter städning.")
    db.session.flush()
    handling.add_action(
        people["handler"], case, description="Introduktion med checklista för vikarier.",
        responsible="Enhetschefen", cause_id=old.id,
    )  # fmt: skip
    db.session.commit()
    auth.login("handler@test.example")
    page = _text(client.get(_page_url(case)).text)
    assert "Ej angivet orsaksområde" in page
    assert "Introduktion med checklista för vikarier. (Enhetschefen" in page
    assert "Ingen åtgärd kopplad" in page  # the second cause
    assert "minst en orsak med orsaksområde" in page

    response = _post(client, case, f"/orsaker/{old.id}", {"area": "kunskap"})
    assert response.status_code == 302
    page = _text(client.get(_page_url(case)).text)
    kunskap = page.index("Kunskap/kompetens")
    assert page.index("Ny vikarie utan introduktion.") > kunskap
    assert page.index("Ej angivet orsaksområde") > kunskap  # the other, still without
    assert page.index("Halt golv efter städning.") > page.index("Ej angivet orsaksområde")
    db.session.expire_all()
    assert db.session.get(InvestigationCause, other.id).area is None
    assert db.session.get(InvestigationCause, old.id).area == "kunskap"
    history = client.get(f"/arenden/{case.id}/historik").text
    assert "angav orsaksområde för en orsak" in history
    assert "från (tomt) till Kunskap/kompetens" in history


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/handelser", {"occurred_on": "", "occurred_time": "", "description": "Föll."},
         "Ange datum (ÅÅÅÅ-MM-DD)."),
        ("/handelser", {"occurred_on": "2026-03-01", "occurred_time": "25:00",
                        "description": "Föll."}, "Ange klockslag som TT:MM"),
        ("/handelser", {"occurred_on": "2026-03-01", "occurred_time": "", "description": " "},
         "Beskriv vad som hände."),
        ("/handelser", {"occurred_on": (stockholm_today() + timedelta(days=1)).isoformat(),
                        "occurred_time": "", "description": "Föll."},
         "Datumet kan inte vara i framtiden."),
        ("/orsaker", {"description": "Halt golv."}, "Välj ett orsaksområde."),
        ("/orsaker", {"description": "Halt golv.", "area": "vadsomhelst"},
         "Välj ett orsaksområde."),
        ("/orsaker", {"description": "", "area": "omgivning"}, "Beskriv orsaken."),
        ("/deltagare", {"name": "Anna Ek", "role": ""}, "Ange funktion eller yrkesroll."),
        ("/deltagare", {"name": "", "role": "Sjuksköterska"}, "Ange namnet."),
        ("/aterrapportering", {"reported_back_on": "2026-03-12"},
         "Ange först när utredningen påbörjades"),
    ],
)  # fmt: skip
def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(
    client, auth, org, people, make, path, data, message
):
    case = _deviation(make, org, people)
    db.session.commit()
    auth.login("handler@test.example")
    before = (_count(InvestigationEvent), _count(InvestigationCause))
    response = _post(client, case, path, data)
    assert response.status_code == 422
    assert message in response.text
    assert 'class="field-error"' in response.text or "Ange först" in response.text
    assert "Det finns fel i formuläret" in response.text
    assert (_count(InvestigationEvent), _count(InvestigationCause)) == before
    assert _count(InvestigationParticipant) == 0
    db.session.expire_all()
    assert db.session.get(Case, case.id).version == case.version


def test_reported_back_must_not_be_before_the_analysis_started_nor_in_the_future(
    client, auth, org, people, make
):
    from casetrack.services import investigation

    case = _deviation(make, org, people)
    investigation.save_investigation(
        people["handler"], case, started_on=date(2026, 3, 5), what_happened=None,
        assessment=None, conclusion=None, completed_on=None,
    )  # fmt: skip
    db.session.commit()
    auth.login("handler@test.example")
    response = _post(client, case, "/aterrapportering", {"reported_back_on": "2026-03-04"})
    assert response.status_code == 422
    assert "Återrapporteringen kan inte vara före analysen påbörjades (2026-03-05)." in (
        response.text
    )
    tomorrow = (stockholm_today() + timedelta(days=1)).isoformat()
    response = _post(client, case, "/aterrapportering", {"reported_back_on": tomorrow})
    assert response.status_code == 422
    assert "Datumet kan inte vara i framtiden." in response.text
    response = _post(client, case, "/aterrapportering", {"reported_back_on": "2026-03-05"})
    assert response.status_code == 302


def test_who_may_read_and_record_the_analysis(client, auth, org, people, make):
    case = _deviation(make, org, people)
    complaint = make.case(org["a1"], by=people["handler"])
    db.session.commit()
    event = {"occurred_on": "2026-03-01", "occurred_time": "", "description": "Föll."}

    # The handler of another unit, the staff member who filed it, and the administrator
    # get 404 for the page and for a write.
    for email in ("handler-b@test.example", "staff@test.example", "admin@test.example"):
        auth.login(email)
        assert client.get(_page_url(case)).status_code == 404, email
        token_page = client.get("/", follow_redirects=True).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page)
        data = {**event, "version": str(case.version)}
        if token:
            data["csrf_token"] = token.group(1)
        assert client.post(_page_url(case) + "/handelser", data=data).status_code == 404
        auth.logout()

    # The kvalitetsansvarig reads the analysis but has no forms and may not write.
    auth.login("quality@test.example")
    page = client.get(_page_url(case))
    assert page.status_code == 200
    assert "Lägg till en händelse i förloppet" not in page.text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    data = {**event, "version": str(case.version)}
    if token:
        data["csrf_token"] = token.group(1)
    assert client.post(_page_url(case) + "/handelser", data=data).status_code == 404
    auth.logout()
    assert _count(InvestigationEvent) == 0

    # A klagomål has no händelseanalys page.
    auth.login("handler@test.example")
    assert client.get(_page_url(complaint)).status_code == 404


def test_a_form_opened_before_someone_else_saved_is_refused_as_stale(
    client, auth, org, people, make
):
    case = _deviation(make, org, people)
    db.session.commit()
    auth.login("handler@test.example")
    page = client.get(_page_url(case)).text
    url = _page_url(case) + "/deltagare"
    hidden = _form_fields(page, url)
    assert (
        _post(client, case, "/deltagare", {"name": "Bo", "role": "Sjuksköterska"}).status_code
        == 302
    )
    response = client.post(url, data={**hidden, "name": "Cia", "role": "Undersköterska"})
    assert response.status_code == 409
    assert _count(InvestigationParticipant) == 1


def test_a_participant_is_removed(client, auth, org, people, make):
    case = _deviation(make, org, people)
    db.session.commit()
    auth.login("handler@test.example")
    assert _post(client, case, "/deltagare", {"name": "Bo Ek", "role": "MAS"}).status_code == 302
    participant_id = db.session.scalar(sa.select(InvestigationParticipant.id))
    response = _post(client, case, f"/deltagare/{participant_id}/ta-bort", {})
    assert response.status_code == 302
    assert _count(InvestigationParticipant) == 0
    assert "Inga deltagare registrerade." in client.get(_page_url(case)).text
