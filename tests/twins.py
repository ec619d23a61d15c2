"""
The parity harness: route a sync DRF view and its drf_async twin side by side, send both
the same request through a real Django handler (WSGI for sync DRF, as DRF runs today;
ASGI for the async twin) and compare what a client sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from django.urls import path, re_path
from rest_framework.test import APIClient

from drf_async.test import AsyncAPIClient
from tests import urls

# Headers whose value must match between a sync DRF view and its async twin.
COMPARED_HEADERS = ("Content-Type", "Allow", "Vary", "WWW-Authenticate", "Retry-After", "Location", "X-Extra")


def route(name: str, sync_view: Callable[..., Any] | None, async_view: Callable[..., Any], pattern: str = "") -> None:
    """Serve *sync_view* at ``/sync/<name>/<pattern>`` and *async_view* at ``/async/<name>/<pattern>``."""
    for side, view in (("sync", sync_view), ("async", async_view)):
        if view is not None and pattern:
            urls.urlpatterns.append(re_path(rf"^{side}/{name}/{pattern}$", view))
        elif view is not None:
            urls.urlpatterns.append(path(f"{side}/{name}/", view))


@dataclass
class Seen:
    """What a client sees of one response."""

    status: int
    data: Any
    headers: dict[str, str]


def seen(response: Any, compared_headers: tuple[str, ...] = COMPARED_HEADERS) -> Seen:
    data = getattr(response, "data", None)
    if data is None:
        data = b"".join(response.streaming_content) if response.streaming else response.content
    headers = {h: response[h] for h in compared_headers if response.has_header(h)}
    return Seen(response.status_code, data, headers)


class Twins:
    """
    A sync `APIClient` and an `AsyncAPIClient` set up alike. Call from a sync test:
    the async client runs under ``async_to_sync``, so ORM work in either view uses the
    test's connection and transaction.
    """

    def __init__(self, **client_kwargs: Any) -> None:
        self.sync_client = APIClient(**client_kwargs)
        self.async_client = AsyncAPIClient(**client_kwargs)

    def each(self, method: str, *args: Any, **kwargs: Any) -> None:
        """Call a setup method (force_authenticate, credentials, force_login…) on both clients."""
        getattr(self.sync_client, method)(*args, **kwargs)
        getattr(self.async_client, method)(*args, **kwargs)

    def request(self, method: str, name: str, suffix: str = "", **kwargs: Any) -> tuple[Seen, Seen]:
        sync_response = getattr(self.sync_client, method)(f"/sync/{name}/{suffix}", **kwargs)
        async_response = async_to_sync(getattr(self.async_client, method))(f"/async/{name}/{suffix}", **kwargs)
        return seen(sync_response), seen(async_response)

    def same(self, method: str, name: str, suffix: str = "", **kwargs: Any) -> Seen:
        """Send the request to both twins, assert they answer alike, return the answer."""
        sync_seen, async_seen = self.request(method, name, suffix, **kwargs)
        assert async_seen == sync_seen
        return async_seen
