"""The public e-tjänst end to end through HTTP with CSRF on: submit, receipt code, follow
the case, add information; and its abuse protection (rate limits, honeypot, sizes)."""

from __future__ import annotations

import itertools
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.dates import stockholm_today
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case, CaseNote, FollowGrant, OutboxMessage, utcnow
from casetrack.services import handling
from casetrack.web.intake.views import INVALID_RECEIPT, REFERENCE_LOCKED
from tests.conftest import Auth

CODE_PATTERN = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


@pytest.fixture
def people(org, make):
    people = {
        "handler": make.user(
            [(Role.HANDLER, org["a"])], email="handler@test.example", name="Lena Berg"
        ),
        "handler_b": make.user([(Role.HANDLER, org["b"])], email="handlerb@test.example"),
    }
    db.session.commit()
    return people


def _submit(auth, **overrides):
    data = {
        "org_unit_id": "",
        "kind_code": "complaint",
        "description": "Min pappa fick ingen lunch i måndags. Personalen kom inte alls.",
        "wants_feedback": "ja",
        "submitter_name": "",
        "submitter_email": "",
        "submitter_phone": "",
        "website": "",
    }
    data.update(overrides)
    response = auth.post("/lamna-synpunkt", data)
    if response.status_code == 302:
        # POST/redirect/GET (issue 20): the code is on the receipt page the POST redirects to.
        assert response.headers["Location"] == "/lamna-synpunkt/kvittens"
        response = auth.client.get(response.headers["Location"])
    return response


def _receipt(response) -> tuple[str, str]:
    reference = re.search(r"[A-Z]{2}-\d{4}-\d{5}", response.text).group(0)
    code = CODE_PATTERN.search(response.text).group(0)
    return reference, code


def _follow(auth, reference, code):
    return auth.post("/folj-arende", {"reference": reference, "receipt_code": code})


def test_anonymous_klagomal_gets_code_follows_case_reads_feedback_and_adds_information(
    app, client, auth, org, people
):
    response = _submit(auth, org_unit_id=str(org["a"].id), is_anonymous="y", wants_feedback="nej")
    assert response.status_code == 200
    assert "Skriv upp koden" in response.text
    reference, code = _receipt(response)
    assert reference == "AO-2026-00001" or reference.startswith("AO-")

    case = db.session.scalars(sa.select(Case)).one()
    assert case.reference == reference
    assert case.kind_code == "complaint"
    assert case.channel_code == "e_tjanst"
    assert case.is_anonymous and case.created_by_id is None
    assert case.receipt_code_hash and code not in case.receipt_code_hash
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

    # The unit's handler sees it on the case list at once; another unit's handler does not.
    handler_client = app.test_client()
    handler_auth = Auth(handler_client)
    handler_auth.login("handler@test.example")
    assert reference in handler_client.get("/arenden/").text
    other_client = app.test_client()
    Auth(other_client).login("handlerb@test.example")
    assert reference not in other_client.get("/arenden/").text

    # The handler answers and writes an internal note the submitter must not see.
    handler = db.session.get(type(people["handler"]), people["handler"].id)
    case = db.session.get(Case, case.id)
    handling.give_feedback(
        handler,
        case,
        given_on=case.received_on,
        given_to="Anonym anmälare",
        method="brev",
        summary="Vi har pratat med personalen om luncherna.",
    )
    handling.add_note(handler, case, "Internt: kontrollera schemat för vecka 10.")
    db.session.commit()

    response = _follow(auth, reference.lower(), code.replace("-", " ").lower())
    assert response.status_code == 302
    assert response.headers["Location"] == "/folj-arende/ditt-arende"
    page = client.get("/folj-arende/ditt-arende")
    assert page.status_code == 200
    assert "Vi har pratat med personalen om luncherna." in page.text
    assert "handläggaren" in page.text
    assert "Registrerad" in page.text
    assert "Internt: kontrollera" not in page.text
    assert "Lena Berg" not in page.text
    assert code not in page.text

    response = auth.post("/folj-arende/ditt-arende", {"body": "Det hände igen i dag."})
    assert response.status_code == 302
    note = db.session.scalars(sa.select(CaseNote).where(CaseNote.kind == "submitter")).one()
    assert note.body == "Det hände igen i dag." and note.created_by_id is None
    assert "Det hände igen i dag." in client.get("/folj-arende/ditt-arende").text
    audit = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "note.added", AuditEntry.actor_id.is_(None)
        )
    ).one()
    assert audit.actor_label == "e-tjänst"

    # The handler's list still shows it, and the handler sees what was added.
    assert reference in handler_client.get("/arenden/").text


