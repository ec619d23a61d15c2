"""
Reliability of `AiohttpWorker` under real gunicorn masters on 127.0.0.1: restarts that drop
nothing (max_requests, SIGHUP, SIGTERM with an idle keep-alive connection open), connections
spread across workers and bounded by worker_connections, and the protocol edges (half-close,
pipelining before a malformed request, the Server header, error bodies).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter

import pytest

from tests.server.gunicorn import Gunicorn, raw_request, read_all

pytestmark = pytest.mark.server


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def keep_alive_pid(conn: http.client.HTTPConnection, path: str = "/hello/") -> int:
    """One request on *conn*, left open (keep-alive); the pid of the worker that answered."""
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    assert response.status == 200
    assert response.getheader("Connection") != "close"
    return int(response.getheader("X-Pid"))


def fresh_get(server: Gunicorn, path: str = "/hello/") -> http.client.HTTPResponse:
    conn = server.connection(timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def closed_by_server(conn: http.client.HTTPConnection, timeout: float) -> bool:
    """The server closed *conn* (EOF) within *timeout* seconds."""
    assert conn.sock is not None
    conn.sock.settimeout(timeout)
    try:
        return conn.sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# Restarts with an idle keep-alive connection open. The server helper sets
# --graceful-timeout 5: a worker that waited for the idle connection would take 5 s.


def test_max_requests_with_an_idle_keep_alive_connection():
    """At max_requests the old worker closes an idle keep-alive connection and exits at once:
    the next request is answered by its successor within 2 s."""
    server = Gunicorn("--max-requests", "3", "--keep-alive", "30")  # the readiness probe was request 1
    try:
        idle = server.connection()
        old_pid = keep_alive_pid(idle)
        fresh_get(server)  # request 3: the worker drains
        started = time.monotonic()
        assert closed_by_server(idle, 2)
        response = fresh_get(server)
        assert response.status == 200
        assert int(response.getheader("X-Pid")) != old_pid
        assert time.monotonic() - started < 2
        assert wait_for(lambda: not alive(old_pid), 1)
    finally:
        server.stop()


def test_sighup_with_an_idle_keep_alive_connection():
    """SIGHUP replaces the worker; the old one closes its idle connection and exits within 2 s."""
    server = Gunicorn("--keep-alive", "30")
    try:
        idle = server.connection()
        old_pid = keep_alive_pid(idle)
        server.signal(signal.SIGHUP)
        started = time.monotonic()
        assert closed_by_server(idle, 2)
        assert wait_for(lambda: not alive(old_pid), 2 - (time.monotonic() - started))
        response = fresh_get(server)
        assert response.status == 200 and int(response.getheader("X-Pid")) != old_pid
    finally:
        server.stop()


def test_sigterm_with_an_idle_keep_alive_connection():
    """SIGTERM with an idle keep-alive connection open: the server has stopped within 2 s."""
    server = Gunicorn("--keep-alive", "30")
    try:
        idle = server.connection()
        keep_alive_pid(idle)
        server.signal(signal.SIGTERM)
        assert server.process.wait(2) == 0
    finally:
        server.stop()


def test_sigterm_to_a_worker_with_an_idle_connection_is_replaced_at_once():
    """A worker sent SIGTERM (by an operator or a supervisor) exits within 2 s; the master
    replaces it and the next request is answered."""
    server = Gunicorn("--keep-alive", "30")
    try:
        idle = server.connection()
        old_pid = keep_alive_pid(idle)
        os.kill(old_pid, signal.SIGTERM)
        assert wait_for(lambda: not alive(old_pid), 2)
        response = fresh_get(server)
        assert response.status == 200 and int(response.getheader("X-Pid")) != old_pid
    finally:
        server.stop()


def test_an_idle_connection_closes_at_once_while_a_request_is_in_flight():
    """A drain closes idle keep-alive connections at once, answers the request in flight
    (Connection: close), and the worker exits as soon as it is done."""
    server = Gunicorn("--max-requests", "3", "--keep-alive", "30")
    try:
        idle = server.connection()
        old_pid = keep_alive_pid(idle)
        busy = server.connection()
        busy.request("GET", "/sleep/?s=1.5")  # request 3: the drain starts with it in flight
        started = time.monotonic()
        assert closed_by_server(idle, 1)
        assert time.monotonic() - started < 1
        response = busy.getresponse()
        assert (response.status, response.read()) == (200, b"slept")
        assert response.getheader("Connection") == "close"
        assert wait_for(lambda: not alive(old_pid), 1.5)
    finally:
        server.stop()


def test_clients_that_close_after_their_response_do_not_hold_up_a_drain():
    """Clients that close their connection as soon as they have read their response (while
    the application still works after sending it): SIGTERM stops the server in < 2 s."""
    server = Gunicorn("--keep-alive", "30", app="tests.server.asgi:raw")
    try:
        for _ in range(5):
            sock = server.connect()
            sock.sendall(b"GET /linger HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while not reply.endswith(b"}"):
                reply += sock.recv(65536)
            sock.close()
        time.sleep(0.5)
        server.signal(signal.SIGTERM)
        assert server.process.wait(2) == 0
    finally:
        server.stop()


def test_a_request_on_the_idle_connection_as_the_drain_begins_is_answered():
    """A request that reached an idle keep-alive connection just as the drain began (still in
    the kernel's buffer, unread) is answered, with Connection: close, not dropped with the
    connection the drain closes."""
    server = Gunicorn("--max-requests", "3", "--keep-alive", "30", app="tests.server.asgi:raw")
    try:
        idle = server.connection()
        old_pid = keep_alive_pid(idle, "/x")  # request 2
        results: list[http.client.HTTPResponse] = []

        def blocking_request() -> None:
            # Request 3: the worker starts draining, then its loop is held for 0.5 s.
            results.append(fresh_get(server, "/block?0.5"))

        thread = threading.Thread(target=blocking_request)
        thread.start()
        time.sleep(0.2)
        idle.request("GET", "/x")  # reaches the worker while its loop is held
        response = idle.getresponse()
        assert response.status == 200 and response.read()
        assert response.getheader("Connection") == "close"
        assert int(response.getheader("X-Pid")) == old_pid
        thread.join(5)
        assert results and results[0].status == 200
    finally:
        server.stop()


def test_sigterm_answers_a_request_whose_body_is_still_arriving():
    """A drain keeps reading: an upload in progress at SIGTERM gets its body and its answer."""
    server = Gunicorn()
    try:
        sock = server.connect()
        sock.sendall(b"POST /upload/ HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello")
        time.sleep(0.3)
        server.signal(signal.SIGTERM)
        time.sleep(0.3)
        reply = raw_request(sock, b"world")
        assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
        assert b'"length": 10' in reply
        assert server.process.wait(5) == 0
    finally:
        server.stop()


# Connections across workers


def test_keep_alive_connections_spread_across_workers():
    """2 workers, a burst of 50 keep-alive connections (as a load tool opens them): each worker
    serves >= 25% of the requests (asyncio alone accepts a whole burst in the first worker)."""
    server = Gunicorn("--workers", "2", "--keep-alive", "30")
    try:
        assert wait_for(lambda: len({fresh_get(server).getheader("X-Pid") for _ in range(20)}) == 2, 10)
        socks = []
        for _ in range(50):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", server.port))  # all 50 handshakes at once
            socks.append(sock)
        pids: Counter[bytes] = Counter()
        for sock in socks:
            sock.setblocking(True)
            sock.settimeout(10)
        for _ in range(4):
            for sock in socks:
                sock.sendall(b"GET /hello/ HTTP/1.1\r\nHost: x\r\n\r\n")
                reply = b""
                while not reply.endswith(b"hello"):
                    reply += sock.recv(4096)
                pids[reply.split(b"X-Pid: ", 1)[1].split(b"\r\n", 1)[0]] += 1
        for sock in socks:
            sock.close()
        assert len(pids) == 2, pids
        assert min(pids.values()) >= 0.25 * 200, pids
    finally:
        server.stop()


def test_worker_connections_bounds_the_connections_a_worker_holds():
    """Beyond --worker-connections, a new connection waits in the backlog until one closes."""
    server = Gunicorn("--worker-connections", "3", "--keep-alive", "30")
    try:
        held = [server.connection() for _ in range(3)]
        for conn in held:
            keep_alive_pid(conn)
        extra = server.connect()
        extra.settimeout(1)
        extra.sendall(b"GET /hello/ HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(TimeoutError):
            extra.recv(100)
        held.pop().close()
        extra.settimeout(5)
        assert extra.recv(100).startswith(b"HTTP/1.1 200 ")
        for conn in held:
            conn.close()
    finally:
        server.stop()


# Throttles across workers


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_redis_throttle_is_exact_across_workers():
    """2 workers, Redis cache, AsyncAnonRateThrottle at 10/min, 40 concurrent requests from one
    client: exactly 10 are allowed, 30 get 429 (DRF's read-then-write lets up to 27 through)."""
    server = Gunicorn("--workers", "2", env={"DRF_ASYNC_TEST_CACHE_PREFIX": f"drf-async-{uuid.uuid4().hex}"})
    try:
        assert wait_for(lambda: len({fresh_get(server).getheader("X-Pid") for _ in range(20)}) == 2, 10)
        conns = [server.connection() for _ in range(40)]
        pids = Counter(keep_alive_pid(conn) for conn in conns)
        assert len(pids) == 2, pids  # the race is across workers
        start = threading.Barrier(40)
        answers: list[int] = []

        def one(conn: http.client.HTTPConnection) -> None:
            start.wait(5)
            conn.request("GET", "/throttled/", headers={"Accept": "application/json"})
            response = conn.getresponse()
            response.read()
            answers.append(response.status)

        threads = [threading.Thread(target=one, args=(conn,)) for conn in conns]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        assert Counter(answers) == {200: 10, 429: 30}, Counter(answers)
    finally:
        server.stop()


# Protocol edges


@pytest.fixture(scope="module", params=["AiohttpWorker", "AiohttpUVLoopWorker"])
def server(request):
    """The protocol edges on both workers: uvloop's transports are not asyncio's."""
    if request.param == "AiohttpUVLoopWorker":
        pytest.importorskip("uvloop")
    instance = Gunicorn("--keep-alive", "30", worker=f"drf_async.worker.{request.param}")
    yield instance
    instance.stop()


def test_half_closed_client_gets_its_response(server):
    """A client that shuts down its sending side after a complete request reads the response."""
    sock = server.connect()
    sock.sendall(b"GET /hello/ HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.shutdown(socket.SHUT_WR)
    reply = read_all(sock)
    # An interim 100 Continue may come first: it tells a half-close from a client that left.
    final = reply.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert final.startswith(b"HTTP/1.1 200 "), reply[:200]
    assert final.endswith(b"\r\n\r\nhello")


def test_half_close_during_a_streamed_response_closes_after_it(server):
    """A client that half-closes while its (keep-alive) response streams gets all of it, and
    the server closes the connection then, not after the keep-alive timeout."""
    sock = server.connect()
    sock.sendall(b"GET /stream/?n=20&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n")
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ")
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(3)
    reply = first
    while chunk := sock.recv(65536):  # until the server closes; TimeoutError after 3 s without
        reply += chunk
    assert reply.endswith(b"\r\n0\r\n\r\n")
    assert reply.count(bytes([65 + 19]) * 1000) >= 1


def test_half_closed_http_10_client_gets_its_response(server):
    """The same over HTTP/1.0, which gets no interim response."""
    sock = server.connect()
    sock.sendall(b"GET /hello/ HTTP/1.0\r\n\r\n")
    sock.shutdown(socket.SHUT_WR)
    reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.0 200 "), reply[:200]
    assert reply.endswith(b"\r\n\r\nhello")


def test_half_closed_client_with_a_slow_view(server):
    """Half-close during a slow view: the view is not cancelled, the response arrives."""
    sock = server.connect()
    sock.sendall(b"GET /sleep/?s=0.5 HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.shutdown(socket.SHUT_WR)
    reply = read_all(sock)
    assert b"HTTP/1.1 200 " in reply and reply.endswith(b"slept"), reply[:200]


def test_valid_request_pipelined_before_a_malformed_one(server):
    """The valid request is answered first, then the malformed one gets a 400 and the connection closes."""
    sock = server.connect()
    reply = raw_request(sock, b"GET /hello/ HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE-LINE\x01\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:300]
    first, _, rest = reply.partition(b"\r\n\r\nhello")
    assert rest.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 ")), reply[:300]


def test_three_pipelined_requests_with_bodies(server):
    """Pipelined requests whose bodies hold CRLFCRLF are each answered, in order."""
    body = b"a\r\n\r\nb"
    one = b"POST /upload/ HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    last = b"GET /hello/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    reply = raw_request(server.connect(), one + one + last)
    assert reply.count(b"HTTP/1.1 200 ") == 3, reply
    assert reply.count(b'"length": 6') == 2 and reply.endswith(b"hello")


def test_error_bodies_do_not_echo_the_request(server):
    """A malformed request's 400 names the status, not the bytes the client sent."""
    reply = raw_request(server.connect(), b"GET /<script>x</script> HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
    assert reply.startswith((b"HTTP/1.0 400 ", b"HTTP/1.1 400 ")), reply[:200]
    assert b"script" not in reply and b"Bad Header" not in reply
    assert reply.endswith(b"\r\n\r\nBad Request")


def test_server_header_names_no_versions(server):
    """The Server header is gunicorn's ("gunicorn"), on app responses and on the server's own errors."""
    assert fresh_get(server).getheader("Server") == "gunicorn"
    reply = raw_request(server.connect(), b"NOT HTTP\r\n\r\n")
    assert b"\r\nServer: gunicorn\r\n" in reply
    assert b"Python" not in reply and b"aiohttp" not in reply
