"""
Test helpers mirroring `rest_framework.test` for the async request path.

`AsyncAPIRequestFactory` builds ASGI requests with DRF's `format=` / `content_type=`
encoding; `AsyncAPIClient` sends them through Django's async handler:

    client = AsyncAPIClient()
    client.force_authenticate(user)
    response = await client.post("/notes/", {"text": "hi"}, format="json")
"""

from __future__ import annotations

from typing import Any

from django.test.client import AsyncClient, AsyncClientHandler, AsyncRequestFactory
from rest_framework.test import APIRequestFactory, force_authenticate

__all__ = ["AsyncAPIRequestFactory", "AsyncAPIClient", "force_authenticate"]


def _asgi_header_name(key: str) -> str:
    """``HTTP_X_API_KEY`` (WSGI environ spelling, as DRF's tests write it) → ``x-api-key``."""
    if key.startswith("HTTP_"):
        key = key[5:]
    return key.lower().replace("_", "-")


class _EnvironHeadersMixin(AsyncRequestFactory):
    """
    Accept DRF's WSGI-style extra keys (``HTTP_AUTHORIZATION=…``, ``CONTENT_TYPE``) and
    turn them into ASGI header names, which is what Django's `AsyncRequestFactory` expects.
    """

    def generic(
        self, method: str, path: str, data: Any = "", content_type: str | None = "application/octet-stream",
        secure: bool = False, **extra: Any,
    ) -> Any:
        headers = {}
        for key in list(extra):
            if key.isupper() and key not in ("QUERY_STRING",):
                headers[_asgi_header_name(key)] = str(extra.pop(key))
        if data:
            # Django adds content-type from the argument itself when there is a body.
            headers.pop("content-type", None)
        return super().generic(method, path, data, content_type or "", secure, **extra, **headers)


class AsyncAPIRequestFactory(APIRequestFactory, _EnvironHeadersMixin):
    """`APIRequestFactory` whose requests are `ASGIRequest`s, for calling async views directly."""


class AsyncForceAuthClientHandler(AsyncClientHandler):
    """`AsyncClientHandler` that can force authentication, like DRF's `ForceAuthClientHandler`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._force_user = None
        self._force_token = None
        super().__init__(*args, **kwargs)

    async def get_response_async(self, request: Any) -> Any:
        force_authenticate(request, self._force_user, self._force_token)
        return await super().get_response_async(request)


class AsyncAPIClient(AsyncAPIRequestFactory, AsyncClient):
    """
    DRF's `APIClient` for the async path: every request method is awaitable and runs the
    view through Django's async handler (async middleware, coroutine views).
    """

    def __init__(self, enforce_csrf_checks: bool = False, **defaults: Any) -> None:
        super().__init__(**defaults)
        self.handler = AsyncForceAuthClientHandler(enforce_csrf_checks)
        self._credentials: dict[str, Any] = {}

    def credentials(self, **kwargs: Any) -> None:
        """Sets headers that will be used on every outgoing request."""
        self._credentials = kwargs

    def force_authenticate(self, user: Any = None, token: Any = None) -> None:
        """Forcibly authenticates outgoing requests with the given user and/or token."""
        self.handler._force_user = user
        self.handler._force_token = token
        if user is None and token is None:
            self._forget_credentials()

    def request(self, **request: Any) -> Any:
        # Skip APIRequestFactory.request(): it tags the request object it gets back, which
        # here is the client's coroutine; the client's handler applies the CSRF setting.
        return AsyncClient.request(self, **request)

    def generic(self, method: str, path: str, *args: Any, **extra: Any) -> Any:
        # Credentials win over per-request extras, as in DRF's APIClient.request().
        extra.update(self._credentials)
        return super().generic(method, path, *args, **extra)

    async def get(self, path: str, data: Any = None, follow: bool = False, **extra: Any) -> Any:
        response = await APIRequestFactory.get(self, path, data=data, **extra)
        return await self._follow(response, follow, data=data, **extra)

    async def post(self, path: str, data: Any = None, format: str | None = None, content_type: str | None = None,
                   follow: bool = False, **extra: Any) -> Any:
        response = await APIRequestFactory.post(self, path, data, format, content_type, **extra)
        return await self._follow(response, follow, data=data, format=format, content_type=content_type, **extra)

    async def put(self, path: str, data: Any = None, format: str | None = None, content_type: str | None = None,
                  follow: bool = False, **extra: Any) -> Any:
        response = await APIRequestFactory.put(self, path, data, format, content_type, **extra)
        return await self._follow(response, follow, data=data, format=format, content_type=content_type, **extra)

    async def patch(self, path: str, data: Any = None, format: str | None = None, content_type: str | None = None,
                    follow: bool = False, **extra: Any) -> Any:
        response = await APIRequestFactory.patch(self, path, data, format, content_type, **extra)
        return await self._follow(response, follow, data=data, format=format, content_type=content_type, **extra)

    async def delete(self, path: str, data: Any = None, format: str | None = None, content_type: str | None = None,
                     follow: bool = False, **extra: Any) -> Any:
        response = await APIRequestFactory.delete(self, path, data, format, content_type, **extra)
        return await self._follow(response, follow, data=data, format=format, content_type=content_type, **extra)

    async def options(self, path: str, data: Any = None, format: str | None = None, content_type: str | None = None,
                      follow: bool = False, **extra: Any) -> Any:
        response = await APIRequestFactory.options(self, path, data, format, content_type, **extra)
        return await self._follow(response, follow, data=data, format=format, content_type=content_type, **extra)

    async def _follow(self, response: Any, follow: bool, **kwargs: Any) -> Any:
        if follow:
            response = await self._ahandle_redirects(response, **kwargs)
        return response

    def logout(self) -> None:
        self._forget_credentials()
        super().logout()

    async def alogout(self) -> None:
        self._forget_credentials()
        await super().alogout()

    def _forget_credentials(self) -> None:
        self._credentials = {}
        self.handler._force_user = None
        self.handler._force_token = None
