"""
DRF's paginators with async entry points.

`apaginate_queryset()` runs DRF's own `paginate_queryset()` — the count and the page
fetch — in one thread hop and returns the page as a list, so serializing it never touches
the database from the event loop; `aget_paginated_response()` builds the response on the
loop (DRF's builds it from values the page fetch already computed).

In an async generic view or viewset, DRF's sync paginators work as they are; these
classes are for code that paginates by hand (``await paginator.apaginate_queryset(...)``)
and for subclasses that override the async twins.
"""

from __future__ import annotations

from typing import Any

from rest_framework import pagination
from rest_framework.response import Response

from .utils import acall, delegating, inline

__all__ = ["AsyncPaginationMixin", "AsyncPageNumberPagination", "AsyncLimitOffsetPagination", "AsyncCursorPagination"]


class AsyncPaginationMixin:
    """`apaginate_queryset()` and `aget_paginated_response()` for any `BasePagination`."""

    @delegating
    async def apaginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        """
        Async counterpart of `paginate_queryset()`: the count and the page fetch in one
        thread hop (an ``async def paginate_queryset`` override is awaited instead).
        """
        return await acall(self.paginate_queryset, queryset, request, view)  # type: ignore[attr-defined]

    @delegating
    async def aget_paginated_response(self, data: Any) -> Response:
        """Async counterpart of `get_paginated_response()`."""
        return await acall(self.get_paginated_response, data)  # type: ignore[attr-defined]


class AsyncPageNumberPagination(AsyncPaginationMixin, pagination.PageNumberPagination):
    """`PageNumberPagination` with `apaginate_queryset()` and `aget_paginated_response()`."""


class AsyncLimitOffsetPagination(AsyncPaginationMixin, pagination.LimitOffsetPagination):
    """`LimitOffsetPagination` with `apaginate_queryset()` and `aget_paginated_response()`."""


class AsyncCursorPagination(AsyncPaginationMixin, pagination.CursorPagination):
    """`CursorPagination` with `apaginate_queryset()` and `aget_paginated_response()`."""


def _register_drf_builtins() -> None:
    """DRF builds the paginated response from the page already fetched: no I/O, no hop."""
    for paginator_class in (
        pagination.PageNumberPagination,
        pagination.LimitOffsetPagination,
        pagination.CursorPagination,
    ):
        inline(paginator_class.get_paginated_response)


_register_drf_builtins()
