"""Issue 19, "Åtgärder may require approval": the handler sends an avvikelse's åtgärd
plan for approval, the enhetschef (the organisation's setting) approves it or sends it
back with a motivation, every review is kept, and the case closes only with an approved
plan. Everything through the pages, as the people concerned use them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casetrack.domain.dates import stockholm_today
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AccessLogEntry, ActionPlanReview, AuditEntry, Case, OrgSetting
from tests.conftest import csrf_from
from tests.web.test_handling_pages import _form_fields

CLOSING = {"no_feedback_reason": "avbojt"}


@pytest.fixture
def deviation(org, people, make) -> Case:
    """An open avvikelse of Enhet A, handled by Lena Berg, with what the report needs."""
    case = make.case(
        org["a"],
        by=people["handler"],
        kind_code="deviation",
        source_code="medarbetare",
        category_codes=["rutiner"],
        received_on=stockholm_today(),
        description="Kvällsdosen låg kvar i dosetten vid nattbesöket.",
    )
    case.assigned_handler_id = people["handler"].id
    db.session.commit()
    return case


def _post(client, case, action: str, data: dict):
    page = client.get(f"/arenden/{case.id}").text
    url = f"/arenden/{case.id}/{action}"
    return client.post(url, data={**_form_fields(page, url), **data})


def _post_by_hand(client, case, action: str, data: dict):
    """POST to a form the page does not offer this user, with the hidden fields (CSRF,
    version) of the page's åtgärd form, as a hand-made request would."""
    page = client.get(f"/arenden/{case.id}").text
    fields = _form_fields(page, f"/arenden/{case.id}/atgarder")
    return client.post(f"/arenden/{case.id}/{action}", data={**fields, **data})


def _add_action(client, case, text: str = "Dubbelkontroll av dosetten vid kvällsbesöket"):
    data = {"description": text, "responsible": "Lena Berg", "due_on": ""}
    response = _post(client, case, "atgarder", data)
    assert response.status_code == 302
    return response


def _reviews(case) -> list[tuple]:
    db.session.expire_all()
    return [
        (row.event, row.actor_id, row.action_count, row.motivation, row.own_plan)
        for row in db.session.scalars(
            sa.select(ActionPlanReview)
            .where(ActionPlanReview.case_id == case.id)
            .order_by(ActionPlanReview.id)
        )
    ]


def _status(case) -> str:
    db.session.expire_all()
    return db.session.get(Case, case.id).status_code


def _next_step_box(html: str) -> str:
    match = re.search(r'<section class="next-step".*?</section>', html, re.S)
    assert match, "no Nästa steg box"
    return match.group(0)


def _set_approval_role(client, value: str):
    """The administrator (logged in) sets the approving role on Inställningar."""
    url = "/admin/installningar/deviation.action_approval_role"
    page = client.get(url).text
    version = re.search(r'name="version"[^>]*value="([^"]*)"', page)
    response = client.post(
        url,
        data={"csrf_token": csrf_from(page), "value": value, "version": version.group(1)},
    )
    return response


