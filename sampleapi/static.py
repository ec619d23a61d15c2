"""
Static files for the browsable API and Swagger UI, served from memory by the ASGI app.

Why not a thread per file: WhiteNoise's middleware is sync-only, so Django's async stack
would run it (and so every request, static or not) through a thread hop; ServeStatic's ASGI
app reads each file through a thread pool it makes per file. The files here are small and
few (DRF's browsable API and Swagger UI: a few MB), so each worker reads them once, when it
imports the app, and answers each request from memory on the event loop: no thread, no
file system call, ETag / ``If-None-Match`` (304), gzip when the client accepts it.

The files come from ``STATIC_ROOT`` when ``collectstatic`` filled it (``make serve`` runs
it), else straight from the staticfiles finders (apps' ``static/`` folders).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: bytes


def _load(path: str) -> StaticFile:
    body = Path(path).read_bytes()
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    gzipped = gzip.compress(body, mtime=0) if content_type.startswith(COMPRESSIBLE) and len(body) > 256 else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    if content_type.startswith("text/") or content_type == "application/javascript":
        content_type += "; charset=utf-8"
    etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
    return StaticFile(body, gzipped, content_type, etag)


def _paths() -> dict[str, str]:
    """URL path relative to STATIC_URL -> file on disk."""
    root = getattr(settings, "STATIC_ROOT", None)
    if root and os.path.isdir(root):
        found = {}
        for folder, _, names in os.walk(root):
            for name in names:
                full = os.path.join(folder, name)
                found[os.path.relpath(full, root).replace(os.sep, "/")] = full
        return found
    from django.contrib.staticfiles import finders

    found = {}
    for finder in finders.get_finders():
        for relative, storage in finder.list([]):
            found.setdefault(relative.replace(os.sep, "/"), storage.path(relative))
    return found


class StaticFiles:
    """ASGI middleware: answer ``GET``/``HEAD`` under ``STATIC_URL`` from memory, pass the rest on."""

    def __init__(self, app: Any, prefix: str | None = None) -> None:
        self.app = app
        self.prefix = prefix or "/" + settings.STATIC_URL.lstrip("/")
        self.files = {self.prefix + relative: _load(path) for relative, path in _paths().items()}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        found = self.files.get(scope["path"])
        if found is None or scope["method"] not in ("GET", "HEAD"):
            status, body = (404, b"Not Found") if found is None else (405, b"Method Not Allowed")
            headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        request_headers = dict(scope["headers"])
        headers = [(b"etag", found.etag), (b"cache-control", b"public, max-age=3600"), (b"vary", b"Accept-Encoding")]
        if request_headers.get(b"if-none-match") == found.etag:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = found.body
        if found.gzipped is not None and b"gzip" in request_headers.get(b"accept-encoding", b""):
            body = found.gzipped
            headers.append((b"content-encoding", b"gzip"))
        headers += [(b"content-type", found.content_type.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
