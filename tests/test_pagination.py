"""
drf_async.pagination: a port of the behaviours of DRF's tests/test_pagination.py through
views, each run on a sync DRF list view with DRF's paginator and on its async twin with the
async paginator (and with DRF's own sync paginator), compared response by response.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from rest_framework import generics, pagination, serializers
from rest_framework.response import Response

from drf_async import generics as async_generics
from drf_async import pagination as async_pagination
from drf_async.test import AsyncAPIRequestFactory
from tests.models import Author, Book
from tests.test_generics import call
from tests.twins import Twins, route

async_factory = AsyncAPIRequestFactory()


class BookPage(pagination.PageNumberPagination):
    page_size = 5
    page_size_query_param = "page_size"
    max_page_size = 20


class BookLimitOffset(pagination.LimitOffsetPagination):
    default_limit = 5
    max_limit = 15


class BookCursor(pagination.CursorPagination):
    page_size = 5
    ordering = "-pages"


def async_twin(drf_class: type) -> type:
    """The same paginator settings on drf_async's class."""
    async_base = getattr(async_pagination, f"Async{drf_class.__mro__[1].__name__}")
    return type(drf_class.__name__, (async_base,), {k: v for k, v in vars(drf_class).items() if not k.startswith("__")})


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title", "pages"]


PAGINATORS = {"page": BookPage, "limit-offset": BookLimitOffset, "cursor": BookCursor}
for kind, paginator_class in PAGINATORS.items():
    common = dict(queryset=Book.objects.order_by("id"), serializer_class=BookSerializer)
    sync_view = type("Books", (generics.ListAPIView,), dict(common, pagination_class=paginator_class)).as_view()
    for variant, async_paginator in (("async", async_twin(paginator_class)), ("drf", paginator_class)):
        async_view = type("Books", (async_generics.AsyncListAPIView,),
                          dict(common, pagination_class=async_paginator)).as_view()
        route(f"paginated-{kind}-{variant}", sync_view, async_view)


@pytest.fixture
def books(db):
    author = Author.objects.create(name="a")
    return [Book.objects.create(title=f"b{i}", pages=i, author=author) for i in range(1, 27)]


def same(variant: str, kind: str, query: str = "") -> object:
    """Both answers, links compared with /async/ read as /sync/."""
    sync_seen, async_seen = Twins().request("get", f"paginated-{kind}-{variant}", query)
    assert repr(async_seen).replace("/async/", "/sync/") == repr(sync_seen)
    return async_seen


VARIANTS = ["async", "drf"]  # drf_async's paginator, or DRF's sync one, in the async view


@pytest.mark.parametrize("variant", VARIANTS)
def test_page_number_pages_links_and_sizes(variant, books):
    """Page 1, a middle page, the last page ("last"), page_size and max_page_size, as DRF's."""
    first = same(variant, "page")
    assert first.data["count"] == 26 and len(first.data["results"]) == 5
    assert first.data["previous"] is None and first.data["next"].endswith("?page=2")
    middle = same(variant, "page", "?page=3")
    assert [row["pages"] for row in middle.data["results"]] == [11, 12, 13, 14, 15]
    assert middle.data["previous"].endswith("?page=2")
    assert same(variant, "page", "?page=last").data["next"] is None
    assert len(same(variant, "page", "?page_size=8").data["results"]) == 8
    assert len(same(variant, "page", "?page_size=100").data["results"]) == 20


@pytest.mark.parametrize("variant", VARIANTS)
def test_page_number_invalid_page_is_drfs_404(variant, books):
    """A page past the end or not a number is DRF's 404 "Invalid page." answer."""
    got = same(variant, "page", "?page=99")
    assert got.status == 404 and got.data == {"detail": "Invalid page."}
    assert same(variant, "page", "?page=x").status == 404


@pytest.mark.parametrize("variant", VARIANTS)
def test_limit_offset_pages_links_and_limits(variant, books):
    """Default limit, limit/offset, max_limit, next/previous links, as DRF's."""
    first = same(variant, "limit-offset")
    assert first.data["count"] == 26 and len(first.data["results"]) == 5
    page = same(variant, "limit-offset", "?limit=3&offset=6")
    assert [row["pages"] for row in page.data["results"]] == [7, 8, 9]
    assert "offset=9" in page.data["next"] and "offset=3" in page.data["previous"]
    assert len(same(variant, "limit-offset", "?limit=100").data["results"]) == 15
    assert same(variant, "limit-offset", "?offset=25").data["next"] is None
    assert same(variant, "limit-offset", "?limit=x").status == 200


