"""
`AiohttpWorker`: a gunicorn worker that serves any ASGI 3 application through aiohttp's
HTTP server (its C parser and writer), on one asyncio loop per process::

    gunicorn -k drf_async.worker.AiohttpWorker myproject.asgi:application

It is the successor of gunicorn's ``gaiohttp`` worker (removed in gunicorn 20), modelled on
aiohttp's own `aiohttp.worker.GunicornWebWorker`, with an ASGI bridge that keeps what
Django relies on: ``http.disconnect`` only once the client has left or the response is
complete, repeated headers kept (two ``Set-Cookie`` stay two), request and response bodies
streamed with backpressure, ``Expect: 100-continue``, and a logged 500 for an application
that fails or returns before starting its response.

gunicorn's settings map onto the server: ``bind`` (TCP and unix sockets), ``workers``,
``keepalive``, ``timeout`` (heartbeat), ``graceful_timeout`` (SIGTERM drains in-flight
requests), ``max_requests`` + ``max_requests_jitter`` (the worker stops taking requests at
exactly that count, answers them with ``Connection: close`` and drains),
``limit_request_line`` (414; aiohttp counts the request target, not the whole line),
``limit_request_fields`` and ``limit_request_field_size`` (431), ``forwarded_allow_ips`` +
``secure_scheme_headers`` (``scope["scheme"]``), ``root_path`` or ``$SCRIPT_NAME``,
``accesslog`` with ``access_log_format``'s atoms, ``errorlog``, ``certfile``/``keyfile``
and ``reload``. The ASGI lifespan protocol runs when the application supports it.

`AiohttpUVLoopWorker` is the same on uvloop (``pip install uvloop``).
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import os
import signal
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server
from asgiref.sync import iscoroutinefunction
from gunicorn.workers import base

__all__ = ["AiohttpWorker", "AiohttpUVLoopWorker"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

# aiohttp's parser limits are sizes; gunicorn's 0 means "no limit".
_UNLIMITED = 2**31 - 1
# Response headers aiohttp computes from the response it writes.
_HOP_BY_HOP = frozenset({b"transfer-encoding", b"connection", b"keep-alive"})
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# Where a cycle records the body bytes it sent, for the access log's %(b)s / %(B)s.
_SENT = "drf_async.sent"


class _ServerError(Exception):
    """The application broke the ASGI protocol; the message says how."""


class _HTTPProtocol(RequestHandler):
    """aiohttp's connection handler, telling the request in progress when the client leaves."""

    cycle: _Cycle | None = None

    def connection_lost(self, exc: BaseException | None) -> None:
        cycle = self.cycle
        super().connection_lost(exc)
        if cycle is not None:
            cycle.client_gone()

    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        # gunicorn's statuses for its request limits: 414 for the request line, 431 for
        # header fields (aiohttp answers 400 to both).
        if isinstance(exc, LineTooLong):
            status = 414 if self.worker.is_request_line_error(exc) else 431
        elif isinstance(exc, BadHttpMessage) and exc.message == "Too many headers received":
            status = 431
        if isinstance(exc, BadHttpMessage):
            # A malformed request is the client's fault: a warning, as gunicorn logs it.
            self.worker.log.warning("Invalid request from ip=%s: %s", request.remote, exc)
            response = web.Response(status=status, text=str(exc.message))
            response.force_close()
            return response
        return super().handle_error(request, status, exc, message)

    @property
    def worker(self) -> AiohttpWorker:
        return self._manager.worker  # type: ignore[union-attr]


