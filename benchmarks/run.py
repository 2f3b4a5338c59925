"""casetrack benchmark runner (issue #9): one run against a database filled by
``casetrack generate``. Prints the numbers docs/BENCHMARKS.md reports.

    python benchmarks/run.py --database-url postgresql+psycopg://postgres@127.0.0.1/casetrack_bench

Sections (each can be skipped): the tertial report against the bare SQL it runs, pages
through the WSGI app (Flask test client, logged in), sustained throughput against
``casetrack serve`` with wrk, and registrations per second through ``register_case``.
Nothing here asserts: it measures and prints. Registrations are committed, so a run adds
a few hundred cases to the database.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
SECRET = "benchmark-only-secret-key-0123456789abcdef"  # noqa: S105  # pragma: allowlist secret (local benchmark server only)
DOMAIN = "bench.example"
PASSWORD = "bench-casetrack-2026"  # noqa: S105  # pragma: allowlist secret (synthetic accounts)
WARM_UP = 20  # registrations before the timed ones (not counted)
SEARCHES = ["Tenstavägen 42", "Kista larmet", "maten kall", "Fruängen", "vikarier"]


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds (nearest-rank)."""
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    return {"n": len(ordered), "p50": rank(50), "p95": rank(95), "p99": rank(99)}


def fmt(stats: dict) -> str:
    return (
        f"p50 {stats['p50']:7.1f} ms  p95 {stats['p95']:7.1f} ms  "
        f"p99 {stats['p99']:7.1f} ms  (n={stats['n']})"
    )


def make_app(url: str):
    from casetrack import create_app

    return create_app(
        {"ENV": "development", "DATABASE_URL": url, "SECRET_KEY": SECRET,
         "SESSION_COOKIE_SECURE": False}
    )  # fmt: skip


# -- 1. the report against its bare SQL --------------------------------------------------


def bench_report(app, repeats: int, year: int) -> dict:
    from casetrack.extensions import db
    from casetrack.models import OrgUnit
    from casetrack.queries.report import build_report

    results = {}
    with app.app_context():
        root = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == "STAD")).one()
        enhet = db.session.scalars(sa.select(OrgUnit).where(OrgUnit.code == "ENH0001")).one()
        for label, unit, n in (("förvaltning", root, repeats), ("enhet", enhet, repeats * 10)):
            statements: list[tuple[str, object]] = []

            def capture(conn, cursor, statement, parameters, context, executemany, out=statements):
                out.append((statement, parameters))

            build_report(unit, year, 3)  # warm caches and statement preparation
            db.session.rollback()  # as a request ends (the next one checks the org tree)
            sa.event.listen(db.engine, "before_cursor_execute", capture)
            build_report(unit, year, 3)
            sa.event.remove(db.engine, "before_cursor_execute", capture)
            aggregates = [(s, p) for s, p in statements if "GROUP BY" in s]
            report_times, bare_times = [], []
            raw = db.engine.raw_connection()
            for _ in range(n):
                # Interleave the two so that noise from other processes hits both alike.
                started = time.perf_counter()
                build_report(unit, year, 3)
                db.session.rollback()
                report_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                cursor = raw.cursor()
                for statement, parameters in aggregates:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                cursor.close()
                raw.rollback()
                bare_times.append(time.perf_counter() - started)
            raw.close()
            report = statistics.median(report_times) * 1000
            bare = statistics.median(bare_times) * 1000
            results[label] = {
                "unit": unit.code,
                "queries_total": len(statements),
                "aggregate_queries": len(aggregates),
                "report_ms": report,
                "bare_sql_ms": bare,
                "ratio": report / bare if bare else None,
                "runs": n,
            }
            print(
                f"report {label:<12} {unit.code:<8} report {report:8.1f} ms   bare SQL "
                f"{bare:8.1f} ms   ratio {report / bare:5.2f}   ({len(statements)} queries, "
                f"{len(aggregates)} aggregates, median of {n})"
            )
    return results


# -- 2. pages through the WSGI app -------------------------------------------------------


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def _login(client, email: str) -> None:
    page = client.get("/logga-in")
    response = client.post(
        "/logga-in", data={"email": email, "password": PASSWORD, "csrf_token": _csrf(page.text)}
    )
    if response.status_code != 302:
        raise RuntimeError(f"login failed for {email}: {response.status_code}")


