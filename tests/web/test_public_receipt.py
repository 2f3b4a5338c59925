"""Issue 20, public pages: the receipt page is POST/redirect/GET, the same submission sent
twice is one case, and the public pages carry the organisation's name."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Case, OrgSetting, OutboxMessage, ReceiptGrant, utcnow
from casetrack.services import receipts
from casetrack.web.intake.views import RECEIPT_GONE
from tests.conftest import Auth, csrf_from

CODE_PATTERN = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")
REFERENCE_PATTERN = re.compile(r"[A-Z]{2}-\d{4}-\d{5}")
RECEIPT_URL = "/lamna-synpunkt/kvittens"


def _form(org, **overrides) -> dict:
    data = {
        "org_unit_id": str(org["a"].id),
        "kind_code": "complaint",
        "description": "Min mamma fick vänta en timme på sin medicin i går kväll.",
        "wants_feedback": "nej",
        "submitter_name": "",
        "submitter_email": "",
        "submitter_phone": "",
        "website": "",
    }
    data.update(overrides)
    return data


def _post(client, org, **overrides):
    """GET the form and POST it, as a browser does; returns the POST's response."""
    page = client.get("/lamna-synpunkt")
    return client.post(
        "/lamna-synpunkt", data={**_form(org, **overrides), "csrf_token": csrf_from(page.text)}
    )


def _cases() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def test_reloading_the_receipt_page_submits_nothing_and_shows_the_code_once(client, org):
    response = _post(client, org)
    assert response.status_code == 302
    assert response.headers["Location"] == RECEIPT_URL

    receipt = client.get(RECEIPT_URL)
    assert receipt.status_code == 200
    assert "Tack – vi har tagit emot ditt ärende" in receipt.text
    reference = REFERENCE_PATTERN.search(receipt.text).group(0)
    code = CODE_PATTERN.search(receipt.text).group(0)
    assert "Kvittenskoden visas bara den här gången" in receipt.text
    assert _cases() == 1

    # A reload (F5) is a GET: no second case, the same diarienummer, the code not again.
    for _ in range(2):
        again = client.get(RECEIPT_URL)
        assert again.status_code == 200
        assert reference in again.text
        assert not CODE_PATTERN.search(again.text)
        assert "Kvittenskoden visades när du skickade meddelandet" in again.text
    assert _cases() == 1

    # The code works, travels in no URL, and is in neither the cookie nor the grant row.
    assert code not in response.headers["Location"]
    with client.session_transaction() as session:
        assert code not in str(dict(session)) and code.replace("-", "") not in str(dict(session))
    grant = db.session.scalars(sa.select(ReceiptGrant)).one()
    assert grant.sealed_code is None  # erased when it was shown
    case = db.session.scalars(sa.select(Case)).one()
    assert case.reference == reference and code not in case.receipt_code_hash
    token = csrf_from(client.get("/folj-arende").text)
    followed = client.post(
        "/folj-arende", data={"reference": reference, "receipt_code": code, "csrf_token": token}
    )
    assert followed.status_code == 302


def test_the_sealed_code_is_not_in_the_database_before_it_is_shown(app, client, org):
    assert _post(client, org).status_code == 302
    grant = db.session.scalars(sa.select(ReceiptGrant)).one()
    sealed = grant.sealed_code
    assert sealed
    code = CODE_PATTERN.search(client.get(RECEIPT_URL).text).group(0)
    for variant in (code, code.replace("-", "")):
        assert variant.encode() not in sealed
    # The application's secret key opens it (until it was erased); another key cannot.
    assert receipts._unseal(sealed, grant.submission_hash) == code
    original = app.secret_key
    try:
        app.secret_key = "ett-helt-annat-hemligt-värde-som-är-långt-nog"  # pragma: allowlist secret
        assert receipts._unseal(sealed, grant.submission_hash) is None
    finally:
        app.secret_key = original


def test_without_a_receipt_or_after_ten_minutes_the_receipt_page_leads_to_folj_ditt_arende(
    app, client, org
):
    fresh = app.test_client()
    response = fresh.get(RECEIPT_URL)
    assert response.status_code == 302 and response.headers["Location"] == "/folj-arende"
    assert RECEIPT_GONE in fresh.get("/folj-arende").text

    assert _post(client, org).status_code == 302
    assert CODE_PATTERN.search(client.get(RECEIPT_URL).text)
    grant = db.session.scalars(sa.select(ReceiptGrant)).one()
    assert grant.expires_at - grant.created_at == timedelta(seconds=receipts.RECEIPT_SECONDS)
    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(RECEIPT_URL)
    assert response.status_code == 302 and response.headers["Location"] == "/folj-arende"
    assert _cases() == 1