class _Server(Server):
    """aiohttp's low-level server, making `_HTTPProtocol` connection handlers."""

    def __init__(self, worker: AiohttpWorker, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.worker = worker

    def __call__(self) -> RequestHandler:
        return _HTTPProtocol(self, loop=self._loop, **self._kwargs)


class GunicornAccessLogger(AbstractAccessLogger):
    """Writes aiohttp's access records through gunicorn's `access()`, so every atom of
    ``access_log_format`` (``%(h)s``, ``%(r)s``, ``%({header}i)s``…) works as with gunicorn's
    own workers. *logger* is the worker's gunicorn logger."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        environ = {
            "REQUEST_METHOD": request.method,
            "RAW_URI": request.raw_path,
            "PATH_INFO": request.path,
            "QUERY_STRING": request.rel_url.raw_query_string,
            "SERVER_PROTOCOL": f"HTTP/{request.version.major}.{request.version.minor}",
            "REMOTE_ADDR": request.remote or "",
        }
        for name, value in request.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        sent = request.get(_SENT, response.content_length)
        logger: Any = self.logger  # gunicorn's Logger, not the stdlib one aiohttp's annotation says
        logger.access(_LoggedResponse(response, sent), _LoggedRequest(request), environ, timedelta(seconds=time))

    @property
    def enabled(self) -> bool:
        enabled = getattr(self.logger, "access_log_enabled", None)  # gunicorn >= 24
        if enabled is None:
            cfg = getattr(self.logger, "cfg")  # noqa: B009  (gunicorn's Logger)
            enabled = bool(cfg.accesslog or cfg.logconfig or cfg.logconfig_dict or cfg.syslog)
        return enabled


class _LoggedResponse:
    """The response attributes gunicorn's log atoms read."""

    def __init__(self, response: web.StreamResponse, sent: int | None) -> None:
        self.status = response.status
        self.sent = sent
        self.headers = list(response.headers.items())


class _LoggedRequest:
    """The request attributes gunicorn's log atoms read."""

    def __init__(self, request: web.BaseRequest) -> None:
        self.headers = [(name.upper(), value) for name, value in request.headers.items()]


class _Cycle:
    """One HTTP request and its response, between aiohttp and an ASGI application."""

    def __init__(self, worker: AiohttpWorker, request: web.BaseRequest, protocol: _HTTPProtocol) -> None:
        self.worker = worker
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
                body = await content.readany()
            except (ConnectionError, asyncio.CancelledError) as exc:
                if isinstance(exc, asyncio.CancelledError) and not self.disconnected:
                    raise
                self.disconnected = True
            else:
                self.body_done = content.at_eof()
                return {"type": "http.request", "body": body, "more_body": not self.body_done}
        if not (self.disconnected or self.complete):
            if self._gone is None:
                self._gone = asyncio.get_running_loop().create_future()
            await self._gone
        return {"type": "http.disconnect"}

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
            raise _ServerError(f"Unexpected ASGI message {kind!r} (response started: {self.started}).")

    async def _write(self, body: bytes, more: bool) -> None:
        if self.request.method != "HEAD":
            self.request[_SENT] = self.request.get(_SENT, 0) + len(body)
        response = self.response
        if response is None:
            response = self.response = self._start(body, more)
            if not more:
                # One body: aiohttp writes headers and body in one go, with Content-Length.
                self.complete = True
                await response.prepare(self.request)
                await response.write_eof()
                self._finished()
                return
            await response.prepare(self.request)
        if body:
            await response.write(body)  # waits while the transport's buffer is full
        if not more:
            self.complete = True
            await response.write_eof()
            self._finished()

    def _start(self, body: bytes, more: bool) -> web.StreamResponse:
        response = web.Response(status=self.status) if not more else web.StreamResponse(status=self.status)
        headers = response.headers
        has_length = False
        for name, value in self.headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP:
                if lower == b"connection" and b"close" in value.lower():
                    response.force_close()
                continue
            if lower == b"content-length":
                has_length = True
            headers.add(name.decode("latin-1"), value.decode("latin-1"))
        if not more:
            if has_length:
                # The application's Content-Length stands (a HEAD response's, for one).
                assert isinstance(response, web.Response)
                response._body = body  # body setter would recompute Content-Length
            else:
                assert isinstance(response, web.Response)
                response.body = body
        if self.worker.draining:
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

    def error_response(self) -> web.StreamResponse:
        response = web.Response(status=500, text="Internal Server Error")
        response.force_close()
        return response


class AiohttpWorker(base.Worker):
    """A gunicorn worker serving an ASGI 3 application with aiohttp's HTTP server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_code = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.asgi: ASGIApp | None = None
        self.server: _Server | None = None
        self.state: dict[str, Any] = {}
        self.requests = 0
        self.draining = False
        self.quick_exit = False
        self._wakeup: asyncio.Future[None] | None = None
        self._lifespan: _Lifespan | None = None

    # Process setup

    def init_process(self) -> None:
        # A new loop after fork, as aiohttp's worker does.
        self.loop = self.new_event_loop()
        asyncio.set_event_loop(self.loop)
        super().init_process()

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.new_event_loop()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app = self.wsgi
        if not _is_asgi(app):
            # gunicorn's stand-in for an app that failed to import under --reload is WSGI.
            from asgiref.wsgi import WsgiToAsgi

            app = WsgiToAsgi(app)
        self.asgi = app

    def init_signals(self) -> None:
        super().init_signals()
        assert self.loop is not None
        self.loop.add_signal_handler(signal.SIGTERM, self.handle_exit, signal.SIGTERM, None)
        self.loop.add_signal_handler(signal.SIGQUIT, self.handle_quit, signal.SIGQUIT, None)
        self.loop.add_signal_handler(signal.SIGINT, self.handle_quit, signal.SIGINT, None)
        self.loop.add_signal_handler(signal.SIGUSR1, self.handle_usr1, signal.SIGUSR1, None)
        self.loop.add_signal_handler(signal.SIGWINCH, self.handle_winch, signal.SIGWINCH, None)
        self.loop.add_signal_handler(signal.SIGABRT, self.handle_abort, signal.SIGABRT, None)
        # gunicorn's reloader writes to this pipe after clearing self.alive.
        self.loop.add_reader(self.PIPE[0], self._drain_pipe)

    # Signals

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        self.wake()

    def handle_quit(self, sig: int, frame: Any) -> None:
        # gunicorn's handle_quit() sleeps and exits from the signal handler; on a loop the
        # worker stops at once without draining.
        self.alive = False
        self.quick_exit = True
        self.cfg.worker_int(self)
        self.wake()

    def _drain_pipe(self) -> None:
        try:
            while os.read(self.PIPE[0], 64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        self.wake()

    def wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    # Main loop

    def run(self) -> None:
        assert self.loop is not None
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            try:
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            finally:
                self.loop.close()
        sys.exit(self.exit_code)

    async def _serve(self) -> None:
        assert self.asgi is not None
        self._lifespan = _Lifespan(self.asgi, self.log, self.state)
        if not await self._lifespan.startup():
            self.exit_code = 3  # gunicorn's WORKER_BOOT_ERROR: the arbiter stops.
            return
        self.server = self.make_server()
        ssl_context = self.ssl_context()
        assert self.loop is not None
        listeners = [
            await self.loop.create_server(self.server, sock=sock.sock, ssl=ssl_context, backlog=self.cfg.backlog)
            for sock in self.sockets
        ]
        try:
            await self._heartbeat()
        finally:
            for listener in listeners:
                listener.close()
            await self._drain()
            await self._lifespan.shutdown()

    def make_server(self) -> _Server:
        """aiohttp's server with gunicorn's settings."""
        cfg = self.cfg
        access_log = self.log if GunicornAccessLogger(self.log, "").enabled else None
        return _Server(
            self,
            self.handle_request,
            keepalive_timeout=cfg.keepalive,
            logger=self.log,
            access_log_class=GunicornAccessLogger,
            access_log=access_log,
            access_log_format=cfg.access_log_format,
            max_line_size=cfg.limit_request_line or _UNLIMITED,
            max_field_size=cfg.limit_request_field_size or _UNLIMITED,
            max_headers=cfg.limit_request_fields or _UNLIMITED,
        )

    def ssl_context(self) -> Any:
        if not self.cfg.is_ssl:
            return None
        from gunicorn.sock import ssl_context

        return ssl_context(self.cfg)

    async def _heartbeat(self) -> None:
        loop = asyncio.get_running_loop()
        interval = max(min(self.timeout / 2, 1.0), 0.05) if self.timeout else 1.0
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            self._wakeup = loop.create_future()
            handle = loop.call_later(interval, self.wake)
            await self._wakeup
            handle.cancel()

    async def _drain(self) -> None:
        """Finish in-flight requests within graceful_timeout (none on SIGQUIT/SIGINT)."""
        self.draining = True
        server = self.server
        if server is None:
            return
        # Idle keep-alive connections close now; busy ones after their response
        # (Connection: close), or are cancelled at the deadline.
        timeout = 0.01 if self.quick_exit else max(self.cfg.graceful_timeout, 0.01)
        heartbeat = asyncio.ensure_future(self._notify_every(1.0))
        try:
            await server.shutdown(timeout)
        finally:
            heartbeat.cancel()

    async def _notify_every(self, interval: float) -> None:
        while True:
            self.notify()
            await asyncio.sleep(interval)

    # Requests

    async def handle_request(self, request: web.BaseRequest) -> web.StreamResponse:
        """aiohttp's request handler: run the ASGI application for *request*."""
        self.requests += 1
        if self.requests >= self.max_requests and self.alive:
            self.log.info("Autorestarting worker after current request.")
            self.alive = False
            self.draining = True
            self.wake()
        protocol = request.protocol
        assert isinstance(protocol, _HTTPProtocol)
        cycle = _Cycle(self, request, protocol)
        try:
            scope = self.scope(request)
        except _ServerError as exc:
            self.log.warning("Invalid request from ip=%s: %s", request.remote, exc)
            response = web.Response(status=400, text=str(exc))
            response.force_close()
            return response
        protocol.cycle = cycle
        try:
            await self.asgi(scope, cycle.receive, cycle.send)  # type: ignore[misc]
        except asyncio.CancelledError:
            raise
        except Exception:
            if not cycle.started or cycle.response is None:
                self.log.exception("Error handling request %s %s", request.method, request.raw_path)
                return cycle.error_response()
            if not cycle.complete:
                self.log.exception("Error handling request %s %s", request.method, request.raw_path)
                _abort(request)
            return cycle.response
        finally:
            protocol.cycle = None
        if cycle.response is None:
            if cycle.disconnected:
                # The client left before a response: nothing to answer.
                _abort(request)
                return web.Response(status=499)
            self.log.error(
                "ASGI application returned without %s response for %s %s",
                "completing its" if cycle.started else "starting a",
                request.method,
                request.raw_path,
            )
            return cycle.error_response()
        if not cycle.complete and not cycle.disconnected:
            self.log.error("ASGI application returned without completing its response for %s", request.raw_path)
            _abort(request)
        return cycle.response

    def scope(self, request: web.BaseRequest) -> Scope:
        """The ASGI HTTP connection scope of *request*."""
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport else None
        sockname = transport.get_extra_info("sockname") if transport else None
        target = request.raw_path
        if not target.startswith("/"):
            # absolute-form (GET http://host/path): keep the path and query.
            target = request.rel_url.raw_path_qs if target != "*" else "*"
        raw_path, _, query = target.partition("?")
        headers = [(name.lower(), value) for name, value in request.raw_headers]
        root_path = self.root_path
        path = unquote(raw_path)
        if root_path and not path.startswith(root_path):
            path = root_path + path
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": f"{request.version.major}.{request.version.minor}",
            "method": request.method,
            "scheme": self.scheme(request, peer, headers),
            "path": path,
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": root_path,
            "headers": headers,
            "client": peer[:2] if isinstance(peer, tuple) else None,
            "server": sockname[:2] if isinstance(sockname, tuple) else (sockname, None) if sockname else None,
        }
        if self._lifespan is not None and self._lifespan.supported:
            scope["state"] = self.state.copy()
        return scope

    def scheme(self, request: web.BaseRequest, peer: Any, headers: list[tuple[bytes, bytes]]) -> str:
        """``https`` on TLS, or when a trusted proxy says so in a ``secure_scheme_headers`` header."""
        scheme = "https" if request.transport and request.transport.get_extra_info("sslcontext") else "http"
        secure_headers = self.secure_scheme_headers
        if not secure_headers or not self.trusts(peer):
            return scheme
        found = None
        for name, value in headers:
            expected = secure_headers.get(name)
            if expected is not None:
                this = "https" if value == expected else "http"
                if found is not None and found != this:
                    raise _ServerError("Contradictory scheme headers")
                found = this
        return found or scheme

    def trusts(self, peer: Any) -> bool:
        """Whether *peer* is in forwarded_allow_ips (a unix socket peer always is, as in gunicorn)."""
        if not isinstance(peer, tuple):
            return True
        allowed = self.forwarded_allow
        if allowed is None:
            return True
        try:
            address = ipaddress.ip_address(peer[0])
        except ValueError:
            return False
        return any(address in network for network in allowed)

    def is_request_line_error(self, exc: LineTooLong) -> bool:
        line, limit = exc.args[0], exc.args[1]
        line_limit = self.cfg.limit_request_line or _UNLIMITED
        field_limit = self.cfg.limit_request_field_size or _UNLIMITED
        if line_limit != field_limit:
            return limit == line_limit
        # Same limit for both: a request target starts with "/" (origin-form) or a scheme.
        return isinstance(line, bytes) and (line.startswith(b"/") or b"://" in line[:16])

    # Settings, read once

    @property
    def root_path(self) -> str:
        try:
            return self._root_path
        except AttributeError:
            root = getattr(self.cfg, "root_path", None) or os.environ.get("SCRIPT_NAME", "")
            self._root_path: str = root.rstrip("/")
            return self._root_path

    @property
    def secure_scheme_headers(self) -> dict[bytes, bytes]:
        try:
            return self._secure_scheme_headers
        except AttributeError:
            self._secure_scheme_headers: dict[bytes, bytes] = {
                name.lower().encode("latin-1"): value.encode("latin-1")
                for name, value in (self.cfg.secure_scheme_headers or {}).items()
            }
            return self._secure_scheme_headers

    @property
    def forwarded_allow(self) -> list[Any] | None:
        try:
            return self._forwarded_allow
        except AttributeError:
            entries = self.cfg.forwarded_allow_ips
            networks: list[Any] | None = []
            for entry in entries:
                if entry == "*":
                    networks = None
                    break
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))  # type: ignore[union-attr]
                except ValueError:
                    self.log.warning("Ignoring invalid forwarded_allow_ips entry %r", entry)
            self._forwarded_allow: list[Any] | None = networks
            return networks


class AiohttpUVLoopWorker(AiohttpWorker):
    """`AiohttpWorker` on uvloop: ``gunicorn -k drf_async.worker.AiohttpUVLoopWorker``."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        import uvloop

        return uvloop.new_event_loop()


class _Lifespan:
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


def _is_asgi(app: Any) -> bool:
    """An ASGI 3 application is a coroutine function or an object with an async __call__."""
    if iscoroutinefunction(app):
        return True
    call = None if inspect.isroutine(app) else getattr(type(app), "__call__", None)  # noqa: B004
    return call is not None and iscoroutinefunction(call)


def _abort(request: web.BaseRequest) -> None:
    """Close the connection of a response that cannot be completed."""
    if request.transport is not None:
        request.transport.close()
