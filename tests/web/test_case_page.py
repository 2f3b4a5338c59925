"""Issue 20, the case page: the next step beside the summary, the confirmation where the
user is looking, closing that asks for what the report needs, and återkoppling whose
answer to the person is kept apart from the handler's internal note."""

from __future__ import annotations

import re

import sqlalchemy as sa

from casetrack.domain.dates import stockholm_today
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case, CaseNote, Feedback, OutboxMessage
from tests.web.test_handling_pages import _form_fields, _post
from tests.web.test_intake import _follow, _receipt, _submit

ANSWER = "Vi har pratat med personalen och ändrat tiderna för lunchen."
INTERNAL = "Personalen på kvällspasset glömde listan, enligt samordnaren."


def _section(html: str, element_id: str, until: str = "<h2") -> str:
    """The HTML from the element with ``element_id`` up to ``until`` (the next section
    heading; "</section>" for a section element)."""
    start = html.index(f'id="{element_id}"')
    end = html.find(until, start + 1)
    return html[start : end if end != -1 else None]


def test_a_new_case_shows_take_and_acknowledge_beside_its_summary(client, auth, org, people, make):
    case = make.case(org["a"], submitter_name="Eva", submitter_email="eva@example.org")
    db.session.commit()
    auth.login("h@test.example")
    page = client.get(f"/arenden/{case.id}").text

    step = _section(page, "nasta-steg", "</section>")
    assert "Ta ärendet" in step and "Skicka mottagningsbekräftelse" in step
    assert f'action="/arenden/{case.id}/ta"' in step
    assert f'action="/arenden/{case.id}/mottagningsbekraftelse"' in step
    # The next step comes before the description and every other part of the case.
    assert page.index('id="nasta-steg"') < page.index('id="beskrivning"')
    # What the report lacks is said in the summary.
    assert "Saknas för redovisningen:</strong> från vem och kategori" in page
    # Deadlines in working days.
    assert re.search(r"Mottagningsbekräftelse</strong>: senast .*?(arbetsdag|försenad)", page, re.S)
    # One form for the acknowledgement on the page, not two.
    assert page.count(f'action="/arenden/{case.id}/mottagningsbekraftelse"') == 1


