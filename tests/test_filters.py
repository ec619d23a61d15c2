"""
DRF's SearchFilter and OrderingFilter and django-filter's DjangoFilterBackend in async
views with no extra code: the same answers as the sync DRF view, on both action paths.
"""

from __future__ import annotations

import pytest
from django_filters import rest_framework as django_filters
from rest_framework import filters, generics

from drf_async import generics as async_generics
from tests.models import Author, Book
from tests.test_pagination import BookSerializer
from tests.twins import Twins, route


class BookFilter(django_filters.FilterSet):
    author = django_filters.ModelChoiceFilter(queryset=Author.objects.all())
    min_pages = django_filters.NumberFilter(field_name="pages", lookup_expr="gte")

    class Meta:
        model = Book
        fields = ["author", "min_pages", "title"]


class StepByStep:
    """An async hook, so the async view filters step by step (afilter_queryset) instead of in one hop."""

    async def get_queryset(self):
        return self.queryset.all()


COMMON = dict(
    queryset=Book.objects.order_by("id"),
    serializer_class=BookSerializer,
    filter_backends=[django_filters.DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter],
    filterset_class=BookFilter,
    search_fields=["title", "author__name"],
    ordering_fields=["pages", "title"],
)
for path in ("one-hop", "step"):
    sync_view = type("Books", (generics.ListAPIView,), dict(COMMON)).as_view()
    bases = (async_generics.AsyncListAPIView,) if path == "one-hop" else (StepByStep, async_generics.AsyncListAPIView)
    route(f"filtered-books-{path}", sync_view, type("Books", bases, dict(COMMON)).as_view())


@pytest.fixture
def books(db):
    ann, bob = Author.objects.create(name="Ann"), Author.objects.create(name="Bob")
    return [Book.objects.create(title=title, pages=pages, author=author)
            for title, pages, author in [("alpha", 30, ann), ("beta", 10, bob), ("gamma", 20, ann), ("delta", 40, bob)]]


PATHS = ["one-hop", "step"]


def pages(got) -> list[int]:
    return [row["pages"] for row in got.data]


@pytest.mark.parametrize("path", PATHS)
def test_search_filter_matches_sync_drf(path, books):
    """?search= over a field and a related field, as DRF's SearchFilter."""
    client = Twins()
    assert pages(client.same("get", f"filtered-books-{path}", data={"search": "ta"})) == [10, 40]
    assert pages(client.same("get", f"filtered-books-{path}", data={"search": "bob"})) == [10, 40]


@pytest.mark.parametrize("path", PATHS)
def test_ordering_filter_matches_sync_drf(path, books):
    """?ordering= on allowed fields (descending too); a field not allowed is ignored, as DRF does."""
    client = Twins()
    assert pages(client.same("get", f"filtered-books-{path}", data={"ordering": "-pages"})) == [40, 30, 20, 10]
    assert pages(client.same("get", f"filtered-books-{path}", data={"ordering": "title"})) == [30, 10, 40, 20]
    assert pages(client.same("get", f"filtered-books-{path}", data={"ordering": "author"})) == [30, 10, 20, 40]


@pytest.mark.parametrize("path", PATHS)
def test_django_filter_backend_matches_sync_drf(path, books):
    """django-filter's FilterSet (a ModelChoiceFilter validated against the DB) filters, 400s on bad input."""
    client = Twins()
    ann = books[0].author_id
    got = client.same("get", f"filtered-books-{path}", data={"author": ann, "min_pages": 25})
    assert pages(got) == [30]
    bad = client.same("get", f"filtered-books-{path}", data={"author": 999999})
    assert bad.status == 400 and "author" in bad.data


@pytest.mark.parametrize("path", PATHS)
def test_filters_combine_like_sync_drf(path, books):
    """All three backends together, in the view's order."""
    got = Twins().same("get", f"filtered-books-{path}", data={"min_pages": 15, "search": "a", "ordering": "-pages"})
    assert pages(got) == [40, 30, 20]
