"""
bench/scenarios.py compares like with like: every scenario answers the same status and JSON
on sync DRF (gthread), drf_async (AiohttpWorker) and django-ninja (uvicorn-worker), each a real
server on the bench's own project (bench/scenario_app), with the upstream service beside.
SQLite in a temporary file, or PostgreSQL (a database of its own) when DATABASE_URL is set;
cache-read on Redis when REDIS_URL is set.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.server.gunicorn import ROOT

pytestmark = pytest.mark.server

SERVERS = ("gthread-8", "drf_async", "ninja")


def _load_bench():
    if str(ROOT / "bench") not in sys.path:
        sys.path.append(str(ROOT / "bench"))  # its `from serve import …`, as when run as a script
    spec = importlib.util.spec_from_file_location("bench_scenarios", ROOT / "bench" / "scenarios.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def _database_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_bench_scenarios"))


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    """Every scenario's normalized answer from each server, asked in the bench's order."""
    redis_url = os.environ.get("REDIS_URL")
    env = bench.environment(_database_url(), redis_url or "redis://127.0.0.1:1/0", threads=4)
    env["BENCH_SQLITE_PATH"] = str(tmp_path_factory.mktemp("scenarios") / "db.sqlite3")
    seed = bench.prepare(env, redis_url)
    scenarios = [s for s in bench.SCENARIOS if redis_url or s.needs != "redis"]
    cpu = min(os.sched_getaffinity(0))
    upstream, env["BENCH_UPSTREAM_URL"] = bench.start_upstream(cpu)
    servers = {}
    try:
        for name in SERVERS:
            servers[name] = bench.Server(name, cpu, env, spec=bench.SERVERS[name])
        yield {
            scenario.name: {
                name: bench.normalize(scenario, bench.KINDS[name],
                                      *bench.fetch(server.url(""), scenario, bench.KINDS[name], seed))
                for name, server in servers.items()
            }
            for scenario in scenarios
        }, servers, seed
    finally:
        for server in servers.values():
            server.stop()
        upstream.terminate()
        upstream.wait(10)


@pytest.mark.parametrize("scenario", [s.name for s in bench.SCENARIOS])
def test_every_server_answers_alike(answers, scenario):
    """Each scenario: a 2xx, and the same status and JSON on drf_async and ninja as on sync DRF."""
    by_server = answers[0].get(scenario)
    if by_server is None:
        pytest.skip("cache-read needs REDIS_URL")
    status, data = by_server["gthread-8"]
    assert 200 <= status < 300, data
    assert data, "an empty answer compares nothing"
    assert by_server["drf_async"] == (status, data)
    assert by_server["ninja"] == (status, data)


def test_bench_reports_no_mismatch(answers):
    """`mismatches()`, what the bench prints, finds none in the same answers."""
    by_server: dict = {}
    for scenario, servers in answers[0].items():
        for name, answer in servers.items():
            by_server.setdefault(name, {})[scenario] = answer
    assert bench.mismatches(by_server) == []


def test_jwt_scenario_refuses_a_request_without_the_token(answers):
    """Without its bearer token, jwt-article is a 401 on every server: the token is checked."""
    _, servers, seed = answers
    scenario = dataclasses.replace(next(s for s in bench.SCENARIOS if s.name == "jwt-article"), jwt=False)
    for name, server in servers.items():
        status, _ = bench.fetch(server.url(""), scenario, bench.KINDS[name], seed)
        assert status == 401, name
