"""
bench/reliability.py in a reduced form (2 s of load per fault, fewer connections and
requests, a 200 MB body, a 3 s timeout), on the drf_async stack only: each scenario meets the
goal that `make bench-reliability` reports for its row in bench/RELIABILITY.md.
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


# Request bodies (issue 11, items 3 and 6). Each test checks the measurement first, then the
# behaviour the issue demands; where drf_async does not meet it yet, that assertion is a strict
# expected failure, to flip when it does.

REDUCED_BODY = 200 * 2**20  # the full row's 200 MB: refused after a few MB, it costs no more to send
MAX_BODY_READ = 8 * 2**20  # a refused body: bytes the client may have sent before the answer
MAX_TMP_GROWTH = 8 * 2**20  # ... and growth of the server's temp directory
DRIBBLE_TIMEOUT = 3  # gunicorn --timeout in the reduced dribble row
DRIBBLE_GRACE = 4  # seconds past the timeout by which the connection must be closed


@pytest.fixture(scope="module")
def big_body_auth():
    return bench.big_body_auth("drf_async", 0, size=REDUCED_BODY).measured


@pytest.fixture(scope="module")
def big_body_limit():
    return bench.big_body_limit("drf_async", 0, size=REDUCED_BODY).measured


@pytest.fixture(scope="module")
def dribble():
    return bench.dribble("drf_async", 0, timeout=DRIBBLE_TIMEOUT, wait=DRIBBLE_TIMEOUT + DRIBBLE_GRACE).measured


@pytest.mark.parametrize("row", ["big_body_auth", "big_body_limit"])
def test_big_body_is_measured(row, request):
    """A 200 MB body: the exchange ends (an answer, or the server's close or reset) within the cap,
    with the bytes sent before that and the temp dir's peak."""
    result = request.getfixturevalue(row)
    assert result.ended in ("response", "reset", "closed"), result
    assert (result.status is not None) == (result.ended == "response") or result.ended == "reset", result
    assert 0 < result.sent <= REDUCED_BODY and result.tmp_peak >= 0, result


def test_big_body_refused_by_auth_costs_a_few_mb(big_body_auth):
    """No credentials, IsAuthenticated: 401/403 after at most 8 MB sent, temp dir growth under 8 MB."""
    assert big_body_auth.status in (401, 403), big_body_auth
    assert big_body_auth.sent <= MAX_BODY_READ and big_body_auth.tmp_peak < MAX_TMP_GROWTH, big_body_auth


def test_big_body_past_the_upload_limit_costs_a_few_mb(big_body_limit):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE to a parsing view: 400/413 after at most 8 MB, temp dir under 8 MB."""
    assert big_body_limit.status in (400, 413), big_body_limit
    assert big_body_limit.sent <= MAX_BODY_READ and big_body_limit.tmp_peak < MAX_TMP_GROWTH, big_body_limit


def test_dribble_is_measured(dribble):
    """1 byte/s of a 1000-byte body: the bytes sent and when (or whether) the server closed are measured."""
    assert dribble.sent >= 1 and dribble.wait == DRIBBLE_TIMEOUT + DRIBBLE_GRACE, dribble
    assert dribble.closed_after is None or 0 <= dribble.closed_after <= dribble.wait, dribble


def test_dribbled_body_is_closed_within_the_timeout(dribble):
    """--timeout 3: the server closes a connection whose body arrives at 1 byte/s within 3 + 4 s."""
    assert dribble.closed_after is not None and dribble.closed_after <= DRIBBLE_TIMEOUT + DRIBBLE_GRACE, dribble


def test_nested_json_is_a_400_and_the_worker_serves_on():
    """JSON nested 100,000 deep: 400 with DRF's error body, no traceback; the next request is a 200."""
    result = bench.nested_json("drf_async", 0).measured
    assert (result.status, result.drf_error, result.traceback, result.next_status) == (400, True, False, 200), result


# The reduced row: schemathesis' fuzzing phase alone, 3 cases per operation (not a time budget,
# which loading the schema may use up on a busy machine).
FUZZ_EXAMPLES = 3


@pytest.mark.skipif(importlib.util.find_spec("schemathesis") is None,
                    reason="schemathesis is not installed (requirements-dev.txt)")
def test_schemathesis_finds_no_server_error():
    """schemathesis (3 fuzzed cases per operation) on the sample API on the drf_async stack: none answered 5xx."""
    cell = bench.schemathesis("drf_async", 0, max_examples=FUZZ_EXAMPLES)
    assert cell.measured.cases > 0 and cell.measured.operations > 0, cell.text
    assert not cell.measured.server_errors, cell.text
