"""Issue 20: a date typed in another format stayed out of the field when the page came
back (the browser's date control cannot show it), and 2026-02-30 was blamed on the format.
Now every date field is text that keeps what was typed, and the message says what is wrong.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Case


@pytest.fixture
def staff(org, make):
    user = make.user([(Role.STAFF, org["a1"])], email="staff@test.example")
    db.session.commit()
    return user


def _file(auth, org, occurred_on, what_happened="Brukaren föll i badrummet."):
    return auth.post(
        "/avvikelser/ny",
        {
            "org_unit_id": str(org["a1"].id),
            "occurred_on": occurred_on,
            "what_happened": what_happened,
            "immediate_action": "Hjälpte brukaren upp och ringde sjuksköterskan.",
        },
    )


def _date_input(html: str) -> str:
    return re.search(r'<input[^>]*id="occurred_on"[^>]*>', html).group(0)


@pytest.mark.parametrize(
    "typed,message",
    [
        ("30/2/2026", "Skriv året först, som ÅÅÅÅ-MM-DD"),
        ("2026-02-30", "2026-02-30 finns inte: februari 2026 har 28 dagar."),
        ("förra tisdagen", "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2026-03-02."),
    ],
)
def test_a_wrong_date_stays_in_the_field_with_what_is_wrong(
    client, auth, org, staff, typed, message
):
    auth.login("staff@test.example")
    response = _file(auth, org, typed)
    assert response.status_code == 422
    field = _date_input(response.text)
    assert 'type="text"' in field  # a date control would show nothing for this value
    assert f'value="{typed}"' in field
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_a_date_with_slashes_year_first_is_read(client, auth, org, staff):
    auth.login("staff@test.example")
    response = _file(auth, org, "2026/03/02")
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case)).one()
    assert case.occurred_on.isoformat() == "2026-03-02"


def test_the_error_summary_adds_no_colon_after_a_question(client, auth, org, staff):
    auth.login("staff@test.example")
    response = _file(auth, org, "2026-03-02", what_happened="")
    assert response.status_code == 422
    assert "Vad hände? Beskriv vad som hände." in response.text
    assert "Vad hände?:" not in response.text


def test_a_filter_sent_by_get_keeps_the_date_control(client, auth, org, make):
    """A filter form goes into the address: its date fields stay the browser's control,
    which can only send a date, so nothing typed can reach a URL (K3-54)."""
    make.user([(Role.HANDLER, org["a"])], email="handler@test.example")
    db.session.commit()
    auth.login("handler@test.example")
    page = client.get("/arenden/").text
    field = re.search(r'<input[^>]*id="fran"[^>]*>', page).group(0)
    assert 'type="date"' in field
