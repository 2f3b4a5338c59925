"""The admin pages render with labels on every field and no inline script or style."""

from __future__ import annotations

import re

import pytest

from casetrack.domain.roles import Role
from casetrack.extensions import db


@pytest.fixture
def admin_client(client, auth, org, make):
    make.user([(Role.ADMIN, org["root"])], email="admin@test.example")
    db.session.commit()
    auth.login("admin@test.example")
    return client


def test_every_admin_page_labels_its_fields_and_has_one_h1(admin_client, org):
    user_id = 1
    for url in (
        "/admin/",
        "/admin/anvandare",
        "/admin/anvandare/ny",
        f"/admin/anvandare/{user_id}",
        "/admin/organisation",
        "/admin/organisation/ny",
        f"/admin/organisation/{org['a'].id}",
        "/admin/referensdata",
        "/admin/referensdata/kind/complaint",
    ):
        page = admin_client.get(url).text
        assert page.count("<h1") == 1, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert " style=" not in page, url
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page):
            if field_id not in ("csrf_token", "version"):  # hidden: no label
                assert f'for="{field_id}"' in page, f"{url}: no label for {field_id}"


def test_loggkontroll_and_registerutdrag_label_their_fields(client, auth, org, make):
    make.user([(Role.MANAGER, org["a"])], email="chef@test.example")
    db.session.commit()
    auth.login("chef@test.example")
    for url in ("/loggkontroll/", "/registerutdrag/"):
        page = client.get(url).text
        assert page.count("<h1") == 1, url
        assert 'method="post"' in page and 'method="get"' not in page, url
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page):
            if field_id != "csrf_token":
                assert f'for="{field_id}"' in page, f"{url}: no label for {field_id}"
