"""No personal data in URLs or the web server's access log (SECURITY.md K3-54).

With cases, contact details and accounts full of distinctive names, e-mail addresses and
personnummer, every role logs in and crawls every page it can reach: links, GET forms
(filters) with their options, and the POSTed searches (case search, registerutdrag,
loggkontroll) and the public e-tjänst filled with those very names. Every URL requested,
every redirect target and every access-log line (path *with* query string) is collected;
none may contain any of the personal data.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import unquote_plus, urlencode

import pytest

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.services.handling import add_note
from tests.builders import lex_track
from tests.conftest import Auth, RequestClient, csrf_from
from tests.security.pages import AccessLogMiddleware, local_path, read_page

MAX_PAGES_PER_ROLE = 150
MAX_VARIANTS_PER_PAGE = 8
BASE = "http://localhost"

STAFF_NAMES = {
    "staff": "Torborg Mossfjäril",
    "handler": "Valdemar Lingonsson",
    "manager": "Henrietta Kvastfibbla",
    "quality": "Ebbe Renfana",
    "mas": "Agda Vitsippsdotter",
    "sas": "Folke Smörblomma",
    "admin": "Ingeborg Harkrank",
}
SUBMITTER = "Gunvor Blåklint"
SUBMITTER_EMAIL = "gunvor.blaklint@exempel.se"
SUBMITTER_PHONE = "070-111 22 33"
CONCERNED = "Sigvard Nattviol"
CONCERNED_PNR = "19380214-2399"
DEVIATION_PERSON = "Elvira Tusensköna"
DEVIATION_PNR = "19440512-3381"
REPORTER = "Ottilia Snöbär"
PUBLIC_SUBMITTER = "Rutger Lövmossa"
PUBLIC_EMAIL = "rutger.lovmossa@exempel.se"


def email_of(name: str) -> str:
    first, last = name.lower().split()
    table = str.maketrans("åäö", "aao")
    return f"{first.translate(table)}.{last.translate(table)}@kommun.example"


def personal_data() -> set[str]:
    names = [*STAFF_NAMES.values(), SUBMITTER, CONCERNED, DEVIATION_PERSON, REPORTER,
             PUBLIC_SUBMITTER]  # fmt: skip
    values = set()
    for name in names:
        values |= {name, name.split()[-1]}
    values |= {email_of(name) for name in STAFF_NAMES.values()}
    values |= {SUBMITTER_EMAIL, PUBLIC_EMAIL, SUBMITTER_PHONE, SUBMITTER_PHONE.replace(" ", "")}
    for pnr in (CONCERNED_PNR, DEVIATION_PNR):
        values |= {pnr, pnr.replace("-", ""), pnr[2:], pnr[2:].replace("-", "")}
    return {value.lower() for value in values}


# Search terms typed into the POSTed search forms.
# Pages each role's crawl must reach (the crawl really went through the application) and
# the searches it must have POSTed with the names.
CASE_PAGES = {"/arenden/", "/arenden/{case}", "/arenden/{case}/historik", "/arenden/export.csv"}
MUST_VISIT = {
    "staff": {"/avvikelser/", "/avvikelser/{deviation}", "/avvikelser/ny"},
    "handler": CASE_PAGES | {"/arenden/mina", "/arenden/nytt", "/lex-sarah/ny"},
    "manager": CASE_PAGES | {"/loggkontroll/", "/registerutdrag/", "/rapport/"},
    "quality": CASE_PAGES | {"/loggkontroll/", "/registerutdrag/", "/rapport/"},
    "mas": CASE_PAGES | {"/rapport/"},
    "sas": CASE_PAGES | {"/rapport/"},
    "admin": {"/admin/anvandare/{user}", "/admin/organisation/{unit}", "/admin/utkorg"},
    "anonymous": {"/lamna-synpunkt", "/folj-arende", "/folj-arende/ditt-arende"},
}
MUST_SEARCH = {
    "staff": {"/arenden/sok"},
    "handler": {"/arenden/sok"},
    "manager": {"/arenden/sok", "/registerutdrag/", "/loggkontroll/"},
    "quality": {"/arenden/sok", "/registerutdrag/", "/loggkontroll/"},
    "mas": {"/arenden/sok"},
    "sas": {"/arenden/sok"},
    "admin": set(),
    "anonymous": set(),
}
SEARCH_TERMS = [SUBMITTER, CONCERNED_PNR, SUBMITTER_EMAIL]


@pytest.fixture
def world(app, org, make):
    a = org["a"]
    users = {
        role: make.user(
            [(Role(role), org["root"] if role == "admin" else a)],
            name=name,
            email=email_of(name),
        )
        for role, name in STAFF_NAMES.items()
    }
    complaint = make.case(
        a, by=users["handler"], submitter_name=SUBMITTER, submitter_email=SUBMITTER_EMAIL,
        submitter_phone=SUBMITTER_PHONE, person_concerned=f"{CONCERNED} {CONCERNED_PNR}",
        description=f"{CONCERNED} ({CONCERNED_PNR}) fick vänta på hjälp i två timmar.",
    )  # fmt: skip
    complaint.assigned_handler_id = users["handler"].id
    deviation = make.case(
        a, by=users["staff"], kind_code="deviation", channel_code="avvikelseblankett",
        person_concerned=f"{DEVIATION_PERSON} {DEVIATION_PNR}",
        description=f"{DEVIATION_PERSON} föll i badrummet.",
    )  # fmt: skip
    add_note(users["handler"], complaint, f"Ringde {SUBMITTER} om {CONCERNED}.")
    lex_track(complaint, REPORTER)
    db.session.commit()
    app.wsgi_app = AccessLogMiddleware(app.wsgi_app)
    return {**users, "complaint": complaint, "deviation": deviation}


class Crawler:
    def __init__(self, client):
        self.client = client
        self.urls: list[str] = []  # every URL requested and every redirect target
        self.seen: set[str] = set()
        self.queue: deque[str] = deque()
        self.variants: dict[str, int] = {}

    def record(self, response, url: str) -> None:
        self.urls.append(url)
        if "Location" in response.headers:
            self.urls.append(response.headers["Location"])
            target = local_path(response.headers["Location"])
            if target:
                self.enqueue(target)

    def enqueue(self, path: str | None) -> None:
        if not path or path in self.seen or path.startswith("/static/"):
            return
        # A few query-string variants of one page (filters, report drill-downs) are
        # enough; the budget goes to distinct pages.
        base = path.split("?")[0]
        if self.variants.get(base, 0) >= MAX_VARIANTS_PER_PAGE:
            return
        self.variants[base] = self.variants.get(base, 0) + 1
        self.queue.append(path)

    def get(self, path: str):
        response = self.client.get(path)
        self.record(response, path)
        return response

    def post(self, path: str, data: dict):
        response = self.client.post(path, data=data)
        self.record(response, path)
        return response

    def visit(self, path: str) -> None:
        self.seen.add(path)
        response = self.get(path)
        if response.mimetype != "text/html":
            return
        links, forms = read_page(response.text, BASE + path)
        for link in links:
            self.enqueue(local_path(link))
        for form in forms:
            action = local_path(form.action)
            if action is None:
                continue
            if form.method == "get":
                self.get_form(form, action.split("?")[0])
            elif action.split("?")[0] in SEARCH_FORMS:
                self.search(form, action)

    def get_form(self, form, action: str) -> None:
        """A filter form as it is, with each text field filled with a name, and with every
        select at its last option (once per form: the pages it leads to carry it again)."""
        if action in self.filtered:
            return
        self.filtered.add(action)
        fields = {k: v for k, v in form.fields.items() if k != "csrf_token"}
        variants = [fields, {**fields, **{name: SUBMITTER for name in form.text_fields}}]
        variants.append({**fields, **{name: opts[-1] for name, opts in form.selects.items()}})
        for variant in variants:
            query = urlencode({k: v for k, v in variant.items() if v})
            self.enqueue(f"{action}?{query}" if query else action)

    def search(self, form, action: str) -> None:
        key = action.split("?")[0]
        if key in self.searched:
            return
        self.searched.add(key)
        for term in SEARCH_TERMS:
            data = dict(form.fields)
            for name in form.text_fields:
                data[name] = term
            for name, value in SEARCH_FORMS[key](term).items():
                data[name] = value
            response = self.post(action, data)
            if response.mimetype == "text/html" and response.status_code == 200:
                links, _ = read_page(response.text, BASE + action)
                for link in links:
                    self.enqueue(local_path(link))

    def crawl(self, start: str = "/") -> None:
        self.searched: set[str] = set()
        self.filtered: set[str] = set()
        self.enqueue(start)
        while self.queue and len(self.seen) < MAX_PAGES_PER_ROLE:
            path = self.queue.popleft()
            if path not in self.seen:
                self.visit(path)


# POSTed searches and what goes into their fields besides the typed text fields.
SEARCH_FORMS = {
    "/arenden/sok": lambda term: {"text": term},
    "/registerutdrag/": lambda term: (
        {"email": term, "name": ""} if "@" in term else {"name": term, "email": ""}
    ),
    "/loggkontroll/": lambda term: {"reference": term[:24]},
}


def leaks_in(lines: list[str]) -> list[str]:
    data = personal_data()
    found = []
    for line in lines:
        decoded = unquote_plus(line).lower()
        found += [f"{value!r} in {line}" for value in data if value in decoded]
    return found


@pytest.mark.parametrize("role", [*STAFF_NAMES, "anonymous"])
def test_no_personal_data_in_any_url_or_access_log_line(app, world, role):
    client = app.test_client()
    assert isinstance(client, RequestClient)
    crawler = Crawler(client)
    if role == "anonymous":
        page = client.get("/lamna-synpunkt")
        _, forms = read_page(page.text, BASE + "/lamna-synpunkt")
        [form] = [f for f in forms if f.method == "post" and f.action.endswith("/lamna-synpunkt")]
        receipt = crawler.post(
            "/lamna-synpunkt",
            {**form.fields, "org_unit_id": str(world["handler"].role_assignments[0].org_unit_id),
             "kind_code": "complaint", "description": f"{PUBLIC_SUBMITTER} {CONCERNED_PNR}",
             "submitter_name": PUBLIC_SUBMITTER, "submitter_email": PUBLIC_EMAIL,
             "wants_feedback": "ja", "website": ""},
        )  # fmt: skip
        assert receipt.status_code == 302  # POST/redirect/GET (issue 20)
        receipt = crawler.get(receipt.headers["Location"])
        assert receipt.status_code == 200
        reference = re.search(r"[A-Z]{2}-\d{4}-\d{5}", receipt.text).group(0)
        code = re.search(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}", receipt.text).group(0)
        token = csrf_from(client.get("/folj-arende").text)
        followed = crawler.post(
            "/folj-arende", {"reference": reference, "receipt_code": code, "csrf_token": token}
        )
        assert followed.status_code == 302
        crawler.crawl("/lamna-synpunkt")
    else:
        response = Auth(client).login(world[role].email)
        assert response.status_code == 302, role
        crawler.crawl("/")
    assert len(crawler.seen) < MAX_PAGES_PER_ROLE, "every reachable page was crawled"
    ids = {
        "case": world["complaint"].id,
        "deviation": world["deviation"].id,
        "user": world["handler"].id,
        "unit": world["handler"].role_assignments[0].org_unit_id,
    }
    visited = {path.split("?")[0] for path in crawler.seen}
    assert {p.format(**ids) for p in MUST_VISIT[role]} <= visited, sorted(visited)
    assert crawler.searched == MUST_SEARCH[role]
    access_log = app.wsgi_app.lines
    assert access_log and all('"' in line for line in access_log)
    leaks = leaks_in(crawler.urls) + leaks_in(access_log)
    assert not leaks, leaks[:10]


def test_the_crawler_would_notice_a_name_in_a_url(app, world):
    """The check itself: a search sent by GET, as K3-54 forbids, is caught."""
    client = app.test_client()
    Auth(client).login(world["handler"].email)
    client.get("/arenden/?" + urlencode({"text": SUBMITTER}))
    assert leaks_in(app.wsgi_app.lines)
    token = csrf_from(client.get("/arenden/").text)
    response = client.post("/arenden/sok", data={"text": SUBMITTER, "csrf_token": token})
    assert response.status_code == 302
    assert not leaks_in([response.headers["Location"]])