def test_taking_the_case_confirms_it_in_the_next_step_not_at_the_top(
    client, auth, org, people, make
):
    case = make.case(org["a"])
    db.session.commit()
    auth.login("h@test.example")

    response = _post(client, case, "ta", {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/arenden/{case.id}#nasta-steg")
    db.session.expire_all()
    assert db.session.get(Case, case.id).assigned_handler_id == people["handler"].id

    page = client.get(f"/arenden/{case.id}").text
    step = _section(page, "nasta-steg", "</section>")
    assert "Du är nu handläggare för ärendet." in step
    assert page.count("Du är nu handläggare för ärendet.") == 1
    assert "Ta ärendet</button>" not in page  # taken: the step is gone
    # Shown once: reloading does not show it again.
    assert "Du är nu handläggare" not in client.get(f"/arenden/{case.id}").text


def test_a_confirmation_is_shown_in_the_section_the_page_opens_at(client, auth, org, people, make):
    case = make.case(org["a"])
    db.session.commit()
    auth.login("h@test.example")
    response = _post(client, case, "anteckningar", {"body": "Ringde dottern."})
    assert response.headers["Location"].endswith("#anteckningar")
    page = client.get(f"/arenden/{case.id}").text
    assert "Anteckningen är sparad." in _section(page, "anteckningar")


def test_closing_asks_for_source_and_category_and_saves_nothing_without_them(
    client, auth, org, people, make
):
    case = make.case(org["a"], by=people["handler"])
    db.session.commit()
    auth.login("h@test.example")
    page = client.get(f"/arenden/{case.id}").text
    close = _section(page, "avsluta")
    assert "Från vem" in close and "Vad gällde det?" in close
    assert "välj Annan (t.ex. okänd)" in close

    response = _post(client, case, "avsluta", {"no_feedback_reason": "ej_nabar"})
    assert response.status_code == 422
    assert "Ange från vem ärendet kom." in response.text
    response = _post(
        client, case, "avsluta", {"no_feedback_reason": "ej_nabar", "source_code": "annan"}
    )
    assert response.status_code == 422
    assert "Välj minst en kategori" in response.text
    response = _post(
        client, case, "avsluta",
        {"no_feedback_reason": "ej_nabar", "source_code": "annan", "category_codes": "annat"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Ange vad ärendet gällde när du väljer Annat." in response.text
    db.session.expire_all()
    unchanged = db.session.get(Case, case.id)
    assert unchanged.status_code != "avslutad" and unchanged.source_code is None
    assert unchanged.categories == []

    response = _post(
        client, case, "avsluta",
        {"no_feedback_reason": "ej_nabar", "source_code": "annan",
         "category_codes": "annat", "category_other_note": "Parkeringen"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    closed = db.session.get(Case, case.id)
    assert closed.status_code == "avslutad"
    assert closed.source_code == "annan"
    assert [c.code for c in closed.categories] == ["annat"]
    assert closed.category_other_note == "Parkeringen"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "case.closed")
    ).one()
    assert entry.after["source_code"] == "annan" and entry.after["categories"] == ["annat"]
    page = client.get(f"/arenden/{case.id}").text
    assert "Saknas för redovisningen" not in page


def test_closing_a_complete_case_does_not_ask_again(client, auth, org, people, make):
    case = make.case(org["a"], by=people["handler"], source_code="brukare", category_codes=["mat"])
    db.session.commit()
    auth.login("h@test.example")
    close = _section(client.get(f"/arenden/{case.id}").text, "avsluta")
    assert "Vad gällde det?" not in close and "Från vem" not in close
    assert _post(client, case, "avsluta", {"no_feedback_reason": "avbojt"}).status_code == 302


def _emailed_case(auth, org) -> tuple[Case, str, str]:
    response = _submit(
        auth, org_unit_id=str(org["a"].id), submitter_name="Eva Ek",
        submitter_email="eva@example.org",
    )  # fmt: skip
    reference, code = _receipt(response)
    case = db.session.scalars(sa.select(Case).where(Case.reference == reference)).one()
    return case, reference, code


def _feedback(case, **extra) -> dict:
    return {
        # Stockholm's today: the case was received on it (UTC's is a day behind before 01:00).
        "given_on": stockholm_today().isoformat(), "given_to": "Eva Ek", "method": "e_post",
        "summary": ANSWER, "internal_note": INTERNAL, **extra,
    }  # fmt: skip


def test_feedback_preview_shows_the_answer_as_its_reader_will_and_saves_nothing(
    client, auth, org, people
):
    case, _reference, _code = _emailed_case(auth, org)
    auth.login("h@test.example")
    page = client.get(f"/arenden/{case.id}").text
    assert "Svar till den som lämnade ärendet – visas på Följ ditt ärende och i e-post" in page
    assert "Intern anteckning – visas inte för den som lämnade ärendet" in page

    url = f"/arenden/{case.id}/aterkoppling"
    response = client.post(
        url, data={**_form_fields(page, url), **_feedback(case, send_email="y", preview="1")}
    )
    assert response.status_code == 200
    preview = _section(response.text, "forhandsgranskning", "</section>")
    assert "Så här ser den som lämnade ärendet svaret" in preview
    assert ANSWER in preview and INTERNAL not in preview
    assert "Återkoppling på ditt ärende" in preview  # the e-mail, as it will be sent
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.purpose == "feedback_letter")) == 0  # fmt: skip
    # The form keeps what was typed, ready to save.
    assert INTERNAL in response.text


def test_the_internal_note_never_reaches_the_public_page_nor_the_mail(client, auth, org, people):
    case, reference, code = _emailed_case(auth, org)
    auth.login("h@test.example")
    response = _post(client, case, "aterkoppling", _feedback(case, send_email="y"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#aterkoppling")

    feedback = db.session.scalars(sa.select(Feedback)).one()
    assert feedback.summary == ANSWER
    note = db.session.scalars(sa.select(CaseNote).where(CaseNote.case_id == case.id)).one()
    assert (note.kind, note.body) == ("internal", INTERNAL)
    letter = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.purpose == "feedback_letter")
    ).one()
    assert ANSWER in letter.body and INTERNAL not in letter.body

    page = client.get(f"/arenden/{case.id}").text
    assert "Återkopplingen är registrerad." in _section(page, "aterkoppling")
    assert INTERNAL in _section(page, "anteckningar")

    auth.logout()
    assert _follow(auth, reference, code).status_code == 302
    public = client.get("/folj-arende/ditt-arende").text
    assert ANSWER in public
    assert INTERNAL not in public


def test_feedback_without_an_answer_is_refused_at_the_field(client, auth, org, people, make):
    case = make.case(org["a"], by=people["handler"])
    db.session.commit()
    auth.login("h@test.example")
    response = _post(client, case, "aterkoppling", _feedback(case, summary=" "))
    assert response.status_code == 422
    assert "Skriv svaret till den som lämnade ärendet." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseNote)) == 0


def test_the_case_page_shown_again_after_a_refused_form_is_access_logged(
    client, auth, org, people, make
):
    """A refused form (422) shows the case again; that read is logged like any other,
    though a 4xx answer commits nothing else (found by two helpers of issue 20)."""
    from casetrack.models import AccessLogEntry

    case = make.case(org["a"], by=people["handler"])
    db.session.commit()
    auth.login("h@test.example")

    def reads() -> int:
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AccessLogEntry)
            .where(AccessLogEntry.case_id == case.id, AccessLogEntry.what == "case.view")
        )

    page = client.get(f"/arenden/{case.id}").text
    assert reads() == 1
    url = f"/arenden/{case.id}/aterkoppling"
    data = {**_form_fields(page, url), **_feedback(case, summary=" ")}
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert case.reference in response.text
    assert reads() == 2
