"""Issue 16: administrators cannot read återkoppling text through the outbox.

A template's subject may not carry case text ({text}, {lista}); a subject already stored
with one renders without it; and Utkorg shows no subject, body or address of the public.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import MessageTemplate, OutboxMessage
from tests.web.test_handling_pages import _post

# Not a credential: an återkoppling text that must never reach a subject or Utkorg.
SECRET_FEEDBACK = (  # pragma: allowlist secret
    "Vi beklagar att Anna Lind föll i duschen den fjärde mars."
)


def _send_feedback_letter(client, auth, org, people, make):
    case = make.case(
        org["a"], by=people["handler"], received_on=date(2026, 3, 2),
        submitter_email="anna.lind@exempel.se", submitter_name="Anna Lind",
    )  # fmt: skip
    db.session.commit()
    auth.login("h@test.example")
    response = _post(
        client, case, "aterkoppling",
        {"given_on": "2026-03-05", "given_to": "Anna", "method": "e_post",
         "summary": SECRET_FEEDBACK, "send_email": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    auth.logout()
    return case


@pytest.mark.parametrize("placeholder", ["{text}", "{lista}", "{text!r}", "{text:.20}"])
def test_case_text_in_a_subject_is_refused_at_the_field(client, auth, people, placeholder):
    auth.login("admin@test.example")
    response = auth.post(
        "/admin/meddelanden/feedback_letter",
        {"subject": f"Svar {placeholder}", "body": "Hej!\n\n{text}\n"},
    )
    assert response.status_code == 422
    assert "Ämnesraden får inte innehålla" in response.text
    assert 'id="subject-error"' in response.text
    db.session.expire_all()
    assert "{" + "text" not in db.session.get(MessageTemplate, "feedback_letter").subject


def test_a_subject_may_only_use_what_its_own_message_is_given(client, auth, people):
    """The receipt-less acknowledgement is not given {mottagare}: refused, named."""
    auth.login("admin@test.example")
    response = auth.post(
        "/admin/meddelanden/acknowledgement",
        {"subject": "Hej {mottagare}", "body": "Hej {diarienummer}"},
    )
    assert response.status_code == 422
    assert "{mottagare}" in response.text and "{diarienummer}" in response.text
    ok = auth.post(
        "/admin/meddelanden/acknowledgement",
        {"subject": "Ditt ärende {diarienummer} hos {enhet}", "body": "Hej {diarienummer}"},
    )
    assert ok.status_code == 302


def test_a_subject_stored_with_text_never_carries_the_aterkoppling(client, auth, org, people, make):
    """A template stored before the check (or written straight into the table)."""
    db.session.get(MessageTemplate, "feedback_letter").subject = "Svar: {text} ({diarienummer})"
    db.session.commit()
    case = _send_feedback_letter(client, auth, org, people, make)
    db.session.expire_all()
    [message] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.purpose == "feedback_letter")
    ).all()
    assert "beklagar" not in message.subject and case.reference in message.subject
    assert SECRET_FEEDBACK in message.body  # the letter itself still carries the answer


def test_the_outbox_shows_no_subject_body_or_address_of_the_public(client, auth, org, people, make):
    case = _send_feedback_letter(client, auth, org, people, make)
    db.session.expire_all()
    message = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.purpose == "feedback_letter")
    ).one()
    message.status, message.attempts = "failed", 8
    message.last_error = "550 5.1.1 <anna.lind@exempel.se>: Recipient address rejected"
    db.session.commit()
    auth.login("admin@test.example")
    page = client.get("/admin/utkorg")
    assert page.status_code == 200
    assert "anna.lind@exempel.se" not in page.text
    assert "Anna Lind" not in page.text and "beklagar" not in page.text
    assert case.reference not in page.text  # the subject names the case: not shown
    # What the admin needs to act on it is there.
    assert "Återkoppling (brev via e-post)" in page.text
    assert "Misslyckades" in page.text and "Recipient address rejected" in page.text
    assert "Privatperson" in page.text
    assert "Försök igen" in page.text


def test_the_outbox_names_a_staff_recipient(client, auth, org, people):
    from casetrack.services.mail import queue_mail
    from casetrack.services.messages import compose

    subject, body = compose("digest", {"mottagare": "Lena Berg", "antal": "3", "lista": "x"})
    queue_mail("h@test.example", subject, body, purpose="digest")
    db.session.commit()
    auth.login("admin@test.example")
    page = client.get("/admin/utkorg")
    assert "Lena Berg" in page.text and "Veckosammanställning" in page.text
    assert "Dina ärenden den här veckan" not in page.text  # no subject


# Found by the fresh-eyes check after issue 16's fixes: a conversion or format spec in a
# placeholder was accepted and then crashed the sending request (or the scheduler).
@pytest.mark.parametrize(
    "placeholder", ["{text:%Y}", "{text!x}", "{text:d}", "{text!r}", "{text:{enhet}}"]
)
def test_a_placeholder_with_a_format_or_conversion_is_refused_at_the_field(
    client, auth, people, placeholder
):
    auth.login("admin@test.example")
    response = auth.post(
        "/admin/meddelanden/feedback_letter",
        {"subject": "Svar på {diarienummer}", "body": f"Hej!\n\n{placeholder}\n"},
    )
    assert response.status_code == 422
    assert "Skriv platshållare som {text}" in response.text
    assert 'id="body-error"' in response.text
    db.session.expire_all()
    assert placeholder not in db.session.get(MessageTemplate, "feedback_letter").body


def test_a_body_may_use_only_what_its_message_is_given(client, auth, people):
    auth.login("admin@test.example")
    response = auth.post(
        "/admin/meddelanden/acknowledgement",
        {"subject": "Vi har tagit emot {diarienummer}", "body": "Hej {mottagare}! {lista}"},
    )
    assert response.status_code == 422
    assert "fylls aldrig i" in response.text and "{lista}" in response.text
    assert 'id="body-error"' in response.text


@pytest.mark.parametrize("body", ["{text:%Y}", "{text!r}", "{text.__class__}", "{lank[0]}"])
def test_a_template_stored_with_a_format_still_sends_the_letter(
    client, auth, org, people, make, body
):
    """Written straight into the table (or before the check): the letter is sent, with the
    values as plain text and nothing looked up on them."""
    db.session.get(MessageTemplate, "feedback_letter").body = f"Svar:\n{body}\n{{text}}\n"
    db.session.commit()
    _send_feedback_letter(client, auth, org, people, make)
    db.session.expire_all()
    [message] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.purpose == "feedback_letter")
    ).all()
    assert SECRET_FEEDBACK in message.body
    assert "class" not in message.body and "'" not in message.body
