"""Fuzz every route, form field, query parameter and path parameter: no server error.

An outside fuzz run found 374 server errors in about 45,000 requests (issue 16). This test
repeats that kind of run on every database the suite runs on, in bounded time:

1. Every role (and an anonymous visitor) logs in through the real login page and opens
   every GET route of ``app.url_map`` with the arranged ids; each form on those pages is
   read (its action, field names, current values and CSRF token).
2. Each form is posted (or, for a GET form, sent as a query string) with every field but
   the CSRF token and the version set to each of a list of known bad values at once, and
   then with hypothesis-generated values in one or more of its fields, the version
   included, on top of the page's own values.
3. Every path parameter of every route, and a few query parameters every page might
   read, get hypothesis-generated values.

No response may be a 5xx, and no exception may escape a view. The failures are collected
and reported together with the route, the fields and the values (no shrinking: the run
stays bounded, and the report already names the input). Hypothesis runs derandomized, so
CI sees the same inputs every time.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from urllib.parse import quote, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from casetrack import create_app
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import Case, GroupRoleMapping
from tests.builders import furnish, furnish_analysis, one_account_per_role
from tests.conftest import Auth, Factory, RequestClient
from tests.security.pages import read_page

# Requests per form / parameter. The whole run stays under about three minutes per
# database on a two-core machine (it takes about a minute alone).
FORM_EXAMPLES = 5
PATH_EXAMPLES = 2
QUERY_EXAMPLES = 1

# The roles whose pages hold every form (quality, MAS and SAS see no form the manager
# and the handler do not); the permission matrix covers every role on every route.
ROLES = ["handler", "manager", "staff", "admin", "anonymous"]

# Known bad values: each reached a server error in the outside run, or is near one.
NASTY = [
    "",
    " 3",
    "-1",
    "1.0",
    "²",
    "①",
    "٣",
    "2147483648",
    "9223372036854775808",
    "1" + "0" * 30,
    "a\x00b",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "x" * 60_000,
    "{text}",
]
# Sent into one field at a time (the rest keep the page's values, so the one bad value
# gets past the other checks to the code that reads it).
ONE_FIELD = ["²", "a\x00b", "0001-01-01", "9999-12-31"]
# Sent as the version alone (the optimistic lock must refuse each).
BAD_VERSIONS = ["", "x", "-1", "1.0", " 3", "²", "9223372036854775808"]
# Sent as every path parameter in turn, and as every query parameter at once.
PATH_NASTY = ["2147483648", "9223372036854775808", "1" + "0" * 30, "-1", "²", "٣", "\x00"]
QUERY_NASTY = ["9223372036854775808", "²", "a\x00b", "0001-01-01", "x" * 60_000]

# Endpoints whose forms end the fuzzing accounts' sessions or take their access away;
# their input handling is still fuzzed through their path parameters.
NOT_POSTED = {
    "auth.logout",
    "admin.deactivate_user",
    "admin.remove_role",
    "admin.reset_second_factor",
    "admin.block_user",
    "role_review.remove",
    "account.remove_security_key",
}


def _text(max_size: int):
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size)


VALUES = st.one_of(
    st.sampled_from(NASTY),
    _text(30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(str),
    st.sampled_from(["\x00", "on", "ja", "None", "<b>x</b>", "../../etc/passwd", "%00"]),
)
PATH_VALUES = st.one_of(
    st.integers(min_value=0, max_value=2**70).map(str),
    st.sampled_from(["2147483648", "9223372036854775808", "²", "①", "٣", "-1", "\x00", "x"]),
    _text(20).filter(lambda s: s not in ("", ".", "..")),
)
QUERY_NAMES = ["sida", "sokning", "next", "ar", "enhet", "tertial"]


def _settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@dataclass
class Target:
    role: str
    endpoint: str
    method: str
    url: str
    fields: dict[str, str]
    files: list[str] = field(default_factory=list)


@dataclass
class Run:
    app: object
    clients: dict
    tokens: dict
    ids: dict
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def send(self, role, method, url, data=None, note=""):
        client = self.clients[role]
        self.requests += 1
        try:
            response = client.get(url) if method == "GET" else client.post(url, data=data or {})
        except Exception as error:  # a view raised: a 500 in production
            self.failures.append(f"{role} {method} {url[:120]} {note}: {error!r}"[:600])
            return None
        response.close()
        if response.status_code >= 500:
            self.failures.append(f"{role} {method} {url[:120]} {note}: {response.status_code}")
        return response


def _arrange(make: Factory) -> tuple[dict, dict]:
    """Units A and B, one account per role on unit A (the admin on the root), a case of
    each kind of owner, an åtgärd, a lex Sarah track and an attachment."""
    root = make.unit("Förvaltningen", level="forvaltning", code="ROOT", reference_prefix="HA")
    dept = make.unit("Äldreomsorg", parent=root, level="avdelning", code="AO")
    unit_a = make.unit("Enhet A", parent=dept, code="A")
    make.unit("Arbetsgrupp A1", parent=unit_a, level="arbetsgrupp", code="A1")
    unit_b = make.unit("Enhet B", parent=dept, code="B")
    users = one_account_per_role(make, ROLES, unit_a, root)
    handler_b = make.user([(Role.HANDLER, unit_b)], email="handler-b@test.example")
    target = make.user([(Role.STAFF, unit_b)], email="target@test.example")
    own = make.case(unit_a, by=users["staff"], kind_code="deviation",
                    channel_code="avvikelseblankett")  # fmt: skip
    same = make.case(unit_a, by=users["handler"])
    other = make.case(unit_b, by=handler_b)
    action, track, attachment = furnish(same, by=users["handler"])
    analysis = furnish_analysis(own)
    mapping = GroupRoleMapping(group_ref="grp-b", role="staff", org_unit_id=unit_b.id)
    db.session.add(mapping)
    db.session.commit()
    ids = {
        **analysis,
        "mapping_id": mapping.id,
        "case_id": same.id, "own": own.id, "other": other.id, "action_id": action.id,
        "escalation_id": track.id, "attachment_id": attachment.id, "user_id": target.id,
        "assignment_id": target.role_assignments[0].id, "unit_id": unit_b.id,
        "message_id": 1, "key_id": 1, "key": "legal.lex_sarah", "code": "acknowledgement",
        "table": "category", "filename": "css/casetrack.css", "path": "Users",
    }  # fmt: skip
    return users, ids


def _url(rule, ids: dict, **values) -> str:
    """The rule's path with the arranged ids, or ``values`` for some of its parameters."""

    def value(name: str):
        if name in values:
            return values[name]
        if rule.endpoint == "admin.edit_reference" and name == "code":
            return "bemotande"
        if rule.endpoint == "deviations.detail" and name == "case_id":
            return ids["own"]
        if rule.endpoint.startswith("analysis.") and name == "case_id":
            return ids["own"]  # the händelseanalys is an avvikelse's
        return ids[name]

    return re.sub(
        r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: quote(str(value(m.group(1))), safe=""), rule.rule
    )


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def _discover(run: Run) -> list[Target]:
    """Every form on every GET page each role can open."""
    adapter = run.app.url_map.bind("localhost")
    seen: set = set()
    targets: list[Target] = []
    for role in ROLES:
        for rule in _rules(run.app):
            if "GET" not in rule.methods or rule.endpoint in ("auth.logout",):
                continue
            response = run.send(role, "GET", _url(rule, run.ids), note="(page)")
            if response is None or response.status_code != 200:
                continue
            if not response.mimetype.startswith("text/html"):
                continue
            _links, forms = read_page(response.text, "http://localhost" + _url(rule, run.ids))
            for form in forms:
                parts = urlsplit(form.action)
                method = "POST" if form.method == "post" else "GET"
                try:
                    endpoint, view_args = adapter.match(parts.path, method=method)
                except Exception:  # a form posting outside the app
                    continue
                if endpoint in NOT_POSTED:
                    continue
                if view_args.get("user_id", run.ids["user_id"]) != run.ids["user_id"]:
                    continue  # a button on a fuzzing account (the incident page lists all)
                key = (endpoint, method, tuple(sorted(form.fields)), tuple(form.files))
                if key in seen:
                    continue
                seen.add(key)
                if "csrf_token" in form.fields:
                    run.tokens[role] = form.fields["csrf_token"]
                targets.append(
                    Target(role, endpoint, method, parts.path, dict(form.fields), form.files)
                )
    return targets


