"""Issue 19: an independent lex Sarah-utredare does the utredning; the enhetschef is told
who does it but neither reads the utredning nor decides it. Through the case page, as
the people concerned use it."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import (
    AccessLogEntry,
    AuditEntry,
    EscalationInvestigator,
    EscalationStep,
    GroupRoleMapping,
    Investigation,
    InvestigationCause,
    OutboxMessage,
)
from tests.builders import case_with_lex_sarah
from tests.conftest import csrf_from
from tests.web.test_handling_pages import _form_fields

WHAT_HAPPENED = "Nattpersonalen lät bli att vända brukaren i rum 12"
CAUSE = "Bemanningen räckte inte till nattens rutiner"
STEP_TEXT = "Intervju med nattpersonalen genomförd"


@pytest.fixture
def utredare(org, make):
    """Ulla (central, on the förvaltning), Petra (also central, not assigned) and Ivar
    (on Enhet B: his role does not cover Enhet A)."""
    people = {
        "ulla": make.user(
            [(Role.INVESTIGATOR, org["root"])], email="ulla@test.example", name="Ulla Utredare"
        ),
        "petra": make.user(
            [(Role.INVESTIGATOR, org["root"])], email="petra@test.example", name="Petra Prövare"
        ),
        "ivar": make.user(
            [(Role.INVESTIGATOR, org["b"])], email="ivar@test.example", name="Ivar Annanstans"
        ),
    }
    db.session.commit()
    return people


@pytest.fixture
def lex_case(org, people, make):
    """A case in Enhet A with a lex Sarah track, a started utredning with a cause, and a
    step with a text: what the enhetschef must stop reading once an utredare is named."""
    case, track = case_with_lex_sarah(
        make, org["a"], people["handler"], received_on=date(2026, 3, 2)
    )
    investigation = Investigation(
        case_id=case.id, started_on=date(2026, 3, 3), what_happened=WHAT_HAPPENED
    )
    db.session.add(investigation)
    db.session.flush()
    db.session.add(InvestigationCause(investigation_id=investigation.id, description=CAUSE))
    db.session.add(
        EscalationStep(
            escalation_id=track.id,
            step="dokumenterad",
            occurred_on=date(2026, 3, 3),
            text=STEP_TEXT,
            recorded_by_id=people["handler"].id,
        )
    )
    db.session.commit()
    return case, track


def _page(client, case):
    return client.get(f"/arenden/{case.id}")


def _post(client, case, action: str, data: dict):
    page = _page(client, case).text
    url = f"/arenden/{case.id}/{action}"
    return client.post(url, data={**_form_fields(page, url), **data})


def _assign(client, case, track, user):
    return _post(
        client, case, f"lex/{track.id}/utredare", {"investigator_id": str(user.id) if user else ""}
    )


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def _current(track) -> EscalationInvestigator | None:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(EscalationInvestigator).where(
            EscalationInvestigator.escalation_id == track.id,
            EscalationInvestigator.ended_at.is_(None),
        )
    ).one_or_none()


def test_enhetschef_names_an_utredare_is_informed_and_no_longer_reads_the_utredning(
    client, auth, people, utredare, lex_case
):
    case, track = lex_case
    auth.login("m@test.example")
    page = _page(client, case).text
    assert WHAT_HAPPENED in page and STEP_TEXT in page  # before: the unit's utredning
    assert "Utse utredare" in page
    # The active utredare whose role covers Enhet A; not Ivar (Enhet B only).
    assert _options(page, "investigator_id") == ["Petra Prövare", "Ulla Utredare"]

    response = _assign(client, case, track, utredare["ulla"])
    assert response.status_code == 302
    assert _current(track).investigator_id == utredare["ulla"].id

    # Told by e-mail who investigates, with a link and without any case text.
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.purpose == "investigator_assigned")
    ).one()
    assert mail.to_address == "m@test.example"
    assert case.reference in mail.subject
    assert "Ulla Utredare" in mail.body and f"/arenden/{case.id}" in mail.body
    for text in (WHAT_HAPPENED, CAUSE, STEP_TEXT, case.description):
        assert text not in mail.body and text not in mail.subject

    page = _page(client, case)
    assert page.status_code == 200
    html = page.text
    assert "Utredningen görs av Ulla Utredare, lex Sarah-utredare" in html
    assert "Du informeras men läser inte utredningen." in html
    # The track, its dates and its steps' names stay; the texts are absent from the HTML.
    assert "Lex Sarah" in html and "Rapporten dokumenterad" in html
    for text in (WHAT_HAPPENED, CAUSE, STEP_TEXT):
        assert text not in html
    assert "Registrera ställningstagande" not in html
    assert "Byt utredare" not in html  # only SAS changes it now
    assert 'id="utredning"' not in html

    # Audited: who named whom.
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "escalation.investigator_assigned")
    ).one()
    assert entry.actor_id == people["manager"].id
    assert entry.after == {"investigator_id": utredare["ulla"].id}
    history = client.get(f"/arenden/{case.id}/historik").text
    assert "utsåg lex Sarah-utredare" in history and "Ulla Utredare" in history


def test_enhetschef_cannot_write_decide_or_download_while_the_utredare_works(
    client, auth, people, utredare, lex_case
):
    case, track = lex_case
    auth.login("sas@test.example")
    assert _assign(client, case, track, utredare["ulla"]).status_code == 302
    auth.logout()
    auth.login("m@test.example")
    token = csrf_from(_page(client, case).text)
    version = str(case.version)
    refused = {
        "utredning": {"what_happened": "Skrivet av chefen"},
        "utredning/orsaker": {"description": "Chefens orsak"},
        f"lex/{track.id}/steg": {"step": "utredning_paborjad", "occurred_on": "2026-03-05"},
        f"lex/{track.id}/stallningstagande": {"decided_on": "2026-03-10", "text": "Nej"},
        f"lex/{track.id}/ingen-anmalan": {"decided_on": "2026-03-10", "reason": "Nej"},
        f"lex/{track.id}/utredare": {"investigator_id": ""},
    }
    for action, data in refused.items():
        response = client.post(
            f"/arenden/{case.id}/{action}",
            data={"csrf_token": token, "version": version, **data},
        )
        assert response.status_code == 403, action
    db.session.expire_all()
    assert db.session.scalar(sa.select(Investigation.what_happened)) == WHAT_HAPPENED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EscalationStep)) == 1
    assert _current(track).investigator_id == utredare["ulla"].id
    # The unit's handler neither.
    auth.logout()
    auth.login("h@test.example")
    html = _page(client, case).text
    assert WHAT_HAPPENED not in html and STEP_TEXT not in html
    assert "Utredningen görs av Ulla Utredare" in html


def test_the_assigned_utredare_reads_and_records_but_does_not_decide(
    client, auth, people, utredare, lex_case, org, make
):
    case, track = lex_case
    other_case = make.case(org["a"], by=people["handler"], description="Annat ärende i A")
    db.session.commit()
    auth.login("m@test.example")
    assert _assign(client, case, track, utredare["ulla"]).status_code == 302
    auth.logout()

    response = auth.login("ulla@test.example", follow=True)
    # Start page: the case list, with exactly the cases she is assigned.
    assert case.reference in response.text
    assert other_case.reference not in response.text
    assert client.get(f"/arenden/{other_case.id}").status_code == 404

    html = _page(client, case).text
    assert WHAT_HAPPENED in html and CAUSE in html and STEP_TEXT in html
    assert "Du är utsedd att göra utredningen" in html
    assert "Registrera ställningstagande" not in html  # she proposes, SAS decides
    assert "Starta lex Sarah eller lex Maria" not in html
    # Her read is in the access log.
    reads = db.session.scalars(
        sa.select(AccessLogEntry).where(
            AccessLogEntry.user_id == utredare["ulla"].id, AccessLogEntry.case_id == case.id
        )
    ).all()
    assert reads

    response = _post(
        client,
        case,
        "utredning",
        {
            "started_on": "2026-03-03",
            "what_happened": "Utredarens beskrivning",
            "assessment": "Förslag: missförhållande",
        },
    )
    assert response.status_code == 302
    response = _post(
        client,
        case,
        f"lex/{track.id}/steg",
        {"step": "utredning_paborjad", "occurred_on": "2026-03-04", "text": "Påbörjad"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(Investigation.what_happened)) == "Utredarens beskrivning"
    token = csrf_from(_page(client, case).text)
    response = client.post(
        f"/arenden/{case.id}/lex/{track.id}/stallningstagande",
        data={"csrf_token": token, "version": str(case.version), "decided_on": "2026-03-10"},
    )
    assert response.status_code == 403
    # The case list's CSV export lists her case too (the same scope).
    export = client.get("/arenden/export.csv")
    assert export.status_code == 200 and case.reference in export.text
    assert other_case.reference not in export.text


def test_another_utredare_who_is_not_assigned_gets_404(client, auth, utredare, lex_case):
    case, track = lex_case
    auth.login("sas@test.example")
    assert _assign(client, case, track, utredare["ulla"]).status_code == 302
    auth.logout()
    auth.login("petra@test.example")
    assert _page(client, case).status_code == 404
    assert client.get(f"/arenden/{case.id}/historik").status_code == 404
    token = csrf_from(client.get("/arenden/").text)
    response = client.post(
        f"/arenden/{case.id}/utredning", data={"csrf_token": token, "what_happened": "x"}
    )
    assert response.status_code == 404
    assert case.reference not in client.get("/arenden/").text


def test_sas_changes_the_utredare_history_is_kept_and_sas_decides(client, auth, utredare, lex_case):
    case, track = lex_case
    auth.login("sas@test.example")
    assert _assign(client, case, track, utredare["ulla"]).status_code == 302
    html = _page(client, case).text
    assert WHAT_HAPPENED in html  # SAS reads the utredning
    assert "Byt utredare" in html
    assert _assign(client, case, track, utredare["petra"]).status_code == 302
    assert _current(track).investigator_id == utredare["petra"].id
    html = _page(client, case).text
    assert "Ulla Utredare: utsedd" in html and "Petra Prövare: utsedd" in html
    assert "(nuvarande)" in html
    response = _post(
        client,
        case,
        f"lex/{track.id}/steg",
        {"step": "utredning_paborjad", "occurred_on": "2026-03-04", "text": "Påbörjad"},
    )
    assert response.status_code == 302
    response = _post(
        client,
        case,
        f"lex/{track.id}/stallningstagande",
        {
            "decided_on": "2026-03-10",
            "assessment": "missforhallande",
            "text": "Utredarens förslag följs.",
        },
    )
    assert response.status_code == 302
    auth.logout()
    # Ulla no longer reaches the case; Petra does.
    auth.login("ulla@test.example")
    assert _page(client, case).status_code == 404
    auth.logout()
    auth.login("petra@test.example")
    assert _page(client, case).status_code == 200
    auth.logout()
    # SAS gives the utredning back to the unit: the enhetschef reads it again.
    auth.login("sas@test.example")
    assert _assign(client, case, track, None).status_code == 302
    assert _current(track) is None
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.action.like("escalation.investigator%"))
    ).all()
    assert actions == [
        "escalation.investigator_assigned",
        "escalation.investigator_assigned",
        "escalation.investigator_removed",
    ]
    auth.logout()
    auth.login("m@test.example")
    assert WHAT_HAPPENED in _page(client, case).text


def test_refusals_when_naming_an_utredare(client, auth, people, utredare, lex_case):
    case, track = lex_case
    # A handler may not name one.
    auth.login("h@test.example")
    assert "Utse utredare" not in _page(client, case).text
    token = csrf_from(_page(client, case).text)
    response = client.post(
        f"/arenden/{case.id}/lex/{track.id}/utredare",
        data={
            "csrf_token": token,
            "version": str(case.version),
            "investigator_id": str(utredare["ulla"].id),
        },
    )
    assert response.status_code == 403
    auth.logout()
    # An utredare whose role does not cover the unit: refused at the field.
    auth.login("m@test.example")
    response = _assign(client, case, track, utredare["ivar"])
    assert response.status_code == 422
    assert "Välj" in response.text
    assert _current(track) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


PROVIDERS = """
[[provider]]
key = "entra"
protocol = "oidc"
name = "Stadens konto (Entra ID)"
metadata_url = "http://127.0.0.1:1/.well-known/openid-configuration"
client_id = "casetrack"
client_secret = "test-only"  # pragma: allowlist secret
required_amr = ["mfa"]
"""


@pytest.fixture
def app_settings():
    return {"SSO_PROVIDERS": PROVIDERS}


def test_an_admin_grants_the_role_directly_and_through_an_sso_group(
    client, auth, org, people, make
):
    person = make.user([], email="ny@test.example", name="Nina Utredare")
    db.session.commit()
    auth.login("admin@test.example")
    url = f"/admin/anvandare/{person.id}"
    page = client.get(url).text
    assert "Lex Sarah-utredare" in page  # offered among the roles
    response = client.post(
        f"{url}/roller",
        data={"role": "investigator", "org_unit_id": org["root"].id, "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [(a.role, a.org_unit_id) for a in person.role_assignments] == [
        ("investigator", org["root"].id)
    ]
    response = client.post(
        "/admin/inloggning/grupper",
        data={
            "csrf_token": csrf_from(client.get("/admin/inloggning").text),
            "provider": "entra",
            "group_ref": "lex-sarah-utredare",
            "label": "Centrala lex Sarah-utredare",
            "role": "investigator",
            "org_unit_id": str(org["root"].id),
        },
        follow_redirects=True,
    )
    assert "Kopplingen är sparad" in response.text
    mapping = db.session.scalars(sa.select(GroupRoleMapping)).one()
    assert mapping.role == "investigator"


def test_the_handelseanalys_follows_the_utredning_to_the_utredare(
    client, auth, people, utredare, lex_case
):
    case, track = lex_case
    case.kind_code = "deviation"  # a lex Sarah-rapport filed as an avvikelse
    db.session.commit()
    analysis = f"/avvikelser/{case.id}/handelseanalys"
    auth.login("m@test.example")
    assert client.get(analysis).status_code == 200  # the unit's, before an utredare
    assert _assign(client, case, track, utredare["ulla"]).status_code == 302
    # The enhetschef no longer reads the händelseanalys, nor finds the link to it.
    assert client.get(analysis).status_code == 404
    assert "/handelseanalys" not in _page(client, case).text
    auth.logout()
    auth.login("ulla@test.example")
    page = client.get(analysis)
    assert page.status_code == 200 and "Händelseförlopp" in page.text
    assert "Lägg till" in page.text  # she records it
    auth.logout()
    auth.login("sas@test.example")
    assert client.get(analysis).status_code == 200
