"""
The ASGI-over-aiohttp bridge under `drf_async.worker.AiohttpWorker`: aiohttp's HTTP server
(its C parser and writer) driving an ASGI 3 application, with no gunicorn in sight.

- `Cycle`: one request and its response between aiohttp and the application:
  ``http.disconnect`` only once the client has left or the response is complete, repeated
  headers kept, bodies streamed with backpressure, ``Expect: 100-continue``.
- `HTTPProtocol` / `HTTPServer`: aiohttp's connection handler and server, with what an
  operator needs from them: drains that drop nothing (`HTTPServer.drain`), half-closed
  clients answered, pipelined requests answered up to a malformed one, a ``Server`` header
  without versions and error bodies that echo nothing the client sent.
- `Acceptor`: accepts from a listening socket shared with other processes, one connection
  per readiness event, deferring to a peer that holds fewer, never more than a bound, so N
  workers share connections evenly.
- `Lifespan`: the ASGI lifespan protocol.

The gunicorn side (settings, signals, when to drain) is `drf_async.worker`.
"""

from __future__ import annotations

import asyncio
import errno
import http
import inspect
import select
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from aiohttp import hdrs, web
from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server
from asgiref.sync import iscoroutinefunction

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

# Response headers aiohttp computes from the response it writes.
_HOP_BY_HOP = frozenset({"transfer-encoding", "connection", "keep-alive"})
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# Where a cycle records the body bytes it sent, for the access log's %(b)s / %(B)s.
SENT = "drf_async.sent"
# How often a drain looks for connections that became idle (it is also woken by each
# connection that closes).
_DRAIN_SWEEP = 0.05
# How long an acceptor holding more connections than a peer leaves a new one to that peer.
_ACCEPT_LAG = 0.001
# At most this many connections accepted per readiness event.
_ACCEPT_BATCH = 32
# A drain leaves a just-answered keep-alive connection a moment for its client's next request
# (which may be on the wire), then closes it: four times the client's usual pause between a
# response and its next request, within these bounds.
_GRACE_MIN = 0.05
_GRACE_MAX = 1.0
# Linux's TCP_CLOSE in tcp_info.tcpi_state: the peer answered with a reset.
_TCP_CLOSE = 7

# A request body must arrive within the host's body_timeout, extended by a second per this
# many bytes received (Apache mod_reqtimeout's MinRate): a slow upload goes on, a client
# that dribbles a byte a second does not hold the connection for ever.
_BODY_MIN_RATE = 500
# What may be left of a body the application did not read for the connection to be kept
# alive (aiohttp reads and discards it); past it, or of unknown length, the connection closes.
_UNREAD_BODY_KEPT = 64 * 1024


class ServerError(Exception):
    """The application broke the ASGI protocol, or the request cannot be mapped to a scope."""


class Host:
    """What the bridge asks of the server process around it (`AiohttpWorker`)."""

    log: Any
    draining: bool
    server_header: str
    # Seconds a request body may take to arrive, plus one per _BODY_MIN_RATE bytes
    # received; None: no limit.
    body_timeout: float | None = None

    def is_request_line_error(self, exc: LineTooLong) -> bool:
        raise NotImplementedError

    def connection_closed(self) -> None:
        """A connection ended (an `Acceptor` at its bound may take another)."""


class Peers:
    """The other processes accepting from the same sockets, as an `Acceptor` sees them."""

    # Other processes are to accept too (gunicorn's workers > 1), even while none is known yet.
    expected = False

    def fewest(self) -> int | None:
        """The connections of the least loaded other process (None: no other is known)."""
        return None

    def report(self, connections: int) -> None:
        """This process now holds *connections*."""


class _PipelineParser:
    """
    aiohttp's request parser, fed one request head at a time.

    aiohttp parses all the bytes of one read at once and, on the first malformed request,
    replaces everything it parsed with a 400 (aiohttp.web_protocol.RequestHandler.data_received):
    a valid request pipelined before a malformed one is never answered. The parser is
    incremental, so splitting a read after each ``CRLFCRLF`` changes nothing else; the
    requests before a malformed one are returned, and its error is raised on the next feed.
    """

    def __init__(self, parser: Any) -> None:
        self._parser = parser
        self.error: HttpProcessingError | None = None

    def feed_data(self, data: bytes) -> tuple[list[Any], bool, bytes]:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        end = data.find(b"\r\n\r\n")
        if end == -1 or end + 4 >= len(data):
            return self._parser.feed_data(data)  # the common case: at most one request head
        messages: list[Any] = []
        start = 0
        upgraded, tail = False, b""
        while start < len(data):
            end = data.find(b"\r\n\r\n", start)
            stop = len(data) if end == -1 else end + 4
            try:
                parsed, upgraded, tail = self._parser.feed_data(data[start:stop])
            except HttpProcessingError as exc:
                if not messages:
                    raise
                self.error = exc
                return messages, False, b""
            messages.extend(parsed)
            if upgraded:
                return messages, True, tail + data[stop:]
            start = stop
        return messages, upgraded, tail

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


