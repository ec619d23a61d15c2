"""
The same requests to the project as written (DRF, through Django's WSGI test handler, as a DRF
project's tests run) and to its port (drf_async base classes, through the ASGI test handler): identical statuses, data
and headers. Run by tests/test_migration.py with ``--ds tests.migration.settings``.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Permission, User
from django.db import transaction
from rest_framework.test import APIClient

from drf_async.test import AsyncAPIClient
from tests.models import Author, Book, Tag
from tests.twins import Seen, seen


@pytest.fixture
def shop(db):
    ann = User.objects.create_user("ann")
    ann.user_permissions.add(Permission.objects.get(codename="change_author", content_type__app_label="tests"))
    User.objects.create_user("off", is_active=False)
    tolkien, le_guin = Author.objects.create(name="Tolkien"), Author.objects.create(name="Le Guin")
    fantasy = Tag.objects.create(label="fantasy")
    books = [Book.objects.create(title=title, author=author, pages=pages) for title, author, pages in [
        ("The Hobbit", tolkien, 310), ("The Silmarillion", tolkien, 365), ("The Lord of the Rings", tolkien, 1178),
        ("A Wizard of Earthsea", le_guin, 183), ("The Dispossessed", le_guin, 387), ("Lavinia", le_guin, 279),
        ("The Lathe of Heaven", le_guin, 184),
    ]]
    books[0].tags.add(fantasy)
    books[3].tags.add(fantasy)
    return {"tolkien": tolkien.id, "le_guin": le_guin.id, "books": [book.id for book in books]}


KEY = {"HTTP_X_API_KEY": "ann"}


def requests(shop):
    """(method, path, kwargs): what an API client of the project sends."""
    hobbit, lotr, earthsea = shop["books"][0], shop["books"][2], shop["books"][3]
    book = {"title": "  Tehanu ", "author": shop["le_guin"], "pages": 226}
    return [
        ("get", "", {}),
        ("get", "health/", {}),
        ("get", "books/", {}),
        ("get", "books/", {"data": {"page": 2}}),
        ("get", "books/", {"data": {"page": 9}}),
        ("get", "books/", {"data": {"search": "the", "ordering": "-pages"}}),
        ("get", "books/", {"data": {"author": shop["tolkien"]}}),
        ("get", f"books/{hobbit}/", {}),
        ("get", "books/999999/", {}),
        ("get", "books/long/", {}),
        ("get", "books/long/", {"data": {"page": 2, "ordering": "title"}}),
        ("options", "books/", {}),
        ("post", "books/", {"data": book, "format": "json"}),
        ("post", "books/", {"data": book, "format": "json", "HTTP_X_API_KEY": "nobody"}),
        ("post", "books/", {"data": book, "format": "json", "HTTP_X_API_KEY": "off"}),
        ("post", "books/", {"data": book, "format": "json", **KEY}),
        ("post", "books/", {"data": {**book, "pages": 0}, "format": "json", **KEY}),
        ("put", f"books/{earthsea}/", {"data": {**book, "title": " Earthsea "}, "format": "json", **KEY}),
        ("patch", f"books/{earthsea}/", {"data": {"pages": 200}, "format": "json", **KEY}),
        ("patch", f"books/{earthsea}/", {"data": {"pages": 200}, "format": "json"}),
        ("delete", f"books/{hobbit}/", KEY),
        ("delete", f"books/{lotr}/", KEY),
        ("post", f"books/{hobbit}/tag/", {"data": {"label": "classic"}, "format": "json", **KEY}),
        ("post", f"books/{hobbit}/tag/", {"data": {"label": "fantasy"}, "format": "json"}),
        ("get", "authors/", {}),
        ("post", "authors/", {"data": {"name": "Pratchett"}, "format": "json", **KEY}),
        ("post", "authors/", {"data": {"name": ""}, "format": "json", **KEY}),
        ("get", f"authors/{shop['tolkien']}/", {}),
        ("put", f"authors/{shop['tolkien']}/", {"data": {"name": "J. R. R. Tolkien"}, "format": "json", **KEY}),
        ("patch", f"authors/{shop['le_guin']}/", {"data": {"name": "Ursula K. Le Guin"}, "format": "json", **KEY}),
        ("delete", f"authors/{shop['le_guin']}/", KEY),
        ("get", "tags/", {}),
        ("get", "import/", {}),
        ("post", "import/", {"data": book, "format": "json", **KEY}),
        ("get", "stats/", {}),
        ("get", "stats/", KEY),
        ("get", "stats/", {"HTTP_X_API_KEY": "nobody"}),
    ]


def comparable(got: Seen, new_ids: set[int]) -> str:
    """What a client sees, with the flavour's URL prefix and ids of rows created by the request made alike."""

    def mask(value):
        if isinstance(value, dict):
            return {k: "<new>" if k == "id" and v in new_ids else mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    return repr(Seen(got.status, mask(got.data), got.headers)).replace("/async/mig/", "/sync/mig/")


def send(client, method: str, path: str, kwargs: dict) -> tuple[Seen, set[int]]:
    """One request, its writes rolled back afterwards; returns the answer and the ids it created."""
    before = {model: set(model.objects.values_list("id", flat=True)) for model in (Author, Book, Tag)}
    with transaction.atomic():
        request = getattr(client, method)
        response = (request if isinstance(client, APIClient) else async_to_sync(request))(path, **kwargs)
        created = set()
        for model, ids in before.items():
            created |= set(model.objects.values_list("id", flat=True)) - ids
        transaction.set_rollback(True)
    return seen(response), created


def test_the_port_answers_every_request_as_the_drf_project(shop):
    """Base classes swapped, nothing else: every request gets the same status, data and headers."""
    drf, port = APIClient(), AsyncAPIClient()
    differences, statuses = [], set()
    for method, path, kwargs in requests(shop):
        drf_seen, drf_new = send(drf, method, f"/sync/mig/{path}", kwargs)
        port_seen, port_new = send(port, method, f"/async/mig/{path}", kwargs)
        if comparable(port_seen, port_new) != comparable(drf_seen, drf_new):
            differences.append(f"{method.upper()} {path} {kwargs}\n  DRF:  {drf_seen}\n  port: {port_seen}")
        statuses.add(drf_seen.status)
    assert differences == [], "\n".join(differences)
    assert statuses == {200, 201, 204, 400, 401, 403, 404, 409}  # the requests reach every outcome