def _fresh_version(target: Target, data: dict) -> None:
    """Keep a form's version current (earlier examples change the case), so the fuzzed
    values reach validation and the service instead of the stale-form answer."""
    if "version" not in data or not target.url.startswith("/arenden/"):
        return
    case_id = int(target.url.split("/")[2])
    db.session.expire_all()
    version = db.session.scalar(sa.select(Case.version).where(Case.id == case_id))
    if version is not None:
        data["version"] = str(version)


def _post_form(run: Run, target: Target, mutation: dict, keep_version: bool) -> None:
    data = dict(target.fields)
    if keep_version:
        _fresh_version(target, data)
    data.update(mutation)
    for name in target.files:
        filename = mutation.get(name, "rapport.pdf")
        data[name] = (io.BytesIO(b"%PDF-1.4 fuzz"), filename)
    note = f"({target.endpoint}) fields {sorted(mutation)} = {list(mutation.values())!r:.300}"
    if target.method == "GET":
        run.send(target.role, "GET", f"{target.url}?{urlencode(data)}", note=note)
    else:
        run.send(target.role, "POST", target.url, data=data, note=note)


def _examples(count: int, strategy, body) -> None:
    """Run ``body`` on ``count`` values hypothesis draws from ``strategy``."""

    @_settings(count)
    @given(strategy)
    def check(value):
        body(value)

    check()


