"""
Real gunicorn masters with `AiohttpWorker` workers on 127.0.0.1 (ephemeral ports) or a unix
socket, serving the tiny Django project in tests/server/ through `AsyncHandler`, Django's
stock ASGI handler, or a raw ASGI app that breaks the protocol on purpose.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.server.gunicorn import Gunicorn, raw_request

pytestmark = pytest.mark.server

ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s "%({x-test}i)s" %(m)s %(U)s %(q)s %(H)s'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    access_log = tmp_path_factory.mktemp("access") / "access.log"
    instance = Gunicorn(
        "--timeout", "1",
        "--keep-alive", "5",
        "--limit-request-line", "200",
        "--limit-request-fields", "20",
        "--limit-request-field_size", "300",
        "--access-logfile", str(access_log),
        "--access-logformat", ACCESS_FORMAT,
    )
    instance.access_log = access_log
    yield instance
    instance.stop()


def get(server: Gunicorn, path: str, headers: dict[str, str] | None = None):
    conn = server.connection()
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


# HTTP behaviour


def test_keep_alive_reuses_the_connection(server):
    """Several requests on one connection are served on that same connection by one worker."""
    conn = server.connection()
    conn.request("GET", "/hello/")
    first = conn.getresponse()
    assert first.read() == b"hello"
    sock = conn.sock
    pids = {first.getheader("X-Pid")}
    for _ in range(4):
        conn.request("GET", "/hello/")
        response = conn.getresponse()
        assert response.status == 200 and response.read() == b"hello"
        pids.add(response.getheader("X-Pid"))
    assert conn.sock is sock
    assert len(pids) == 1
    conn.close()


def test_chunked_upload_reaches_the_view_whole(server):
    """A chunked request body (300 KB in 64 KB chunks) reaches the view byte for byte."""
    body = os.urandom(300_000)
    conn = server.connection()
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    conn.request("POST", "/upload/", body=chunks, encode_chunked=True)
    response = conn.getresponse()
    data = json.loads(response.read())
    import hashlib

    assert data == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    conn.close()


def test_streamed_download_is_chunked_and_complete(server):
    """A streaming response arrives chunked (no Content-Length) and complete, 3.2 MB of it."""
    response, body = get(server, "/stream/?n=50&size=65536")
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    assert len(body) == 50 * 65536
    assert body[:65536] == b"A" * 65536 and body[-65536:] == bytes([65 + 49 % 26]) * 65536


def test_two_set_cookie_headers_stay_two(server):
    """Repeated response headers are kept: two cookies give two Set-Cookie headers."""
    response, _ = get(server, "/cookies/")
    cookies = [value for name, value in response.getheaders() if name.lower() == "set-cookie"]
    assert [c.split(";")[0] for c in cookies] == ["first=1", "second=2"]


def test_drf_async_view(server):
    """An AsyncAPIView answers through the worker and AsyncHandler with DRF's JSON."""
    response, body = get(server, "/drf/", {"Accept": "application/json"})
    assert response.status == 200
    assert json.loads(body) == {"hello": "world"}


def test_client_closing_early_cancels_the_view(server, tmp_path):
    """A client that leaves while the view awaits makes the view see CancelledError at once."""
    marker = tmp_path / "marker"
    sock = server.connect()
    sock.sendall(f"GET /sleep/?s=5&marker={marker} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.3)
    sock.close()
    assert wait_for(lambda: marker.exists() and marker.read_text() == "cancelled", 3)


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        (b"GET /" + b"a" * 300 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /hello/ HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(30)) + b"\r\n", 431),
        (b"GET /hello/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 400 + b"\r\n\r\n", 431),
    ],
    ids=["limit_request_line", "limit_request_fields", "limit_request_field_size"],
)
def test_request_limits_answer_gunicorns_statuses(server, request_head, status):
    """gunicorn's limit_request_* settings are enforced with gunicorn's statuses (414 / 431)."""
    reply = raw_request(server.connect(), request_head)
    assert reply.split(b" ", 2)[1] == b"%d" % status, reply[:100]


