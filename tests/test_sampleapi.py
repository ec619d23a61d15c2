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


async def test_notes_create_list_retrieve_delete():
    """Token-authenticated create, anonymous list and detail, owner-only delete."""
    owner = await User.objects.acreate_user("owner", password="pw")
    token = await Token.objects.acreate(user=owner)
    client = AsyncAPIClient()

    assert (await client.post("/api/notes/", {"title": "x"}, format="json")).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    created = await client.post("/api/notes/", {"title": "Hello", "body": "world"}, format="json")
    assert created.status_code == 201 and created.data["owner"] == "owner"
    assert (await client.post("/api/notes/", {"body": "no title"}, format="json")).data == {
        "title": ["This field is required."]
    }

    anonymous = AsyncAPIClient()
    listed = await anonymous.get("/api/notes/")
    assert [note["title"] for note in listed.data] == ["Hello"]
    assert (await anonymous.get(f"/api/notes/{created.data['id']}/")).data["body"] == "world"
    assert (await anonymous.get("/api/notes/999/")).status_code == 404
    assert (await anonymous.get("/api/whoami/")).status_code == 401
    assert (await client.get("/api/whoami/")).data == {"username": "owner"}

    other = await User.objects.acreate_user("other", password="pw")
    intruder = AsyncAPIClient()
    intruder.force_authenticate(other)
    denied = await intruder.delete(f"/api/notes/{created.data['id']}/")
    assert denied.status_code == 403
    assert (await client.delete(f"/api/notes/{created.data['id']}/")).status_code == 204
    assert await Note.objects.acount() == 0


@override_settings(ROOT_URLCONF="sampleapi.urls")
def test_sampleapi_passes_the_system_checks():
    from django.core import checks

    assert [m for m in checks.run_checks() if m.level >= checks.WARNING] == []
