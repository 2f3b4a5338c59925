"""No passwords, tokens, keys or personal data in any log (SECURITY.md K3-81).

A realistic set of sessions runs while everything that logs is captured: the root logger
at DEBUG (casetrack, Flask, the mailer), SQLAlchemy's statement log switched on (what an
operator does to debug), an access log with full query strings, the security JSON stream
in a file, the audit trail and the access log. None of the secrets and none of the
submitter's personal data used in those sessions may appear in any of it.
"""

from __future__ import annotations

import io
import logging
import re
from secrets import token_hex

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.infra.mailer import send_pending
from casetrack.models import AccessLogEntry, AuditEntry, Case, OutboxMessage, User
from casetrack.services import mfa
from tests.conftest import PASSWORD, Auth, csrf_from
from tests.security.pages import AccessLogMiddleware, read_page

SECRET_KEY = token_hex(32)
ATTACHMENT_KEY = Fernet.generate_key().decode()
# Test-only passwords, made up for this test.
WRONG_PASSWORD = "fel-lösenord-för-handläggaren-7731"  # pragma: allowlist secret
NEW_PASSWORD = "administratorens-startlösenord-9923"  # pragma: allowlist secret
ATTACHMENT_MARKER = b"BILAGEINNEHALL-SOM-ALDRIG-LOGGAS-4471"
SUBMITTER = {
    "submitter_name": "Ragnhild Fjärilsdotter",
    "submitter_email": "ragnhild.fjarilsdotter@exempel.se",
    "submitter_phone": "070-918 27 36",
}
DESCRIPTION = "Min mor Ragnhild fick fel medicin av nattpersonalen i tisdags."
CODE_PATTERN = re.compile(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}")


