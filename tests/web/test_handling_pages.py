"""A handler takes a case from registration to closing through the case page."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import Case
from tests.conftest import csrf_from


def _form_fields(html: str, action: str) -> dict:
    """The hidden fields (csrf, version, opened_at) of the form posting to ``action``."""
    form = re.search(
        rf'<form[^>]*action="{re.escape(action)}(?:#[^"]*)?"[^>]*>(.*?)</form>', html, re.S
    )
    assert form, f"no form posting to {action}"
    return dict(
        re.findall(r'<input[^>]*name="(\w+)"[^>]*type="hidden"[^>]*value="([^"]*)"', form.group(1))
    ) | dict(
        re.findall(r'<input[^>]*type="hidden"[^>]*name="(\w+)"[^>]*value="([^"]*)"', form.group(1))
    )


def _post(client, case, action: str, data: dict):
    page = client.get(f"/arenden/{case.id}").text
    url = f"/arenden/{case.id}/{action}"
    return client.post(url, data={**_form_fields(page, url), **data})


def test_a_complaint_goes_from_assignment_to_closing(client, auth, org, people, make):
    case = make.case(org["a"], by=people["handler"], received_on=date(2026, 3, 2))
    auth.login("h@test.example")

    assert (
        _post(client, case, "tilldela", {"handler_id": str(people["handler"].id)}).status_code
        == 302
    )
    assert _post(client, case, "status", {"status_code": "under_utredning"}).status_code == 302
    response = _post(client, case, "avsluta", {"no_feedback_reason": ""})
    assert response.status_code == 422
    assert "kan inte avslutas utan återkoppling" in response.text

    response = _post(
        client, case, "aterkoppling",
        {"given_on": "2026-03-05", "given_to": "Dottern", "method": "telefon",
         "summary": "Vi har gått igenom rutinen."},
    )  # fmt: skip
    assert response.status_code == 302
    new_action = {
        "description": "Rutinen gås igenom på APT",
        "responsible": "Lena Berg",
        "due_on": "2026-03-20",
    }
    assert _post(client, case, "atgarder", new_action).status_code == 302
    action_id = db.session.scalar(sa.text("SELECT id FROM case_action"))
    page = client.get(f"/arenden/{case.id}").text
    url = f"/arenden/{case.id}/atgarder/{action_id}"
    response = client.post(
        url,
        data={
            **_form_fields(page, url),
            "done_on": "2026-03-06",
            "effect_evaluated_on": "2026-03-09",
            "effect_verdict": "achieved",
            "effect_waived_reason": "",
        },
    )
    assert response.status_code == 302
    closing = {"no_feedback_reason": "", "source_code": "narstaende", "category_codes": "bemotande"}
    assert _post(client, case, "avsluta", closing).status_code == 302

    db.session.expire_all()
    closed = db.session.get(Case, case.id)
    assert closed.status_code == "avslutad"
    assert closed.assigned_handler_id == people["handler"].id
    page = client.get(f"/arenden/{case.id}").text
    assert "Avslutad" in page and "Effekt uppnådd" in page and "Öppna ärendet igen" in page
    history = client.get(f"/arenden/{case.id}/historik").text
    assert "ändrade status från Registrerad till Under utredning" in history
    assert "registrerade återkoppling" in history
    assert "avslutade ärendet" in history

    assert _post(client, case, "oppna", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).status_code == "under_utredning"


def test_saving_over_someone_elses_change_answers_409_and_shows_it(
    app, client, auth, org, people, make
):
    case = make.case(org["a"], by=people["handler"])
    auth.login("h@test.example")
    stale_page = client.get(f"/arenden/{case.id}").text

    colleague = app.test_client()
    colleague_page = colleague.get("/logga-in").text
    colleague.post(
        "/logga-in",
        data={"email": "c@test.example", "password": "korrekt-hast-batteri-häftstift",
              "csrf_token": csrf_from(colleague_page)},
    )  # fmt: skip
    url = f"/arenden/{case.id}/status"
    fresh = colleague.get(f"/arenden/{case.id}").text
    assert (
        colleague.post(
            url, data={**_form_fields(fresh, url), "status_code": "atgarder_pagar"}
        ).status_code
        == 302
    )

    response = client.post(
        url, data={**_form_fields(stale_page, url), "status_code": "under_utredning"}
    )
    assert response.status_code == 409
    assert "Ärendet har ändrats av någon annan" in response.text
    assert "Omar Ek" in response.text
    assert "ändrade status från Registrerad till Åtgärder pågår" in response.text
    db.session.expire_all()
    assert db.session.get(Case, case.id).status_code == "atgarder_pagar"


@pytest.mark.parametrize("who", ["other", "quality", "staff"])
def test_those_who_may_not_handle_get_404_on_every_handling_post(
    client, auth, org, people, make, who
):
    case = make.case(org["a"], by=people["handler"])
    auth.login(people[who].email)
    token = csrf_from(client.get("/arenden/").text)  # the logout form carries one
    for action in ("tilldela", "status", "uppgifter", "aterkoppling", "atgarder", "anteckningar",
                   "mottagningsbekraftelse", "avsluta", "oppna"):  # fmt: skip
        response = client.post(
            f"/arenden/{case.id}/{action}", data={"csrf_token": token, "version": "1"}
        )
        assert response.status_code == 404, (action, response.status_code)
    db.session.expire_all()
    assert db.session.get(Case, case.id).status_code == "registrerad"


def test_internal_notes_are_hidden_from_the_staff_member_who_filed(client, auth, org, people, make):
    case = make.case(org["a1"], by=people["staff"], kind_code="deviation")
    auth.login("h@test.example")
    assert (
        _post(
            client, case, "anteckningar", {"body": "Pratat med chefen om bemanningen"}
        ).status_code
        == 302
    )
    assert "Pratat med chefen" in client.get(f"/arenden/{case.id}").text
    client.post("/logga-ut", data={"csrf_token": csrf_from(client.get("/arenden/").text)})
    auth.login("s@test.example")
    page = client.get(f"/arenden/{case.id}")
    assert page.status_code == 200
    assert "Pratat med chefen" not in page.text
    assert "Registrera återkoppling" not in page.text


def test_bad_feedback_input_is_shown_at_the_field_and_nothing_is_saved(
    client, auth, org, people, make
):
    case = make.case(org["a"], by=people["handler"], received_on=date(2026, 3, 2))
    auth.login("h@test.example")
    response = _post(
        client, case, "aterkoppling",
        {"given_on": "2026-03-01", "given_to": "", "method": "telefon", "summary": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Ange vem som fick återkopplingen." in response.text
    assert "Skriv svaret till den som lämnade ärendet." in response.text
    response = _post(
        client, case, "aterkoppling",
        {"given_on": "2026-03-01", "given_to": "Dottern", "method": "telefon", "summary": "Svar"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "före det datum ärendet kom in" in response.text
    assert db.session.scalar(sa.text("SELECT count(*) FROM feedback")) == 0


def test_the_case_page_shows_deadlines_in_working_days(client, auth, org, people, make):
    # Received Thursday before Easter: återkoppling due ten working days later, on
    # 20 April (Good Friday and Easter Monday are not working days).
    case = make.case(
        org["a"], by=people["handler"], received_on=date(2026, 4, 2), submitter_phone="070-1"
    )
    auth.login("h@test.example")
    page = client.get(f"/arenden/{case.id}").text
    assert "Återkoppling</strong>: senast 2026-04-20" in page
    assert "Mottagningsbekräftelse</strong>: senast 2026-04-08" in page
    assert "försenad" in page
