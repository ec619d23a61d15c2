"""
`AiohttpWorker` (drf_async.worker) in process: its gunicorn-settings mapping and the board
its workers balance connections on, with a real gunicorn `Config` and logger. The HTTP
behaviour is pinned against real gunicorn processes in tests/server/.
"""

from __future__ import annotations

import os
import time

import pytest
from aiohttp.http_exceptions import LineTooLong
from gunicorn.config import Config
from gunicorn.glogging import Logger

from drf_async.handler import AsyncHandler
from drf_async.worker import AiohttpWorker, _Board, _BoardPeers


def make_worker(**settings) -> AiohttpWorker:
    cfg = Config()
    for name, value in settings.items():
        cfg.set(name, value)
    return AiohttpWorker(0, os.getpid(), [], None, 30, cfg, Logger(cfg))


def test_forwarded_allow_ips_networks_and_wildcard():
    """forwarded_allow_ips accepts addresses and networks; "*" trusts every peer; unix peers are trusted."""
    worker = make_worker(forwarded_allow_ips="127.0.0.1,10.0.0.0/8")
    assert worker.trusts(("127.0.0.1", 1))
    assert worker.trusts(("10.1.2.3", 1))
    assert not worker.trusts(("192.168.0.1", 1))
    assert worker.trusts("")  # unix socket peer
    assert make_worker(forwarded_allow_ips="*").trusts(("192.168.0.1", 1))
    # Asked again (answers are remembered per address): the same answers.
    assert worker.trusts(("10.1.2.3", 2)) and not worker.trusts(("192.168.0.1", 2))
    assert not worker.trusts(("not-an-address", 1)) and not worker.trusts(("not-an-address", 1))


def test_request_line_and_header_limits_are_told_apart():
    """An over-long request target maps to 414, an over-long header to 431, even with equal limits."""
    worker = make_worker(limit_request_line=100, limit_request_field_size=200)
    assert worker.is_request_line_error(LineTooLong(b"/aaa...", 100))
    assert not worker.is_request_line_error(LineTooLong(b"bbb...", 200))
    same = make_worker(limit_request_line=100, limit_request_field_size=100)
    assert same.is_request_line_error(LineTooLong(b"/aaa...", 100))
    assert not same.is_request_line_error(LineTooLong(b"bbb...", 100))


@pytest.mark.parametrize("value", [0, 50])
async def test_limits_zero_means_unlimited(value):
    """gunicorn's 0 for limit_request_line/field_size means no limit; other values pass through."""
    worker = make_worker(limit_request_line=value, limit_request_field_size=value, limit_request_fields=value or 100)
    worker.asgi = AsyncHandler()
    server = worker.make_server()
    expected = value or 2**31 - 1
    assert server._kwargs["max_line_size"] == expected
    assert server._kwargs["max_field_size"] == expected
    assert server._kwargs["keepalive_timeout"] == worker.cfg.keepalive


def test_server_header_is_gunicorns_without_a_version():
    """Responses that set no Server header get gunicorn's value, "gunicorn" (aiohttp's names versions)."""
    assert AiohttpWorker.server_header == "gunicorn"


def test_board_shows_each_worker_the_others_counts():
    """Two workers' views of one board: each sees the other's count, not its own; a cleared
    (exited) or silent (killed) worker is not seen."""
    board = _Board()
    first, second = _BoardPeers(board, 1), _BoardPeers(board, 2)
    assert first.fewest() is None  # nobody on the board yet
    first.beat()
    second.report(7)
    first._read_at = second._read_at = -1.0  # re-read who is alive now
    assert first.fewest() == 7
    assert second.fewest() == 0
    second.report(3)
    assert first.fewest() == 3  # counts are read at each call, the roster every 0.1 s
    board.clear(2)
    first._read_at = -1.0
    assert first.fewest() is None
    second.report(1)
    board._RECORD.pack_into(board._map, 2 * board._RECORD.size, os.getpid(), 1, time.monotonic() - 60)
    first._read_at = -1.0
    assert first.fewest() is None


def test_worker_takes_the_slot_of_its_age():
    """A worker's slot on the board is its gunicorn age (unique among live workers), modulo the slots."""
    worker = make_worker()
    worker.age = _Board.SLOTS + 3
    assert AiohttpWorker(worker.age, os.getpid(), [], None, 30, worker.cfg, worker.log)._peers.slot == 3
