"""AsyncAPIRequestFactory and AsyncAPIClient behave like DRF's APIRequestFactory and APIClient."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import User
from django.core.handlers.asgi import ASGIRequest
from rest_framework import permissions
from rest_framework.authentication import BasicAuthentication, SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from drf_async.test import AsyncAPIClient, AsyncAPIRequestFactory, force_authenticate
from drf_async.views import AsyncAPIView
from tests.twins import route

factory = AsyncAPIRequestFactory()


class Inspect(AsyncAPIView):
    authentication_classes = [BasicAuthentication, SessionAuthentication, TokenAuthentication]
    permission_classes = [permissions.AllowAny]

    async def _answer(self, request):
        return Response({
            "method": request.method,
            "user": str(request.user),
            "auth": str(request.auth) if request.auth else None,
            "data": request.data,
            "content_type": request.content_type,
            "query": request.query_params.dict(),
            "header": request.headers.get("X-Custom"),
        })

    get = post = put = patch = delete = _answer


route("inspect", None, Inspect.as_view())


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", password="pw")


def test_factory_builds_asgi_requests_with_drf_encoding():
    """format="json" renders and sets the content type; extra HTTP_* keys become headers."""
    request = factory.post("/x/", {"a": [1]}, format="json", HTTP_X_CUSTOM="yes")
    assert isinstance(request, ASGIRequest)
    assert request.content_type == "application/json"
    assert request.body == b'{"a":[1]}'
    assert request.headers["X-Custom"] == "yes"
    assert request._dont_enforce_csrf_checks is True


def test_factory_request_runs_an_async_view_with_force_authenticate(bob):
    from asgiref.sync import async_to_sync

    request = factory.put("/x/", {"n": 1}, format="json")
    force_authenticate(request, user=bob, token="t")
    response = async_to_sync(Inspect.as_view())(request)
    assert response.data["user"] == "bob" and response.data["auth"] == "t" and response.data["data"] == {"n": 1}


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
async def test_every_method_is_awaitable(method):
    response = await getattr(AsyncAPIClient(), method)("/async/inspect/")
    assert response.status_code == 200
    if method != "options":
        assert response.data["method"] == method.upper()


async def test_format_json_and_multipart_and_query():
    client = AsyncAPIClient()
    response = await client.post("/async/inspect/", {"a": 1}, format="json")
    assert response.data["data"] == {"a": 1} and response.data["content_type"] == "application/json"
    response = await client.patch("/async/inspect/", {"a": "1"}, format="multipart")
    assert response.data["data"]["a"] == "1" and response.data["content_type"].startswith("multipart/form-data")
    response = await client.get("/async/inspect/", {"q": "x"})
    assert response.data["query"] == {"q": "x"}
    response = await client.get("/async/inspect/?q=y")
    assert response.data["query"] == {"q": "y"}


async def test_force_authenticate_and_reset(bob):
    client = AsyncAPIClient()
    client.force_authenticate(user=bob)
    assert (await client.get("/async/inspect/")).data["user"] == "bob"
    client.force_authenticate(None)
    assert (await client.get("/async/inspect/")).data["user"] == "AnonymousUser"


async def test_credentials_are_sent_and_cleared_by_logout(bob):
    """credentials() headers ride on every request (Basic, Token) until logout()."""
    token = await Token.objects.acreate(user=bob)
    client = AsyncAPIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"bob:pw").decode())
    assert (await client.get("/async/inspect/")).data["user"] == "bob"
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_X_CUSTOM="c")
    response = await client.post("/async/inspect/", {"x": 1})
    assert response.data["user"] == "bob" and response.data["header"] == "c"
    await client.alogout()
    assert (await client.get("/async/inspect/")).data["user"] == "AnonymousUser"


def test_login_and_logout_use_the_session(bob):
    """Sync login()/logout() from a sync test, then the session authenticates the async view."""
    from asgiref.sync import async_to_sync

    client = AsyncAPIClient()
    assert client.login(username="bob", password="pw")
    assert async_to_sync(client.get)("/async/inspect/").data["user"] == "bob"
    client.logout()
    assert async_to_sync(client.get)("/async/inspect/").data["user"] == "AnonymousUser"


async def test_alogin_authenticates_async_requests(bob):
    client = AsyncAPIClient()
    assert await client.alogin(username="bob", password="pw")
    assert (await client.get("/async/inspect/")).data["user"] == "bob"


async def test_enforce_csrf_checks(db):
    """With enforce_csrf_checks=True a session-authenticated unsafe request needs a token (DRF's 403)."""
    user = await User.objects.acreate_user("carol", password="pw")
    client = AsyncAPIClient(enforce_csrf_checks=True)
    await client.aforce_login(user)
    response = await client.post("/async/inspect/", {})
    assert response.status_code == 403 and response.data["detail"].startswith("CSRF Failed")


async def test_follow_redirects():
    """follow=True follows a redirect (CommonMiddleware's APPEND_SLASH here), as DRF's APIClient does."""
    client = AsyncAPIClient()
    assert (await client.get("/async/inspect")).status_code == 301
    response = await client.get("/async/inspect", follow=True)
    assert response.status_code == 200 and response.redirect_chain == [("/async/inspect/", 301)]
