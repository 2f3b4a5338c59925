"""Bad input found by an outside fuzz run (issue 16) answers 404 or a Swedish message at
the field, never a 500, and saves nothing: the optimistic lock cannot be bypassed by a
version that is not plain digits, ids past the schema's range are 404, NUL characters and
dates at the far ends of the calendar are refused at the field."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import Action, Case, OrgSetting
from casetrack.web.common.forms import DATE_RANGE_MESSAGE, NUL_MESSAGE
from tests.builders import furnish
from tests.conftest import Auth, csrf_from

STALE = "Ärendet har ändrats av någon annan"


def _hidden(html: str, action: str) -> dict:
    """The hidden fields (csrf_token, version, opened_at) of the form posting to ``action``."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert form, f"no form posting to {action}"
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form.group(1)):
        name, value = re.search(r'name="(\w+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def _colleague_changes_status(app, case) -> None:
    colleague = app.test_client()
    Auth(colleague).login("c@test.example")
    url = f"/arenden/{case.id}/status"
    fields = _hidden(colleague.get(f"/arenden/{case.id}").text, url)
    response = colleague.post(url, data={**fields, "status_code": "atgarder_pagar"})
    assert response.status_code == 302


# --- the optimistic lock ---------------------------------------------------------------


@pytest.mark.parametrize("version", ["x", "-1", "1.0", " 3", "²", "", None])
def test_a_status_change_with_a_malformed_or_missing_version_is_refused_as_stale(
    app, client, auth, org, people, make, version
):
    case = make.case(org["a"], by=people["handler"])
    auth.login("h@test.example")
    url = f"/arenden/{case.id}/status"
    fields = _hidden(client.get(f"/arenden/{case.id}").text, url)
    _colleague_changes_status(app, case)
    if version is None:
        del fields["version"]
    else:
        fields["version"] = version
    response = client.post(url, data={**fields, "status_code": "under_utredning"})
    assert response.status_code == 409
    assert STALE in response.text
    db.session.expire_all()
    assert db.session.get(Case, case.id).status_code == "atgarder_pagar"


def test_a_stale_form_with_a_time_zone_less_opened_at_shows_the_conflict(
    app, client, auth, org, people, make
):
    case = make.case(org["a"], by=people["handler"])
    auth.login("h@test.example")
    url = f"/arenden/{case.id}/status"
    fields = _hidden(client.get(f"/arenden/{case.id}").text, url)
    _colleague_changes_status(app, case)
    fields["opened_at"] = "2026-01-01T00:00:00"
    response = client.post(url, data={**fields, "status_code": "under_utredning"})
    assert response.status_code == 409
    assert "Omar Ek" in response.text


# --- ids in paths ----------------------------------------------------------------------


@pytest.fixture
def arranged(org, people, make):
    case = make.case(org["a"], by=people["handler"])
    action, track, _ = furnish(case, by=people["handler"], png_padding=9)
    db.session.commit()
    return {"case": case.id, "track": track.id, "action": action.id}


@pytest.mark.parametrize("big", [2**31, 2**63, 10**30])
@pytest.mark.parametrize(
    "method,template",
    [
        ("GET", "/arenden/{big}"),
        ("GET", "/arenden/{big}/historik"),
        ("GET", "/arenden/{case}/bilagor/{big}"),
        ("POST", "/arenden/{case}/lex/{big}/steg"),
        ("POST", "/arenden/{case}/atgarder/{big}"),
        ("POST", "/arenden/{big}/status"),
    ],
)
def test_ids_past_the_schemas_range_in_a_path_answer_404(
    client, auth, arranged, method, template, big
):
    auth.login("h@test.example")
    token = csrf_from(client.get(f"/arenden/{arranged['case']}").text)
    url = template.format(big=big, **arranged)
    response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
    assert response.status_code == 404


@pytest.mark.parametrize("big", [2**31, 2**63])
def test_an_admin_asking_for_a_user_past_the_range_gets_404(client, auth, people, big):
    auth.login("admin@test.example")
    assert client.get(f"/admin/anvandare/{big}").status_code == 404
    assert client.get(f"/admin/organisation/{big}").status_code == 404


def test_a_nul_in_a_text_path_parameter_answers_404(client, auth, people):
    auth.login("admin@test.example")
    assert client.get("/admin/meddelanden/acknowledgement%00").status_code == 404
    assert client.get("/admin/referensdata/category/%00").status_code == 404
    assert client.get("/admin/installningar/legal.lex_sarah%00").status_code == 404


# --- numbers in query strings and forms --------------------------------------------------


@pytest.mark.parametrize("page", ["9223372036854775808", "10" * 20, "²", "-3"])
def test_an_absurd_page_number_shows_the_first_page(client, auth, arranged, page):
    auth.login("h@test.example")
    response = client.get(f"/arenden/?sida={page}", follow_redirects=True)
    assert response.status_code == 200
    assert "Hemtjänsten kom inte" in response.text or "HA-" in response.text


def test_a_huge_year_on_the_report_is_refused(client, auth, org, people):
    auth.login("q@test.example")
    response = client.get(f"/rapport/?enhet={org['a'].id}&ar={10**30}&tertial=1")
    assert response.status_code == 422
    assert "Ange ett år mellan 2000 och 2100." in response.text
    token = csrf_from(client.get("/rapport/").text)
    for url in ("/rapport/faststall", "/rapport/sammanfattning", "/rapport/hav-faststallande"):
        data = {"csrf_token": token, "unit_id": str(org["a"].id), "year": str(10**30),
                "tertial": "1", "row_key": "category:mat", "text": "x", "reason": "x"}  # fmt: skip
        assert client.post(url, data=data).status_code == 400


def test_a_summary_with_an_unknown_row_key_is_not_copied_into_the_redirect(
    client, auth, org, people
):
    auth.login("q@test.example")
    token = csrf_from(client.get("/rapport/").text)
    data = {"csrf_token": token, "unit_id": str(org["a"].id), "year": "2025", "tertial": "3",
            "row_key": "x" * 60_000, "text": "Text"}  # fmt: skip
    response = client.post("/rapport/sammanfattning", data=data)
    assert response.status_code == 302
    assert len(response.headers["Location"]) < 200
    assert "xxxx" not in response.headers["Location"]


def test_a_cause_id_of_unicode_digits_is_refused_at_the_field(client, auth, arranged):
    auth.login("h@test.example")
    case_id = arranged["case"]
    url = f"/arenden/{case_id}/atgarder"
    fields = _hidden(client.get(f"/arenden/{case_id}").text, url)
    response = client.post(
        url, data={**fields, "description": "Ny rutin", "responsible": "Lena", "cause_id": "①"}
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 1


def test_a_setting_value_of_unicode_digits_is_refused_at_the_field(client, auth, people):
    auth.login("admin@test.example")
    response = auth.post("/admin/installningar/deadline.lex_sarah.dokumenterad", {"value": "²"})
    assert response.status_code == 422
    assert "Ange ett heltal mellan 0 och 260." in response.text
    assert db.session.get(OrgSetting, "deadline.lex_sarah.dokumenterad") is None


# --- NUL characters in text fields -------------------------------------------------------


def test_a_nul_in_the_public_form_is_refused_at_the_field(client, auth, org):
    response = auth.post(
        "/lamna-synpunkt",
        {"org_unit_id": str(org["a"].id), "kind_code": "complaint", "wants_feedback": "nej",
         "description": "Maten var kall\x00.", "website": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert NUL_MESSAGE in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_nul_in_the_login_e_mail_is_refused_at_the_field(client, auth, people):
    response = auth.post("/logga-in", {"email": "h@test.example\x00", "password": "x"})
    assert response.status_code in (200, 422)
    assert NUL_MESSAGE in response.text


def test_a_nul_in_a_handlers_registration_is_refused_at_the_field(client, auth, org, people):
    auth.login("h@test.example")
    response = auth.post(
        "/arenden/nytt",
        {"kind_code": "complaint", "org_unit_id": str(org["a"].id), "received_on": "2026-03-02",
         "description": "Maten var kall.", "title": "Mat\x00"},
    )  # fmt: skip
    assert response.status_code == 422
    assert NUL_MESSAGE in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_nul_in_a_search_is_refused_and_the_list_still_works(client, auth, arranged):
    auth.login("h@test.example")
    token = csrf_from(client.get("/arenden/").text)
    response = client.post("/arenden/sok", data={"csrf_token": token, "text": "kom\x00"})
    assert client.get(response.headers["Location"]).status_code == 200
    assert client.get("/arenden/").status_code == 200


# --- dates at the ends of the calendar ---------------------------------------------------


@pytest.mark.parametrize("field,value", [("date_from", "0001-01-01"), ("date_to", "9999-12-31")])
def test_loggkontroll_refuses_dates_at_the_ends_of_the_calendar(client, auth, people, field, value):
    auth.login("q@test.example")
    response = auth.post("/loggkontroll/", {field: value})
    assert response.status_code == 422
    assert DATE_RANGE_MESSAGE in response.text


def test_a_case_received_in_the_year_9999_is_refused_at_the_field(client, auth, org, people):
    auth.login("h@test.example")
    response = auth.post(
        "/arenden/nytt",
        {"kind_code": "complaint", "org_unit_id": str(org["a"].id), "received_on": "9999-12-31",
         "description": "Maten var kall."},
    )  # fmt: skip
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


# Found by the fresh-eyes check: WTForms' Swedish catalogue answers a tampered choice with
# "Felaktigt val; kunde inte ceorce:a".
@pytest.mark.parametrize("field", ["user_id", "unit_id"])
def test_a_tampered_choice_gets_a_plain_swedish_message(client, auth, people, field):
    auth.login("q@test.example")
    response = auth.post("/loggkontroll/", {field: "inte-ett-id"})
    assert response.status_code == 422
    assert "Ogiltigt val. Välj ett av alternativen i listan." in response.text
    assert "ceorce" not in response.text


def test_control_characters_are_refused_in_the_public_form(client, org):
    """Found by the fresh-eyes check: ``\\x01\\x02\\x1b[31m`` was saved as a phone number."""
    from casetrack.models import Case
    from casetrack.web.common.forms import CONTROL_MESSAGE

    page = client.get("/lamna-synpunkt")
    response = client.post("/lamna-synpunkt", data={
        "csrf_token": csrf_from(page.text), "kind_code": "complaint",
        "org_unit_id": str(org["a"].id), "description": "Maten var kall.\r\n\tIgen.",
        "submitter_phone": "070\x1b[31m1234567", "contact_wanted": "y",
    })  # fmt: skip
    assert response.status_code == 422
    assert html.escape(CONTROL_MESSAGE) in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
