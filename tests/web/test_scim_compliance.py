"""scim2-tester's compliance checks (RFC 7643/7644) against a live casetrack server: the
app served by Werkzeug in a thread on a free loopback port, over real HTTP with a token
made by casetrack's own service.

One thing is given to the tester beyond what the server publishes: casetrack's userName
is the person's e-mail address, and the tester fills strings with random UUIDs, which
casetrack rightly refuses. So the client describes the service with casetrack's own
models (resources.py, the same ones /Schemas is made from), the User's userName carrying
examples that are fresh addresses. Everything else, discovery included, is the tester's.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from typing import Annotated

import httpx2
import pytest
from pydantic import Field
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Required, ScimProvider, Uniqueness
from scim2_tester import Status, check_server
from werkzeug.serving import make_server

from casetrack.extensions import db
from casetrack.services import scim as scim_service
from casetrack.web.scim import resources
from tests.conftest import free_port


class FreshAddresses(list):
    """Examples for the tester's random.choice: a new address each time it picks one."""

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index) -> str:
        return f"tester-{uuid.uuid4().hex}@scim.test"


class User(resources.User):
    user_name: Annotated[str | None, Uniqueness.server, Required.true] = Field(
        None, examples=FreshAddresses()
    )


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


PASSED = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def test_scim2_tester_finds_no_failed_check(live_server):
    """Every check passes: none fails (ERROR), deviates from a SHOULD (DEVIATION) or is
    skipped as not applicable (SKIPPED; there is none today: the root POST /.search,
    which scim2-tester skips for servers that answer 501, is implemented)."""
    _, secret = scim_service.create_token("scim2-tester")
    db.session.commit()
    http = httpx2.Client(
        base_url=f"{live_server}/scim/v2", headers={"Authorization": f"Bearer {secret}"}
    )
    with http:
        client = SyncSCIMClient(http, provider=ScimProvider(models=[User, resources.Group]))
        results = check_server(client)

    not_passed = [
        f"{r.status.name} {r.resource_type} {r.title}: {r.reason}"
        for r in results
        if r.status not in PASSED
    ]
    assert not_passed == []
    ran = Counter(r.resource_type for r in results)
    assert ran["User"] >= 10 and ran["Group"] >= 10, ran