@pytest.mark.parametrize("variant", VARIANTS)
def test_cursor_follows_next_and_previous(variant, books):
    """Cursor pages in the paginator's ordering; following next then previous returns to the start."""
    first = same(variant, "cursor")
    assert [row["pages"] for row in first.data["results"]] == [26, 25, 24, 23, 22]
    cursor = first.data["next"].split("?")[1]
    second = same(variant, "cursor", f"?{cursor}")
    assert [row["pages"] for row in second.data["results"]] == [21, 20, 19, 18, 17]
    back = same(variant, "cursor", "?" + second.data["previous"].split("?")[1])
    assert back.data["results"] == first.data["results"]
    assert same(variant, "cursor", "?cursor=garbage").status == 404


@pytest.mark.parametrize("kind", list(PAGINATORS))
def test_pagination_issues_the_queries_of_the_sync_view(kind, books):
    """Count and page fetch: the same number of queries as DRF's sync paginated list."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for side, base, paginator in (("sync", generics.ListAPIView, PAGINATORS[kind]),
                                  ("async", async_generics.AsyncListAPIView, async_twin(PAGINATORS[kind]))):
        view = type("Books", (base,), dict(queryset=Book.objects.order_by("id"), serializer_class=BookSerializer,
                                           pagination_class=paginator)).as_view()
        with CaptureQueriesContext(connection) as context:
            assert call(side, view, "get").status_code == 200
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1] == (1 if kind == "cursor" else 2)


@pytest.mark.parametrize("kind", list(PAGINATORS))
def test_apaginate_queryset_is_one_hop_and_returns_a_list(kind, books, hops):
    """By hand: apaginate_queryset() counts and fetches in one hop; aget_paginated_response() adds none."""
    paginator = async_twin(PAGINATORS[kind])()
    request = async_factory.get("/")

    async def paginate():
        from rest_framework.request import Request

        page = await paginator.apaginate_queryset(Book.objects.order_by("id"), Request(request))
        response = await paginator.aget_paginated_response([book.pages for book in page])
        return page, response

    page, response = async_to_sync(paginate)()
    assert isinstance(page, list) and len(page) == 5 and len(hops) == 1
    assert response.data["results"] == [book.pages for book in page]


class AsyncOnlyPaginator(pagination.BasePagination):
    """A paginator with async methods of its own (no sync implementation)."""

    async def paginate_queryset(self, queryset, request, view=None):
        self.rows = [book async for book in queryset[:2]]
        return self.rows

    async def get_paginated_response(self, data):
        return Response({"first_two": data})


def test_async_def_paginator_methods_are_awaited(books):
    """A paginator whose paginate_queryset/get_paginated_response are async def is awaited by the view."""
    view = async_generics.AsyncListAPIView.as_view(queryset=Book.objects.order_by("id"),
                                                   serializer_class=BookSerializer,
                                                   pagination_class=AsyncOnlyPaginator)
    response = call("async", view, "get")
    assert [row["pages"] for row in response.data["first_two"]] == [1, 2]


def test_no_paginator_lists_everything(books):
    """pagination_class = None lists the whole queryset, unwrapped, like DRF."""
    view = async_generics.AsyncListAPIView.as_view(queryset=Book.objects.order_by("id"),
                                                   serializer_class=BookSerializer, pagination_class=None)
    assert len(call("async", view, "get").data) == 26


@pytest.mark.parametrize("paginator", ["drf_async", "DRF"])
def test_paginated_list_with_sync_hooks_is_one_hop(paginator, books, hops):
    """drf_async's or DRF's paginator in a view with sync hooks: count, page and .data in one hop."""
    paginator_class = async_twin(BookPage) if paginator == "drf_async" else BookPage
    view = async_generics.AsyncListAPIView.as_view(queryset=Book.objects.order_by("id"),
                                                   serializer_class=BookSerializer, pagination_class=paginator_class)
    assert call("async", view, "get").data["count"] == 26
    assert len(hops) == 1


def test_paginated_list_with_an_async_hook_is_one_hop_per_step(books, hops):
    """With an async get_queryset: one hop for count + page, one for .data, none for the response."""

    async def get_queryset(self):
        return Book.objects.order_by("id")

    view = type("Books", (async_generics.AsyncListAPIView,), dict(
        get_queryset=get_queryset, serializer_class=BookSerializer, pagination_class=async_twin(BookPage))).as_view()
    assert len(call("async", view, "get").data["results"]) == 5
    assert len(hops) == 2


# Every drf_async class DRF can name in a setting, imported through DRF's api_settings


SETTING_BASES = {  # DRF setting -> the base class its value must subclass
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.BasePagination",
    "DEFAULT_PERMISSION_CLASSES": "rest_framework.permissions.BasePermission",
    "DEFAULT_AUTHENTICATION_CLASSES": "rest_framework.authentication.BaseAuthentication",
    "DEFAULT_THROTTLE_CLASSES": "rest_framework.throttling.BaseThrottle",
    "DEFAULT_RENDERER_CLASSES": "rest_framework.renderers.BaseRenderer",
    "DEFAULT_PARSER_CLASSES": "rest_framework.parsers.BaseParser",
    "DEFAULT_FILTER_BACKENDS": "rest_framework.filters.BaseFilterBackend",
    "DEFAULT_METADATA_CLASS": "rest_framework.metadata.BaseMetadata",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.BaseVersioning",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "rest_framework.negotiation.BaseContentNegotiation",
}
LIBRARY_MODULES = ("views", "generics", "mixins", "viewsets", "pagination", "permissions", "decorators", "serializers",
                   "authentication", "checks", "test", "utils")


def settable_classes() -> list[tuple[str, str]]:
    """(setting, dotted path) for each public drf_async class that subclasses a DRF policy base."""
    import importlib

    from django.utils.module_loading import import_string

    found = []
    for name in LIBRARY_MODULES:
        module = importlib.import_module(f"drf_async.{name}")
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            for setting, base in SETTING_BASES.items():
                if isinstance(obj, type) and issubclass(obj, import_string(base)):
                    found.append((setting, f"drf_async.{name}.{attr}"))
    return found


FRESH_INTERPRETER = """
import importlib, sys
import django
from django.conf import settings