def test_a_given_e_mail_address_gets_the_receipt_e_mail_in_the_outbox(client, auth, org):
    response = _submit(
        auth,
        org_unit_id=str(org["b"].id),
        kind_code="praise",
        submitter_name="Karin",
        submitter_email="karin@exempel.se",
    )
    assert response.status_code == 200
    reference, code = _receipt(response)
    assert "skickar också diarienummer och kod till din e-post" in response.text
    message = db.session.scalars(sa.select(OutboxMessage)).one()
    assert message.to_address == "karin@exempel.se"
    assert message.purpose == "receipt"
    assert reference in message.subject
    assert code in message.body and reference in message.body


def test_the_unit_list_is_grouped_by_avdelning_and_offers_only_enheter(client, org):
    page = client.get("/lamna-synpunkt")
    assert page.status_code == 200
    assert '<optgroup label="Äldreomsorg">' in page.text
    assert f'<option value="{org["a"].id}">Enhet A</option>' in page.text
    assert f'<option value="{org["root"].id}">' not in page.text
    assert f'<option value="{org["a1"].id}">' not in page.text
    # The page says what happens next, offentlighetsprincipen and GDPR.
    for text in ("Vad händer sedan?", "allmän handling", "OSL", "personuppgifter", "IMY"):
        assert text in page.text
    # Progressive enhancement only: external script, no inline script or style.
    assert "unit-filter.js" in page.text
    assert "<script>" not in page.text and "style=" not in page.text


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"org_unit_id": "999999"}, "Välj en verksamhet i listan."),
        ({"org_unit_id": "abc"}, "Välj en verksamhet i listan."),
        ({"org_unit_id": ""}, "Välj vilken verksamhet det gäller."),
        ({"description": "x" * 10_001}, "Texten får vara högst 10 000 tecken."),
        ({"description": "  "}, "Skriv vad det gäller."),
        ({"kind_code": "deviation"}, "Välj om det är en synpunkt, ett klagomål eller ett beröm."),
        (
            {"submitter_email": "", "submitter_phone": "", "wants_feedback": "ja"},
            "Ange e-post eller telefon om du vill ha svar",
        ),
        ({"submitter_email": "inte-en-adress"}, "Ange en giltig e-postadress"),
    ],
)
def test_bad_input_is_answered_at_the_field_and_nothing_is_saved(
    client, auth, org, overrides, field_message
):
    overrides = {"org_unit_id": str(org["a"].id), **overrides}
    response = _submit(auth, **overrides)
    assert response.status_code == 422
    assert "Det finns fel i formuläret" in response.text
    assert field_message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_unit_above_the_enheter_is_refused_even_if_posted(client, auth, org):
    response = _submit(auth, org_unit_id=str(org["root"].id))
    assert response.status_code == 422
    assert "Välj en verksamhet i listan." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_filled_in_honeypot_pretends_success_and_saves_nothing(client, auth, org):
    page = client.get("/lamna-synpunkt")
    honeypot = re.search(r'<div class="hp-field" aria-hidden="true">.*?</div>', page.text, re.S)
    assert honeypot and 'tabindex="-1"' in honeypot.group(0)
    assert 'autocomplete="off"' in honeypot.group(0)
    response = _submit(auth, org_unit_id=str(org["a"].id), website="http://spam.example")
    assert response.status_code == 200
    assert "Tack för ditt meddelande" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_submitting_is_rate_limited_per_address(client, auth, org):
    for n in range(5):
        response = _submit(
            auth, org_unit_id=str(org["a"].id), wants_feedback="nej", description=f"Nummer {n}"
        )
        assert response.status_code == 200
    response = _submit(
        auth, org_unit_id=str(org["a"].id), wants_feedback="nej", description="Nummer 6"
    )
    assert response.status_code == 429
    assert "Du har skickat in många meddelanden på kort tid" in response.text
    assert "Retry-After" in response.headers
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 5
    # Another address is not affected.
    other = client.post("/lamna-synpunkt", data={}, environ_overrides={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code != 429


_texts = itertools.count(1)


def _public_case(auth, org) -> tuple[str, str]:
    # A text of its own each time: the same text again from this browser is one case.
    text = f"Ingen kom i morse, för {next(_texts)}:e gången."
    response = _submit(auth, org_unit_id=str(org["a"].id), wants_feedback="nej", description=text)
    return _receipt(response)


@pytest.mark.parametrize("wrong", ["reference", "code", "both"])
def test_a_wrong_reference_or_code_gets_the_same_message_at_the_field(client, auth, org, wrong):
    reference, code = _public_case(auth, org)
    other_reference, _other_code = _public_case(auth, org)
    typed = {
        "reference": (other_reference, code),
        "code": (reference, "AAAA-BBBB-CCCC-DDDD"),
        "both": ("XX-2026-99999", "Å"),
    }[wrong]
    response = _follow(auth, *typed)
    assert response.status_code == 422
    assert INVALID_RECEIPT in response.text
    assert 'id="receipt_code-error"' in response.text
    assert client.get("/folj-arende/ditt-arende").status_code == 302


def test_guessing_codes_is_throttled_per_address(client, auth, org):
    for n in range(10):
        response = _follow(auth, f"AO-2026-{n:05d}", "AAAA-BBBB-CCCC-DDDD")
        assert response.status_code == 422
    response = _follow(auth, "AO-2026-00011", "AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 429
    assert "Du har försökt många gånger på kort tid" in response.text


def test_a_reference_is_locked_for_an_address_after_ten_wrong_codes(app, client, auth, org):
    """Per (reference, address) since issue 16: tests/web/test_follow_privacy.py has the
    other addresses and the backstop."""
    app.config["CASETRACK"]["FOLLOW_RATE_LIMIT"] = "1000 per minute"
    reference, code = _public_case(auth, org)
    for _ in range(10):
        assert _follow(auth, reference, "AAAA-BBBB-CCCC-DDDD").status_code == 422
    response = _follow(auth, reference, code)
    assert response.status_code == 429
    assert REFERENCE_LOCKED in response.text
    assert client.get("/folj-arende/ditt-arende").status_code == 302


def test_the_follow_grant_expires_after_fifteen_minutes(client, auth, org):
    reference, code = _public_case(auth, org)
    assert _follow(auth, reference, code).status_code == 302
    assert client.get("/folj-arende/ditt-arende").status_code == 200
    # 16 minutes later (the grant is kept on the server since issue 16).
    grant = db.session.scalars(sa.select(FollowGrant)).one()
    assert grant.expires_at - grant.created_at == timedelta(seconds=900)
    grant.expires_at = utcnow() - timedelta(seconds=60)
    db.session.commit()
    response = client.get("/folj-arende/ditt-arende")
    assert response.status_code == 302 and response.headers["Location"] == "/folj-arende"
    # Adding information is refused too.
    page = client.get("/folj-arende")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    client.post("/folj-arende/ditt-arende", data={"body": "Mer", "csrf_token": token})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseNote)) == 0


def test_closing_the_case_page_forgets_the_grant(client, auth, org):
    reference, code = _public_case(auth, org)
    _follow(auth, reference, code)
    page = client.get("/folj-arende/ditt-arende")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    client.post("/folj-arende/avsluta", data={"csrf_token": token})
    assert client.get("/folj-arende/ditt-arende").status_code == 302


def test_the_receipt_code_never_appears_in_logs_urls_audit_or_the_grant(
    app, client, auth, org, caplog
):
    caplog.set_level(logging.DEBUG)
    urls = []
    original_open = client.open

    def recording_open(*args, **kwargs):
        response = original_open(*args, **kwargs)
        urls.append(str(response.request.url))
        if "Location" in response.headers:
            urls.append(response.headers["Location"])
        return response

    client.open = recording_open
    response = _submit(
        auth, org_unit_id=str(org["a"].id), submitter_email="per@exempel.se", wants_feedback="ja"
    )
    reference, code = _receipt(response)
    _follow(auth, reference, code)
    client.get("/folj-arende/ditt-arende")
    auth.post("/folj-arende/ditt-arende", {"body": "Tillägg"})
    variants = {code, code.replace("-", ""), code.lower()}
    assert urls and not any(v in url for url in urls for v in variants)
    assert not any(v in caplog.text for v in variants)
    with client.session_transaction() as session:
        assert not any(v in str(dict(session)) for v in variants)
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert entries and not any(v in f"{e.before} {e.after}" for e in entries for v in variants)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_public_pages_need_no_login(client):
    for url in ("/lamna-synpunkt", "/folj-arende"):
        assert client.get(url).status_code == 200
    assert client.get("/folj-arende/ditt-arende").status_code == 302


def test_public_cases_fall_on_todays_date(client, auth, org):
    _public_case(auth, org)
    case = db.session.scalars(sa.select(Case)).one()
    assert case.received_on <= stockholm_today()


def test_an_anonymous_submitter_who_wants_an_answer_is_awaiting_feedback(client, org):
    """Anonymous on the e-tjänst still gets återkoppling through the receipt code."""
    import sqlalchemy as sa

    from casetrack.extensions import db
    from casetrack.models import Case
    from tests.conftest import Auth

    Auth(client).post(
        "/lamna-synpunkt",
        {
            "org_unit_id": str(org["a"].id),
            "kind_code": "complaint",
            "description": "Ingen kom i morse.",
            "is_anonymous": "y",
            "wants_feedback": "ja",
        },
    )
    case = db.session.scalars(sa.select(Case)).one()
    assert case.is_anonymous and case.wants_feedback
