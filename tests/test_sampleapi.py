"""
The sample API (notes and the bookshop), end to end through Django's async handler with
the async test client; the stores the availability endpoint asks are a real aiohttp server
on an ephemeral port (`sampleapi.stores`). tests/server/test_sampleapi_server.py runs the
same API under real gunicorn.
"""

from __future__ import annotations

import contextlib
import io
import json
import time

import pytest
from aiohttp import web
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from rest_framework.authtoken.models import Token

from drf_async.lifespan import Lifespan
from drf_async.test import AsyncAPIClient
from sampleapi.books.models import Author, Book, Review
from sampleapi.notes.models import Note
from sampleapi.resources import http_session
from sampleapi.stores import Store, make_app

pytestmark = [pytest.mark.django_db, pytest.mark.urls("sampleapi.urls")]


async def test_health_and_slow():
    client = AsyncAPIClient()
    assert (await client.get("/api/health/")).data == {"status": "ok"}
    assert (await client.get("/api/slow/", {"ms": "5"})).data == {"slept_ms": 5}


async def test_notes_viewset_on_drf_router():
    """Token-authenticated create, anonymous paginated list/search/detail, owner-only delete, @action."""
    owner = await User.objects.acreate_user("owner", password="pw")
    token = await Token.objects.acreate(user=owner)
    client = AsyncAPIClient()

    assert (await client.post("/api/notes/", {"title": "x"}, format="json")).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    created = await client.post("/api/notes/", {"title": " Hello ", "body": "world"}, format="json")
    assert created.status_code == 201 and created.data["owner"] == "owner" and created.data["title"] == "Hello"
    assert (await client.post("/api/notes/", {"body": "no title"}, format="json")).data == {
        "title": ["This field is required."]
    }
    assert (await client.post("/api/notes/", {"title": "Untitled"}, format="json")).data == {
        "title": ["Give the note a title."]
    }
    await client.post("/api/notes/", {"title": "Second"}, format="json")

    anonymous = AsyncAPIClient()
    listed = await anonymous.get("/api/notes/", {"ordering": "title", "page_size": 1})
    assert listed.data["count"] == 2 and [n["title"] for n in listed.data["results"]] == ["Hello"]
    assert listed.data["next"].endswith("/api/notes/?ordering=title&page=2&page_size=1")
    found = await anonymous.get("/api/notes/", {"search": "world"})
    assert [n["title"] for n in found.data["results"]] == ["Hello"]
    note_url = f"/api/notes/{created.data['id']}/"
    assert (await anonymous.get(note_url)).data["body"] == "world"
    assert (await anonymous.get("/api/notes/999/")).status_code == 404
    assert (await anonymous.get("/api/whoami/")).status_code == 401
    assert (await client.get("/api/whoami/")).data == {"username": "owner"}
    assert [n["title"] for n in (await client.get("/api/notes/mine/")).data] == ["Second", "Hello"]
    assert (await anonymous.get("/api/")).data["notes"] == "http://testserver/api/notes/"

    other = await User.objects.acreate_user("other", password="pw")
    intruder = AsyncAPIClient()
    intruder.force_authenticate(other)
    denied = await intruder.patch(note_url, {"title": "mine now"}, format="json")
    assert denied.status_code == 403 and denied.data == {"detail": "Only the owner may change this note."}
    assert (await intruder.delete(note_url)).status_code == 403
    assert (await client.patch(note_url, {"body": "edited"}, format="json")).data["body"] == "edited"
    assert (await client.delete(note_url)).status_code == 204
    assert await Note.objects.acount() == 1


@override_settings(ROOT_URLCONF="sampleapi.urls")
def test_sampleapi_passes_the_system_checks():
    from django.core import checks

    assert [m for m in checks.run_checks() if m.level >= checks.WARNING] == []


# The bookshop


@pytest.fixture
def seeded(db):
    call_command("seed", stdout=io.StringIO())
    return {user.username: user for user in User.objects.filter(username__in=["alice", "bob"])}


@contextlib.asynccontextmanager
async def stores_service(*specs: str):
    """The stores service on 127.0.0.1 (ephemeral port), with BOOKSHOP_STORES pointing at it."""
    app = make_app([Store.parse(spec, latency_ms=0, failure_rate=0) for spec in specs])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    names = [spec.split(":")[0] for spec in specs]
    try:
        with override_settings(BOOKSHOP_STORES={n: f"http://127.0.0.1:{port}/{n}" for n in names},
                               BOOKSHOP_STORE_TIMEOUT=1.0, DRF_ASYNC_LIFESPAN={"http": http_session}):
            async with Lifespan():
                yield
    finally:
        await runner.cleanup()


def token_client(user) -> AsyncAPIClient:
    client = AsyncAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=user).key}")
    return client


def test_seed_is_idempotent(seeded):
    """Running seed again adds nothing; --books N tops the catalogue up to N books."""
    counts = (Book.objects.count(), Review.objects.count(), Author.objects.count(), User.objects.count())
    call_command("seed", stdout=io.StringIO())
    assert (Book.objects.count(), Review.objects.count(), Author.objects.count(), User.objects.count()) == counts
    call_command("seed", "--books", "50", stdout=io.StringIO())
    call_command("seed", "--books", "50", stdout=io.StringIO())
    assert Book.objects.count() == 50
    assert User.objects.get(username="alice").check_password("bookshop")


def test_books_list_filters_search_ordering_and_pagination(seeded):
    client = AsyncAPIClient()
    listed = async_to_sync(client.get)("/api/books/", {"page_size": 4})
    assert listed.status_code == 200 and listed.data["count"] == 9 and len(listed.data["results"]) == 4
    assert listed.data["next"].endswith("/api/books/?page=2&page_size=4")
    assert [b["title"] for b in listed.data["results"]][:2] == ["A Wizard of Earthsea", "Ficciones"]
    found = async_to_sync(client.get)("/api/books/", {"search": "calvino"})
    assert {b["title"] for b in found.data["results"]} == {"Invisible Cities", "If on a winter's night a traveler"}
    tagged = async_to_sync(client.get)("/api/books/", {"tag": "sf", "ordering": "-published"})
    assert [b["title"] for b in tagged.data["results"]] == [
        "Parable of the Sower", "Kindred", "The Dispossessed", "The Left Hand of Darkness"]
    cheap = async_to_sync(client.get)("/api/books/", {"max_price": "10", "author": Author.objects.get(
        name="Ursula K. Le Guin").pk})
    assert [b["title"] for b in cheap.data["results"]] == ["A Wizard of Earthsea"]
    by_rating = async_to_sync(client.get)("/api/books/", {"ordering": "-rating", "page_size": 1})
    assert by_rating.data["results"][0]["rating"] == 5.0
    bad = async_to_sync(client.get)("/api/books/", {"published_after": "not-a-date"})
    assert bad.status_code == 400 and bad.data == {"published_after": ["Enter a valid date."]}
    assert async_to_sync(client.get)("/api/books/", {"page": 99}).status_code == 404


def test_book_crud_with_owner_only_edits(seeded):
    """Token create (async perform_create sets the owner), validation errors, owner-only PATCH/DELETE."""
    alice, bob = token_client(seeded["alice"]), token_client(seeded["bob"])
    author = Author.objects.get(name="Italo Calvino").pk
    assert async_to_sync(AsyncAPIClient().post)("/api/books/", {"title": "x"}).status_code == 401
    payload = {"title": "Cosmicomics", "isbn": "978-0-15-622600-8", "author": author, "price": "12.00",
               "tags": ["sf", "literary"]}
    created = async_to_sync(alice.post)("/api/books/", payload)
    assert created.status_code == 201, created.data
    assert created.data["owner"] == "alice" and created.data["isbn"] == "9780156226008"
    assert sorted(created.data["tags"]) == ["literary", "sf"]
    invalid = async_to_sync(alice.post)("/api/books/", {**payload, "isbn": "12ab", "tags": ["nope"], "price": "x"})
    assert invalid.status_code == 400
    assert invalid.data["isbn"] == ["An ISBN has 10 or 13 digits."]
    assert invalid.data["tags"] == ["Object with name=nope does not exist."]
    assert invalid.data["price"] == ["A valid number is required."]
    duplicate = async_to_sync(alice.post)("/api/books/", payload)
    assert duplicate.status_code == 400 and duplicate.data == {"isbn": ["book with this isbn already exists."]}

    url = f"/api/books/{created.data['id']}/"
    denied = async_to_sync(bob.patch)(url, {"price": "1.00"})
    assert denied.status_code == 403 and denied.data == {"detail": "Only the owner may change this."}
    assert async_to_sync(bob.delete)(url).status_code == 403
    assert async_to_sync(alice.patch)(url, {"price": "13.50"}).data["price"] == "13.50"
    assert async_to_sync(alice.delete)(url).status_code == 204
    assert async_to_sync(alice.get)(url).status_code == 404


def test_authors_sync_perform_create_and_owner_permission(seeded):
    bob = token_client(seeded["bob"])
    created = async_to_sync(bob.post)("/api/authors/", {"name": "Stanisław Lem"})
    assert created.status_code == 201 and created.data["owner"] == "bob"
    le_guin = Author.objects.get(name="Ursula K. Le Guin")  # alice's
    assert async_to_sync(bob.patch)(f"/api/authors/{le_guin.pk}/", {"bio": "?"}).status_code == 403
    assert async_to_sync(bob.patch)(f"/api/authors/{created.data['id']}/", {"bio": "Solaris."}).data["bio"] == (
        "Solaris.")


def test_reviews_action_and_top(seeded):
    """POST /api/books/{id}/reviews/: signed in, 1-5, one per reader; GET lists them; top orders by rating."""
    alice = token_client(seeded["alice"])
    book = Book.objects.get(title="Parable of the Sower")  # alice owns "The Dispossessed", bob this one
    url = f"/api/books/{book.pk}/reviews/"
    assert async_to_sync(AsyncAPIClient().post)(url, {"rating": 5}).status_code == 401
    assert async_to_sync(alice.post)(url, {"rating": 6}).data == {
        "rating": ["Ensure this value is less than or equal to 5."]}
    created = async_to_sync(alice.post)(url, {"rating": 5, "text": "Prescient."})
    assert created.status_code == 201 and created.data["user"] == "alice" and created.data["book"] == book.pk
    again = async_to_sync(alice.post)(url, {"rating": 1})
    assert again.status_code == 400 and again.data == {"non_field_errors": ["You have already reviewed this book."]}
    assert [r["text"] for r in async_to_sync(AsyncAPIClient().get)(url).data] == ["Prescient."]
    assert async_to_sync(alice.post)("/api/books/999999/reviews/", {"rating": 3}).status_code == 404

    top = async_to_sync(AsyncAPIClient().get)("/api/books/top/").data
    ratings = [b["rating"] for b in top]
    assert ratings == [5.0, 5.0, 5.0, 4.5, 4.0, 3.0]  # the six reviewed books
    assert top[0]["title"] == "Invisible Cities"  # 5.0 and first by title among the 5.0s


def test_export_streams_ndjson(seeded):
    call_command("seed", "--books", "2500", stdout=io.StringIO())

    async def export():
        response = await AsyncAPIClient().get("/api/books/export/", {"search": "Book of Sand"})
        assert response.streaming and response["Content-Type"] == "application/x-ndjson"
        return [json.loads(line) async for chunk in response.streaming_content for line in chunk.splitlines()]

    rows = async_to_sync(export)()
    assert len(rows) == 2500 - 9
    assert rows[0] == {"id": rows[0]["id"], "title": "Book of Sand, volume 0", "isbn": "9790000000000",
                       "author": "Jorge Luis Borges", "published": None, "price": "9.99"}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_availability_fans_out_and_reports_unavailable_stores(seeded):
    """One fast, one slow (past the 1 s timeout), one failing store: the fast one answers, the others are listed."""
    book = Book.objects.get(title="Kindred")

    async def ask():
        async with stores_service("fast", "slow:latency=5000", "down:failure=1"):
            started = time.monotonic()
            response = await AsyncAPIClient().get(f"/api/books/{book.pk}/availability/")
            return response, time.monotonic() - started

    response, elapsed = async_to_sync(ask)()
    assert response.status_code == 200, response.data
    by_store = {answer["store"]: answer for answer in response.data}
    assert by_store["fast"]["available"] is True and by_store["fast"]["in_stock"] == Store("fast").stock(
        book.isbn)["in_stock"]
    assert by_store["slow"] == {"store": "slow", "available": False, "in_stock": None, "price": None,
                                "error": "no answer within 1 s"}
    assert by_store["down"]["available"] is False and by_store["down"]["error"] == "HTTP 503"
    assert elapsed < 3  # concurrently: bounded by the 1 s timeout, not by the slow store's 5 s


def test_availability_all_stores_down_is_a_504(seeded):
    book = Book.objects.get(title="Kindred")

    async def ask():
        async with stores_service("down:failure=1", "slow:latency=5000"):
            return await AsyncAPIClient().get(f"/api/books/{book.pk}/availability/")

    response = async_to_sync(ask)()
    assert response.status_code == 504
    assert response.data == {"detail": "No store answered in time; try again later."}


def test_root_redirects_to_the_api_root():
    """`/` is the API root's address, not a 404 (tests/server/test_sampleapi_server.py checks the schema and docs)."""
    root = async_to_sync(AsyncAPIClient().get)("/")
    assert root.status_code == 302 and root["Location"] == "/api/"


def test_token_login(seeded):
    response = async_to_sync(AsyncAPIClient().post)("/api/auth/token/", {"username": "alice", "password": "bookshop"})
    assert response.data == {"token": Token.objects.get(user__username="alice").key}
    wrong = async_to_sync(AsyncAPIClient().post)("/api/auth/token/", {"username": "alice", "password": "no"})
    assert wrong.status_code == 400 and wrong.data == {
        "non_field_errors": ["Unable to log in with provided credentials."]}