def test_the_same_submission_again_is_recognised_and_names_the_diarienummer(client, org):
    first = _post(client, org, submitter_email="anna@exempel.se", wants_feedback="ja")
    assert first.status_code == 302
    receipt = client.get(RECEIPT_URL).text
    reference = REFERENCE_PATTERN.search(receipt).group(0)

    # A second tab, or back and "Skicka" again: the same form, the same browser.
    second = _post(client, org, submitter_email="anna@exempel.se", wants_feedback="ja")
    assert second.status_code == 302 and second.headers["Location"] == RECEIPT_URL
    page = client.get(RECEIPT_URL)
    assert page.status_code == 200
    assert "<h1>Vi har redan tagit emot ditt meddelande</h1>" in page.text
    assert (
        f"Vi har registrerat det bara en gång, med diarienummer <strong>{reference}</strong>"
        in (page.text)
    )
    # The code was shown on the first receipt: not again; the e-mail has it.
    assert not CODE_PATTERN.search(page.text)
    assert "Du får diarienummer och kod i mejlet" in page.text
    assert _cases() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1


def test_a_double_click_shows_the_first_submissions_code_once(client, org):
    """The browser sends the form twice before the first answer arrives, and shows only
    the second answer: the first answer's cookie never reaches the browser."""
    page = client.get("/lamna-synpunkt")
    data = {**_form(org), "csrf_token": csrf_from(page.text)}
    name = client.application.config["SESSION_COOKIE_NAME"]
    before = client.get_cookie(name).value
    assert client.post("/lamna-synpunkt", data=data).status_code == 302
    client.set_cookie(name, before)  # the first answer is lost
    second = client.post("/lamna-synpunkt", data=data)
    assert second.status_code == 302
    receipt = client.get(RECEIPT_URL).text
    assert "Vi har redan tagit emot ditt meddelande" in receipt
    reference = REFERENCE_PATTERN.search(receipt).group(0)
    code = CODE_PATTERN.search(receipt).group(0)
    assert "Kvittenskoden visas bara den här gången" in receipt
    assert _cases() == 1
    token = csrf_from(client.get("/folj-arende").text)
    followed = client.post(
        "/folj-arende", data={"reference": reference, "receipt_code": code, "csrf_token": token}
    )
    assert followed.status_code == 302


@pytest.mark.parametrize(
    "change",
    [
        {"description": "Min mamma fick vänta en timme på sin kvällsmedicin i går."},
        {"kind_code": "suggestion"},
        {"submitter_email": "anna@exempel.se"},
        {"is_anonymous": "y"},
    ],
)
def test_a_different_submission_within_the_window_is_a_case_of_its_own(client, org, change):
    assert _post(client, org).status_code == 302
    first = REFERENCE_PATTERN.search(client.get(RECEIPT_URL).text).group(0)
    assert _post(client, org, **change).status_code == 302
    page = client.get(RECEIPT_URL).text
    assert "Tack – vi har tagit emot ditt ärende" in page
    assert REFERENCE_PATTERN.search(page).group(0) != first
    assert CODE_PATTERN.search(page)
    assert _cases() == 2


def test_two_texts_to_two_units_are_two_cases(client, org):
    assert _post(client, org, description="Första texten.").status_code == 302
    assert (
        _post(client, org, description="Första texten.", org_unit_id=str(org["b"].id)).status_code
        == 302
    )
    assert _cases() == 2


def test_surrounding_white_space_and_letter_case_of_the_address_do_not_make_a_new_case(client, org):
    text = "Maten var kall tre dagar i rad."
    assert (
        _post(client, org, description=text, submitter_email="Anna@Exempel.se").status_code == 302
    )
    assert (
        _post(client, org, description=f"  {text}\n", submitter_email="anna@exempel.se").status_code
        == 302
    )
    assert _cases() == 1


def test_the_same_text_from_another_browser_is_another_case(app, client, org):
    """Two people who happen to write the same words to the same unit: two cases, and
    neither is told the other's diarienummer."""
    assert _post(client, org, description="Tack för allt!", kind_code="praise").status_code == 302
    first = REFERENCE_PATTERN.search(client.get(RECEIPT_URL).text).group(0)
    other = app.test_client()
    assert _post(other, org, description="Tack för allt!", kind_code="praise").status_code == 302
    page = other.get(RECEIPT_URL).text
    assert "Tack – vi har tagit emot ditt ärende" in page and first not in page
    assert _cases() == 2


def test_the_same_submission_after_ten_minutes_is_a_new_case(client, org):
    assert _post(client, org).status_code == 302
    client.get(RECEIPT_URL)
    grant = db.session.scalars(sa.select(ReceiptGrant)).one()
    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _post(client, org).status_code == 302
    assert "Tack – vi har tagit emot ditt ärende" in client.get(RECEIPT_URL).text
    assert _cases() == 2
    # The expired grant was deleted when the next one was made.
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceiptGrant)) == 1


# The organisation's name on the public pages.