@pytest.fixture
def captured():
    """Everything logged through ``logging`` while the test runs, as one text."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    # aiosmtpd ("mail.log") is the test's stand-in for the organisation's mail server,
    # which receives the e-mail and its addresses by design; it is not casetrack's log.
    handler.addFilter(lambda record: not record.name.startswith("mail.log"))
    root = logging.getLogger()
    engine_log = logging.getLogger("sqlalchemy.engine")
    saved = (root.level, engine_log.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    engine_log.setLevel(logging.INFO)  # every SQL statement (echo=True)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(saved[0])
    engine_log.setLevel(saved[1])


@pytest.fixture
def app_settings(security_file, tmp_path, captured):
    """Known keys and the stream in a file; the log is captured before the app starts."""
    return {
        "SECRET_KEY": SECRET_KEY,
        "SECURITY_LOG": str(security_file),
        "ATTACHMENT_KEY": ATTACHMENT_KEY,
        "ATTACHMENT_DIR": str(tmp_path / "bilagor"),
    }


@pytest.fixture
def app(app):
    app.wsgi_app = AccessLogMiddleware(app.wsgi_app)
    return app


class Secrets:
    """Every secret value the sessions use or are shown."""

    def __init__(self):
        self.values: set[str] = {PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, SECRET_KEY}
        self.values |= {ATTACHMENT_KEY, ATTACHMENT_MARKER.decode()}
        self.values |= set(SUBMITTER.values()) | {DESCRIPTION}
        self.totp_codes: set[str] = set()

    def page(self, client, response) -> None:
        """The CSRF tokens on a page, and the session cookie and raw CSRF secret now."""
        self.values |= set(re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', response.text))
        cookie = client.get_cookie("casetrack_session")
        if cookie is not None:
            self.values.add(cookie.value)
            with client.session_transaction() as session:
                if session.get("csrf_token"):
                    self.values.add(session["csrf_token"])


def get(client, secrets, url):
    response = client.get(url)
    secrets.page(client, response)
    return response


def post(client, secrets, url, data, page_url=None, **kwargs):
    page = get(client, secrets, page_url or url)
    response = client.post(url, data={**data, "csrf_token": csrf_from(page.text)}, **kwargs)
    secrets.page(client, response)
    return response


def test_no_secret_or_personal_data_reaches_any_log(
    app,
    client,
    make,
    org,
    captured,
    security_file,
    smtp,
):
    secrets = Secrets()
    make.user([(Role.HANDLER, org["a"])], email="handlaggare@test.example")
    make.user([(Role.ADMIN, org["root"])], email="admin@test.example")
    db.session.commit()

    # The public e-tjänst: a submission with contact details, then "Följ ditt ärende".
    receipt = post(
        client, secrets, "/lamna-synpunkt",
        {"org_unit_id": str(org["a"].id), "kind_code": "complaint",
         "description": DESCRIPTION, "wants_feedback": "ja", "website": "", **SUBMITTER},
    )  # fmt: skip
    assert receipt.status_code == 302  # POST/redirect/GET (issue 20)
    receipt = get(client, secrets, receipt.headers["Location"])
    assert receipt.status_code == 200
    code = CODE_PATTERN.search(receipt.text).group(0)
    reference = re.search(r"[A-Z]{2}-\d{4}-\d{5}", receipt.text).group(0)
    secrets.values |= {code, code.replace("-", "")}
    followed = post(client, secrets, "/folj-arende", {"reference": reference,
                                                      "receipt_code": code})  # fmt: skip
    assert followed.status_code == 302
    assert reference in get(client, secrets, "/folj-arende/ditt-arende").text
    assert send_pending().sent == 1  # the receipt e-mail with the code, over SMTP
    client.delete_cookie("casetrack_session")

    # A handler: a wrong password, the right one, the case page and an attachment.
    login = {"email": "handlaggare@test.example"}
    failed = post(client, secrets, "/logga-in", {**login, "password": WRONG_PASSWORD})
    assert failed.status_code == 422
    assert post(client, secrets, "/logga-in", {**login, "password": PASSWORD}).status_code == 302
    case = db.session.scalars(sa.select(Case).where(Case.reference == reference)).one()
    case_page = get(client, secrets, f"/arenden/{case.id}")
    assert case_page.status_code == 200
    _, forms = read_page(case_page.text, f"http://localhost/arenden/{case.id}")
    [upload] = [f for f in forms if f.action.endswith(f"/arenden/{case.id}/bilagor")]
    content = b"\x89PNG\r\n\x1a\n" + ATTACHMENT_MARKER + b"\0" * 32
    uploaded = client.post(
        upload.action,
        data={**upload.fields, "file": (io.BytesIO(content), "foto.png")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    Auth(client).logout()

    # An administrator: enrols the second factor, then creates an account with a password.
    response = post(client, secrets, "/logga-in",
                    {"email": "admin@test.example", "password": PASSWORD})  # fmt: skip
    enrol = response.headers["Location"]
    get(client, secrets, enrol)
    db.session.expire_all()
    admin = db.session.scalars(sa.select(User).where(User.email == "admin@test.example")).one()
    plain = mfa.plain_secret(admin)  # stored encrypted; both forms must stay out of logs
    secrets.values.update({admin.mfa_secret, plain})
    totp_code = pyotp.TOTP(plain).now()
    secrets.totp_codes.add(totp_code)
    assert post(client, secrets, enrol, {"code": totp_code}).status_code == 302
    created = post(client, secrets, "/admin/anvandare/ny",
                   {"email": "ny.person@test.example", "name": "Ny Person"})  # fmt: skip
    assert created.status_code == 302
    Auth(client).logout()

    # The new person chooses a password through the e-mailed one-time link. Its token is
    # in the query string: kept out of the application's own logs, the audit and the
    # security stream (this test's access log writes query strings; `serve` does not).
    db.session.expire_all()
    [letter] = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_address == "ny.person@test.example")
    ).all()
    token = letter.body.split("/konto/nytt-losenord?kod=")[1].split()[0]
    link = f"/konto/nytt-losenord?kod={token}"
    chosen = post(client, secrets, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert chosen.status_code == 302

    # The new account's first login with the password the person chose.
    new_login = {"email": "ny.person@test.example", "password": NEW_PASSWORD}
    assert post(client, secrets, "/logga-in", new_login).status_code == 302
    Auth(client).logout()

    # Everything that was logged.
    db.session.expire_all()
    tables = [
        repr(row._mapping)
        for model in (AuditEntry, AccessLogEntry)
        for row in db.session.execute(sa.select(model.__table__))
    ]
    sources = {
        "application and SQL log": captured.getvalue(),
        "security stream": security_file.read_text("utf-8"),
        "audit and access log tables": "\n".join(tables),
    }
    # The logs are really there (this test cannot pass because nothing was captured).
    assert "SELECT" in sources["application and SQL log"]
    assert '"POST /logga-in HTTP/1.1" 422' in sources["application and SQL log"]
    assert '"event": "auth.login_failed"' in sources["security stream"]
    assert "user.mfa_enabled" in sources["audit and access log tables"]
    assert len(secrets.values) > 20
    # The one-time link's token is in no log of casetrack's own.
    for name in ("security stream", "audit and access log tables"):
        assert token not in sources[name], name

    leaks = []
    for name, text in sources.items():
        lowered = text.lower()
        for secret in secrets.values:
            if secret and secret.lower() in lowered:
                leaks.append(f"{name}: {secret[:12]}…")
        for totp in secrets.totp_codes:
            # A six-digit code, not inside a longer number, hex id or fraction of a second.
            if re.search(rf"(?<![0-9a-fA-F.:]){totp}(?![0-9a-fA-F])", text):
                leaks.append(f"{name}: TOTP code")
    assert not leaks, leaks
