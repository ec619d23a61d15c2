"""
django-guardian: per-object permissions through DRF's `DjangoObjectPermissions` and guardian's
`ObjectPermissionsFilter` (djangorestframework-guardian, which DRF's docs name), as in its README, on a DRF
`ModelViewSet`, the same class on `AsyncModelViewSet`, and that class with an ``async def
get_queryset`` (which DRF's permission calls synchronously, from a thread).
"""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import Permission, User
from guardian.shortcuts import assign_perm
from rest_framework import permissions, serializers, viewsets
from rest_framework.authentication import BasicAuthentication
from rest_framework.routers import SimpleRouter
from rest_framework_guardian.filters import ObjectPermissionsFilter

from drf_async.viewsets import AsyncModelViewSet
from tests.ecosystem.harness import assert_alike, each_side, mount
from tests.models import Author, Book

SIDES = ("sync", "async", "async-hooks")


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "author", "pages"]


def book_viewset(base: type, async_queryset: bool = False) -> type:
    attrs = {
        "queryset": Book.objects.order_by("id"),
        "serializer_class": BookSerializer,
        "authentication_classes": [BasicAuthentication],
        "permission_classes": [permissions.DjangoObjectPermissions],
        "filter_backends": [ObjectPermissionsFilter],
    }
    if async_queryset:
        async def get_queryset(self):
            return Book.objects.order_by("id")

        attrs["get_queryset"] = get_queryset
    return type("BookViewSet", (base,), attrs)


VIEWSETS = {
    "sync": book_viewset(viewsets.ModelViewSet),
    "async": book_viewset(AsyncModelViewSet),
    "async-hooks": book_viewset(AsyncModelViewSet, async_queryset=True),
}
for side, viewset in VIEWSETS.items():
    router = SimpleRouter()
    router.register("books", viewset, basename=f"guardian-{side}-book")
    mount(side, "guardian", router.urls)


@pytest.fixture
def shelf(db):
    """ann: may add and change books (model permissions), sees books 0 and 1, may change and delete book 0."""
    author = Author.objects.create(name="Le Guin")
    books = [Book.objects.create(title=title, author=author) for title in ("Earthsea", "Tehanu", "Lavinia")]
    ann = User.objects.create_user("ann", password="secret")
    User.objects.create_user("bob", password="secret")
    ann.user_permissions.add(*Permission.objects.filter(codename__in=["add_book", "change_book", "delete_book"]))
    for book in books[:2]:
        assign_perm("tests.view_book", ann, book)
    assign_perm("tests.change_book", ann, books[0])
    assign_perm("tests.delete_book", ann, books[0])
    return {"author": author.id, "books": [book.id for book in books]}


def basic(username: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:secret".encode()).decode()}


def test_object_permissions_and_filter(shelf):
    """Lists filtered per user, object reads, writes allowed, refused (403) or hidden (404) alike on every side."""
    mine, seen_only, hidden = shelf["books"]

    def scenario(side):
        steps = []
        for user, method, suffix, data in (
            ("ann", "get", "books/", None), ("bob", "get", "books/", None), (None, "get", "books/", None),
            ("ann", "get", f"books/{seen_only}/", None), ("ann", "get", f"books/{hidden}/", None),
            ("ann", "patch", f"books/{mine}/", {"title": "A Wizard of Earthsea"}),
            ("ann", "patch", f"books/{seen_only}/", {"title": "x"}),
            ("ann", "patch", f"books/{hidden}/", {"title": "x"}),
            ("bob", "patch", f"books/{mine}/", {"title": "x"}),
            ("ann", "delete", f"books/{seen_only}/", None), ("ann", "delete", f"books/{mine}/", None),
            ("ann", "get", "books/", None),
        ):
            extra = basic(user) if user else {}
            got = getattr(side, method)(suffix, data=data, format="json", **extra)
            steps.append((user, method, suffix, got.status, got.data, got.headers))
        steps.append(list(Book.objects.order_by("id").values_list("title", flat=True)))
        return steps

    steps = assert_alike(each_side("guardian", scenario, SIDES))
    assert [step[3] for step in steps[:-1]] == [200, 200, 401, 200, 404, 200, 403, 404, 403, 403, 204, 200]
    assert [row["id"] for row in steps[0][4]] == [mine, seen_only]
    assert steps[1][4] == []
    assert steps[-1] == ["Tehanu", "Lavinia"]