def _fuzz_forms(run: Run, targets: list[Target]) -> None:
    for target in targets:
        names = [n for n in [*target.fields, *target.files] if n != "csrf_token"] or ["x"]
        for value in NASTY:
            _post_form(run, target, {n: value for n in names if n != "version"}, True)
        for value in BAD_VERSIONS if "version" in names else ():
            _post_form(run, target, {"version": value}, False)
        for name in names:
            for value in ONE_FIELD if name != "version" else ():
                _post_form(run, target, {name: value}, True)
        _examples(
            FORM_EXAMPLES,
            st.dictionaries(st.sampled_from(names), VALUES, min_size=1),
            partial(_post_fuzzed, run, target),
        )


def _post_fuzzed(run: Run, target: Target, mutation: dict) -> None:
    _post_form(run, target, mutation, keep_version="version" not in mutation)


def _send_path(run: Run, rule, name: str, role: str, method: str, value: str) -> None:
    url = _url(rule, run.ids, **{name: value})
    data = {"csrf_token": run.tokens.get(role, "")}
    run.send(role, method, url, data=data, note=f"({rule.endpoint}) {name}={value!r}")


def _send_query(run: Run, rule, role: str, args: dict) -> None:
    url = f"{_url(rule, run.ids)}?{urlencode(args)}"
    run.send(role, "GET", url, note=f"({rule.endpoint}) query {args!r:.300}")


def _fuzz_paths(run: Run, targets: list[Target]) -> None:
    roles_for: dict[str, str] = {}
    for target in targets:
        roles_for.setdefault(target.endpoint, target.role)
    for rule in _rules(run.app):
        role = roles_for.get(rule.endpoint)
        if role is None:
            role = "admin" if rule.endpoint.startswith(("admin.", "account.")) else "handler"
        method = "GET" if "GET" in rule.methods else "POST"
        for name in sorted(rule.arguments):
            for value in PATH_NASTY:
                _send_path(run, rule, name, role, method, value)
            _examples(
                PATH_EXAMPLES, PATH_VALUES, partial(_send_path, run, rule, name, role, method)
            )
        if method == "GET":
            for value in QUERY_NASTY:
                _send_query(run, rule, role, dict.fromkeys(QUERY_NAMES, value))
            query = st.dictionaries(st.sampled_from(QUERY_NAMES), VALUES, min_size=1)
            _examples(QUERY_EXAMPLES, query, partial(_send_query, run, rule, role))


@pytest.fixture
def fuzz_app(database_url):
    # Without the throttle: the fuzzer sends far more than a visitor may, and a 429
    # would stop its input before the views it is meant to reach.
    app = create_app({"ENV": "testing", "DATABASE_URL": database_url, "RATELIMIT_ENABLED": False})
    app.test_client_class = RequestClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_no_route_answers_a_server_error_to_fuzzed_input(fuzz_app):
    started = time.monotonic()
    users, ids = _arrange(Factory())
    clients = {}
    for role in ROLES:
        clients[role] = fuzz_app.test_client()
        if role != "anonymous":
            assert Auth(clients[role]).login(users[role].email).status_code == 302, role
    run = Run(fuzz_app, clients, {}, ids)
    targets = _discover(run)
    # Every page with a form a user fills in was found (a broken crawl fuzzes nothing).
    found = {t.endpoint for t in targets}
    for endpoint in (
        *("intake.submit", "cases.register", "handling.status", "reports.save_summary"),
        *("admin.edit_unit", "logs.access_log", "auth.login", "escalation.upload"),
    ):
        assert endpoint in found, f"no form found for {endpoint}"
    _fuzz_forms(run, targets)
    _fuzz_paths(run, targets)
    elapsed = time.monotonic() - started
    print(f"fuzz: {run.requests} requests, {len(targets)} forms, {elapsed:.0f} s")
    assert not run.failures, (
        f"{len(run.failures)} server errors in {run.requests} requests:\n"
        + "\n".join(run.failures[:40])
    )