def test_secure_scheme_header_from_a_trusted_proxy(server):
    """X-Forwarded-Proto from an address in forwarded_allow_ips (127.0.0.1) makes the scheme https."""
    _, body = get(server, "/scope/", {"X-Forwarded-Proto": "https"})
    assert json.loads(body)["scheme"] == "https"
    _, body = get(server, "/scope/")
    assert json.loads(body)["scheme"] == "http"
    reply = raw_request(
        server.connect(), b"GET /scope/ HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.1 400 "), reply[:100]


def test_http_10_and_client_address(server):
    """An HTTP/1.0 request gets http_version "1.0" and REMOTE_ADDR is the client's address."""
    reply = raw_request(server.connect(), b"GET /scope/ HTTP/1.0\r\n\r\n")
    data = json.loads(reply.split(b"\r\n\r\n", 1)[1])
    assert data["http_version"] == "1.0"
    assert data["remote_addr"] == "127.0.0.1"


def test_expect_100_continue(server):
    """A request with Expect: 100-continue gets "100 Continue" before it sends its body."""
    sock = server.connect()
    sock.sendall(b"POST /upload/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    sock.sendall(b"hello")
    reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert b'"length": 5' in reply
    sock.close()


def test_access_log_uses_gunicorns_format_atoms(server):
    """The access log line follows access_log_format, atoms and request-header atoms included."""
    get(server, "/hello/?a=1", {"X-Test": "marker-42"})
    expected = '127.0.0.1 "GET /hello/?a=1 HTTP/1.1" 200 5 "marker-42" GET /hello/ a=1 HTTP/1.1'
    assert wait_for(lambda: expected in server.access_log.read_text(), 3), server.access_log.read_text()


def test_heartbeat_keeps_the_worker_alive(server):
    """With --timeout 1 the worker, idle or busy on the loop, keeps notifying the master."""
    first, _ = get(server, "/hello/")
    time.sleep(2.5)
    second, _ = get(server, "/hello/")
    assert first.getheader("X-Pid") == second.getheader("X-Pid")
    assert "WORKER TIMEOUT" not in server.log()


# Process lifecycle


def test_sigterm_lets_the_request_in_flight_complete():
    """SIGTERM stops the server only after the request in flight got its response."""
    server = Gunicorn()
    try:
        results = []

        def slow_request():
            results.append(get(server, "/sleep/?s=1.5"))

        thread = threading.Thread(target=slow_request)
        thread.start()
        time.sleep(0.5)
        server.signal(signal.SIGTERM)
        thread.join(10)
        assert results and results[0][0].status == 200 and results[0][1] == b"slept"
        assert server.process.wait(10) == 0
    finally:
        server.stop()


def test_max_requests_recycles_workers_exactly_without_failures():
    """Each worker serves exactly max_requests requests, then is replaced; no request fails."""
    server = Gunicorn("--max-requests", "5", "--workers", "1")
    try:
        # The readiness probe was the first worker's first request.
        pids = Counter()
        conn = server.connection()
        for _ in range(19):
            conn.request("GET", "/hello/")
            response = conn.getresponse()
            assert response.status == 200 and response.read() == b"hello"
            pids[response.getheader("X-Pid")] += 1
        conn.close()
        assert sorted(pids.values()) == [4, 5, 5, 5]

        # A small concurrent load while workers recycle: nothing fails.
        failures = []

        def load():
            for _ in range(10):
                try:
                    status, _ = get(server, "/hello/")[0].status, None
                    if status != 200:
                        failures.append(status)
                except OSError as exc:
                    failures.append(exc)

        threads = [threading.Thread(target=load) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert failures == []
    finally:
        server.stop()


def test_unix_socket_bind():
    """bind=unix:PATH serves over a unix socket (no client address)."""
    server = Gunicorn(unix=True)
    try:
        response, body = get(server, "/scope/")
        assert response.status == 200
        assert json.loads(body)["scheme"] == "http"
    finally:
        server.stop()


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command")
def test_certfile_and_keyfile_serve_https(tmp_path):
    """certfile/keyfile serve TLS, and the request's scheme is https."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server = Gunicorn.__new__(Gunicorn)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    server.connection = lambda timeout=10: http.client.HTTPSConnection(  # type: ignore[method-assign]
        "127.0.0.1", server.port, timeout=timeout, context=context
    )
    Gunicorn.__init__(server, "--certfile", str(cert), "--keyfile", str(key))
    try:
        response, body = get(server, "/scope/")
        assert json.loads(body)["scheme"] == "https"
    finally:
        server.stop()


# Any ASGI application


@pytest.fixture(scope="module")
def raw_server():
    previous = os.environ.get("SCRIPT_NAME")
    os.environ["SCRIPT_NAME"] = "/mount"
    try:
        instance = Gunicorn(app="tests.server.asgi:raw")
    finally:
        if previous is None:
            del os.environ["SCRIPT_NAME"]
        else:
            os.environ["SCRIPT_NAME"] = previous
    yield instance
    instance.stop()


def test_raw_app_scope_lifespan_state_and_repeated_headers(raw_server):
    """Lifespan startup ran (its state reaches the scope), root_path prefixes the path, headers repeat."""
    response, body = get(raw_server, "/x", {"Host": "h"})
    scope = eval(body)  # the app's repr() of a dict of plain values
    assert scope["state"] == "yes"
    assert scope["root_path"] == "/mount"
    assert scope["path"] == "/mount/x"
    assert scope["http_version"] == "1.1"
    assert scope["client"][0] == "127.0.0.1"
    assert [v for k, v in response.getheaders() if k.lower() == "x-a"] == ["1", "2"]


def test_app_exception_before_response_is_a_logged_500(raw_server):
    """An app that raises before starting its response gives a 500 and a logged traceback."""
    response, _ = get(raw_server, "/raise")
    assert response.status == 500
    assert wait_for(lambda: "boom before the response" in raw_server.log(), 3)


def test_app_returning_without_response_is_a_logged_500(raw_server):
    """An app that returns without starting a response gives a 500 and a logged error."""
    response, _ = get(raw_server, "/return")
    assert response.status == 500
    assert wait_for(lambda: "returned without starting a response" in raw_server.log(), 3)


def test_app_exception_mid_response_closes_the_connection(raw_server):
    """An app that fails after starting its response leaves the body incomplete and the error logged."""
    with pytest.raises(http.client.IncompleteRead):
        get(raw_server, "/partial")
    assert wait_for(lambda: "boom in the middle" in raw_server.log(), 3)


def test_whole_response_extension(raw_server):
    """``drf_async.response``: one call sends the status, repeated headers (hop-by-hop ones
    dropped, the worker's Server added) and the body with its Content-Length."""
    conn = raw_server.connection()
    conn.request("GET", "/respond")
    response = conn.getresponse()
    assert (response.status, response.read()) == (201, b"whole")
    assert [v for k, v in response.getheaders() if k.lower() == "x-a"] == ["1", "2"]
    assert [k.lower() for k, _ in response.getheaders()].count("connection") <= 1
    assert response.getheader("Content-Length") == "5"
    assert response.getheader("Server") == "gunicorn"
    conn.request("GET", "/x")  # the connection is kept alive
    assert conn.getresponse().status == 200
    conn.close()


def test_whole_response_after_start_is_a_logged_error(raw_server):
    """``respond()`` after ``http.response.start`` breaks the protocol: a logged 500."""
    response, _ = get(raw_server, "/respond-twice")
    assert response.status == 500
    assert wait_for(lambda: "the response has already started" in raw_server.log(), 3)


@pytest.fixture(scope="module")
def asgi_messages_server():
    instance = Gunicorn(app="tests.server.asgi:asgi_messages")
    yield instance
    instance.stop()


def exchange(server: Gunicorn, method: str, path: str) -> tuple[Any, ...]:
    """What a client sees of one request, but the Date header and the worker's pid."""
    conn = server.connection()
    try:
        conn.request(method, path, headers={"Accept": "application/json"})
        response = conn.getresponse()
        body = response.read()
        headers = sorted((k.lower(), v) for k, v in response.getheaders() if k.lower() not in ("date", "x-pid"))
        closed = response.will_close
        return response.status, headers, body, closed
    finally:
        conn.close()


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/hello/"),
        ("GET", "/cookies/"),
        ("GET", "/drf/"),
        ("HEAD", "/drf/"),
        ("GET", "/missing/"),
        ("GET", "/headers/"),
        ("HEAD", "/headers/?length=10"),
        ("GET", "/headers/?close=1"),
        ("GET", "/headers/?size=65536"),
        ("GET", "/headers/?size=70000"),
        ("GET", "/stream/?n=3"),
    ],
)
def test_whole_responses_match_asgi_messages(server, asgi_messages_server, method, path):
    """
    `AsyncHandler` on the worker sends its responses through ``drf_async.response``; the client
    sees what it sees of the same responses sent in ASGI messages: status, headers (cookies,
    Content-Length, a latin-1 value, ``Connection: close``), body and whether the connection
    stays open.
    """
    assert exchange(server, method, path) == exchange(asgi_messages_server, method, path)


def test_djangos_stock_asgi_handler_is_served():
    """Django's own ASGIHandler works on the worker, client-disconnect cancellation included."""
    server = Gunicorn(app="tests.server.asgi:django_application")
    try:
        response, body = get(server, "/cookies/")
        assert response.status == 200
        assert len([v for k, v in response.getheaders() if k.lower() == "set-cookie"]) == 2
        # A slow view that completes: Django's disconnect listener must not fire early.
        response, body = get(server, "/sleep/?s=0.3")
        assert (response.status, body) == (200, b"slept")
        marker = Path(server.tmp.name) / "marker"
        sock = server.connect()
        sock.sendall(f"GET /sleep/?s=5&marker={marker} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        time.sleep(0.3)
        sock.close()
        assert wait_for(lambda: marker.exists() and marker.read_text() == "cancelled", 3)
    finally:
        server.stop()


def test_uvloop_worker_serves():
    """AiohttpUVLoopWorker serves on a uvloop event loop; AiohttpWorker on asyncio's own."""
    pytest.importorskip("uvloop")
    server = Gunicorn(worker="drf_async.worker.AiohttpUVLoopWorker")
    try:
        response, body = get(server, "/scope/")
        assert response.status == 200 and json.loads(body)["loop"] == "uvloop"
    finally:
        server.stop()


def test_plain_worker_runs_asyncio_loop(server):
    response, body = get(server, "/scope/")
    assert json.loads(body)["loop"].startswith("asyncio")


def test_reload_restarts_the_worker_when_a_watched_file_changes(tmp_path):
    """--reload (with --reload-extra-file): a change to a watched file replaces the worker, which serves on."""
    watched = tmp_path / "watched.txt"
    watched.write_text("one")
    server = Gunicorn("--reload", "--reload-extra-file", str(watched))
    try:
        response, _ = get(server, "/hello/")
        first_pid = response.getheader("X-Pid")
        time.sleep(1.5)  # past the reloader's first scan, so the change is seen as one
        watched.write_text("two")

        def new_worker_serves() -> bool:
            try:
                response, body = get(server, "/hello/")
            except OSError:
                return False
            return response.status == 200 and response.getheader("X-Pid") != first_pid

        assert wait_for(new_worker_serves, 15)
    finally:
        server.stop()