def test_submit_approve_and_close(client, auth, people, deviation):
    auth.login("h@test.example")
    _add_action(client, deviation)
    page = client.get(f"/arenden/{deviation.id}").text
    assert "Skicka åtgärdsplanen för godkännande" in _next_step_box(page)
    assert "Inte skickad för godkännande" in page
    # Not approved yet: closing is refused, and the close section names the blocker.
    assert "Åtgärdsplanen ska godkännas av enhetschef" in page
    response = _post(client, deviation, "avsluta", CLOSING)
    assert response.status_code == 422
    assert "Åtgärdsplanen ska godkännas av enhetschef" in response.text
    assert _status(deviation) != "avslutad"

    response = _post(client, deviation, "atgardsplan/skicka", {})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Åtgärdsplanen är skickad för godkännande." in page
    assert "Väntar på godkännande" in page
    assert "Åtgärdsplanen väntar på godkännande" in _next_step_box(page)
    # Waiting: still no closing, but the åtgärd can be worked on meanwhile.
    response = _post(client, deviation, "avsluta", CLOSING)
    assert response.status_code == 422
    assert "Åtgärdsplanen väntar på godkännande av enhetschef." in response.text
    action_id = db.session.scalar(sa.text("SELECT id FROM case_action"))
    today = stockholm_today().isoformat()
    response = _post(
        client, deviation, f"atgarder/{action_id}",
        {"done_on": today, "effect_evaluated_on": "", "effect_verdict": "",
         "effect_waived_reason": ""},
    )  # fmt: skip
    assert response.status_code == 302
    auth.logout()

    # The enhetschef sees the plan on Mina ärenden and in the Nästa steg box.
    auth.login("m@test.example")
    start = client.get("/arenden/mina").text
    assert "Åtgärdsplan att godkänna" in start and deviation.reference in start
    page = client.get(f"/arenden/{deviation.id}").text
    assert "Godkänn åtgärdsplanen" in _next_step_box(page)
    response = _post(
        client, deviation, "atgardsplan/beslut",
        {"approve": "1", "motivation": "Dubbelkontrollen tar bort risken för utebliven dos."},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(f"/arenden/{deviation.id}").text
    assert "Godkänd" in page
    assert "Dubbelkontrollen tar bort risken för utebliven dos." in page
    assert "Åtgärdsplan att godkänna" not in client.get("/arenden/mina").text
    auth.logout()

    assert _reviews(deviation) == [
        ("submitted", people["handler"].id, 1, None, False),
        ("approved", people["manager"].id, 1,
         "Dubbelkontrollen tar bort risken för utebliven dos.", False),
    ]  # fmt: skip
    audit = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.case_id == deviation.id, AuditEntry.action.like("action_plan.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert [entry.action for entry in audit] == ["action_plan.submitted", "action_plan.approved"]
    assert audit[1].after["motivation"] == "(text)"  # no free text in the audit trail

    auth.login("h@test.example")
    assert _post(client, deviation, "avsluta", CLOSING).status_code == 302
    assert _status(deviation) == "avslutad"


def test_send_back_rework_and_resubmit(client, auth, people, deviation):
    auth.login("h@test.example")
    _add_action(client, deviation, "Påminnelse på APT")
    assert _post(client, deviation, "atgardsplan/skicka", {}).status_code == 302
    auth.logout()

    auth.login("m@test.example")
    motivation = "En påminnelse räcker inte. Inför signering vid varje dos."
    response = _post(
        client, deviation, "atgardsplan/beslut", {"send_back": "1", "motivation": motivation}
    )
    assert response.status_code == 302
    auth.logout()

    auth.login("h@test.example")
    start = client.get("/arenden/mina").text
    assert "Arbeta om åtgärdsplanen" in start and deviation.reference in start
    page = client.get(f"/arenden/{deviation.id}").text
    box = _next_step_box(page)
    assert "Arbeta om åtgärdsplanen" in box and motivation in box
    response = _post(client, deviation, "avsluta", CLOSING)
    assert response.status_code == 422
    assert "skickad tillbaka för omarbetning" in response.text

    _add_action(client, deviation, "Signering vid varje dos")
    assert _post(client, deviation, "atgardsplan/skicka", {}).status_code == 302
    assert "Arbeta om åtgärdsplanen" not in client.get("/arenden/mina").text
    auth.logout()

    auth.login("m@test.example")
    response = _post(
        client, deviation, "atgardsplan/beslut",
        {"approve": "1", "motivation": "Signeringen följs upp om en månad."},
    )  # fmt: skip
    assert response.status_code == 302
    history = client.get(f"/arenden/{deviation.id}").text
    for text in ("Skickad för godkännande av Lena Berg", "Skickad tillbaka för omarbetning av "
                 "Maja Chef (Enhetschef), 1 åtgärd", motivation, "Godkänd av Maja Chef "
                 "(Enhetschef), 2 åtgärder"):  # fmt: skip
        assert text in history
    assert [row[0] for row in _reviews(deviation)] == [
        "submitted", "returned", "submitted", "approved"
    ]  # fmt: skip
    # The case's Historik tab tells the same story in words.
    history = client.get(f"/arenden/{deviation.id}/historik").text
    assert "skickade tillbaka åtgärdsplanen för omarbetning" in history
    assert "godkände åtgärdsplanen" in history and "som enhetschef" in history


def test_an_action_added_after_approval_needs_a_new_approval(client, auth, people, deviation):
    auth.login("m@test.example")  # the enhetschef handles it herself: one person, both roles
    _add_action(client, deviation)
    assert _post(client, deviation, "atgardsplan/skicka", {}).status_code == 302
    page = client.get(f"/arenden/{deviation.id}").text
    assert "Godkänn åtgärdsplanen" in _next_step_box(page)
    response = _post(
        client, deviation, "atgardsplan/beslut",
        {"approve": "1", "motivation": "Enkel åtgärd, godkänns direkt."},
    )  # fmt: skip
    assert response.status_code == 302
    assert _reviews(deviation)[-1][4] is True  # recorded as her own plan
    page = client.get(f"/arenden/{deviation.id}").text
    assert "Samma person skickade planen och beslutade om den" in page
    assert "En ny åtgärd gör att planen behöver godkännas på nytt" in page

    _add_action(client, deviation, "Ny rutin för överlämning")
    page = client.get(f"/arenden/{deviation.id}").text
    assert "Ändrad efter godkännandet – behöver godkännas på nytt" in page
    assert "Skicka åtgärdsplanen för godkännande" in _next_step_box(page)
    response = _post(client, deviation, "avsluta", CLOSING)
    assert response.status_code == 422
    assert "Åtgärdsplanen har ändrats efter godkännandet" in response.text


def test_no_actions_no_plan_to_approve(client, auth, deviation):
    auth.login("h@test.example")
    page = client.get(f"/arenden/{deviation.id}").text
    assert "Inga åtgärder ännu" in page
    assert "Skicka åtgärdsplanen" not in page
    response = _post_by_hand(client, deviation, "atgardsplan/skicka", {})
    assert response.status_code == 422
    assert "Lägg till minst en åtgärd" in response.text
    assert _post(client, deviation, "avsluta", CLOSING).status_code == 302


def test_setting_none_removes_the_approval_step(client, auth, deviation):
    auth.login("admin@test.example")
    assert _set_approval_role(client, "none").status_code == 302
    auth.logout()
    auth.login("h@test.example")
    _add_action(client, deviation)
    page = client.get(f"/arenden/{deviation.id}").text
    assert "Åtgärdsplanens godkännande" not in page
    assert "Skicka åtgärdsplanen" not in page
    assert _post(client, deviation, "avsluta", CLOSING).status_code == 302


def test_a_complaint_needs_no_approval(client, auth, org, people, make):
    case = make.case(
        org["a"], by=people["handler"], source_code="narstaende", category_codes=["bemotande"],
        received_on=stockholm_today(),
    )  # fmt: skip
    db.session.commit()
    auth.login("h@test.example")
    _add_action(client, case)
    assert "Åtgärdsplanens godkännande" not in client.get(f"/arenden/{case.id}").text
    assert _post(client, case, "avsluta", CLOSING).status_code == 302


def test_the_setting_is_validated_at_the_field(client, auth, people):
    auth.login("admin@test.example")
    page = client.get("/admin/installningar").text
    assert "Avvikelser: roll som godkänner åtgärdsplaner" in page
    for value, message in (
        ("quality", "Kvalitetsansvarig handlägger inte enhetens ärenden"),
        ("admin", "Systemadministratör handlägger inte enhetens ärenden"),
        ("chef", "Ange en roll: manager (Enhetschef)"),
    ):
        response = _set_approval_role(client, value)
        assert response.status_code == 422, value
        assert message in response.text
    assert db.session.get(OrgSetting, "deviation.action_approval_role") is None
    assert _set_approval_role(client, "handler").status_code == 302
    db.session.expire_all()
    assert db.session.get(OrgSetting, "deviation.action_approval_role").value == "handler"


def test_a_handler_role_setting_lets_the_colleague_approve(client, auth, people, deviation):
    auth.login("admin@test.example")
    assert _set_approval_role(client, "handler").status_code == 302
    auth.logout()
    auth.login("h@test.example")
    _add_action(client, deviation)
    assert _post(client, deviation, "atgardsplan/skicka", {}).status_code == 302
    auth.logout()
    auth.login("c@test.example")
    assert "Åtgärdsplan att godkänna" in client.get("/arenden/mina").text
    response = _post(
        client, deviation, "atgardsplan/beslut", {"approve": "1", "motivation": "Bra plan."}
    )
    assert response.status_code == 302
    assert _reviews(deviation)[-1][:2] == ("approved", people["colleague"].id)


def _waiting(client, auth, deviation):
    auth.login("h@test.example")
    _add_action(client, deviation)
    assert _post(client, deviation, "atgardsplan/skicka", {}).status_code == 302
    auth.logout()


def test_the_handler_who_is_not_enhetschef_is_refused(client, auth, people, deviation):
    _waiting(client, auth, deviation)
    auth.login("h@test.example")
    page = client.get(f"/arenden/{deviation.id}").text
    assert 'name="approve"' not in page  # no decision form for a biträdande enhetschef
    response = _post_by_hand(
        client, deviation, "atgardsplan/beslut",
        {"approve": "1", "motivation": "Jag godkänner själv."},
    )  # fmt: skip
    # A biträdande enhetschef is not enhetschef: refused (and the refusal logged).
    assert response.status_code == 403
    assert "Du har inte behörighet" in response.text
    assert [row[0] for row in _reviews(deviation)] == ["submitted"]


@pytest.mark.parametrize("who", ["quality", "staff"])
def test_readers_without_the_role_are_refused(client, auth, people, deviation, who):
    _waiting(client, auth, deviation)
    auth.login(people[who].email)
    token = csrf_from(client.get("/arenden/").text)
    response = client.post(
        f"/arenden/{deviation.id}/atgardsplan/beslut",
        data={"csrf_token": token, "version": str(deviation.version + 2), "approve": "1",
              "motivation": "Godkänd."},
    )  # fmt: skip
    # Kvalitet reads the case but does not hold the role: 403. The staff member did not
    # file it (the handler registered it): no read access, 404.
    assert response.status_code == (403 if who == "quality" else 404)
    response = client.post(
        f"/arenden/{deviation.id}/atgardsplan/skicka",
        data={"csrf_token": token, "version": str(deviation.version + 2)},
    )
    assert response.status_code == 404
    assert [row[0] for row in _reviews(deviation)] == ["submitted"]


def test_an_enhetschef_of_another_unit_gets_404(client, auth, org, make, people, deviation):
    make.user([(Role.MANAGER, org["b"])], email="mb@test.example")
    db.session.commit()
    _waiting(client, auth, deviation)
    auth.login("mb@test.example")
    assert client.get(f"/arenden/{deviation.id}").status_code == 404
    token = csrf_from(client.get("/arenden/").text)
    response = client.post(
        f"/arenden/{deviation.id}/atgardsplan/beslut",
        data={"csrf_token": token, "version": "1", "approve": "1", "motivation": "Ok."},
    )
    assert response.status_code == 404
    assert "Åtgärdsplan att godkänna" not in client.get("/arenden/mina").text


def test_an_enhetschef_above_the_unit_may_approve(client, auth, org, make, people, deviation):
    make.user([(Role.MANAGER, org["dept"])], email="avd@test.example", name="Avdelningschefen")
    db.session.commit()
    _waiting(client, auth, deviation)
    auth.login("avd@test.example")
    assert "Åtgärdsplan att godkänna" in client.get("/arenden/mina").text
    response = _post(
        client, deviation, "atgardsplan/beslut", {"approve": "1", "motivation": "Godkänd."}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"approve": "1", "motivation": "  "}, "Skriv en motivering till beslutet."),
        ({"send_back": "1", "motivation": ""}, "Skriv vad som behöver arbetas om"),
        ({"motivation": "Bra."}, "Välj Godkänn eller Skicka tillbaka för omarbetning."),
        ({"approve": "1", "motivation": "x" * 4001}, "högst 4000 tecken"),
    ],
)
def test_bad_decisions_are_shown_at_the_field_and_nothing_is_saved(
    client, auth, deviation, data, message
):
    _waiting(client, auth, deviation)
    auth.login("m@test.example")
    response = _post(client, deviation, "atgardsplan/beslut", data)
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text  # at the motivation field
    assert [row[0] for row in _reviews(deviation)] == ["submitted"]


