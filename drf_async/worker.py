"""
`AiohttpWorker`: a gunicorn worker that serves any ASGI 3 application through aiohttp's
HTTP server (its C parser and writer), on one asyncio loop per process::

    gunicorn -k drf_async.worker.AiohttpWorker myproject.asgi:application

It is the successor of gunicorn's ``gaiohttp`` worker (removed in gunicorn 20), modelled on
aiohttp's own `aiohttp.worker.GunicornWebWorker`. This module is the gunicorn side:
settings, signals, when to drain. The ASGI bridge it runs (the request cycle, lifespan,
connections) is `drf_async.bridge`.

gunicorn's settings map onto the server: ``bind`` (TCP and unix sockets), ``workers`` (which
share connections evenly: each accepts one at a time, deferring to a worker that holds
fewer), ``worker_connections`` (beyond it, new connections wait in the shared backlog for
another worker), ``keepalive``, ``timeout`` (heartbeat, and how long a request body may take to arrive, plus a
second per 500 bytes received; then the connection closes), ``graceful_timeout``, ``max_requests`` +
``max_requests_jitter`` (the worker stops taking requests at exactly that count),
``limit_request_line`` (414; aiohttp counts the request target, not the whole line),
``limit_request_fields`` and ``limit_request_field_size`` (431), ``forwarded_allow_ips`` +
``secure_scheme_headers`` (``scope["scheme"]``), ``root_path`` or ``$SCRIPT_NAME``,
``accesslog`` with ``access_log_format``'s atoms, ``errorlog``, ``certfile``/``keyfile``
and ``reload``. The ASGI lifespan protocol runs when the application supports it.

Restarts drop nothing: on ``max_requests``, SIGHUP (the master replaces the worker) and
SIGTERM the worker stops accepting, closes idle keep-alive connections at once, answers
the requests it has received (with ``Connection: close``) and exits as soon as they are
done, cancelling what is left after ``graceful_timeout``. SIGQUIT and SIGINT stop at once.

`AiohttpUVLoopWorker` is the same on uvloop (``pip install uvloop``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import mmap
import os
import signal
import struct
import sys
import time
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import gunicorn
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import LineTooLong
from gunicorn.workers import base

from drf_async.bridge import (
    SENT,
    Acceptor,
    ASGIApp,
    HTTPServer,
    Lifespan,
    Peers,
    Scope,
    ServerError,
    is_asgi,
    run_cycle,
)

__all__ = ["AiohttpWorker", "AiohttpUVLoopWorker"]

# aiohttp's parser limits are sizes; gunicorn's 0 means "no limit".
_UNLIMITED = 2**31 - 1
# How many peer addresses trusts() remembers its answer for.
_TRUSTED_HOSTS_KEPT = 1024


class _Board:
    """
    Each worker's connection count, in memory that the master maps when it imports this
    module (gunicorn loads the worker class before forking) and its workers share, so their
    acceptors can balance connections (`drf_async.bridge.Acceptor`). A worker writes only its
    own slot (its gunicorn ``age``, modulo the slots) with a heartbeat time; slots whose
    heartbeat is older than a few seconds are a dead worker's. Mapped after fork (the class
    imported by a worker only), each worker sees only itself, and acceptors do not balance.
    """

    SLOTS = 256
    STALE = 5.0
    _RECORD = struct.Struct("qqd")  # pid, connections, heartbeat (CLOCK_MONOTONIC, system-wide)

    def __init__(self) -> None:
        self._map = mmap.mmap(-1, self.SLOTS * self._RECORD.size)

    def write(self, slot: int, connections: int) -> None:
        self._RECORD.pack_into(self._map, slot * self._RECORD.size, os.getpid(), connections, time.monotonic())

    def clear(self, slot: int) -> None:
        self._RECORD.pack_into(self._map, slot * self._RECORD.size, 0, 0, 0.0)

    def live(self, slot: int) -> list[int]:
        """The slots of the other workers alive."""
        now = time.monotonic()
        return [
            index
            for index, (pid, _, beat) in enumerate(self._RECORD.iter_unpack(self._map))
            if pid and index != slot and now - beat < self.STALE
        ]

    def connections(self, slot: int) -> int:
        return self._RECORD.unpack_from(self._map, slot * self._RECORD.size)[1]


_BOARD = _Board()


class _BoardPeers(Peers):
    """A worker's view of the others on the board; who is alive is re-read every 0.1 s (a
    worker that has just booted is seen that soon)."""

    def __init__(self, board: _Board, slot: int) -> None:
        self.board = board
        self.slot = slot
        self.count = 0
        self._others: list[int] = []
        self._read_at = -1.0

    def fewest(self) -> int | None:
        now = time.monotonic()
        if now - self._read_at > 0.1:
            self._others, self._read_at = self.board.live(self.slot), now
        if not self._others:
            return None
        return min(self.board.connections(slot) for slot in self._others)

    def report(self, connections: int) -> None:
        self.count = connections
        self.board.write(self.slot, connections)

    def beat(self) -> None:
        self.board.write(self.slot, self.count)


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
        sent = request.get(SENT, response.content_length)
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


class AiohttpWorker(base.Worker):
    """A gunicorn worker serving an ASGI 3 application with aiohttp's HTTP server."""

    # The Server header of every response that sets none: gunicorn's, without versions
    # (aiohttp's default names the Python and aiohttp versions).
    server_header = gunicorn.SERVER

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_code = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.asgi: ASGIApp | None = None
        self.server: HTTPServer | None = None
        self.state: dict[str, Any] = {}
        self.requests = 0
        self.draining = False
        # trusts()'s answers, per peer address (clients, or the proxies in front).
        self._trusted_hosts: dict[str, bool] = {}
        self.quick_exit = False
        self._wakeup: asyncio.Future[None] | None = None
        self._lifespan: Lifespan | None = None
        self._acceptors: list[Acceptor] = []
        self._peers = _BoardPeers(_BOARD, self.age % _Board.SLOTS)
        self._peers.expected = self.cfg.workers > 1

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
        if not is_asgi(app):
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
        self._lifespan = Lifespan(self.asgi, self.log, self.state)
        if not await self._lifespan.startup():
            self.exit_code = 3  # gunicorn's WORKER_BOOT_ERROR: the arbiter stops.
            return
        self.server = self.make_server()
        self._peers.beat()  # on the board from now on (its pid: the worker's, after fork)
        ssl_context = self.ssl_context()
        limit = max(self.cfg.worker_connections, 1)
        self._acceptors = [
            Acceptor(self.server, sock.sock, ssl_context, limit, self.log, self._peers) for sock in self.sockets
        ]
        for acceptor in self._acceptors:
            acceptor.resume()
        try:
            await self._heartbeat()
        finally:
            for acceptor in self._acceptors:
                acceptor.close()
            _BOARD.clear(self._peers.slot)  # takes no more connections
            await self._drain()
            await self._lifespan.shutdown()

    @property
    def body_timeout(self) -> float | None:
        """gunicorn's ``timeout``: how long a request body may take to arrive (`bridge.Host`)."""
        return self.cfg.timeout or None

    def connection_closed(self) -> None:
        if self.server is not None:
            self._peers.report(self.server.open)
        for acceptor in self._acceptors:
            acceptor.resume()

    def make_server(self) -> HTTPServer:
        """aiohttp's server with gunicorn's settings."""
        cfg = self.cfg
        access_log = self.log if GunicornAccessLogger(self.log, "").enabled else None
        return HTTPServer(
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
            self._peers.beat()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            self._wakeup = loop.create_future()
            handle = loop.call_later(interval, self.wake)
            await self._wakeup
            handle.cancel()

    async def _drain(self) -> None:
        """Answer what was received, within graceful_timeout (nothing on SIGQUIT/SIGINT)."""
        self.draining = True
        server = self.server
        if server is None:
            return
        timeout = 0.0 if self.quick_exit else max(self.cfg.graceful_timeout, 0.0)
        heartbeat = asyncio.ensure_future(self._notify_every(1.0))
        try:
            await server.drain(timeout)
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
        try:
            scope = self.scope(request)
        except ServerError as exc:
            self.log.warning("Invalid request from ip=%s: %s", request.remote, exc)
            response = web.Response(status=400, text=str(exc))
            response.force_close()
            return response
        assert self.asgi is not None
        return await run_cycle(self.asgi, scope, request, self.log)

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
                    raise ServerError("Contradictory scheme headers")
                found = this
        return found or scheme

    def trusts(self, peer: Any) -> bool:
        """Whether *peer* is in forwarded_allow_ips (a unix socket peer always is, as in gunicorn)."""
        if not isinstance(peer, tuple):
            return True
        allowed = self.forwarded_allow
        if allowed is None:
            return True
        host = peer[0]
        trusted = self._trusted_hosts.get(host)
        if trusted is None:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                trusted = False
            else:
                trusted = any(address in network for network in allowed)
            if len(self._trusted_hosts) >= _TRUSTED_HOSTS_KEPT:
                self._trusted_hosts.clear()
            self._trusted_hosts[host] = trusted
        return trusted

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
