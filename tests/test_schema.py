"""
Schema generation and the browsable API on async viewsets and generic views: DRF's
`SchemaGenerator` and drf-spectacular produce the sync twin's OpenAPI document, and
`BrowsableAPIRenderer` renders list and detail pages, forms included, and accepts their POST.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.urls import include, path
from rest_framework import filters, generics, pagination, routers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from drf_async import generics as async_generics
from drf_async import viewsets as async_viewsets
from tests.models import Author, Book, Tag
from tests.test_generics import TEMPLATES
from tests.test_serializers import AsyncBookSerializer, AuthorSerializer, SyncBookSerializer
from tests.twins import Twins


def make_viewset(base: type, serializer_class: type, asynchronous: bool) -> type:
    """A books viewset with filters, pagination and a detail action, documented by docstrings."""

    if asynchronous:
        async def publish(self, request, pk=None):
            """Publish one book."""
            return Response({"published": pk})
    else:
        def publish(self, request, pk=None):
            """Publish one book."""
            return Response({"published": pk})

    attrs = dict(
        __doc__="Books of the library.",
        queryset=Book.objects.all(),
        serializer_class=serializer_class,
        filter_backends=[filters.SearchFilter, filters.OrderingFilter],
        search_fields=["title"],
        ordering_fields=["pages"],
        pagination_class=pagination.PageNumberPagination,
        publish=action(detail=True, methods=["post"])(publish),
    )
    return type("BookViewSet", (base,), attrs)


def make_tags_view(base: type) -> type:
    from tests.test_serializers import TagSerializer

    return type("TagList", (base,), dict(__doc__="All tags.", queryset=Tag.objects.all(),
                                        serializer_class=TagSerializer))


def patterns(side: str) -> list:
    asynchronous = side == "async"
    router = routers.DefaultRouter()
    router.register(
        "books",
        make_viewset(async_viewsets.AsyncModelViewSet if asynchronous else viewsets.ModelViewSet,
                     AsyncBookSerializer if asynchronous else SyncBookSerializer, asynchronous),
        basename="book",
    )
    # No docstring: described as the sync twin is (nothing inherited from drf_async's bases).
    undocumented = type("Undocumented", (async_viewsets.AsyncModelViewSet if asynchronous else viewsets.ModelViewSet,),
                        {"queryset": Author.objects.all(), "serializer_class": AuthorSerializer})
    router.register("undocumented", undocumented, basename="undocumented")
    tags = make_tags_view(async_generics.AsyncListCreateAPIView if asynchronous else generics.ListCreateAPIView)
    return [path("api/", include(router.urls)), path("api/tags/", tags.as_view())]


def normalise(document: dict) -> str:
    # The async serializer classes carry the same names as the sync ones; nothing else differs.
    return json.dumps(document, sort_keys=True, default=str)


def test_drf_openapi_schema_is_the_sync_twins():
    """rest_framework.schemas.openapi.SchemaGenerator: identical documents for the sync and async APIs."""
    from rest_framework.schemas.openapi import SchemaGenerator

    documents = [SchemaGenerator(patterns=patterns(side), title="T", version="1").get_schema(public=True)
                 for side in ("sync", "async")]
    assert "/api/books/{id}/publish/" in documents[0]["paths"]
    list_operation = documents[0]["paths"]["/api/books/"]["get"]
    assert list_operation["operationId"] == "listBooks"
    assert {p["name"] for p in list_operation["parameters"]} == {"page", "search", "ordering"}
    assert normalise(documents[1]) == normalise(documents[0])


def test_drf_spectacular_schema_is_the_sync_twins(settings):
    """drf-spectacular: identical documents (operation ids, descriptions, pagination, filters, components)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
    from drf_spectacular.generators import SchemaGenerator

    documents = [SchemaGenerator(patterns=patterns(side)).get_schema(request=None, public=True)
                 for side in ("sync", "async")]
    books = documents[0]["paths"]["/api/books/"]
    assert books["get"]["operationId"] == "books_list" and books["get"]["description"] == "Books of the library."
    assert documents[0]["paths"]["/api/books/{id}/publish/"]["post"]["description"] == "Publish one book."
    assert "PaginatedBookList" in documents[0]["components"]["schemas"]
    assert normalise(documents[1]) == normalise(documents[0])


# The browsable API


for side in ("sync", "async"):
    from tests import urls

    urls.urlpatterns.append(path(f"{side}/browsable/", include(patterns(side))))


@pytest.fixture
def html(db, settings):
    settings.TEMPLATES = TEMPLATES
    author = Author.objects.create(name="Ann")
    Tag.objects.create(label="red")
    return Book.objects.create(title="Dune", author=author)


def get_html(side: str, url: str):
    client = Twins()
    if side == "sync":
        response = client.sync_client.get(f"/sync/browsable/{url}", HTTP_ACCEPT="text/html")
    else:
        response = async_to_sync(client.async_client.get)(f"/async/browsable/{url}", HTTP_ACCEPT="text/html")
    return response.status_code, response["Content-Type"], response.content.decode()


def test_browsable_api_renders_list_and_detail_pages_with_forms(html):
    """List and detail pages are HTML with DRF's forms: the same forms as the sync twin's pages."""
    for url in (f"api/books/{html.id}/", "api/books/", "api/tags/", "api/", "api/undocumented/"):
        sync_status, sync_type, sync_page = get_html("sync", url)
        status, content_type, page = get_html("async", url)
        assert status == sync_status == 200 and content_type == sync_type == "text/html; charset=utf-8"
        assert page.count("<form") == sync_page.count("<form")
        assert page.count("<input") == sync_page.count("<input")
    _, _, detail = get_html("async", f"api/books/{html.id}/")
    assert 'value="Dune"' in detail  # the PUT form is filled from the object (DRF's get_object() in a thread)
    assert 'name="author"' in detail and "<option" in detail  # related-field choices were queried
    _, _, listing = get_html("async", "api/books/")
    assert 'name="title"' in listing and "Books of the library." in listing


@pytest.mark.parametrize("side", ["sync", "async"])
def test_post_from_the_browsable_api_form_creates_the_row(side, html):
    """A urlencoded POST asking for text/html (what the HTML form sends) creates the row and renders 201."""
    client = Twins()
    data = {"title": "From the form", "author": html.author_id, "pages": "12"}
    if side == "sync":
        response = client.sync_client.post(f"/{side}/browsable/api/books/", data, format="multipart",
                                           HTTP_ACCEPT="text/html")
    else:
        response = async_to_sync(client.async_client.post)(f"/{side}/browsable/api/books/", data,
                                                            format="multipart", HTTP_ACCEPT="text/html")
    assert response.status_code == 201 and response["Content-Type"].startswith("text/html")
    assert Book.objects.filter(title="From the form", pages=12, author=html.author).exists()