def test_submitting_twice_and_deciding_twice_are_refused(client, auth, deviation):
    _waiting(client, auth, deviation)
    auth.login("h@test.example")
    # The page offers no second submission; a hand-made POST is refused.
    response = _post_by_hand(client, deviation, "atgardsplan/skicka", {})
    assert response.status_code == 422
    assert "Åtgärdsplanen väntar redan på godkännande." in response.text
    auth.logout()
    auth.login("m@test.example")
    assert (
        _post(
            client, deviation, "atgardsplan/beslut", {"approve": "1", "motivation": "Godkänd."}
        ).status_code
        == 302
    )
    response = _post_by_hand(
        client, deviation, "atgardsplan/beslut", {"approve": "1", "motivation": "Igen."}
    )
    assert response.status_code == 422
    assert "Åtgärdsplanen är redan godkänd." in response.text
    assert [row[0] for row in _reviews(deviation)] == ["submitted", "approved"]


def test_reading_the_plan_is_access_logged(client, auth, deviation):
    _waiting(client, auth, deviation)
    auth.login("m@test.example")
    client.get(f"/arenden/{deviation.id}")
    db.session.expire_all()
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AccessLogEntry)
        .where(AccessLogEntry.case_id == deviation.id)
    )


def test_the_service_refuses_whoever_does_not_hold_the_role(app, people, deviation):
    """Behind the 403 the service checks again (a job or another page could call it)."""
    from casetrack.domain.errors import NotPermitted
    from casetrack.services import action_plans, handling

    handling.add_action(people["handler"], deviation, description="Ny rutin", responsible="Lena")
    action_plans.submit_plan(people["handler"], deviation)
    with pytest.raises(NotPermitted, match="godkänns av enhetschef för ärendets enhet"):
        action_plans.review_plan(people["handler"], deviation, approve=True, motivation="Ok.")
    db.session.rollback()
