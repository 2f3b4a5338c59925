"""Utkorg on a phone (issue 20): the wide table is a named, focusable region, and the
"Försök igen" forms of several failed messages repeat no id."""

from __future__ import annotations

import re
from collections import Counter

import sqlalchemy as sa

from casetrack.extensions import db
from casetrack.models import OutboxMessage
from casetrack.services.mail import queue_mail
from casetrack.services.messages import compose


def test_failed_messages_repeat_no_id_and_the_table_is_a_focusable_region(client, auth, people):
    subject, body = compose("digest", {"mottagare": "Lena Berg", "antal": "3", "lista": "x"})
    for address in ("h@test.example", "c@test.example"):
        queue_mail(address, subject, body, purpose="digest")
    db.session.flush()
    for message in db.session.scalars(sa.select(OutboxMessage)):
        message.status, message.attempts = "failed", 8
    db.session.commit()
    auth.login("admin@test.example")
    page = client.get("/admin/utkorg").text
    assert page.count("Försök igen") == 2
    repeated = [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', page)).items() if n > 1]
    assert not repeated
    box = re.search(r'<div class="table-wrap"[^>]*>', page).group(0)
    assert 'tabindex="0"' in box and 'aria-label="Väntande och misslyckade meddelanden"' in box
