"""
django-filter: `DjangoFilterBackend` with ``filterset_fields`` and with a `FilterSet` class, as in
django-filter's "Integration with DRF", on a DRF `ModelViewSet`, the same class on
`AsyncModelViewSet`, and that class with an ``async def get_queryset``. (tests/test_filters.py
keeps the generic-view cases in the main suite.)
"""

from __future__ import annotations

import pytest
from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets
from rest_framework.routers import SimpleRouter

from drf_async.viewsets import AsyncModelViewSet
from tests.ecosystem.harness import assert_alike, each_side, mount
from tests.models import Author, Book

SIDES = ("sync", "async", "async-hooks")


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "author", "pages"]


class BookFilter(filters.FilterSet):
    min_pages = filters.NumberFilter(field_name="pages", lookup_expr="gte")
    max_pages = filters.NumberFilter(field_name="pages", lookup_expr="lte")
    author_name = filters.CharFilter(field_name="author__name", lookup_expr="icontains")

    class Meta:
        model = Book
        fields = ["author", "title"]


def viewsets_for(side: str) -> list[type]:
    base = viewsets.ModelViewSet if side == "sync" else AsyncModelViewSet
    common = {"serializer_class": BookSerializer, "filter_backends": [filters.DjangoFilterBackend]}
    by_fields = type("BookViewSet", (base,), {**common, "queryset": Book.objects.order_by("id"),
                                              "filterset_fields": ["author", "pages"]})
    by_class = type("FilteredBookViewSet", (base,), {**common, "queryset": Book.objects.order_by("id"),
                                                     "filterset_class": BookFilter})
    if side == "async-hooks":
        async def get_queryset(self):
            return Book.objects.order_by("id")

        by_fields = type("BookViewSet", (by_fields,), {"get_queryset": get_queryset})
        by_class = type("FilteredBookViewSet", (by_class,), {"get_queryset": get_queryset})
    return [by_fields, by_class]


for side in SIDES:
    router = SimpleRouter()
    by_fields, by_class = viewsets_for(side)
    router.register("books", by_fields, basename=f"filter-{side}-book")
    router.register("filtered", by_class, basename=f"filter-{side}-filtered")
    mount(side, "filter", router.urls)


@pytest.fixture
def shelf(db):
    le_guin, tolkien = Author.objects.create(name="Ursula Le Guin"), Author.objects.create(name="Tolkien")
    books = [Book.objects.create(title=title, author=author, pages=pages) for title, author, pages in [
        ("Earthsea", le_guin, 183), ("Tehanu", le_guin, 226), ("The Hobbit", tolkien, 310), ("Lavinia", le_guin, 279),
    ]]
    return {"le_guin": le_guin.id, "tolkien": tolkien.id, "books": [book.id for book in books]}


def test_filters_answer_alike(shelf):
    """Filtered lists, invalid filter values (400), a detail outside the filter (404) and a filtered update alike."""
    le_guin, tolkien = shelf["le_guin"], shelf["tolkien"]
    earthsea, _, hobbit, _ = shelf["books"]

    def scenario(side):
        steps = []
        for method, suffix, query in (
            ("get", "books/", {}), ("get", "books/", {"author": le_guin}), ("get", "books/", {"pages": 310}),
            ("get", "books/", {"author": 999}), ("get", "books/", {"pages": "many"}),
            ("get", "filtered/", {"min_pages": 200, "max_pages": 300}), ("get", "filtered/", {"author_name": "GUIN"}),
            ("get", "filtered/", {"title": "Tehanu", "author": le_guin}), ("get", "filtered/", {"min_pages": "x"}),
            ("get", f"books/{hobbit}/", {"author": le_guin}), ("get", f"books/{hobbit}/", {"author": tolkien}),
        ):
            got = getattr(side, method)(suffix, data=query)
            steps.append((suffix, query, got.status, got.data, got.headers))
        got = side.patch(f"books/{earthsea}/?author={tolkien}", data={"pages": 1}, format="json")
        steps.append(("patch outside the filter", got.status, got.data, got.headers))
        got = side.patch(f"books/{earthsea}/?author={le_guin}", data={"pages": 200}, format="json")
        steps.append(("patch inside the filter", got.status, got.data, got.headers))
        return steps

    steps = assert_alike(each_side("filter", scenario, SIDES))
    assert [step[2] for step in steps[:11]] == [200, 200, 200, 400, 400, 200, 200, 200, 400, 404, 200]
    assert [row["title"] for row in steps[5][3]] == ["Tehanu", "Lavinia"]
    assert [row["title"] for row in steps[6][3]] == ["Earthsea", "Tehanu", "Lavinia"]
    assert [step[1] for step in steps[11:]] == [404, 200]
