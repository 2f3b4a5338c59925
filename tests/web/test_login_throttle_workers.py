"""Login throttling through `casetrack serve` (gunicorn) with several workers (issue 16).

With the default memory:// storage every worker counted for itself: five workers let about
25 failed logins from one address through before the first refusal. Several workers need a
shared storage (Redis); without one, `serve` refuses to start.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PG_URL

CASETRACK = str(Path(sys.executable).parent / "casetrack")
LIMIT = 5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _production_env(tmp_path, template_database, database_url=None, **extra) -> dict[str, str]:
    db_url = database_url or PG_URL
    if not db_url:
        shutil.copy(template_database, tmp_path / "serve.sqlite")
        db_url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASETRACK_")}
    env.update(
        {
            "CASETRACK_ENV": "production",
            "CASETRACK_SECRET_KEY": "s" * 48,
            "CASETRACK_DATABASE_URL": db_url,
            "CASETRACK_INSTANCE_PATH": str(tmp_path),
            "CASETRACK_LOGIN_LIMIT_PER_ACCOUNT": f"{LIMIT} per 15 minutes",
            "CASETRACK_LOGIN_LIMIT_PER_IP": f"{LIMIT} per 15 minutes",
            **extra,
        }
    )
    return env


def _request(port: int, method: str, path: str, body: str = "", cookie: str = ""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    set_cookie = response.getheader("Set-Cookie") or ""
    connection.close()  # a new connection per request: any worker may take the next one
    return response.status, text, set_cookie.split(";")[0]


def _failed_login(port: int, email: str) -> tuple[int, str]:
    status, page, cookie = _request(port, "GET", "/logga-in")
    assert status == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    from urllib.parse import urlencode

    body = urlencode({"email": email, "password": "fel-lösenord-varje-gång", "csrf_token": token})
    status, text, _ = _request(port, "POST", "/logga-in", body, cookie)
    return status, text


def _wait_until_up(server: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if _request(port, "GET", "/logga-in")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise AssertionError(server.communicate(timeout=15)[0])
        time.sleep(0.2)


@pytest.mark.slow
def test_failed_logins_are_refused_at_the_limit_whatever_worker_answers(
    tmp_path, template_database, redis_storage
):
    """Four workers sharing Redis: the account limit (5) and the address limit (10) both
    refuse exactly the attempt after the limit, although different workers answer. The
    four workers are two servers of two workers each, and the attempts alternate between
    the servers: the kernel may hand every connection of one server to the same worker,
    but never one server's connection to the other's workers."""
    url, prefix = redis_storage
    env = _production_env(
        tmp_path,
        template_database,
        CASETRACK_RATELIMIT_STORAGE_URI=url,
        CASETRACK_RATELIMIT_KEY_PREFIX=prefix,
        CASETRACK_LOGIN_LIMIT_PER_IP=f"{2 * LIMIT} per 15 minutes",
    )
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(
            [CASETRACK, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for port in ports
    ]
    try:
        for server, port in zip(servers, ports, strict=True):
            _wait_until_up(server, port)
        # One account from one address: refused from attempt 6 (a refusal is not counted).
        account = [
            _failed_login(ports[attempt % 2], "anna.andersson@kommun.se")
            for attempt in range(LIMIT + 2)
        ]
        # A new account each time from the same address: 5 more failures reach the address
        # limit of 10; the 11th failed login from this address is refused.
        address = [
            _failed_login(ports[attempt % 2], f"person{attempt}@kommun.se")
            for attempt in range(LIMIT + 2)
        ]
    finally:
        for server in servers:
            server.terminate()
        outputs = [server.communicate(timeout=30)[0] for server in servers]
    output = "\n".join(outputs)
    assert [status for status, _ in account] == [422] * LIMIT + [429] * 2
    assert "För många misslyckade försök" in account[LIMIT][1]
    assert [status for status, _ in address] == [422] * LIMIT + [429] * 2
    # The logins were answered by more than one worker (the access log names the pid).
    workers = set(re.findall(r'<(\d+)> "POST /logga-in"', output))
    assert len(workers) >= 2, output


@pytest.mark.slow
def test_serve_refuses_several_workers_with_memory_storage(tmp_path, template_database):
    env = _production_env(tmp_path, template_database)  # memory:// is the default
    port = _free_port()
    result = subprocess.run(
        [CASETRACK, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "3"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Spärren räknas i minnet" in result.stderr
    assert "3 processer" in result.stderr
    assert "Booting worker" not in result.stdout + result.stderr
    # The default worker count (2 × CPU cores + 1) is refused the same way.
    result = subprocess.run(
        [CASETRACK, "serve", "--bind", f"127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Spärren räknas i minnet" in result.stderr
    # check-deploy says the same about this configuration.
    deploy = subprocess.run(
        [CASETRACK, "check-deploy"],
        env={**env, "CASETRACK_WORKERS": "3"}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert deploy.returncode == 1
    assert "FEL  Inloggningsspärr: Spärren räknas i minnet" in deploy.stdout
