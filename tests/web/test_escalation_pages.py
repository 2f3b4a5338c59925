"""Issue #4 through HTTP with CSRF: the lex Sarah chain on the case page, who gets which
form, Ny lex Sarah-rapport, IA, ärendetyp and attachments (upload, type check, scope)."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import Attachment, AuditEntry, Case, Escalation
from casetrack.services import settings as setting_service
from tests.conftest import csrf_from
from tests.web.test_handling_pages import _form_fields

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def case(org, people, make):
    case = make.case(org["a"], by=people["handler"], received_on=date(2026, 3, 2))
    db.session.commit()
    return case


@pytest.fixture(autouse=True)
def attachment_dir(app, tmp_path):
    app.config["CASETRACK"]["ATTACHMENT_DIR"] = str(tmp_path / "bilagor")
    return tmp_path / "bilagor"


def _post(client, case, action: str, data: dict, **kwargs):
    page = client.get(f"/arenden/{case.id}").text
    url = f"/arenden/{case.id}/{action}"
    return client.post(url, data={**_form_fields(page, url), **data}, **kwargs)


def _audit_actions(case) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.case_id == case.id)
            .order_by(AuditEntry.id)
        )
    )


def _start(client, case):
    return _post(
        client, case, "lex",
        {"track": "lex_sarah", "reported_on": "2026-03-02", "reporter_name": "Anna Ek",
         "text": "Brukaren lämnades ensam."},
    )  # fmt: skip


def test_lex_sarah_chain_through_the_case_page(client, auth, case, people):
    auth.login("h@test.example")
    assert _start(client, case).status_code == 302
    track = db.session.scalars(sa.select(Escalation)).one()
    page = client.get(f"/arenden/{case.id}").text
    assert "Lex Sarah" in page and "SOSFS 2011:5" in page  # legal reference from settings
    assert "Registrera ställningstagande" not in page  # a handler does not decide
    assert "Ingen har rollen Lex Sarah-utredare" not in page  # nor names an utredare
    assert "Lex Sarah: Utredning påbörjad" in page  # the step deadline
    for step, day in (("dokumenterad", "03"), ("utredning_paborjad", "04")):
        response = _post(
            client, case, f"lex/{track.id}/steg",
            {"step": step, "occurred_on": f"2026-03-{day}", "text": "Gjort."},
        )  # fmt: skip
        assert response.status_code == 302
    # A handler's POST to the decision is refused even with a valid form.
    page = client.get(f"/arenden/{case.id}").text
    response = client.post(
        f"/arenden/{case.id}/lex/{track.id}/stallningstagande",
        data={"csrf_token": csrf_from(page), "version": str(case.version + 3),
              "decided_on": "2026-03-10", "assessment": "allvarligt_missforhallande",
              "text": "Allvarligt."},
    )  # fmt: skip
    assert response.status_code == 403
    auth.logout()

    auth.login("sas@test.example")
    page = client.get(f"/arenden/{case.id}").text
    assert "Registrera ställningstagande" in page
    # No one holds the utredare role here: SAS is told how one is got.
    assert "Ingen har rollen Lex Sarah-utredare för enheten." in page
    assert "Registrera anmälan till IVO" not in page  # not before an allvarligt decision
    # The five levels of the regulations are offered, each with what it means.
    for words in (
        "Inget missförhållande",
        "Påtaglig risk för missförhållande",
        "Påtaglig risk för ett allvarligt missförhållande",
        "Allvarligt missförhållande",
        "Anmäls till IVO.",
    ):
        assert words in page
    response = _post(
        client, case, f"lex/{track.id}/stallningstagande",
        {"decided_on": "2026-03-10", "text": "Allvarligt missförhållande."},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Välj ställningstagandet." in response.text
    assert track.assessment is None
    response = _post(
        client, case, f"lex/{track.id}/stallningstagande",
        {"decided_on": "2026-03-10", "assessment": "vardskada",  # lex Maria's scale
         "text": "Allvarligt missförhållande."},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Välj ställningstagandet." in response.text
    response = _post(
        client, case, f"lex/{track.id}/stallningstagande",
        {"decided_on": "2026-03-10", "assessment": "allvarligt_missforhallande",
         "text": "Allvarligt missförhållande."},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(f"/arenden/{case.id}").text
    assert "Allvarligt missförhållande <strong>(ska anmälas till IVO)</strong>" in page
    assert "Ingen anmälan till IVO" not in page.split('id="lex-')[1]  # not offered
    response = _post(
        client, case, f"lex/{track.id}/ivo",
        {"reported_on": "2026-03-11", "ivo_reference": "", "text": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Ange IVO:s diarienummer." in response.text
    assert "error-summary" in response.text
    response = _post(
        client, case, f"lex/{track.id}/ivo",
        {"reported_on": "2026-03-11", "ivo_reference": "3.1-555/2026",
         "reported_by_id": str(people["sas"].id)},
    )  # fmt: skip
    assert response.status_code == 302
    response = _post(
        client, case, f"lex/{track.id}/steg",
        {"step": "utredning_avslutad", "occurred_on": "2026-03-12", "text": "Klar."},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(f"/arenden/{case.id}").text
    assert "3.1-555/2026" in page
    history = client.get(f"/arenden/{case.id}/historik").text
    assert "registrerade anmälan till IVO" in history
    assert "Lex Sarah: Utredning avslutad" in history
    assert _audit_actions(case).count("escalation.step_recorded") == 6


def test_a_step_out_of_order_is_refused_at_the_field(client, auth, case):
    auth.login("h@test.example")
    _start(client, case)
    track = db.session.scalars(sa.select(Escalation)).one()
    response = _post(
        client, case, f"lex/{track.id}/steg",
        {"step": "utredning_avslutad", "occurred_on": "2026-03-04", "text": "Klar."},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Registrera först" in response.text
    assert _audit_actions(case).count("escalation.step_recorded") == 1


def test_anonymous_rapportor_is_refused(client, auth, case, org):
    auth.login("h@test.example")
    response = _post(
        client, case, "lex",
        {"track": "lex_sarah", "reported_on": "2026-03-02", "reporter_name": "",
         "text": "Text"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "kan inte vara anonym" in response.text
    auth.logout()
    auth.login("sas@test.example")
    response = auth.post(
        "/lex-sarah/ny",
        {"org_unit_id": str(org["a"].id), "reported_on": "2026-03-02",
         "reporter_name": "anonym", "description": "Något hände."},
    )  # fmt: skip
    assert response.status_code == 422
    assert "kan inte vara anonym" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Escalation)) == 0


def test_new_lex_sarah_report_page_creates_case_and_track(client, auth, org, people):
    auth.login("sas@test.example")
    response = auth.post(
        "/lex-sarah/ny",
        {"org_unit_id": str(org["a"].id), "reported_on": "2026-03-02",
         "reporter_name": "Anna Ek", "description": "Brukaren fick fel mat."},
    )  # fmt: skip
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case)).one()
    assert (case.kind_code, case.source_code) == ("deviation", "medarbetare")
    assert _audit_actions(case)[:3] == [
        "case.registered", "escalation.started", "escalation.step_recorded",
    ]  # fmt: skip
    auth.logout()
    auth.login("s@test.example")
    assert client.get("/lex-sarah/ny").status_code == 404


@pytest.mark.parametrize(
    ("email", "status"),
    [("q@test.example", 200), ("o@test.example", 404), ("s@test.example", 404)],
)
def test_others_see_the_track_read_only_or_not_at_all(client, auth, case, people, email, status):
    auth.login("h@test.example")
    _start(client, case)
    track = db.session.scalars(sa.select(Escalation)).one()
    auth.logout()
    auth.login(email)
    response = client.get(f"/arenden/{case.id}")
    if status == 200:
        assert "Anna Ek" in response.text  # the rapportör, read-only
        assert "Registrera nästa steg" not in response.text
        assert "Registrera ställningstagande" not in response.text
    token = csrf_from(client.get("/arenden/").text)
    response = client.post(
        f"/arenden/{case.id}/lex/{track.id}/steg",
        data={"csrf_token": token, "version": "1", "step": "dokumenterad",
              "occurred_on": "2026-03-03", "text": "x"},
    )  # fmt: skip
    assert response.status_code == 404


def test_ia_marking_and_reclassification_through_the_page(client, auth, case):
    auth.login("h@test.example")
    response = _post(client, case, "ia", {"ia_reported_on": "2026-03-04", "ia_reference": ""})
    assert response.status_code == 422
    response = _post(
        client, case, "ia", {"ia_reported_on": "2026-03-04", "ia_reference": "IA-2026-12"}
    )
    assert response.status_code == 302
    page = client.get(f"/arenden/{case.id}").text
    assert "Arbetsmiljöhändelse – rapporterad i IA" in page and "IA-2026-12" in page
    assert _post(client, case, "arendetyp", {"kind_code": "deviation"}).status_code == 302
    history = client.get(f"/arenden/{case.id}/historik").text
    assert "från Klagomål till Avvikelse" in history
    assert "markerade ärendet som arbetsmiljöhändelse" in history
    db.session.expire_all()
    assert db.session.get(Case, case.id).kind_code == "deviation"


def test_a_stale_reclassification_answers_409(client, auth, case, people):
    auth.login("h@test.example")
    page = client.get(f"/arenden/{case.id}").text
    url = f"/arenden/{case.id}/arendetyp"
    fields = _form_fields(page, url)
    assert _post(client, case, "ia", {"ia_reported_on": "2026-03-04", "ia_reference": "IA-1"})
    response = client.post(url, data={**fields, "kind_code": "deviation"})
    assert response.status_code == 409


def _upload(client, case, name: str, content: bytes):
    page = client.get(f"/arenden/{case.id}").text
    url = f"/arenden/{case.id}/bilagor"
    return client.post(
        url,
        data={**_form_fields(page, url), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_attachment_upload_and_download(client, auth, case, attachment_dir):
    auth.login("h@test.example")
    response = _upload(client, case, "blankett.pdf", PDF)
    assert response.status_code == 302
    attachment = db.session.scalars(sa.select(Attachment)).one()
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.content_type == "application/pdf"
    stored = list(attachment_dir.iterdir())
    assert [p.name for p in stored] == [attachment.storage_name]
    assert "blankett" not in attachment.storage_name
    response = client.get(f"/arenden/{case.id}/bilagor/{attachment.id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "blankett.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    assert _audit_actions(case)[-2:] == ["attachment.uploaded", "attachment.downloaded"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("foto.jpg", PNG, "namnet slutar inte så"),
        ("brev.pdf", b"<html><script>alert(1)</script>", "Filtypen går inte att bifoga"),
        ("program.exe", b"MZ\x90\x00" + b"\x00" * 10, "Filtypen går inte att bifoga"),
        ("tom.pdf", b"", "Filen är tom"),
    ],
)
def test_attachments_are_checked_by_content(client, auth, case, name, content, message):
    auth.login("h@test.example")
    response = _upload(client, case, name, content)
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_too_large_attachment_gets_a_swedish_message(client, auth, case, people):
    setting_service.set_setting(people["sas"], "attachment.max_bytes", "1024")
    db.session.commit()
    auth.login("h@test.example")
    response = _upload(client, case, "foto.png", PNG + b"\x00" * 2000)
    assert response.status_code == 422
    assert "Filen är för stor" in response.text


@pytest.mark.parametrize(
    ("email", "status"),
    [("q@test.example", 200), ("m@test.example", 200), ("o@test.example", 404),
     ("s@test.example", 404)],
)  # fmt: skip
def test_attachment_download_stays_within_scope(client, auth, case, email, status):
    auth.login("h@test.example")
    _upload(client, case, "foto.png", PNG)
    attachment = db.session.scalars(sa.select(Attachment)).one()
    auth.logout()
    auth.login(email)
    response = client.get(f"/arenden/{case.id}/bilagor/{attachment.id}")
    assert response.status_code == status
    response.close()


def test_another_units_attachment_answers_404_even_under_an_own_case(
    client, auth, case, org, people, make
):
    other_case = make.case(org["b"], by=people["other"])
    db.session.commit()
    auth.login("o@test.example")
    assert _upload(client, other_case, "brev.pdf", PDF).status_code == 302
    attachment = db.session.scalars(sa.select(Attachment)).one()
    auth.logout()
    auth.login("h@test.example")
    assert client.get(f"/arenden/{case.id}/bilagor/{attachment.id}").status_code == 404
    assert client.get(f"/arenden/{other_case.id}/bilagor/{attachment.id}").status_code == 404


def test_action_form_offers_the_causes(client, auth, case):
    auth.login("h@test.example")
    response = _post(client, case, "utredning/orsaker", {"description": "Larmet var trasigt."})
    assert response.status_code == 302
    page = client.get(f"/arenden/{case.id}").text
    cause_id = re.search(r'<option value="(\d+)">Larmet var trasigt.</option>', page).group(1)
    response = _post(
        client, case, "atgarder",
        {"description": "Byt larm", "responsible": "Lena", "cause_id": cause_id},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(f"/arenden/{case.id}").text
    assert "Avser orsak: Larmet var trasigt." in page
    response = _post(
        client, case, "utredning",
        {"started_on": "2026-03-03", "what_happened": "Larmet fungerade inte.",
         "completed_on": "2026-03-05", "conclusion": ""},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Skriv en slutsats" in response.text


@pytest.mark.parametrize(
    ("lagrum", "first", "words"),
    [
        ("hsl", "lex_maria", "Avvikelsen gäller hälso- och sjukvård (HSL)"),
        ("lss", "lex_sarah", "Avvikelsen gäller LSS"),
        (None, "lex_sarah", None),  # not classified: the usual order, no hint
    ],
)
def test_the_avvikelse_lagrum_puts_its_chain_first(client, auth, org, people, make, lagrum,
                                                  first, words):  # fmt: skip
    from casetrack.services import deviations

    case = make.case(org["a"], by=people["handler"], kind_code="deviation",
                     received_on=date(2026, 3, 2))  # fmt: skip
    if lagrum:
        deviations.classify_when_filed(case, lagrum=lagrum, event_type_code=None)
    db.session.commit()
    auth.login("h@test.example")
    page = client.get(f"/arenden/{case.id}").text
    form = page.split(f'action="/arenden/{case.id}/lex"', 1)[1].split("</form>", 1)[0]
    options = re.findall(r'<option([^>]*)value="(\w+)"', form)
    assert options[0][1] == first
    if words:
        assert words in form
        assert "selected" in options[0][0]
    else:
        assert "Avvikelsen gäller" not in form