def bench_pages(app, requests: int, year: int) -> dict:
    import random

    from casetrack.extensions import db
    from casetrack.models import Case, OrgUnit

    rng = random.Random(9)  # noqa: S311
    results = {}
    client = app.test_client()
    with app.app_context():
        enhet_id = db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.code == "ENH0001"))
        max_id = db.session.scalar(sa.select(sa.func.max(Case.id)))
        db.session.remove()
    _login(client, f"kvalitet@{DOMAIN}")
    lists = [
        "/arenden/",
        "/arenden/?status=open",
        "/arenden/?typ=complaint&status=open",
        f"/arenden/?kategori=mat&fran={year}-01-01&till={year}-12-31",
        "/arenden/?kalla=narstaende&sortering=inkom_asc",
        f"/arenden/?enhet={enhet_id}",
        f"/arenden/?enhet={enhet_id}&status=open&sida=2",
        f"/arenden/?rad=category:bemotande&fran={year}-01-01&till={year}-04-30",
    ]

    def measure(name: str, urls: list[str], n: int) -> None:
        for url in urls[:2]:
            client.get(url)  # warm up
        samples, statuses = [], {}
        for i in range(n):
            url = urls[i % len(urls)]
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        stats = percentiles(samples) | {"statuses": statuses}
        results[name] = stats
        print(f"{name:<28} {fmt(stats)}  statuses {statuses}")

    measure("list (kvalitet, förvaltning)", lists, requests)
    case_urls = [f"/arenden/{rng.randint(1, max_id)}" for _ in range(requests)]
    measure("case page", case_urls, requests)
    search_urls = []
    for text in SEARCHES:
        page = client.get("/arenden/")
        response = client.post("/arenden/sok", data={"text": text, "csrf_token": _csrf(page.text)})
        search_urls.append(response.headers["Location"])
    measure("search", search_urls, requests)
    for text, url in zip(SEARCHES, search_urls, strict=True):
        measure(f"  search {text!r}", [url], max(10, requests // 10))
    handler = app.test_client()
    _login(handler, f"handlaggare@{DOMAIN}")
    client = handler
    measure("list (handläggare, enhet)", ["/arenden/", "/arenden/?status=open"], requests)
    measure("mina ärenden (handläggare)", ["/arenden/mina"], max(20, requests // 4))
    return results


# -- 3. sustained throughput with wrk ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session_cookie(base: str, email: str, search: str | None = None) -> tuple[str, str]:
    """Log in over HTTP; with ``search``, also save a search. (cookie, search path)"""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/logga-in").read().decode()
    data = urllib.parse.urlencode(
        {"email": email, "password": PASSWORD, "csrf_token": _csrf(page)}
    ).encode()
    opener.open(f"{base}/logga-in", data=data)
    path = ""
    if search:
        page = opener.open(f"{base}/arenden/").read().decode()
        data = urllib.parse.urlencode({"text": search, "csrf_token": _csrf(page)}).encode()
        answer = opener.open(f"{base}/arenden/sok", data=data)
        parts = urllib.parse.urlsplit(answer.geturl())
        path = f"{parts.path}?{parts.query}"
    cookies = {c.name: c.value for c in jar}
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), path


def _wrk(base: str, script: Path, seconds: int, connections: int, env: dict) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
               "-s", str(script), base]  # fmt: skip
    output = subprocess.run(  # noqa: S603 (fixed argv)
        command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=True
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return result


# The entries of benchmarks/wrk_mixed.lua, in order: (weight, name).
MIX = [(30, "case page"), (15, "list (handläggare)"), (10, "mina ärenden"),
       (10, "list, open (kvalitet)"), (10, "list, complaints (kvalitet)"),
       (5, "list, category (kvalitet)"), (10, "search"), (5, "report page (enhet)"),
       (5, "health check")]  # fmt: skip


def bench_load(app, url: str, seconds: int, workers: int, connections: int, year: int) -> dict:
    from casetrack.extensions import db
    from casetrack.models import Case, OrgUnit

    with app.app_context():
        max_case = db.session.scalar(sa.select(sa.func.max(Case.id)))
        enhet_id = db.session.scalar(sa.select(OrgUnit.id).where(OrgUnit.code == "ENH0001"))
        db.session.remove()
    if shutil.which("wrk") is None:
        print("load: wrk is not installed (apt-get install wrk); skipped")
        return {}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CASETRACK_DATABASE_URL=url, CASETRACK_SECRET_KEY=SECRET,
               CASETRACK_ENV="production", CASETRACK_SESSION_COOKIE_SECURE="false",
               # The synthetic users have no authenticator; the second factor is a cost at
               # login only, which the load test does not measure (it logs in beforehand).
               CASETRACK_MFA_ROLES="admin",
               # Several workers need a shared limiter storage (serve refuses memory://);
               # the limiter guards logins and the public form, which the load does not time.
               CASETRACK_RATELIMIT_ENABLED="false")  # fmt: skip
    casetrack = Path(sys.executable).with_name("casetrack")
    server = subprocess.Popen(  # noqa: S603 (our own console script)
        [str(casetrack), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    results = {}
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/halsa", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        cookie, search = _session_cookie(base, f"kvalitet@{DOMAIN}", "Kista larmet")
        handler_cookie, _ = _session_cookie(base, f"handlaggare@{DOMAIN}")
        with tempfile.TemporaryDirectory() as tmp:
            hello = Path(tmp) / "hello.lua"
            hello.write_text((HERE / "wrk_common.lua").read_text() + 'paths = {"/halsa"}\n')
            results["hello"] = _wrk(base, hello, seconds, connections, env)
            # The floor of any logged-in page: session, user and permission look-ups and
            # the base template around a static text, no case data.
            page = Path(tmp) / "page.lua"
            page.write_text(
                (HERE / "wrk_common.lua").read_text()
                + f'pick = function() return "/tillganglighet", "{cookie}" end\n'
            )
            results["page"] = _wrk(base, page, seconds, connections, env)

            def mix_script(only: int) -> Path:
                path = Path(tmp) / f"mixed{only}.lua"
                path.write_text(
                    (HERE / "wrk_common.lua").read_text()
                    + (HERE / "wrk_mixed.lua")
                    .read_text()
                    .replace("@COOKIE@", cookie)
                    .replace("@HANDLER_COOKIE@", handler_cookie)
                    .replace("@YEAR@", str(year))
                    .replace("@MAX_CASE@", str(max_case))
                    .replace("@ENHET@", str(enhet_id))
                    .replace("@SEARCH@", search)
                    .replace("@ONLY@", str(only))
                )
                return path

            results["mixed"] = _wrk(base, mix_script(0), seconds, connections, env)
            # Each request type of the mix alone: its throughput on this machine, and
            # the mix's ceiling if every type ran at that rate (weighted harmonic mean).
            results["alone"] = {}
            for position, (weight, name) in enumerate(MIX, start=1):
                alone = _wrk(base, mix_script(position), max(5, seconds // 2), connections, env)
                results["alone"][name] = alone | {"weight": weight}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    for name in ("hello", "page", "mixed"):
        r = results[name]
        print(
            f"load {name:<6} {r['requests_per_second']:8.1f} req/s   p50 {r['p50_ms']:6.1f} ms   "
            f"p95 {r['p95_ms']:6.1f} ms   p99 {r['p99_ms']:6.1f} ms   errors {r['errors']}   "
            f"({r['requests']} requests, {connections} connections, {workers} workers)"
        )
    total_weight = sum(weight for weight, _ in MIX)
    cores = os.cpu_count() or 1
    for name, r in results["alone"].items():
        print(
            f"  alone {name:<28} {r['requests_per_second']:8.1f} req/s "
            f"({1000 * cores / r['requests_per_second']:5.1f} ms of {cores} cores each)   "
            f"p95 {r['p95_ms']:6.1f} ms   errors {r['errors']}   weight {r['weight']}"
        )
    ceiling = total_weight / sum(
        r["weight"] / r["requests_per_second"] for r in results["alone"].values()
    )
    results["mix_ceiling"] = ceiling
    print(f"  the mix's ceiling from the rates alone: {ceiling:.1f} req/s")
    return results


# -- 4. registrations --------------------------------------------------------------------


def _register_stream(url: str, email: str, count: int, barrier=None) -> dict:
    """Register ``count`` cases as ``email`` in their enhet, one commit each."""
    from casetrack.extensions import db
    from casetrack.models import AuditEntry, OrgUnit, User
    from casetrack.services.cases import NewCase, register_case

    app = make_app(url)
    with app.test_request_context():
        handler = db.session.scalars(sa.select(User).where(User.email == email)).one()
        enhet = db.session.get(OrgUnit, handler.role_assignments[0].org_unit_id)
        today = date.today() - timedelta(days=1)

        def register(i: int) -> None:
            register_case(
                handler,
                NewCase(kind_code="complaint", org_unit_id=enhet.id, received_on=today,
                        description=f"Maten kom kall, benchmark {i}.", source_code="brukare",
                        channel_code="telefon", category_codes=["mat", "bemotande"],
                        submitter_name="Testperson Syntetisk"),
            )  # fmt: skip
            db.session.commit()  # one transaction per registration, as a request does

        for i in range(WARM_UP):  # compiled statements and prepared plans, as in a server
            register(-1 - i)
        mine = sa.select(sa.func.count()).where(AuditEntry.actor_id == handler.id)
        audits_before = db.session.scalar(mine)
        db.session.rollback()  # SQLite: no transaction (and no write lock) while waiting
        if barrier is not None:
            barrier.wait()
        started = time.perf_counter()
        for i in range(count):
            register(i)
        seconds = time.perf_counter() - started
        audits = db.session.scalar(mine) - audits_before
    return {"seconds": seconds, "count": count, "audit_rows": audits}


def _stream_worker(url, email, count, barrier, out) -> None:
    out.put(_register_stream(url, email, count, barrier))


def bench_registrations(url: str, count: int, streams: int) -> dict:
    """Registrations per second: one stream after another (the latency of one), and
    ``streams`` processes at once (what the database and both cores can take).

    The handlers of enheter 2, 3, … register in their own enheter: the pages and the
    enhet report measure the first enhet, which these committed cases would otherwise
    fill with new open cases. Enheter of one avdelning share its reference counter, so
    concurrent streams wait for each other's row lock as real registrations do.
    """
    import multiprocessing
    import queue

    one = _register_stream(url, f"handlaggare2@{DOMAIN}", count)
    rate = count / one["seconds"]
    print(
        f"registrations {rate:8.1f} /s   one stream ({count} cases, {one['audit_rows']} "
        f"audit rows, one commit each)"
    )
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(streams)
    out = context.Queue()
    workers = [
        context.Process(target=_stream_worker,
                        args=(url, f"handlaggare{n + 2}@{DOMAIN}", count, barrier, out))
        for n in range(streams)
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    results = []
    while len(results) < len(workers):  # a stream that fails must not leave us waiting
        try:
            results.append(out.get(timeout=5))
        except queue.Empty:
            failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if failed:
                for worker in workers:
                    worker.terminate()
                raise SystemExit(f"a registration stream failed (exit codes {failed})") from None
    for worker in workers:
        worker.join()
    total = sum(r["count"] for r in results)
    wall = max(r["seconds"] for r in results)
    audits = sum(r["audit_rows"] for r in results)
    concurrent = total / wall
    print(
        f"registrations {concurrent:8.1f} /s   {streams} streams at once ({total} cases, "
        f"{audits} audit rows)"
    )
    return {
        "per_second": rate,
        "count": count,
        "audit_rows": one["audit_rows"],
        "concurrent_per_second": concurrent,
        "streams": streams,
        "concurrent_count": total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CASETRACK_DATABASE_URL"))
    parser.add_argument("--repeats", type=int, default=7, help="report runs (enhet: ×10)")
    parser.add_argument("--requests", type=int, default=300, help="requests per page type")
    parser.add_argument("--load-seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--registrations", type=int, default=300, help="per stream")
    parser.add_argument("--streams", type=int, default=4,
                        help="concurrent registration processes")  # fmt: skip
    parser.add_argument("--skip", action="append", default=[],
                        choices=["report", "pages", "load", "registrations"])  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url or set CASETRACK_DATABASE_URL")
    app = make_app(args.database_url)
    year = date.today().year - 1  # the last complete year
    with app.app_context():
        from casetrack.extensions import db
        from casetrack.models import Case

        cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case))
        dialect = db.engine.dialect.name
    print(f"casetrack benchmark: {cases} cases on {dialect}, report year {year}")
    results: dict = {"cases": cases, "dialect": dialect, "year": year}
    if "report" not in args.skip:
        results["report"] = bench_report(app, args.repeats, year)
    if "pages" not in args.skip:
        results["pages"] = bench_pages(app, args.requests, year)
    if "load" not in args.skip:
        results["load"] = bench_load(
            app, args.database_url, args.load_seconds, args.workers, args.connections, year
        )
    if "registrations" not in args.skip:
        results["registrations"] = bench_registrations(
            args.database_url, args.registrations, args.streams
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