class HTTPProtocol(RequestHandler):
    """aiohttp's connection handler, for ASGI applications and for workers that drain."""

    cycle: Cycle | None = None
    # Bytes of a request head arrived while the connection waited for a request.
    _partial = False
    # The client shut down its sending side after a complete request.
    half_closed = False
    # Requests parsed, and requests answered, on this connection.
    _received = 0
    _answered = 0
    _answered_at = 0.0
    # How long this connection's client usually takes to send its next request (a moving average).
    _pause: float | None = None
    _probe: asyncio.TimerHandle | None = None
    _probed = False

    def __init__(self, manager: HTTPServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(manager, *args, **kwargs)
        # aiohttp drops its `_manager` when the connection is lost, and a response may still be
        # finishing then (a client that leaves mid-response): keep the host for this connection.
        self._host = manager.host
        self._pipeline: _PipelineParser | None = None
        for name in ("_parser", "_request_parser"):  # aiohttp >= 3.11, and before
            parser = getattr(self, name, None)
            if parser is not None:
                self._pipeline = _PipelineParser(parser)
                setattr(self, name, self._pipeline)
                break

    @property
    def host(self) -> Host:
        return self._host

    def data_received(self, data: bytes) -> None:
        queued = len(self._messages)
        super().data_received(data)
        if self._pipeline is not None and self._pipeline.error is not None:
            super().data_received(b"")  # queues the 400 of the malformed request, after the valid ones
        arrived = len(self._messages) - queued
        if arrived and self._answered and self._received == self._answered:
            pause = self._loop.time() - self._answered_at  # a keep-alive request after an idle pause
            self._pause = pause if self._pause is None else 0.7 * self._pause + 0.3 * pause
        self._received += arrived
        if data:
            waiting = self._waiter is not None and not self._waiter.done()
            self._partial = waiting and self._received == self._answered

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio.Protocol allows a bool
        # RFC 9112 §9.6: a client may shut down its sending side after a complete request
        # and still read the response (aiohttp closes the transport, and the response is
        # lost). Without a whole request to answer, EOF closes the connection as before.
        if self._received == self._answered or not self._requests_complete():
            return None
        self.half_closed = True
        self._watch_peer(0.01)
        return True  # keep the transport open for writing

    def _requests_complete(self) -> bool:
        if self._messages:
            return self._messages[-1][1].is_eof()
        return self.cycle is None or self.cycle.request_complete()

    def _watch_peer(self, delay: float) -> None:
        self._probe = self._loop.call_later(delay, self._peer_left, min(delay * 2, 1.0))

    def _peer_left(self, next_delay: float) -> None:
        """
        A half-closed client and one that closed its socket look alike until the server writes:
        the second answers data with a reset. An interim ``100 Continue`` (which an HTTP/1.1
        client must accept at any time, RFC 9110 §15.2) tells them apart, so a client that left
        still cancels its view. Checked until the request is answered.
        """
        self._probe = None
        transport, cycle = self.transport, self.cycle
        if transport is None or self._received == self._answered:
            return
        if cycle is not None and not cycle.started and not self._probed and cycle.request.version >= (1, 1):
            self._probed = cycle.continue_sent = True
            transport.write(_CONTINUE)
        sock = transport.get_extra_info("socket")
        try:
            reset = bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
            if not reset and sock.family in (socket.AF_INET, socket.AF_INET6):
                reset = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == _TCP_CLOSE
        except (OSError, AttributeError):
            reset = False
        if reset:
            transport.abort()  # connection_lost() cancels the request, as for any client that left
        else:
            self._watch_peer(next_delay)

    def connection_lost(self, exc: BaseException | None) -> None:
        cycle = self.cycle
        if self._probe is not None:
            self._probe.cancel()
        super().connection_lost(exc)
        if cycle is not None:
            cycle.client_gone()

    def closes_after_response(self) -> bool:
        """Whether the response being started should carry ``Connection: close``."""
        # Requests already queued behind it (pipelined) are answered first.
        return (self.host.draining or self.half_closed) and not self._messages

    def close_if_idle(self) -> bool:
        """
        Close the connection now if it waits for a request, none has started to arrive and
        its last response is not so recent that its client's next request may be on the wire.
        """
        if self.transport is None:
            return True
        if self.half_closed and self._received == self._answered:
            self.force_close()  # EOF seen and all answered (the socket stays readable at EOF)
            return True
        waiting = self._waiter is not None and not self._waiter.done()
        if not waiting or self._received > self._answered or self._partial or self._bytes_waiting():
            # A request is in progress or arriving: it is answered, with Connection: close.
            return False
        grace = _GRACE_MIN if self._pause is None else min(max(4 * self._pause, _GRACE_MIN), _GRACE_MAX)
        if self._loop.time() - self._answered_at < grace:
            return False  # its client's next request may be on the wire
        self.force_close()
        return True

    def _bytes_waiting(self) -> bool:
        """Bytes (or EOF) the loop has not read yet: a request sent just as the drain began."""
        transport = self.transport
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is None:
            return False
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        return bool(poller.poll(0))

    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        # gunicorn's statuses for its request limits: 414 for the request line, 431 for
        # header fields (aiohttp answers 400 to both).
        if isinstance(exc, LineTooLong):
            status = 414 if self.host.is_request_line_error(exc) else 431
        elif isinstance(exc, BadHttpMessage) and exc.message == "Too many headers received":
            status = 431
        if isinstance(exc, BadHttpMessage):
            # A malformed request is the client's fault: a warning, as gunicorn logs it. The
            # body names the status only: aiohttp's message quotes the bytes received.
            self.host.log.warning("Invalid request from ip=%s: %s", request.remote, exc)
            response = web.Response(status=status, text=http.HTTPStatus(status).phrase)
            response.force_close()
            return response
        return super().handle_error(request, status, exc, message)

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        # Responses the bridge did not write itself: errors, 400s of malformed requests.
        if not resp.prepared:
            stamp(resp, self.host.server_header)
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            self._answered += 1
            self._answered_at = self._loop.time()
            if self.half_closed and self._received == self._answered:
                self.close()  # the client sends nothing more: close once all is answered


class HTTPServer(Server):
    """aiohttp's low-level server, making `HTTPProtocol` connection handlers for *host*."""

    def __init__(self, host: Host, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.host = host
        # Connections whose transport is open (aiohttp keeps a closed one in `connections`
        # until its handler task has finished).
        self.open = 0
        self._closed: asyncio.Event | None = None

    def __call__(self) -> RequestHandler:
        return HTTPProtocol(self, loop=self._loop, **self._kwargs)

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        self.open += 1

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        super().connection_lost(handler, exc)
        self.open -= 1
        if self._closed is not None:
            self._closed.set()
        self.host.connection_closed()

    async def drain(self, timeout: float) -> None:
        """
        Close idle connections now, let the others finish their requests (each answered with
        ``Connection: close``), and return as soon as none is left, at the latest after
        *timeout* seconds, when what is left is cancelled.

        aiohttp's own `shutdown()` is not enough: it waits the whole timeout for an idle
        keep-alive connection, and the request that arrives meanwhile is ignored, since
        data_received() drops bytes once shutdown has begun.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._closed = asyncio.Event()
        while True:
            # The first sweep runs before anything else can: bytes already received count.
            for conn in self.connections:
                conn.close_if_idle()  # type: ignore[attr-defined]
            remaining = deadline - loop.time()
            if not self.connections or remaining <= 0:
                break
            self._closed.clear()
            try:
                await asyncio.wait_for(self._closed.wait(), min(_DRAIN_SWEEP, remaining))
            except asyncio.TimeoutError:
                pass
        if self.connections:
            await self.shutdown(0.1)  # cancels the handlers still running


class Acceptor:
    """
    Accepts connections from a listening socket that other worker processes share.

    asyncio's server accepts up to ``backlog`` connections per readiness event (CPython
    bpo-27906), and gunicorn's backlog is 2048: the first worker to wake takes a whole burst
    of connections, so every keep-alive connection of a load test lands on one worker.
    This acceptor takes connections (up to ``_ACCEPT_BATCH`` per event) only while no peer
    holds fewer; when *peers* tell of a process holding fewer connections it waits a moment
    (all are woken together, the first to call accept() wins), so N workers share
    connections evenly; a busy peer that does not take the
    connection in that moment does not delay it further. It stops accepting at *limit*
    connections (gunicorn's ``worker_connections``), leaving the next ones in the shared
    backlog for another worker.
    """

    def __init__(
        self, server: HTTPServer, sock: socket.socket, ssl: Any, limit: int, log: Any, peers: Peers | None = None
    ) -> None:
        self.server = server
        self.peers = peers or Peers()
        self.sock = sock
        self.ssl = ssl
        self.limit = limit
        self.log = log
        self.pending = 0
        self.reading = False
        self.closed = False
        self._loop = asyncio.get_running_loop()
        self._retry: asyncio.TimerHandle | None = None
        sock.setblocking(False)

    @property
    def connections(self) -> int:
        return self.server.open + self.pending

    def resume(self) -> None:
        if not self.reading and not self.closed and self._retry is None and self.connections < self.limit:
            self.reading = True
            self._loop.add_reader(self.sock.fileno(), self._ready)

    def pause(self) -> None:
        if self.reading:
            self.reading = False
            self._loop.remove_reader(self.sock.fileno())

    def close(self) -> None:
        """Stop accepting (connections left in the backlog are another worker's)."""
        self.closed = True
        self.pause()
        if self._retry is not None:
            self._retry.cancel()

    def _ready(self) -> None:
        # Up to _ACCEPT_BATCH connections per event while no peer holds fewer (one while
        # the peers expected have not shown up on the board yet): one at a time
        # would take a loop iteration each, and under load an iteration is long (512
        # connections opened at once waited seconds to be accepted).
        for _ in range(_ACCEPT_BATCH):
            fewest = self.peers.fewest()
            if fewest is None and self.peers.expected:
                self._accept()  # one at a time until the other workers are known (booting)
                return
            if fewest is not None and self.connections > fewest:
                self.pause()  # a peer with fewer connections takes this one, if it is free to
                self._retry = self._loop.call_later(_ACCEPT_LAG, self._accept_and_resume)
                return
            if not self._accept() or not self.reading:
                return

    def _accept_and_resume(self) -> None:
        self._retry = None
        if not self.closed:
            self._accept()
            self.resume()

    def _accept(self) -> bool:
        """Accept one connection; False when there was none to take (or an error)."""
        try:
            conn, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return False  # another worker took it, or the backlog is empty
        except OSError as exc:
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                # Linux keeps reporting the socket readable: retry later, as asyncio does.
                self.log.error("Out of resources accepting connections: %s", exc)
                self.pause()
                self._retry = self._loop.call_later(1.0, self._accept_and_resume)
            else:
                self.log.warning("Error accepting a connection: %s", exc)
            return False
        conn.setblocking(False)
        self.pending += 1
        self.peers.report(self.connections)
        if self.connections >= self.limit:
            self.pause()
        self._loop.create_task(self._connect(conn))
        return True

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self.server, conn, ssl=self.ssl)
        except Exception as exc:  # a failed TLS handshake, a client that left at once
            self.log.debug("Connection setup failed: %r", exc)
            conn.close()
        finally:
            self.pending -= 1


class Cycle:
    """One HTTP request and its response, between aiohttp and an ASGI application."""

    def __init__(self, request: web.BaseRequest, protocol: HTTPProtocol) -> None:
        self.request = request
        self.protocol = protocol
        self.response: web.StreamResponse | None = None
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.started = False
        self.complete = False
        self.body_done = False
        self.continue_sent = False
        self.disconnected = protocol.transport is None
        self._gone: asyncio.Future[None] | None = None
        self.received = 0
        self._body_deadline: float | None = None
        # The ``drf_async.disconnect`` scope extension: the application may set a callback
        # to be called when the client leaves mid-request, instead of listening on receive().
        self.disconnect_hook: dict[str, Callable[[], None] | None] = {"callback": None}

    def request_complete(self) -> bool:
        """The whole request body has arrived (or there is none)."""
        return self.body_done or self.request.content.is_eof()

    # The ASGI side

    async def receive(self) -> Message:
        if not self.body_done and not self.disconnected:
            content = self.request.content
            if not self.continue_sent:
                self.continue_sent = True
                if content.at_eof():
                    self.body_done = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                if self.request.version >= (1, 1) and self.request.headers.get("Expect", "").lower() == "100-continue":
                    await self.request.writer.write(_CONTINUE)
            try:
                body = content.read_nowait() or await self._read_body_chunk(content)
            except (ConnectionError, asyncio.CancelledError, asyncio.TimeoutError) as exc:
                if isinstance(exc, asyncio.CancelledError) and not self.disconnected:
                    raise
                self.disconnected = True
                if isinstance(exc, asyncio.TimeoutError):
                    self.protocol.host.log.info(
                        "Request body too slow from %s after %d bytes: connection closed", self.request.remote,
                        self.received,
                    )
                    self.protocol.force_close()
            else:
                self.received += len(body)
                self.body_done = content.at_eof()
                return {"type": "http.request", "body": body, "more_body": not self.body_done}
        if not (self.disconnected or self.complete):
            if self._gone is None:
                self._gone = asyncio.get_running_loop().create_future()
            await self._gone
        return {"type": "http.disconnect"}

    async def _read_body_chunk(self, content: Any) -> bytes:
        """The next chunk of the body, within the body's deadline (`Host.body_timeout`)."""
        timeout = self.protocol.host.body_timeout
        if not timeout:
            return await content.readany()  # type: ignore[no-any-return]
        loop = asyncio.get_running_loop()
        if self._body_deadline is None:
            self._body_deadline = loop.time() + timeout
        remaining = self._body_deadline + self.received / _BODY_MIN_RATE - loop.time()
        return await asyncio.wait_for(content.readany(), max(remaining, 0))  # type: ignore[no-any-return]

    def body_left_unread(self) -> bool:
        """More of the request body is on its way than is worth reading just to discard it."""
        if self.request_complete():
            return False
        length = self.request.content_length
        return length is None or length - self.received > _UNREAD_BODY_KEPT

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start" and not self.started:
            self.started = True
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))
        elif kind == "http.response.body" and self.started and not self.complete:
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if self.disconnected:
                # The client left: the application learns it from receive(); what it still
                # sends goes nowhere, without a traceback.
                self.complete = not more
                return
            try:
                await self._write(body, more)
            except ConnectionError:
                self.client_gone()
        elif kind == "http.response.trailers":
            pass  # "http.response.trailers" is not advertised in the scope's extensions.
        else:
            raise ServerError(f"Unexpected ASGI message {kind!r} (response started: {self.started}).")

    async def respond(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        """
        The ``drf_async.response`` extension: send a whole response, *headers* as text, in one
        call; the same response as ``http.response.start`` with these headers and one
        ``http.response.body`` (`AsyncHandler` uses it for its non-streaming responses).
        """
        if self.started:
            raise ServerError("drf_async.response: the response has already started.")
        self.started = True
        self.status = status
        if self.disconnected:
            self.complete = True
            return
        try:
            self._count(body)
            await self._write_whole(self._start(headers, body, False))
        except ConnectionError:
            self.client_gone()

    def _count(self, body: bytes) -> None:
        if self.request.method != "HEAD":
            self.request[SENT] = self.request.get(SENT, 0) + len(body)

    async def _write(self, body: bytes, more: bool) -> None:
        self._count(body)
        response = self.response
        if response is None:
            headers = ((name.decode("latin-1"), value.decode("latin-1")) for name, value in self.headers)
            response = self._start(headers, body, more)
            if not more:
                await self._write_whole(response)
                return
            await response.prepare(self.request)
        if body:
            await response.write(body)  # waits while the transport's buffer is full
        if not more:
            self.complete = True
            await response.write_eof()
            self._finished()

    async def _write_whole(self, response: web.StreamResponse) -> None:
        # One body: aiohttp writes headers and body in one go, with Content-Length.
        self.complete = True
        await response.prepare(self.request)
        await response.write_eof()
        self._finished()

    def _start(self, response_headers: Iterable[tuple[str, str]], body: bytes, more: bool) -> web.StreamResponse:
        response = web.Response(status=self.status) if not more else web.StreamResponse(status=self.status)
        self.response = response
        headers = response.headers
        has_length = False
        for name, value in response_headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP:
                if lower == "connection" and "close" in value.lower():
                    response.force_close()
                continue
            if lower == "content-length":
                has_length = True
            headers.add(name, value)
        if not more:
            assert isinstance(response, web.Response)
            if has_length:
                # The application's Content-Length stands (a HEAD response's, for one).
                response._body = body  # body setter would recompute Content-Length
            else:
                response.body = body
        stamp(response, self.protocol.host.server_header)
        if self.protocol.closes_after_response() or self.body_left_unread():
            response.force_close()
        return response

    def _finished(self) -> None:
        if self._gone is not None and not self._gone.done():
            self._gone.set_result(None)

    # The aiohttp side

    def client_gone(self) -> None:
        self.disconnected = True
        if self._gone is not None and not self._gone.done():
            self._gone.set_result(None)
        callback = self.disconnect_hook["callback"]
        if callback is not None and not self.complete:
            self.disconnect_hook["callback"] = None
            callback()


async def run_cycle(app: ASGIApp, scope: Scope, request: web.BaseRequest, log: Any) -> web.StreamResponse:
    """Run *app* for *request*; what it did wrong is logged and answered with a 500."""
    protocol = request.protocol
    assert isinstance(protocol, HTTPProtocol)
    cycle = Cycle(request, protocol)
    protocol.cycle = cycle
    extensions = scope.setdefault("extensions", {})
    extensions["drf_async.disconnect"] = cycle.disconnect_hook
    extensions["drf_async.response"] = {"respond": cycle.respond}  # a whole response in one call
    try:
        await app(scope, cycle.receive, cycle.send)
    except asyncio.CancelledError:
        raise
    except Exception:
        if not cycle.started or cycle.response is None:
            log.exception("Error handling request %s %s", request.method, request.raw_path)
            return error_response()
        if not cycle.complete:
            log.exception("Error handling request %s %s", request.method, request.raw_path)
            abort(request)
        return cycle.response
    finally:
        protocol.cycle = None
    if cycle.response is None:
        if cycle.disconnected:
            # The client left before a response: nothing to answer.
            abort(request)
            return web.Response(status=499)
        log.error(
            "ASGI application returned without %s response for %s %s",
            "completing its" if cycle.started else "starting a",
            request.method,
            request.raw_path,
        )
        return error_response()
    if not cycle.complete and not cycle.disconnected:
        log.error("ASGI application returned without completing its response for %s", request.raw_path)
        abort(request)
    return cycle.response


def error_response(status: int = 500) -> web.StreamResponse:
    response = web.Response(status=status, text=http.HTTPStatus(status).phrase)
    response.force_close()
    return response


def stamp(response: web.StreamResponse, server: str) -> None:
    """gunicorn's ``Server`` value, unless the application set one (aiohttp's names versions)."""
    if hdrs.SERVER not in response.headers:
        response.headers[hdrs.SERVER] = server


def abort(request: web.BaseRequest) -> None:
    """Close the connection of a response that cannot be completed."""
    if request.transport is not None:
        request.transport.close()


class Lifespan:
    """The ASGI lifespan protocol, run when the application supports it."""

    def __init__(self, app: ASGIApp, log: Any, state: dict[str, Any]) -> None:
        self.app = app
        self.log = log
        self.state = state
        self.supported = False
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> bool:
        """False when the application reported a failed startup."""
        self._task = asyncio.ensure_future(self._run())
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._next()
        if message is None:
            return True
        self.supported = True
        if message["type"] == "lifespan.startup.failed":
            self.log.error("Application startup failed: %s", message.get("message", ""))
            return False
        return True

    async def shutdown(self) -> None:
        if not self.supported or self._task is None or self._task.done():
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        message = await self._next()
        if message is not None and message["type"] == "lifespan.shutdown.failed":
            self.log.error("Application shutdown failed: %s", message.get("message", ""))

    async def _next(self) -> Message | None:
        """The application's next message, or None when it left the protocol."""
        assert self._task is not None
        getter = asyncio.ensure_future(self._outbox.get())
        await asyncio.wait([getter, self._task], return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        return None

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        try:
            await self.app(scope, self._inbox.get, self._outbox.put)
        except Exception as exc:
            if self.supported:
                self.log.exception("Exception in ASGI lifespan")
            else:
                # An application without lifespan support raises on the scope type.
                self.log.debug("ASGI lifespan unsupported: %r", exc)


def is_asgi(app: Any) -> bool:
    """An ASGI 3 application is a coroutine function or an object with an async __call__."""
    if iscoroutinefunction(app):
        return True
    call = None if inspect.isroutine(app) else getattr(type(app), "__call__", None)  # noqa: B004
    return call is not None and iscoroutinefunction(call)
