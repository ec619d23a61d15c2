"""
ASGI applications the real-gunicorn tests serve: drf_async's handler, Django's stock one,
and a raw ASGI app that breaks the protocol on purpose.
"""

from __future__ import annotations

import asyncio
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.server.settings")

from django.core.asgi import get_asgi_application as django_asgi_application  # noqa: E402

from drf_async.handler import get_asgi_application  # noqa: E402

application = get_asgi_application()
django_application = django_asgi_application()


async def asgi_messages(scope, receive, send):
    """`application` with the worker's ``drf_async.response`` extension withheld: every
    response in ASGI messages, Django's `send_response()`."""
    scope.get("extensions", {}).pop("drf_async.response", None)
    await application(scope, receive, send)


async def raw(scope, receive, send):
    """
    Misbehaves according to the path: /raise, /return, /respond(-twice), /partial, /block,
    /linger, else echoes the scope.
    """
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["started"] = "yes"
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"].removeprefix(scope.get("root_path", ""))
    if path == "/block":
        # Holds the event loop (no await before it): what arrives meanwhile waits in the kernel.
        time.sleep(float(scope["query_string"] or 0.5))
    if path == "/raise":
        raise RuntimeError("boom before the response")
    if path == "/return":
        return
    if path == "/respond":
        # The drf_async.response extension: a whole response, text headers, in one call.
        respond = scope["extensions"]["drf_async.response"]["respond"]
        headers = [("x-a", "1"), ("X-A", "2"), ("Connection", "keep-alive"), ("Content-Type", "text/plain")]
        await respond(201, headers, b"whole")
        return
    if path == "/respond-twice":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await scope["extensions"]["drf_async.response"]["respond"](200, [], b"")
    if path == "/partial":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b"x" * 10, "more_body": True})
        raise RuntimeError("boom in the middle")
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    state = scope.get("state", {})
    payload = repr({k: scope[k] for k in ("http_version", "scheme", "root_path", "path", "client")} | {
        "state": state.get("started"), "body": len(body)
    }).encode()
    headers = [(b"x-a", b"1"), (b"x-a", b"2"), (b"x-pid", str(os.getpid()).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
    if path == "/linger":
        await asyncio.sleep(0.3)  # work after the response, as a handler's request_finished