def _public_pages(client, org) -> dict[str, str]:
    """Every public page's HTML: the form, the receipt, Följ ditt ärende, the followed
    case, the accessibility statement."""
    pages = {"/lamna-synpunkt": client.get("/lamna-synpunkt").text}
    _post(client, org, description=f"En ny text {len(pages)} {utcnow().isoformat()}")
    pages[RECEIPT_URL] = receipt = client.get(RECEIPT_URL).text
    reference = REFERENCE_PATTERN.search(receipt).group(0)
    code = CODE_PATTERN.search(receipt).group(0)
    follow = client.get("/folj-arende").text
    pages["/folj-arende"] = follow
    client.post(
        "/folj-arende",
        data={"reference": reference, "receipt_code": code, "csrf_token": csrf_from(follow)},
    )
    pages["/folj-arende/ditt-arende"] = client.get("/folj-arende/ditt-arende").text
    pages["/tillganglighet"] = client.get("/tillganglighet").text
    return pages


def _header_name(html: str) -> str:
    return re.search(r'class="site-header__name"[^>]*>([^<]*)</a>', html).group(1)


def test_the_public_pages_carry_the_top_units_name_by_default(client, org):
    for url, html in _public_pages(client, org).items():
        assert _header_name(html) == "Förvaltningen", url
        assert re.search(r"<title>[^<]* – Förvaltningen</title>", html), url
    receipt = client.get("/lamna-synpunkt").text
    assert "casetrack" in receipt  # the product's name stays in the footer


def test_an_administrator_names_the_organisation_and_every_public_page_and_the_receipt_show_it(
    app, client, org, make
):
    make.user([(Role.ADMIN, org["root"])], email="admin@test.example")
    db.session.commit()
    admin_client = app.test_client()
    admin = Auth(admin_client)
    admin.login("admin@test.example")
    listing = admin_client.get("/admin/installningar").text
    assert "Organisationens namn på de öppna sidorna" in listing
    form = admin_client.get("/admin/installningar/organisation.name").text
    assert "Förvaltningen" in form and "den översta enhetens namn" in form

    refused = admin.post("/admin/installningar/organisation.name", {"value": "Rad ett\nRad två"})
    assert refused.status_code == 422
    assert "Skriv namnet på en rad, högst 120 tecken." in refused.text
    assert (
        admin.post("/admin/installningar/organisation.name", {"value": "x" * 121}).status_code
        == 422
    )

    name = "Stockholms stad – Hägersten-Älvsjö"
    saved = admin.post("/admin/installningar/organisation.name", {"value": name})
    assert saved.status_code == 302
    assert db.session.get(OrgSetting, "organisation.name").value == name

    escaped = name  # no character that HTML escapes
    pages = _public_pages(client, org)
    for url, html in pages.items():
        assert _header_name(html) == escaped, url
        assert f"– {escaped}</title>" in html, url
    assert f"har registrerats hos Enhet A, {escaped}." in pages[RECEIPT_URL]


def test_the_receipt_e_mail_names_the_organisation(client, org):
    _post(client, org, submitter_email="anna@exempel.se", wants_feedback="ja")
    message = db.session.scalars(sa.select(OutboxMessage)).one()
    assert "Tack för att du hörde av dig till Förvaltningen." in message.body


def test_without_exactly_one_top_unit_the_name_is_casetrack(client, org, make):
    make.unit("En annan förvaltning", level="forvaltning", code="ROOT2")
    db.session.commit()
    html = client.get("/lamna-synpunkt").text
    assert _header_name(html) == "casetrack"


def test_pages_behind_the_login_keep_casetrack(app, org, make):
    make.user([(Role.HANDLER, org["a"])], email="h2@test.example")
    db.session.commit()
    staff = app.test_client()
    Auth(staff).login("h2@test.example")
    html = staff.get("/arenden/").text
    assert _header_name(html) == "casetrack"


def test_the_same_submission_sent_at_the_same_moment_is_one_case(app, client, org):
    """Four identical requests from one browser race each other (a frantic double click
    on a slow connection): the unique digest lets exactly one register a case, and the
    browser, which shows the last answer, gets that case's receipt."""
    app.config["CASETRACK"]["PUBLIC_RATE_LIMIT"] = "1000 per minute"
    page = client.get("/lamna-synpunkt")
    data = {**_form(org), "csrf_token": csrf_from(page.text)}
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name).value
    db.session.commit()  # the test's own session holds nothing
    barrier = threading.Barrier(4)
    answers: list[tuple[int, object]] = []
    errors: list[str] = []

    def send() -> None:
        browser = app.test_client()
        browser.set_cookie(name, cookie)
        try:
            barrier.wait(timeout=30)
            answers.append((browser.post("/lamna-synpunkt", data=data).status_code, browser))
        except Exception as error:  # collected, asserted below
            errors.append(repr(error))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert [status for status, _ in answers] == [302] * 4
    assert _cases() == 1
    grant = db.session.scalars(sa.select(ReceiptGrant)).one()
    assert grant.repeated
    # Each answer's cookie names its own token; the last one made is the one that opens.
    pages = [browser.get(RECEIPT_URL) for _, browser in answers]
    shown = [page for page in pages if page.status_code == 200]
    assert len(shown) == 1
    assert "Vi har redan tagit emot ditt meddelande" in shown[0].text
    reference = db.session.scalars(sa.select(Case.reference)).one()
    assert reference in shown[0].text
    assert CODE_PATTERN.search(shown[0].text)  # no earlier answer reached the screen
