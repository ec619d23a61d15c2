"""
django-silk: `SilkyMiddleware` in front of a drf_async list view under
`drf_async.handler.AsyncHandler`, and in front of the DRF view under Django's WSGI handler:
silk records each request (path, method, status, its SQL queries) alike.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client, override_settings
from django.urls import include, path
from rest_framework import generics, serializers
from silk.models import Request

from drf_async.generics import AsyncListAPIView
from drf_async.handler import AsyncHandler
from tests import urls
from tests.ecosystem.harness import mount
from tests.ecosystem.settings import MIDDLEWARE
from tests.ecosystem.test_middleware import asgi
from tests.models import Author, Book

urls.urlpatterns.append(path("silk/", include("silk.urls", namespace="silk")))


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "author"]


COMMON = {"queryset": Book.objects.order_by("id"), "serializer_class": BookSerializer, "authentication_classes": []}
mount("sync", "silk", [path("books/", type("Books", (generics.ListAPIView,), COMMON).as_view())])
mount("async", "silk", [path("books/", type("Books", (AsyncListAPIView,), COMMON).as_view())])


@pytest.fixture
def silked(transactional_db):
    """Silk's middleware installed (as its README puts it, after the session and auth middleware)."""
    author = Author.objects.create(name="Le Guin")
    Book.objects.create(title="Earthsea", author=author)
    Book.objects.create(title="Tehanu", author=author)
    with override_settings(MIDDLEWARE=[*MIDDLEWARE, "silk.middleware.SilkyMiddleware"], SILKY_PYTHON_PROFILER=False):
        yield


def recorded(side: str) -> tuple:
    """What silk recorded for the side's request: method, status, and its SQL (the side's prefix left out)."""
    [request] = Request.objects.filter(path=f"/{side}/silk/books/")
    response = request.response
    queries = [query.query for query in request.queries.order_by("start_time")]
    return request.method, response.status_code, request.num_sql_queries, queries


async def test_silk_records_the_request_alike(silked):
    """Silk records the drf_async request under AsyncHandler as it records the DRF one under WSGI: status, queries."""
    got = await sync_to_async(Client().get)("/sync/silk/books/")
    assert got.status_code == 200
    app = AsyncHandler(max_threads=2)
    try:
        answer = await asgi(app, "GET", "/async/silk/books/", {})
    finally:
        for future in app.thread_pool.shutdown():
            future.result(timeout=5)
    assert answer.status == 200 and answer.data == got.content
    sync_record, async_record = await sync_to_async(recorded)("sync"), await sync_to_async(recorded)("async")
    assert async_record == sync_record
    assert sync_record[2] >= 1 and any("tests_book" in query for query in sync_record[3])
