from __future__ import annotations

from drf_async.pagination import AsyncPageNumberPagination


class BookshopPagination(AsyncPageNumberPagination):
    """Page-number pagination: ``?page=2&page_size=50`` (at most 100 per page)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
