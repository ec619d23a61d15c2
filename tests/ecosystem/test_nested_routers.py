"""
drf-nested-routers: books nested under their author (``/authors/<author_pk>/books/``), with
`NestedSimpleRouter` and `NestedHyperlinkedModelSerializer` as in the package's README, on DRF
viewsets, the same classes on drf_async's, and drf_async ones whose hooks are ``async def``.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from rest_framework import serializers, viewsets
from rest_framework.routers import SimpleRouter
from rest_framework_nested.relations import NestedHyperlinkedIdentityField
from rest_framework_nested.routers import NestedSimpleRouter
from rest_framework_nested.serializers import NestedHyperlinkedModelSerializer

from drf_async.viewsets import AsyncModelViewSet
from tests.ecosystem.harness import assert_alike, each_side, mount
from tests.models import Author, Book

SIDES = ("sync", "async", "async-hooks")


def serializers_for(side: str) -> tuple[type, type]:
    """The README's serializers, with this side's route names."""

    class BookSerializer(NestedHyperlinkedModelSerializer):
        parent_lookup_kwargs = {"author_pk": "author__pk"}
        serializer_url_field = NestedHyperlinkedIdentityField

        class Meta:
            model = Book
            fields = ["url", "id", "title", "pages"]
            extra_kwargs = {"url": {"view_name": f"nested-{side}-book-detail"}}

    class AuthorSerializer(serializers.HyperlinkedModelSerializer):
        class Meta:
            model = Author
            fields = ["url", "id", "name"]
            extra_kwargs = {"url": {"view_name": f"nested-{side}-author-detail"}}

    return AuthorSerializer, BookSerializer


def viewsets_for(side: str) -> tuple[type, type]:
    author_serializer, book_serializer = serializers_for(side)
    base = viewsets.ModelViewSet if side == "sync" else AsyncModelViewSet

    class AuthorViewSet(base):
        queryset = Author.objects.order_by("id")
        serializer_class = author_serializer

    class BookViewSet(base):
        serializer_class = book_serializer

        def get_queryset(self):
            return Book.objects.filter(author=self.kwargs["author_pk"]).order_by("id")

        def perform_create(self, serializer):
            serializer.save(author_id=self.kwargs["author_pk"])

    if side == "async-hooks":

        class BookViewSet(BookViewSet):  # type: ignore[no-redef]
            async def get_queryset(self):
                return Book.objects.filter(author=self.kwargs["author_pk"]).order_by("id")

            async def perform_create(self, serializer):
                await sync_to_async(serializer.save)(author_id=self.kwargs["author_pk"])

    return AuthorViewSet, BookViewSet


for side in SIDES:
    author_viewset, book_viewset = viewsets_for(side)
    router = SimpleRouter()
    router.register("authors", author_viewset, basename=f"nested-{side}-author")
    books_router = NestedSimpleRouter(router, "authors", lookup="author")
    books_router.register("books", book_viewset, basename=f"nested-{side}-book")
    mount(side, "nested", [*router.urls, *books_router.urls])


@pytest.fixture
def shelf(db):
    le_guin, tolkien = Author.objects.create(name="Le Guin"), Author.objects.create(name="Tolkien")
    Book.objects.create(title="Earthsea", author=le_guin, pages=183)
    Book.objects.create(title="Tehanu", author=le_guin, pages=226)
    Book.objects.create(title="The Hobbit", author=tolkien, pages=310)
    return {"le_guin": le_guin.id, "tolkien": tolkien.id, "books": list(Book.objects.values_list("id", flat=True))}


def test_nested_routes(shelf):
    """Nested list, detail (and a book under the wrong author: 404), create, update, delete and hyperlinks alike."""
    le_guin, tolkien = shelf["le_guin"], shelf["tolkien"]
    earthsea, _, hobbit = shelf["books"]

    def scenario(side):
        steps = []
        for method, suffix, data in (
            ("get", "authors/", None), ("get", f"authors/{le_guin}/books/", None),
            ("get", f"authors/{le_guin}/books/{earthsea}/", None), ("get", f"authors/{le_guin}/books/{hobbit}/", None),
            ("post", f"authors/{tolkien}/books/", {"title": "The Silmarillion", "pages": 365}),
            ("post", f"authors/{tolkien}/books/", {"pages": -1}),
            ("patch", f"authors/{le_guin}/books/{earthsea}/", {"pages": 200}),
            ("delete", f"authors/{tolkien}/books/{hobbit}/", None),
            ("get", f"authors/{tolkien}/books/", None), ("options", f"authors/{le_guin}/books/", None),
        ):
            got = getattr(side, method)(suffix, data=data, format="json")
            data = side.neutral(got.data)
            if method == "get" and isinstance(data, list):
                data = [row if row["id"] in shelf["books"] else {**row, "id": "new", "url": "new"} for row in data]
            # Content-Length: links differ by the side's prefix; their text is compared instead.
            headers = side.neutral({name: value for name, value in got.headers.items() if name != "Content-Length"})
            if method == "post" and got.status == 201:
                # A new row's id (here and in lists): PostgreSQL's sequences do not roll back between sides.
                link = f"http://testserver/sync/nested/authors/{tolkien}/books/{data.pop('id')}/"
                assert data.pop("url") == headers.pop("Location") == link
            steps.append((method, suffix, got.status, data, headers))
        steps.append(list(Book.objects.order_by("author", "title").values_list("author", "title", "pages")))
        return steps

    steps = assert_alike(each_side("nested", scenario, SIDES))
    assert [step[2] for step in steps[:-1]] == [200, 200, 200, 404, 201, 400, 200, 204, 200, 200]
    assert steps[2][3]["url"] == f"http://testserver/sync/nested/authors/{le_guin}/books/{earthsea}/"
    assert [row[1] for row in steps[-1]] == ["Earthsea", "Tehanu", "The Silmarillion"]
