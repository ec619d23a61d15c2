"""
CPU per request of a viewset, in one process: drf_async's `AsyncModelViewSet` against the
same sync DRF `ModelViewSet`, and against adrf's `ModelViewSet` when adrf is installed.

    .venv/bin/python bench/viewsets.py [--iterations N] [--rows 50]

Each view function is called directly (no server, no middleware): the sync view from the
main thread, the async ones awaited one after another on one event loop, with the thread
hops they make going to asgiref's thread-sensitive executor as under an ASGI server. The
time is `time.process_time()` (CPU of every thread of the process) over N requests,
including `response.render()`; requests are built before the clock starts. SQLite in
shared-cache memory, so the loop thread and the executor thread see the same rows.

Scenarios: ``list`` (GET, 50 rows of a model with a FK shown as a nested object and an
M2M shown as primary keys) and ``create`` (POST of one row with its FK and two M2M ids).
Goal: drf_async <= 1.15x sync DRF for both.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import django
from django.apps import AppConfig
from django.conf import settings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # run from a checkout without installing drf_async


class BenchConfig(AppConfig):
    name = "__main__"
    label = "bench"
    path = HERE


def configure(db_path: str) -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework",
                        "__main__.BenchConfig"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        ROOT_URLCONF=__name__,
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
            "UNAUTHENTICATED_USER": None,
        },
    )
    django.setup()


urlpatterns: list[Any] = []


def build(rows: int) -> dict[str, dict[str, Callable[..., Any]]]:
    """Models, serializers and the three viewsets; returns {implementation: {scenario: view}}."""
    from django.db import connection, models
    from rest_framework import serializers, viewsets

    from drf_async.viewsets import AsyncModelViewSet

    class Author(models.Model):
        name = models.CharField(max_length=100)

        class Meta:
            app_label = "bench"

    class Tag(models.Model):
        label = models.CharField(max_length=50)

        class Meta:
            app_label = "bench"

    class Book(models.Model):
        title = models.CharField(max_length=100)
        pages = models.PositiveIntegerField(default=100)
        published = models.DateField(null=True)
        author = models.ForeignKey(Author, on_delete=models.CASCADE)
        tags = models.ManyToManyField(Tag)

        class Meta:
            app_label = "bench"
            ordering = ["id"]

    with connection.schema_editor() as editor:
        for model in (Author, Tag, Book):
            editor.create_model(model)
    author = Author.objects.create(name="Ann")
    tags = [Tag.objects.create(label=f"t{i}") for i in range(3)]
    for i in range(rows):
        book = Book.objects.create(title=f"Book {i}", pages=i, author=author)
        book.tags.set(tags[:2])

    def serializer_for(base: type) -> type:
        class AuthorSerializer(base):
            class Meta:
                model = Author
                fields = ["id", "name"]

        class BookSerializer(base):
            author_detail = AuthorSerializer(source="author", read_only=True)

            class Meta:
                model = Book
                fields = ["id", "title", "pages", "published", "author", "author_detail", "tags"]

        return BookSerializer

    queryset = Book.objects.select_related("author").prefetch_related("tags")

    class SyncBooks(viewsets.ModelViewSet):
        serializer_class = serializer_for(serializers.ModelSerializer)

    SyncBooks.queryset = queryset

    class AsyncBooks(AsyncModelViewSet):
        serializer_class = serializer_for(serializers.ModelSerializer)

    AsyncBooks.queryset = queryset

    views: dict[str, dict[str, Callable[..., Any]]] = {
        "sync DRF": {"list": SyncBooks.as_view({"get": "list"}), "create": SyncBooks.as_view({"post": "create"})},
        "drf_async": {"list": AsyncBooks.as_view({"get": "list"}), "create": AsyncBooks.as_view({"post": "create"})},
    }
    try:
        import adrf.serializers
        import adrf.viewsets
    except ImportError:
        return views

    class AdrfBooks(adrf.viewsets.ModelViewSet):
        serializer_class = serializer_for(adrf.serializers.ModelSerializer)

    AdrfBooks.queryset = queryset
    views["adrf"] = {"list": AdrfBooks.as_view({"get": "alist"}), "create": AdrfBooks.as_view({"post": "acreate"})}
    return views


def requests_for(scenario: str, asynchronous: bool, n: int, payload: dict[str, Any]) -> list[Any]:
    from rest_framework.test import APIRequestFactory

    from drf_async.test import AsyncAPIRequestFactory

    factory = AsyncAPIRequestFactory() if asynchronous else APIRequestFactory()
    if scenario == "list":
        return [factory.get("/books/") for _ in range(n)]
    return [factory.post("/books/", payload, format="json") for _ in range(n)]


def measure_sync(view: Callable[..., Any], requests: list[Any]) -> float:
    started = time.process_time()
    for request in requests:
        response = view(request)
        response.render()
        assert response.status_code < 300, response.data
    return (time.process_time() - started) / len(requests)


def measure_async(loop: asyncio.AbstractEventLoop, view: Callable[..., Any], requests: list[Any]) -> float:
    async def run() -> float:
        started = time.process_time()
        for request in requests:
            response = await view(request)
            response.render()
            assert response.status_code < 300, response.data
        return (time.process_time() - started) / len(requests)

    return loop.run_until_complete(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200, help="requests per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per cell (the median is shown)")
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--database", help="SQLite file to use instead of a shared in-memory database")
    args = parser.parse_args()

    # A shared in-memory database: every thread's connection sees the same rows, and no
    # fsync on commit blurs the framework's CPU cost.
    configure(args.database or f"file:bench-{os.getpid()}?mode=memory&cache=shared")
    views = build(args.rows)
    payload = {"title": "New", "pages": 3, "author": 1, "tags": [1, 2]}
    loop = asyncio.new_event_loop()
    results: dict[tuple[str, str], float] = {}
    for scenario in ("list", "create"):
        samples: dict[str, list[float]] = {name: [] for name in views}
        for round_ in range(args.repeat + 1):  # round 0 warms up
            for name, scenario_views in views.items():
                asynchronous = name != "sync DRF"
                requests = requests_for(scenario, asynchronous, args.iterations, payload)
                gc.collect()
                if asynchronous:
                    seconds = measure_async(loop, scenario_views[scenario], requests)
                else:
                    seconds = measure_sync(scenario_views[scenario], requests)
                if round_:
                    samples[name].append(seconds)
        for name, values in samples.items():
            results[scenario, name] = statistics.median(values)
    loop.close()

    print(f"CPU per request (median of {args.repeat} x {args.iterations} requests, {args.rows}-row list)")
    print(f"{'scenario':<10}{'implementation':<16}{'µs/request':>12}{'vs sync DRF':>14}")
    for scenario in ("list", "create"):
        baseline = results[scenario, "sync DRF"]
        for name in views:
            seconds = results[scenario, name]
            print(f"{scenario:<10}{name:<16}{seconds * 1e6:>12.0f}{seconds / baseline:>13.2f}x")
    ratios = [results[scenario, "drf_async"] / results[scenario, "sync DRF"] for scenario in ("list", "create")]
    verdict = "met" if max(ratios) <= 1.15 else "MISSED"
    print(f"goal drf_async <= 1.15x sync DRF: {verdict} (list {ratios[0]:.2f}x, create {ratios[1]:.2f}x)")


if __name__ == "__main__":
    main()