setting, path, first = sys.argv[1:4]
value = [path] if setting.endswith("CLASSES") or setting.endswith("BACKENDS") else path
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "drf_async"],
    REST_FRAMEWORK={setting: value, "PAGE_SIZE": 10},
)
if first != "setup":
    importlib.import_module(first)
django.setup()
for module in ("drf_async.generics", "rest_framework.generics", "drf_async.viewsets", "drf_async.pagination"):
    importlib.import_module(module)
from django.utils.module_loading import import_string
from rest_framework.settings import api_settings
from drf_async.generics import AsyncListAPIView

cls = import_string(path)
configured = getattr(api_settings, setting)
assert configured is cls or cls in configured, (configured, cls)
if setting == "DEFAULT_PAGINATION_CLASS":
    assert AsyncListAPIView.pagination_class is cls, AsyncListAPIView.pagination_class
print("ok")
"""
SETTABLE = settable_classes()
FIRST_IMPORTS = ["setup", "drf_async.pagination", "drf_async.generics", "rest_framework.generics"]


def test_every_drf_async_paginator_is_settable():
    """The three paginators are among the classes checked below (the discovery finds them)."""
    assert {path for setting, path in SETTABLE if setting == "DEFAULT_PAGINATION_CLASS"} == {
        f"drf_async.pagination.{name}" for name in async_pagination.__all__ if name != "AsyncPaginationMixin"}


@pytest.mark.parametrize("first", FIRST_IMPORTS)
@pytest.mark.parametrize("setting, path", SETTABLE)
def test_drf_async_class_as_a_drf_setting_in_a_fresh_interpreter(setting, path, first):
    """e.g. DEFAULT_PAGINATION_CLASS = "drf_async.pagination.AsyncLimitOffsetPagination": no import cycle, any order."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", FRESH_INTERPRETER, setting, path, first],
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr
