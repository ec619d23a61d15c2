"""The sample API, end to end through Django's async handler with the async test client."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from rest_framework.authtoken.models import Token

from drf_async.test import AsyncAPIClient
from sampleapi.notes.models import Note

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
    assert (await anonymous.get("/api/")).data == {"notes": "http://testserver/api/notes/"}

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
