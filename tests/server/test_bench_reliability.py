"""
bench/reliability.py in a reduced form (2 s of load per fault, fewer connections and
requests), on the drf_async stack only: each scenario meets the goal that
`make bench-reliability` reports for its row in bench/RELIABILITY.md.
"""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from tests.server.gunicorn import ROOT

pytestmark = pytest.mark.server


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_reliability", ROOT / "bench" / "reliability.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


@pytest.mark.parametrize("scenario", ["sighup", "max_requests", "sigterm"])
def test_faults_during_load_fail_nothing(scenario):
    """SIGHUP, --max-requests 200 and SIGTERM to a worker, during 2 s of load: 0 failed."""
    cell = bench.SCENARIOS[scenario][1]("drf_async", 2.0)
    assert cell.good, cell.text


def test_kill_9_fails_at_most_the_killed_workers_share():
    """kill -9 of one of two workers: no more failures than the connections it held."""
    cell = bench.kill9("drf_async", 2.0)
    assert cell.good, cell.text


@pytest.mark.parametrize("scenario", ["half_close", "pipelined", "server_header"])
def test_bad_input(scenario):
    """Half-close → 200; valid + malformed pipelined → 200 then 400; Server without versions, no echo."""
    cell = bench.SCENARIOS[scenario][1]("drf_async", 0)
    assert cell.good, cell.text


def test_connection_bound():
    """--worker-connections 50 with 300 connections opened: the worker holds at most 50."""
    cell = bench.connection_bound("drf_async", 0, held=300, bound=50)
    assert cell.good, cell.text


def test_rss_stays_flat():
    """RSS grows less than 10% over 3,300 requests after a warm-up of the first tenth, with 0 failed."""
    cell = bench.rss("drf_async", 0, requests=3_300)
    assert cell.good, cell.text


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
def test_database_connections_stay_within_the_thread_bound():
    """64 clients on a view that queries: PostgreSQL connections <= 2 workers x 32 threads, none left after."""
    cell = bench.db_connections("drf_async", 2.0, concurrency=64)
    assert cell.good, cell.text


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_throttle_row():
    """AsyncAnonRateThrottle at 10/min, 2 workers, Redis, 40 concurrent: exactly 10 allowed."""
    cell = bench.throttle("drf_async", 0, trials=1)
    assert cell.good, cell.text
