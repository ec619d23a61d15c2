"""
API scenarios of a public benchmark of async Django API frameworks, each written as a user
of each framework writes it (bench/scenario_app), served by:

- sync DRF on ``gunicorn -k gthread`` with 8 threads, and with 32 threads (``gthread-8``, ``gthread-32``);
- drf_async on ``drf_async.worker.AiohttpWorker`` (``drf_async``; DRF_ASYNC_THREADS from --threads);
- django-ninja's async endpoints on Django's stock ASGI handler on uvicorn-worker (``ninja``).

Scenarios: ``db`` (10 rows, ModelSerializer many=True), ``article-detail`` (one row, its FK
author and M2M tags, nested), ``jwt-article`` (the same behind a bearer JWT whose user is
loaded), ``articles`` (20 rows and the count, page-number pagination), ``viewset-list`` (a
ModelViewSet's list of 50 of those rows, no pagination), ``json-10k`` (10 KB of
JSON, no I/O), ``cache-read`` (one Redis GET), ``http-fanout`` (three concurrent 10 ms upstream
calls: drf_async on a shared httpx.AsyncClient and on one shared aiohttp.ClientSession, ninja
on a shared httpx.AsyncClient, sync DRF three calls one after another on a shared
requests.Session) and ``article-create`` (POST: validate, insert with M2M tags, read back).
httpx.AsyncClient's CPU per call grows with the number of concurrent calls (encode/httpx#3215:
its connection pool rechecks every connection under an anyio lock): at 64 clients × 3 calls it
costs tens of times aiohttp's, hence drf_async's aiohttp row beside the httpx one.

One worker per server pinned to CPU 0 (taskset), wrk -c64 pinned to CPU 1, as is the upstream
service of http-fanout (bench/scenario_upstream.py). Before its runs each server answers every
scenario once, and the answers are compared across servers (status and JSON, ids of created
rows left out): a mismatch is reported, since the runs would not compare like with like.
The servers' runs interleave: --rounds rounds (3), each of which starts every server in turn
for a warm-up and a measured run of each scenario, so that the shared machine's drift falls on
all of them alike; each server's median round is reported. Prints req/s, p50, p99, errors and
the worker's CPU per request (all its threads; the database's and Redis's CPU left out) per
run, then drf_async's ratios to each peer (goal 1.0): of req/s, and of CPU per request.

    .venv/bin/python bench/scenarios.py                        # everything, SQLite, ~16 minutes
    .venv/bin/python bench/scenarios.py --only jwt --duration 3
    .venv/bin/python bench/scenarios.py --database-url postgres://postgres@127.0.0.1:5432/drf_async_scen
    .venv/bin/python bench/scenarios.py --markdown             # the ratio table for README

The database is PostgreSQL when --database-url (or DATABASE_URL) is set, created if missing;
a SQLite file otherwise. Persistent connections (CONN_MAX_AGE=60) on gthread and drf_async,
which bound their threads; CONN_MAX_AGE=0 for ninja on Django's stock ASGI handler, as
Django's docs advise for async (a thread per request would keep a connection each). Redis:
--redis-url (redis://127.0.0.1:6379/5 by default). Needs wrk and taskset.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serve import (
    HERE,
    PERSISTENT,
    ROOT,
    Server,
    create_postgresql_database,
    measure,
    median_of,
    settle,
    start_service,
    wrk,
)

SETTINGS = "scenario_settings"
# name: (worker class, app, extra server args, settings module, environment), as bench/serve.py's SERVERS
SERVERS = {
    "gthread-8": ("gthread", "serve_apps:wsgi", ["--threads", "8"], SETTINGS, PERSISTENT),
    "gthread-32": ("gthread", "serve_apps:wsgi", ["--threads", "32"], SETTINGS, PERSISTENT),
    "drf_async": ("drf_async.worker.AiohttpWorker", "serve_apps:asgi", [], SETTINGS, PERSISTENT),
    "ninja": ("uvicorn_worker.UvicornWorker", "serve_apps:django_asgi", [], SETTINGS, {"CONN_MAX_AGE": "0"}),
}
# Which URL prefix (scenario_urls) each server serves.
KINDS = {"gthread-8": "sync", "gthread-32": "sync", "drf_async": "async", "ninja": "ninja"}
PEERS = ("gthread-8", "gthread-32", "ninja")


@dataclass(frozen=True)
class Scenario:
    name: str
    paths: dict[str, str]  # kind -> path; "{article}" is the seeded article's id
    method: str = "GET"
    jwt: bool = False
    needs: str = ""  # "redis", "upstream"

    def path(self, kind: str, seed: dict[str, Any]) -> str:
        return self.paths[kind].format(article=seed["article"])


def _everywhere(path: str) -> dict[str, str]:
    return {kind: f"/{kind}/{path}" for kind in ("sync", "async", "ninja")}


def _fanout(async_path: str) -> dict[str, str]:
    return {"sync": "/sync/fanout/", "async": f"/async/{async_path}", "ninja": "/ninja/fanout/"}


SCENARIOS = [
    Scenario("db", _everywhere("db/")),
    Scenario("article-detail", _everywhere("articles/{article}/")),
    Scenario("jwt-article", _everywhere("jwt-articles/{article}/"), jwt=True),
    Scenario("articles", _everywhere("articles/")),
    Scenario("viewset-list", _everywhere("viewset/")),
    Scenario("json-10k", _everywhere("json-10k/")),
    Scenario("cache-read", _everywhere("cache-read/"), needs="redis"),
    Scenario("http-fanout (httpx)", _fanout("fanout-httpx/"), needs="upstream"),
    Scenario("http-fanout (aiohttp)", _fanout("fanout-aiohttp/"), needs="upstream"),
    # Last: it adds rows (deleted again before each server's runs).
    Scenario("article-create", _everywhere("articles/new/"), method="POST"),
]


@dataclass
class Result:
    scenario: str
    server: str
    path: str
    rps: float
    p50: str
    p99: str
    errors: str
    cpu_ms: float | None = None  # the worker's CPU per request


# Set-up


def environment(database_url: str | None, redis_url: str, threads: int) -> dict[str, str]:
    """What every server (and `manage()`) gets on top of os.environ."""
    env = {"DRF_ASYNC_THREADS": str(threads), "BENCH_REDIS_URL": redis_url}
    if database_url:
        env["BENCH_DATABASE_URL"] = database_url
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """``django-admin *args`` on scenario_settings; its output."""
    env = {**os.environ, **env, "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}", "DJANGO_SETTINGS_MODULE": SETTINGS}
    return subprocess.run([sys.executable, "-m", "django", *args], env=env, cwd=HERE, check=True,
                          capture_output=True, text=True).stdout


def prepare(env: dict[str, str], redis_url: str | None) -> dict[str, Any]:
    """Tables, rows and the Redis key the scenarios read; the seed (article id, JWT, POST body)."""
    if env.get("BENCH_DATABASE_URL"):
        create_postgresql_database(env["BENCH_DATABASE_URL"])
    manage(env, "migrate", "-v0", "--noinput")
    seed = json.loads(manage(env, "seed_scenarios").strip().splitlines()[-1])
    if redis_url:
        import redis
        from scenario_app.payloads import CACHE_KEY, CACHE_VALUE

        with redis.Redis.from_url(redis_url) as client:
            client.set(CACHE_KEY, json.dumps(CACHE_VALUE))
    return seed


def reset(env: dict[str, str]) -> None:
    """Delete the articles article-create added, so that every server reads the same rows."""
    manage(env, "seed_scenarios", "--reset")


def start_upstream(cpu: int) -> tuple[subprocess.Popen[bytes], str]:
    """bench/scenario_upstream.py pinned to *cpu*; the process and its base URL."""
    command = [sys.executable, str(HERE / "scenario_upstream.py"), "--port", "{port}"]
    return start_service("the upstream service", cpu, command)


def wrk_args(scenario: Scenario, seed: dict[str, Any], directory: Path) -> list[str]:
    """wrk's -H for the JWT, -s with a Lua script for the POST body."""
    if scenario.jwt:
        return ["-H", f"Authorization: Bearer {seed['token']}"]
    if scenario.method == "POST":
        script = directory / "post.lua"
        body = json.dumps(json.dumps(seed["post"]))  # a Lua string literal: JSON's escapes are Lua's
        script.write_text(f'wrk.method = "POST"\nwrk.body = {body}\n'
                          'wrk.headers["Content-Type"] = "application/json"\n')
        return ["-s", str(script)]
    return []


