"""Every route × every role × {own case, same unit, other unit}: the expected status, as data.

A route in ``app.url_map`` without an entry in ``EXPECTED`` fails the test, so a new page
cannot ship without someone deciding who may reach it. POSTs carry a valid CSRF token and
an empty form, so the status shows the access decision (404 for out of scope, 302 to the
login page for anonymous), not a CSRF failure.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Case, GroupRoleMapping
from tests.builders import furnish, one_account_per_role
from tests.conftest import Auth, csrf_from

ROLES = ["staff", "handler", "manager", "quality", "mas", "sas", "admin", "anonymous"]


def row(staff, handler, manager, quality, mas, sas, admin, anonymous):
    return dict(
        zip(ROLES, (staff, handler, manager, quality, mas, sas, admin, anonymous), strict=True)
    )


CASE_READERS = row(200, 200, 200, 200, 200, 200, 404, 302)
ADMIN_ONLY = row(404, 404, 404, 404, 404, 404, 200, 302)
ADMIN_POST = row(404, 404, 404, 404, 404, 404, 302, 302)
REVIEWERS = row(404, 404, 200, 200, 404, 404, 404, 302)
ROLE_REVIEWERS = row(404, 404, 200, 404, 404, 404, 200, 302)
ROLE_REVIEWERS_POST = row(404, 404, 302, 404, 404, 404, 302, 302)
# Those who may handle cases in unit A: the handler and the manager. An empty form has
# no version, so it is refused as stale with 409 (nothing saved); a form without a
# version (the note) is refused with 422; everyone else gets 404 for the case.
HANDLERS_POST = row(404, 409, 409, 404, 404, 404, 404, 302)
HANDLERS_POST_UNVERSIONED = row(404, 422, 422, 404, 404, 404, 404, 302)
REPORT_READERS = row(404, 404, 200, 200, 200, 200, 404, 302)
REPORT_WRITERS_POST = row(404, 404, 302, 302, 404, 404, 404, 302)
PUBLIC = row(*[200] * 8)
DEVIATION_FILERS = row(200, 200, 200, 302, 302, 302, 302, 302)
REPORT_PERIOD = {"unit_id": "{unit_a}", "year": "2025", "tertial": "3"}
# Those who record utredning and lex steps in unit A (handler, manager, MAS, SAS): an
# empty form has no version and is refused as stale (409); the others get 404.
RECORDERS_POST = row(404, 409, 409, 404, 409, 409, 404, 302)

# endpoint -> (method, url template, expected status per role). For cases.detail the
# targets are: own = filed by the staff member in unit A (the staff member's own case),
# same = filed by the handler in unit A (a colleague's case for staff), other = unit B.
# Every role except admin is held on unit A; admin on the root.
EXPECTED: dict[str, list[tuple]] = {
    "static": [("GET", "/static/css/casetrack.css", row(*[200] * 8))],
    "main.index": [("GET", "/", row(302, 302, 302, 302, 302, 302, 200, 302))],
    "main.health": [("GET", "/halsa", PUBLIC)],
    "main.accessibility_statement": [("GET", "/tillganglighet", PUBLIC)],
    "auth.login": [("GET", "/logga-in", row(*[302] * 7, 200))],
    "auth.second_factor": [("GET", "/logga-in/kod", row(*[302] * 8))],
    "auth.enrol_second_factor": [
        ("GET", "/logga-in/aktivera-tvastegsverifiering", row(*[302] * 8))
    ],
    # Without a pending password step, the security-key answer goes back to the login.
    "auth.security_key_login": [("POST", "/logga-in/sakerhetsnyckel", row(*[302] * 8))],
    "account.security_keys_page": [("GET", "/konto/sakerhetsnyckel", ADMIN_ONLY)],
    # An empty form has no key name (422); removing a key that is not yours is 404.
    "account.add_security_key": [("POST", "/konto/sakerhetsnyckel", row(*[404] * 6, 422, 302))],
    "account.remove_security_key": [
        ("POST", "/konto/sakerhetsnyckel/1/ta-bort", row(*[404] * 7, 302))
    ],
    "auth.keep_alive": [("POST", "/session/fortsatt", row(*[204] * 7, 302))],
    # Byt lösenord: every logged-in person; an empty form is refused at the fields.
    "passwords.change_password": [
        ("GET", "/konto/losenord", row(*[200] * 7, 302)),
        ("POST", "/konto/losenord", row(*[422] * 7, 302)),
    ],
    # The one-time link pages need no login; an unknown token is 410 for everyone.
    "passwords.choose_password": [("GET", "/konto/nytt-losenord?kod=okand", row(*[410] * 8))],
    "passwords.confirm_mfa_reset": [
        ("GET", "/konto/tvastegsverifiering?kod=okand", row(*[410] * 8))
    ],
    "cases.list_cases": [("GET", "/arenden/", row(200, 200, 200, 200, 200, 200, 404, 302))],
    "cases.register": [("GET", "/arenden/nytt", row(302, 200, 200, 302, 302, 302, 302, 302))],
    "cases.detail": [
        ("GET", "/arenden/{own}", CASE_READERS),
        ("GET", "/arenden/{same}", row(404, 200, 200, 200, 200, 200, 404, 302)),
        ("GET", "/arenden/{other}", row(404, 404, 404, 404, 404, 404, 404, 302)),
    ],
    "cases.history": [
        ("GET", "/arenden/{own}/historik", CASE_READERS),
        ("GET", "/arenden/{same}/historik", row(404, 200, 200, 200, 200, 200, 404, 302)),
        ("GET", "/arenden/{other}/historik", row(*[404] * 7, 302)),
    ],
    "cases.my_work": [("GET", "/arenden/mina", row(302, 200, 200, 302, 302, 302, 302, 302))],
    # "Markera som läst": those who handle the unit are sent back to Mina ärenden (with
    # "nothing unread" when there is none); everyone else gets 404 for the case.
    "cases.mark_information_read": [
        (
            "POST",
            "/arenden/{same}/ny-information/last",
            row(404, 302, 302, 404, 404, 404, 404, 302),
        ),
        ("POST", "/arenden/{other}/ny-information/last", row(*[404] * 7, 302)),
    ],
    # An empty search is sent back to the list with a message.
    "cases.search": [("POST", "/arenden/sok", row(302, 302, 302, 302, 302, 302, 404, 302))],
    "cases.export_csv": [("GET", "/arenden/export.csv", row(*[200] * 6, 404, 302))],
    "handling.take": [("POST", "/arenden/{same}/ta", HANDLERS_POST)],
    "handling.assign": [("POST", "/arenden/{same}/tilldela", HANDLERS_POST)],
    "handling.status": [("POST", "/arenden/{same}/status", HANDLERS_POST)],
    "handling.details": [("POST", "/arenden/{same}/uppgifter", HANDLERS_POST)],
    "handling.feedback": [("POST", "/arenden/{same}/aterkoppling", HANDLERS_POST)],
    "handling.add_action": [("POST", "/arenden/{same}/atgarder", HANDLERS_POST)],
    "handling.complete_action": [
        ("POST", "/arenden/{same}/atgarder/{action}", HANDLERS_POST),
        ("POST", "/arenden/{other}/atgarder/{action}", row(*[404] * 7, 302)),
    ],
    # Åtgärd plans that need approval (issue 19): the handlers send the plan; the decision
    # is the approving role's (enhetschef by default): 403 for other readers of the case.
    "handling.submit_plan": [("POST", "/arenden/{same}/atgardsplan/skicka", HANDLERS_POST)],
    "handling.review_plan": [
        (
            "POST",
            "/arenden/{same}/atgardsplan/beslut",
            row(404, 403, 409, 403, 403, 403, 404, 302),
        ),
        ("POST", "/arenden/{other}/atgardsplan/beslut", row(*[404] * 7, 302)),
    ],
    "handling.note": [("POST", "/arenden/{same}/anteckningar", HANDLERS_POST_UNVERSIONED)],
    "handling.acknowledge": [("POST", "/arenden/{same}/mottagningsbekraftelse", HANDLERS_POST)],
    "handling.close": [("POST", "/arenden/{same}/avsluta", HANDLERS_POST)],
    "handling.reopen": [("POST", "/arenden/{same}/oppna", HANDLERS_POST)],
    "deviations.new": [("GET", "/avvikelser/ny", DEVIATION_FILERS)],
    "deviations.mine": [("GET", "/avvikelser/", DEVIATION_FILERS)],
    "deviations.detail": [
        # Only the member of staff who filed it sees it on the staff pages.
        ("GET", "/avvikelser/{own}", row(200, *[404] * 6, 302)),
    ],
    # Classifying an avvikelse (issue 19): those who handle its unit; a case that is not
    # an avvikelse has no such page.
    "deviations.classify": [
        ("GET", "/avvikelser/{own}/klassificering", row(404, 200, 200, *[404] * 4, 302)),
        ("GET", "/avvikelser/{same}/klassificering", row(*[404] * 7, 302)),
        ("POST", "/avvikelser/{own}/klassificering", HANDLERS_POST_UNVERSIONED),
    ],
    # Händelseanalys of an avvikelse: read by those who read its unit (not by the staff
    # member who filed it), written by those who record the utredning.
    "analysis.page": [
        ("GET", "/avvikelser/{own}/handelseanalys", row(404, 200, 200, 200, 200, 200, 404, 302))
    ],
    "analysis.add_event": [("POST", "/avvikelser/{own}/handelseanalys/handelser", RECORDERS_POST)],
    "analysis.update_event": [
        ("POST", "/avvikelser/{own}/handelseanalys/handelser/1", RECORDERS_POST)
    ],
    "analysis.remove_event": [
        ("POST", "/avvikelser/{own}/handelseanalys/handelser/1/ta-bort", RECORDERS_POST)
    ],
    "analysis.add_cause": [("POST", "/avvikelser/{own}/handelseanalys/orsaker", RECORDERS_POST)],
    "analysis.set_cause_area": [
        ("POST", "/avvikelser/{own}/handelseanalys/orsaker/1", RECORDERS_POST)
    ],
    "analysis.add_participant": [
        ("POST", "/avvikelser/{own}/handelseanalys/deltagare", RECORDERS_POST)
    ],
    "analysis.remove_participant": [
        ("POST", "/avvikelser/{own}/handelseanalys/deltagare/1/ta-bort", RECORDERS_POST)
    ],
    "analysis.reported_back": [
        ("POST", "/avvikelser/{own}/handelseanalys/aterrapportering", RECORDERS_POST)
    ],
    "escalation.investigation": [("POST", "/arenden/{same}/utredning", RECORDERS_POST)],
    "escalation.add_cause": [("POST", "/arenden/{same}/utredning/orsaker", RECORDERS_POST)],
    "escalation.start_track": [("POST", "/arenden/{same}/lex", RECORDERS_POST)],
    "escalation.record_step": [("POST", "/arenden/{same}/lex/{track}/steg", RECORDERS_POST)],
    # Lex Sarah decisions: manager and SAS only; MAS and handlers may read the track.
    "escalation.decide": [
        (
            "POST",
            "/arenden/{same}/lex/{track}/stallningstagande",
            row(404, 403, 409, 404, 403, 409, 404, 302),
        ),
    ],
    "escalation.ivo_report": [
        ("POST", "/arenden/{same}/lex/{track}/ivo", row(404, 403, 409, 404, 403, 409, 404, 302)),
    ],
    "escalation.no_ivo_report": [
        (
            "POST",
            "/arenden/{same}/lex/{track}/ingen-anmalan",
            row(404, 403, 409, 404, 403, 409, 404, 302),
        ),
    ],
    # "Utse utredare" (issue 19): those who decide lex Sarah in unit A (manager, SAS);
    # those who record but do not decide get 403; the rest 404 for the case.
    "escalation.assign_investigator": [
        (
            "POST",
            "/arenden/{same}/lex/{track}/utredare",
            row(404, 403, 409, 404, 403, 409, 404, 302),
        ),
    ],
    "escalation.mark_ia": [("POST", "/arenden/{same}/ia", HANDLERS_POST)],
    "escalation.unmark_ia": [("POST", "/arenden/{same}/ia/ta-bort", HANDLERS_POST)],
    "escalation.change_kind": [("POST", "/arenden/{same}/arendetyp", HANDLERS_POST)],
    "escalation.upload": [("POST", "/arenden/{same}/bilagor", RECORDERS_POST)],
    "escalation.download": [
        # Readers of the unit's cases; the member of staff who filed a case does not get
        # its attachments, and other units' attachments are 404.
        (
            "GET",
            "/arenden/{same}/bilagor/{attachment}",
            row(404, 200, 200, 200, 200, 200, 404, 302),
        ),
        ("GET", "/arenden/{other}/bilagor/{attachment}", row(*[404] * 7, 302)),
    ],
    "lex_sarah.new_report": [("GET", "/lex-sarah/ny", row(404, 200, 200, 404, 200, 200, 404, 302))],
    "intake.submit": [("GET", "/lamna-synpunkt", PUBLIC)],
    # Without a receipt grant in this browser session: to "Följ ditt ärende".
    "intake.receipt": [("GET", "/lamna-synpunkt/kvittens", row(*[302] * 8))],
    "intake.follow": [("GET", "/folj-arende", PUBLIC)],
    # Without a receipt code in this browser session: back to the code form.
    "intake.followed_case": [("GET", "/folj-arende/ditt-arende", row(*[302] * 8))],
    "intake.stop_following": [("POST", "/folj-arende/avsluta", row(*[302] * 8))],
    "reports.show": [("GET", "/rapport/", REPORT_READERS)],
    "reports.export_xlsx": [("GET", "/rapport/export.xlsx", REPORT_READERS)],
    "reports.export_csv": [("GET", "/rapport/export.csv", REPORT_READERS)],
    "psb.show": [("GET", "/rapport/patientsakerhet/", REPORT_READERS)],
    "psb.export_xlsx": [("GET", "/rapport/patientsakerhet/export.xlsx", REPORT_READERS)],
    "indicators.show": [("GET", "/rapport/kvalitetsindikatorer/", REPORT_READERS)],
    "indicators.export_xlsx": [
        ("GET", "/rapport/kvalitetsindikatorer/export.xlsx", REPORT_READERS)
    ],
    "reports.save_summary": [
        (
            "POST",
            "/rapport/sammanfattning",
            REPORT_WRITERS_POST,
            {**REPORT_PERIOD, "row_key": "category:mat", "text": "Text"},
        ),
    ],
    "reports.freeze": [("POST", "/rapport/faststall", REPORT_WRITERS_POST, REPORT_PERIOD)],
    # Only the quality lead may undo a freeze.
    "reports.unfreeze": [
        (
            "POST",
            "/rapport/hav-faststallande",
            row(404, 404, 404, 302, 404, 404, 404, 302),
            {**REPORT_PERIOD, "reason": "Fel"},
        ),
    ],
    "admin.index": [("GET", "/admin/", ADMIN_ONLY)],
    "admin.users": [("GET", "/admin/anvandare", ADMIN_ONLY)],
    "admin.new_user": [("GET", "/admin/anvandare/ny", ADMIN_ONLY)],
    "admin.user": [("GET", "/admin/anvandare/{target}", ADMIN_ONLY)],
    "admin.add_role": [("POST", "/admin/anvandare/{target}/roller", row(*[404] * 6, 422, 302))],
    "admin.confirm_remove_role": [
        ("GET", "/admin/anvandare/{target}/roller/{target_role}/ta-bort", ADMIN_ONLY)
    ],
    "admin.remove_role": [
        ("POST", "/admin/anvandare/{target}/roller/{target_role}/ta-bort", ADMIN_POST)
    ],
    "admin.confirm_deactivate_user": [("GET", "/admin/anvandare/{target}/inaktivera", ADMIN_ONLY)],
    "admin.deactivate_user": [("POST", "/admin/anvandare/{target}/inaktivera", ADMIN_POST)],
    "admin.activate_user": [("POST", "/admin/anvandare/{target}/aktivera", ADMIN_POST)],
    "admin.send_password_link": [("POST", "/admin/anvandare/{target}/losenordslank", ADMIN_POST)],
    "admin.reset_second_factor": [
        ("POST", "/admin/anvandare/{target}/tvastegsverifiering", ADMIN_POST)
    ],
    "admin.approve_second_factor_reset": [
        ("POST", "/admin/anvandare/{target}/tvastegsverifiering/godkann", ADMIN_POST)
    ],
    "admin.units": [("GET", "/admin/organisation", ADMIN_ONLY)],
    "admin.new_unit": [("GET", "/admin/organisation/ny", ADMIN_ONLY)],
    "admin.edit_unit": [("GET", "/admin/organisation/{unit_b}", ADMIN_ONLY)],
    "admin.confirm_delete_unit": [("GET", "/admin/organisation/{unit_b}/ta-bort", ADMIN_ONLY)],
    "admin.delete_unit": [("POST", "/admin/organisation/{unit_b}/ta-bort", ADMIN_POST)],
    "admin.settings": [("GET", "/admin/installningar", ADMIN_ONLY)],
    "admin.edit_setting": [("GET", "/admin/installningar/legal.lex_sarah", ADMIN_ONLY)],
    "admin.reference_data": [("GET", "/admin/referensdata", ADMIN_ONLY)],
    "admin.edit_reference": [("GET", "/admin/referensdata/category/bemotande", ADMIN_ONLY)],
    "admin.message_templates": [("GET", "/admin/meddelanden", ADMIN_ONLY)],
    "admin.edit_message_template": [("GET", "/admin/meddelanden/acknowledgement", ADMIN_ONLY)],
    "admin.outbox": [("GET", "/admin/utkorg", ADMIN_ONLY)],
    "admin.retry_message": [("POST", "/admin/utkorg/1/forsok-igen", ADMIN_POST)],
    "admin.identity_page": [("GET", "/admin/inloggning", ADMIN_ONLY)],
    # An empty form: no group given, refused at the field.
    "admin.add_group_mapping": [("POST", "/admin/inloggning/grupper", row(*[404] * 6, 422, 302))],
    "admin.confirm_remove_group_mapping": [
        ("GET", "/admin/inloggning/grupper/{mapping}/ta-bort", ADMIN_ONLY)
    ],
    "admin.remove_group_mapping": [
        ("POST", "/admin/inloggning/grupper/{mapping}/ta-bort", ADMIN_POST)
    ],
    # No provider is configured here: every provider key is unknown.
    "sso.start": [("GET", "/logga-in/via/entra", row(*[404] * 8))],
    "sso.logged_out": [("GET", "/logga-ut/klar", row(*[302] * 8))],
    "admin.incident": [("GET", "/admin/incident", ADMIN_ONLY)],
    # An empty form: no reason chosen, refused at the field.
    "admin.block_user": [("POST", "/admin/incident/{target}/sparra", row(*[404] * 6, 422, 302))],
    # Behörighetsgranskning: enhetschefer (their units) and admins (everything).
    "role_review.index": [("GET", "/behorighetsgranskning/", ROLE_REVIEWERS)],
    # Nothing ticked: back to the list with a message.
    "role_review.review_many": [("POST", "/behorighetsgranskning/granskad", ROLE_REVIEWERS_POST)],
    # The target's staff role is in unit B: outside the manager's units, so they are sent
    # back with "no longer in your list" and nothing changes; the admin records it.
    "role_review.review": [
        ("POST", "/behorighetsgranskning/{target_role}/granskad", ROLE_REVIEWERS_POST)
    ],
    "role_review.remove": [
        ("POST", "/behorighetsgranskning/{target_role}/ta-bort", ROLE_REVIEWERS_POST)
    ],
    "logs.access_log": [("GET", "/loggkontroll/", REVIEWERS)],
    "logs.export": [("POST", "/loggkontroll/export", REVIEWERS)],
    "privacy.register_extract": [("GET", "/registerutdrag/", REVIEWERS)],
    # SCIM (issue 18): a bearer token, never a session; without one every role gets 401.
    "scim.endpoint": [
        ("GET", "/scim/v2/Users", row(*[401] * 8)),
        ("POST", "/scim/v2/Users", row(*[401] * 8)),
    ],
    "oidc.callback": [("GET", "/logga-in/oidc/okand/svar", row(*[404] * 8))],
    "oidc.backchannel_logout": [("POST", "/logga-ut/oidc/okand/backchannel", row(*[404] * 8))],
    "oidc.frontchannel_logout": [("GET", "/logga-ut/oidc/okand/frontchannel", row(*[404] * 8))],
    # Last: it ends the session.
    "auth.logout": [("POST", "/logga-ut", row(*[302] * 8))],
    # SAML (web/auth/saml.py): public endpoints of the IdP's, one set per configured
    # provider; no provider is configured here, so every key is unknown (404 for all).
    "saml.metadata": [("GET", "/saml/okand/metadata", row(*[404] * 8))],
    "saml.acs": [("POST", "/saml/okand/acs", row(*[404] * 8))],
    "saml.sls": [("GET", "/saml/okand/sls", row(*[404] * 8))],
    "saml.slo": [("GET", "/saml/okand/utloggning", row(*[404] * 8))],
}


# Issue 19: a lex Sarah-utredare (role on unit A) who is assigned no case reaches no case:
# every route answers as below, or 404 when the endpoint is not listed here.
INVESTIGATOR_EXPECTED: dict[str, list[int]] = {
    "static": [200],
    "main.index": [302],  # to the case list
    "main.health": [200],
    "main.accessibility_statement": [200],
    "auth.login": [302],
    "auth.second_factor": [302],
    "auth.enrol_second_factor": [302],
    "auth.security_key_login": [302],
    "auth.keep_alive": [204],
    "passwords.change_password": [200, 422],
    "passwords.choose_password": [410],
    "passwords.confirm_mfa_reset": [410],
    "cases.list_cases": [200],  # lists the cases assigned (none here)
    "cases.register": [302],
    "cases.my_work": [302],
    "cases.search": [302],
    "cases.export_csv": [200],
    "deviations.new": [302],
    "deviations.mine": [302],
    "intake.submit": [200],
    "intake.receipt": [302],
    "intake.follow": [200],
    "intake.followed_case": [302],
    "intake.stop_following": [302],
    "sso.logged_out": [302],
    "scim.endpoint": [401, 401],
    "auth.logout": [302],
}


def test_every_route_has_an_entry_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = endpoints - EXPECTED.keys()
    assert not missing, f"routes without an expected status per role: {sorted(missing)}"
    assert not EXPECTED.keys() - endpoints, "entries for routes that no longer exist"


@pytest.fixture
def world(org, make):
    unit_a, unit_b = org["a"], org["b"]
    users = one_account_per_role(make, ROLES, unit_a, org["root"])
    handler_b = make.user([(Role.HANDLER, unit_b)], email="handler-b@test.example")
    target = make.user([(Role.STAFF, unit_b)], email="target@test.example")
    own = make.case(
        unit_a, by=users["staff"], kind_code="deviation", channel_code="avvikelseblankett"
    )
    same = make.case(unit_a, by=users["handler"])
    other = make.case(unit_b, by=handler_b)
    action, track, attachment = furnish(same, by=users["handler"])
    mapping = GroupRoleMapping(group_ref="grp-b", role="staff", org_unit_id=unit_b.id)
    db.session.add(mapping)
    db.session.flush()
    ids = {
        "mapping": mapping.id,
        "own": own.id,
        "same": same.id,
        "other": other.id,
        "target": target.id,
        "target_role": target.role_assignments[0].id,
        "unit_b": unit_b.id,
        "unit_a": unit_a.id,
        "action": action.id,
        "track": track.id,
        "attachment": attachment.id,
    }
    db.session.commit()
    return users, ids


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_expected_status_on_every_route(app, client, world, role):
    users, ids = world
    auth = Auth(client)
    if role != "anonymous":
        assert auth.login(users[role].email).status_code == 302
        token = csrf_from(client.get("/", follow_redirects=True).text)
    else:
        token = csrf_from(client.get("/logga-in").text)
    failures = []
    for endpoint, checks in EXPECTED.items():
        for method, template, expected, *data in checks:
            url = template.format(**ids)
            form = {k: v.format(**ids) for k, v in (data[0] if data else {}).items()}
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token, **form})
            response.close()  # static files are streamed from an open file
            if response.status_code != expected[role]:
                failures.append(f"{method} {url} ({endpoint}): {response.status_code}")
    assert not failures, f"{role}: expected statuses differ: {failures}"


def test_posted_extra_fields_cannot_set_status_handler_or_creator(client, auth, world):
    users, _ = world
    auth.login(users["handler"].email)
    response = auth.post(
        "/arenden/nytt",
        {
            "kind_code": "complaint",
            "org_unit_id": users["handler"].role_assignments[0].org_unit_id,
            "received_on": "2026-03-02",
            "description": "Maten var kall.",
            "status_code": "closed",
            "assigned_handler_id": users["manager"].id,
            "created_by_id": users["staff"].id,
            "reference": "XX-2026-99999",
        },
    )
    assert response.status_code == 302
    case = db.session.scalars(sa.select(Case).order_by(Case.id.desc())).first()
    assert case.status_code == "registrerad"
    assert case.assigned_handler_id is None
    assert case.created_by_id == users["handler"].id
    assert case.reference != "XX-2026-99999"


def test_staff_cannot_register_or_reclassify_through_the_handler_form(client, auth, world, org):
    users, ids = world
    auth.login(users["staff"].email)
    token = csrf_from(client.get("/", follow_redirects=True).text)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
    response = client.post(
        "/arenden/nytt",
        data={
            "csrf_token": token,
            "kind_code": "complaint",
            "org_unit_id": org["b"].id,
            "received_on": "2026-03-02",
            "description": "x",
            "status_code": "closed",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == before
    own = db.session.get(Case, ids["own"])
    assert (own.kind_code, own.status_code, own.org_unit_id) == (
        "deviation",
        "registrerad",
        org["a"].id,
    )


@pytest.fixture
def investigators(world, make, org):
    """Ulla, a lex Sarah-utredare on unit A, and Ivar, one on the root; neither assigned."""
    ulla = make.user([(Role.INVESTIGATOR, org["a"])], email="ulla@test.example")
    ivar = make.user([(Role.INVESTIGATOR, org["root"])], email="ivar@test.example")
    db.session.commit()
    return ulla, ivar


def _statuses(client, ids, token, checks):
    for method, template, _expected, *data in checks:
        url = template.format(**ids)
        form = {k: v.format(**ids) for k, v in (data[0] if data else {}).items()}
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, **form})
        response.close()
        yield method, url, response.status_code


def test_an_unassigned_lex_sarah_utredare_reaches_no_case(client, world, investigators):
    """Issue 19: the role alone reaches nothing: every case route is 404."""
    _, ids = world
    auth = Auth(client)
    assert auth.login("ulla@test.example").status_code == 302
    token = csrf_from(client.get("/", follow_redirects=True).text)
    failures = []
    for endpoint, checks in EXPECTED.items():
        expected = INVESTIGATOR_EXPECTED.get(endpoint, [404] * len(checks))
        for (method, url, status), want in zip(
            _statuses(client, ids, token, checks), expected, strict=True
        ):
            if status != want:
                failures.append(f"{method} {url} ({endpoint}): {status}, expected {want}")
    assert not failures, failures


# The case routes of `same` (unit A) once Ivar (a lex Sarah-utredare on the root) is the
# assigned utredare of its lex Sarah track: (method, url, ivar, manager, handler, ulla, sas).
# Ivar reads the case and records the utredning and the steps (an empty form: 409), but
# does not decide nor start a track (403) nor handle (404); the enhetschef and the
# handler still read the case but may not record, decide or download the utredning's
# attachments (403 / 404);
# Ulla, an utredare of unit A who is not assigned, gets 404; SAS keeps everything.
ASSIGNED = [
    ("GET", "/arenden/{same}", 200, 200, 200, 404, 200),
    ("GET", "/arenden/{same}/historik", 200, 200, 200, 404, 200),
    ("POST", "/arenden/{same}/utredning", 409, 403, 403, 404, 409),
    ("POST", "/arenden/{same}/utredning/orsaker", 409, 403, 403, 404, 409),
    ("POST", "/arenden/{same}/bilagor", 409, 403, 403, 404, 409),
    ("POST", "/arenden/{same}/lex/{track}/steg", 409, 403, 403, 404, 409),
    ("POST", "/arenden/{same}/lex/{track}/stallningstagande", 403, 403, 403, 404, 409),
    ("POST", "/arenden/{same}/lex/{track}/ivo", 403, 403, 403, 404, 409),
    ("POST", "/arenden/{same}/lex/{track}/ingen-anmalan", 403, 403, 403, 404, 409),
    ("POST", "/arenden/{same}/lex/{track}/utredare", 403, 403, 403, 404, 409),
    ("POST", "/arenden/{same}/lex", 403, 409, 409, 404, 409),
    ("GET", "/arenden/{same}/bilagor/{attachment}", 200, 404, 404, 404, 200),
    ("POST", "/arenden/{same}/tilldela", 404, 409, 409, 404, 404),
    ("GET", "/arenden/{other}", 404, 404, 404, 404, 404),
]


@pytest.mark.parametrize("who", ["ivar", "manager", "handler", "ulla", "sas"])
def test_with_an_assigned_utredare_the_unit_no_longer_reaches_the_utredning(
    client, world, investigators, who
):
    from casetrack.models import EscalationInvestigator

    users, ids = world
    ulla, ivar = investigators
    db.session.add(
        EscalationInvestigator(
            escalation_id=ids["track"],
            case_id=ids["same"],
            investigator_id=ivar.id,
            assigned_by_id=users["sas"].id,
        )
    )
    db.session.commit()
    email = {"ivar": ivar.email, "ulla": ulla.email}.get(who) or users[who].email
    auth = Auth(client)
    assert auth.login(email).status_code == 302
    token = csrf_from(client.get("/", follow_redirects=True).text)
    column = ["ivar", "manager", "handler", "ulla", "sas"].index(who)
    checks = [(method, url, None) for method, url, *_ in ASSIGNED]
    failures = [
        f"{method} {url}: {status}, expected {row[2 + column]}"
        for (method, url, status), row in zip(
            _statuses(client, ids, token, checks), ASSIGNED, strict=True
        )
        if status != row[2 + column]
    ]
    assert not failures, f"{who}: {failures}"
