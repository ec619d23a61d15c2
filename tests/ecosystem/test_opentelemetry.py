"""
OpenTelemetry's Django instrumentation (`DjangoInstrumentor`, its middleware) under
`drf_async.handler.AsyncHandler`: a drf_async view's request makes the same server span, with
the same name, route, status and attributes, as under Django's own `ASGIHandler`.
"""

from __future__ import annotations

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from drf_async.handler import AsyncHandler
from tests.ecosystem.test_middleware import asgi

# Attributes that name the connection, which differ per request whatever the handler.
PER_CONNECTION = ("net.peer.port", "client.port")


@pytest.fixture
def keep_test_connection():
    """
    As Django's test clients do: Django's `ASGIHandler` runs request signals on the test's own
    thread, whose connection close_old_connections() must not touch (pytest-django blocks it).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def spans(keep_test_connection):
    """The spans the instrumented middleware stack records (instrumented for this test only)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    DjangoInstrumentor().instrument(tracer_provider=provider)
    yield exporter
    DjangoInstrumentor().uninstrument()


def server_span(exporter: InMemorySpanExporter) -> tuple:
    """The one finished span, as (name, kind, status, attributes), and clears the exporter."""
    [span] = exporter.get_finished_spans()
    exporter.clear()
    attributes = {key: value for key, value in span.attributes.items() if key not in PER_CONNECTION}
    return span.name, span.kind, span.status.status_code, attributes


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/async/mw/ping/", 200), ("POST", "/async/mw/ping/", 201), ("DELETE", "/async/mw/ping/", 405),
])
async def test_server_span_is_django_asgi_handlers(spans, method, path, status):
    """Same span for a drf_async view (a 200, a 201 with a body, a 405) under AsyncHandler as under ASGIHandler."""
    body = b'{"a": 1}' if method == "POST" else b""
    headers = {"Content-Type": "application/json"} if body else {}
    found = []
    for app in (ASGIHandler(), AsyncHandler(max_threads=2)):
        got = await asgi(app, method, path, headers, body)
        assert got.status == status
        found.append(server_span(spans))
        if isinstance(app, AsyncHandler):
            for future in app.thread_pool.shutdown():
                future.result(timeout=5)
    assert found[1] == found[0]
    name, kind, _, attributes = found[0]
    assert kind == SpanKind.SERVER and name == f"{method} async/mw/ping/"
    assert attributes["http.route"] == "async/mw/ping/"
    assert attributes.get("http.status_code", attributes.get("http.response.status_code")) == status