# Parity: the same status and data from every server


def fetch(base_url: str, scenario: Scenario, kind: str, seed: dict[str, Any]) -> tuple[int, Any]:
    """One request of *scenario* to the server at *base_url*: the status and the JSON body."""
    headers = {"Content-Type": "application/json"}
    if scenario.jwt:
        headers["Authorization"] = f"Bearer {seed['token']}"
    body = json.dumps(seed["post"]).encode() if scenario.method == "POST" else None
    request = urllib.request.Request(base_url + scenario.path(kind, seed), data=body, headers=headers,
                                     method=scenario.method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            status, content = reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        status, content = exc.code, exc.read()
    try:
        return status, json.loads(content)
    except ValueError:
        return status, content.decode(errors="replace")[:200]


def normalize(scenario: Scenario, kind: str, status: int, data: Any) -> tuple[int, Any]:
    """What must match across servers: ninja's page as DRF's, a created row without its id."""
    if scenario.name == "articles" and isinstance(data, dict):
        # DRF's next/previous are absolute links (host and prefix differ); ninja has none.
        data = {"count": data.get("count"), "results": data.get("items" if kind == "ninja" else "results")}
    if scenario.method == "POST" and isinstance(data, dict):
        data = {key: value for key, value in data.items() if key != "id"}
    return status, data


def probe(base_url: str, server: str, scenarios: list[Scenario], seed: dict[str, Any]) -> dict[str, tuple[int, Any]]:
    kind = KINDS[server]
    return {s.name: normalize(s, kind, *fetch(base_url, s, kind, seed)) for s in scenarios if kind in s.paths}


def mismatches(answers: dict[str, dict[str, tuple[int, Any]]]) -> list[str]:
    """Each (scenario, server) whose answer differs from the first server's, or is not a 2xx."""
    problems = []
    reference_server = next(iter(answers), None)
    for server, by_scenario in answers.items():
        for name, (status, data) in by_scenario.items():
            if not 200 <= status < 300:
                problems.append(f"{name} on {server}: HTTP {status}: {str(data)[:200]}")
                continue
            expected = answers[reference_server].get(name)
            if expected is not None and expected != (status, data):
                problems.append(f"{name} on {server}: {status} {str(data)[:200]} != {reference_server}'s "
                                f"{expected[0]} {str(expected[1])[:200]}")
    return problems


# Runs


def runs_of(kind: str, scenarios: list[Scenario], seed: dict[str, Any]) -> list[tuple[str, Scenario, str]]:
    """The distinct paths *kind* serves for *scenarios* (one sync fan-out for both async variants), labelled."""
    runs: dict[str, tuple[Scenario, str]] = {}
    for scenario in scenarios:
        if kind not in scenario.paths:
            continue
        path = scenario.path(kind, seed)
        label = scenario.name if path not in runs else scenario.name.split(" (")[0]
        runs[path] = (runs.get(path, (scenario,))[0], label)
    return [(path, scenario, label) for path, (scenario, label) in runs.items()]


def run(args: argparse.Namespace, scenarios: list[Scenario], env: dict[str, str], seed: dict[str, Any],
        directory: Path) -> tuple[list[Result], dict[str, dict[str, tuple[int, Any]]]]:
    """
    ``--rounds`` rounds, each of which starts every server in turn (the rows article-create
    added deleted first) and gives it a warm-up and a measured wrk run per scenario; the first
    round also probes each server's answers. The servers' runs interleave round by round, so
    the shared machine's drift falls on all of them alike; a server's result is its median
    round. (One server at a time: all of them up at once would hold more PostgreSQL
    connections than its default 100.)
    """
    answers: dict[str, dict[str, tuple[int, Any]]] = {}
    rounds: dict[tuple[str, str], list[Result]] = {}
    for round_number in range(args.rounds):
        for name, spec in SERVERS.items():
            kind = KINDS[name]
            reset(env)
            server = Server(name, args.server_cpu, env, spec=spec)
            try:
                if round_number == 0:
                    answers[name] = probe(server.url(""), name, scenarios, seed)
                for path, scenario, label in runs_of(kind, scenarios, seed):
                    extra = wrk_args(scenario, seed, directory)
                    settle(server)  # what the previous scenario left in flight is done
                    wrk(server.url(path), args.connections, args.warmup, args.client_cpu, extra)
                    got = measure(server, path, args.connections, args.duration, args.client_cpu, extra)
                    result = Result(label, name, path, got.rps, got.p50, got.p99, got.errors, got.cpu_ms)
                    rounds.setdefault((name, path), []).append(result)
                    print(f"  {label:<22} {name:<11} round {round_number + 1}  {got.rps:>8.0f} req/s  "
                          f"p50 {got.p50:>8}  p99 {got.p99:>8}  CPU {cpu_text(got.cpu_ms)}/req  {got.errors}",
                          flush=True)
            finally:
                server.stop()
    return [median_of(runs) for runs in rounds.values()], answers


def ratios(scenarios: list[Scenario], results: list[Result], seed: dict[str, Any],
           ) -> list[tuple[str, Result | None, dict[str, Result | None]]]:
    """Per scenario: drf_async's result and each peer's."""
    by_run = {(r.server, r.path): r for r in results}
    rows = []
    for scenario in scenarios:
        ours = by_run.get(("drf_async", scenario.path("async", seed)))
        peers = {peer: by_run.get((peer, scenario.path(KINDS[peer], seed))) for peer in PEERS}
        rows.append((scenario.name, ours, peers))
    return rows


def cpu_text(cpu_ms: float | None) -> str:
    return f"{cpu_ms * 1000:.0f}µs" if cpu_ms is not None else "-"


def cpu_ratio(ours: Result | None, theirs: Result | None) -> float | None:
    """The peer's worker CPU per request ÷ drf_async's (above 1: drf_async spends less)."""
    if ours is None or theirs is None or not ours.cpu_ms or not theirs.cpu_ms:
        return None
    return theirs.cpu_ms / ours.cpu_ms


def report(results: list[Result], rows: list[tuple[str, Result | None, dict[str, Result | None]]],
           problems: list[str], markdown: bool) -> None:
    print(f"\n{'scenario':<22} {'server':<11} {'path':<24} {'req/s':>8} {'p50':>9} {'p99':>9} {'CPU/req':>9}  errors")
    for r in results:
        print(f"{r.scenario:<22} {r.server:<11} {r.path:<24} {r.rps:>8.0f} {r.p50:>9} {r.p99:>9} "
              f"{cpu_text(r.cpu_ms):>9}  {r.errors}")

    print("\nparity (status and JSON of one request, across servers): " + ("ok" if not problems else "MISMATCH"))
    for problem in problems:
        print(f"  {problem}")

    print(f"\n{'drf_async ÷':<22}" + "".join(f"{peer:>12}" for peer in PEERS) + "   (req/s; goal 1.0 each)"
          + "".join(f"{'CPU ' + peer:>16}" for peer in PEERS) + "   (the peer's CPU/req ÷ drf_async's)")
    for name, ours, peers in rows:
        cells = []
        for peer in PEERS:
            theirs = peers[peer]
            ratio = ours.rps / theirs.rps if ours and theirs and theirs.rps else None
            cells.append(f"{ratio:>10.2f}x{' ' if ratio >= 1.0 else '!'}" if ratio is not None else f"{'-':>12}")
        cells.append(" " * 24)
        for peer in PEERS:
            cpu = cpu_ratio(ours, peers[peer])
            cells.append(f"{cpu:>15.2f}x" if cpu is not None else f"{'-':>16}")
        print(f"{name:<22}" + "".join(cells))

    if markdown:
        print("\n| scenario | drf_async | ÷ sync DRF, gthread 8 | ÷ sync DRF, gthread 32 | ÷ django-ninja, uvicorn "
              "| worker CPU/req: drf_async, gthread 8 |")
        print("|---|---|---|---|---|---|")
        for name, ours, peers in rows:
            if ours is None:
                continue
            cells = [f"{ours.rps:.0f} req/s"]
            for peer in PEERS:
                theirs = peers[peer]
                if theirs is None or not theirs.rps:
                    cells.append("—")
                    continue
                ratio = ours.rps / theirs.rps
                text = f"{ratio:.2f}× ({theirs.rps:.0f})"
                cells.append(f"**{text}**" if ratio >= 1.0 else f"{text} — **missed**")
            sync = peers["gthread-8"]
            cells.append(f"{cpu_text(ours.cpu_ms)}, {cpu_text(sync.cpu_ms if sync else None)}")
            print(f"| `{name}` | " + " | ".join(cells) + " |")


def redis_answers(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="run only the scenarios whose name contains this text")
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per scenario (median reported)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL (default: DATABASE_URL, else a SQLite file)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="for cache-read")
    parser.add_argument("--threads", type=int, default=32, help="DRF_ASYNC_THREADS for drf_async")
    parser.add_argument("--markdown", action="store_true", help="also print the ratio table as markdown")
    args = parser.parse_args()
    for tool in ("wrk", "taskset", "pgrep"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is required")
    scenarios = [s for s in SCENARIOS if not args.only or args.only in s.name]
    if any(s.needs == "redis" for s in scenarios) and not redis_answers(args.redis_url):
        print(f"Redis does not answer at {args.redis_url}: cache-read left out", file=sys.stderr)
        scenarios = [s for s in scenarios if s.needs != "redis"]
    if not scenarios:
        sys.exit("no scenario selected")

    env = environment(args.database_url, args.redis_url, args.threads)
    print(f"database: {args.database_url or 'SQLite file'}; drf_async threads: {args.threads}", flush=True)
    seed = prepare(env, args.redis_url if any(s.needs == "redis" for s in scenarios) else None)
    upstream = start_upstream(args.client_cpu) if any(s.needs == "upstream" for s in scenarios) else None
    if upstream is not None:
        env["BENCH_UPSTREAM_URL"] = upstream[1]
    try:
        with tempfile.TemporaryDirectory() as directory:
            results, answers = run(args, scenarios, env, seed, Path(directory))
    finally:
        if upstream is not None:
            upstream[0].terminate()
            upstream[0].wait(10)
    reset(env)
    report(results, ratios(scenarios, results, seed), mismatches(answers), args.markdown)


if __name__ == "__main__":
    main()
