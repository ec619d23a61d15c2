"""
Async viewsets on DRF's own `SimpleRouter` and `DefaultRouter`, unchanged: a port of the
behaviours of DRF's tests/test_routers.py, each router serving the sync DRF viewset under
/sync/ and its async twin under /async/, compared response by response.
"""

from __future__ import annotations

import pytest
from django.urls import include, path
from rest_framework import routers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from tests import urls
from tests.models import BasicModel, SlugBasedModel
from tests.test_generics import SlugSerializer, send
from tests.test_viewsets import AsyncActionViewSet, SyncActionViewSet
from tests.twins import Twins

factory = APIRequestFactory()


class SyncNotes(SyncActionViewSet):
    pass


class AsyncNotes(AsyncActionViewSet):
    pass


def _slug_viewset(base):
    return type("Slugs", (base,), {"queryset": SlugBasedModel.objects.all(), "serializer_class": SlugSerializer,
                                   "lookup_field": "slug", "lookup_value_regex": "[a-z-]+"})


def routers_for(side: str) -> dict[str, routers.SimpleRouter]:
    base = SyncNotes if side == "sync" else AsyncNotes
    default = routers.DefaultRouter()
    default.register("notes", base, basename="note")
    default.register("slugs", _slug_viewset(base), basename="slug")
    simple = routers.SimpleRouter(trailing_slash=False)
    simple.register("notes", base, basename="note")
    return {"default": default, "simple": simple}


ROUTERS = {side: routers_for(side) for side in ("sync", "async")}
for side, side_routers in ROUTERS.items():
    for kind, router in side_routers.items():
        urls.urlpatterns.append(path(f"{side}/{kind}/", include((router.urls, f"{side}-{kind}"))))


def same(method: str, url: str, **kwargs):
    """Send to /sync/<url> and /async/<url>; links in the answers are compared with /async/ read as /sync/."""
    sync_seen, async_seen = Twins().request(method, url.split("/")[0], "/".join(url.split("/")[1:]), **kwargs)
    normalised = repr(async_seen).replace("/async/", "/sync/")
    assert normalised == repr(sync_seen)
    return async_seen


@pytest.fixture
def notes(db):
    return [BasicModel.objects.create(text=text) for text in ("a", "b")]


@pytest.mark.parametrize("kind", ["default", "simple"])
def test_routes_are_the_same_patterns_and_names_as_for_the_sync_viewset(kind):
    """The router builds identical URL patterns and route names from the async viewset."""
    def describe(router):
        return [(str(pattern.pattern), pattern.name) for pattern in router.urls]

    assert describe(ROUTERS["async"][kind]) == describe(ROUTERS["sync"][kind])
    names = {name for _, name in describe(ROUTERS["async"][kind])}
    assert {"note-list", "note-detail", "note-list-action", "note-detail-action", "note-mapped"} <= names


def test_default_router_api_root_lists_the_registered_viewsets(notes):
    """DefaultRouter's API root links each registered list route."""
    got = same("get", "default/")
    assert got.status == 200 and got.data == {"notes": "http://testserver/async/default/notes/",
                                              "slugs": "http://testserver/async/default/slugs/"}


def test_list_detail_and_format_suffix_routes(notes):
    """List, detail and `.json` format-suffix routes answer as for the sync viewset."""
    assert same("get", "default/notes/").data["rows"] == [{"id": notes[0].id, "text": "a"},
                                                          {"id": notes[1].id, "text": "b"}]
    assert same("get", f"default/notes/{notes[0].id}/").data == {"id": notes[0].id, "text": "a"}
    got = same("get", f"default/notes/{notes[0].id}.json")
    assert got.status == 200 and got.headers["Content-Type"] == "application/json"
    assert same("get", "default/notes.json").status == 200


def test_unmapped_methods_are_405_and_unknown_routes_404(notes):
    """PUT on a list route is 405 with DRF's Allow header; an unknown pk is 404."""
    got = same("put", "default/notes/", data={"text": "x"}, format="json")
    assert got.status == 405 and got.headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert same("get", "default/notes/999999/").status == 404


def test_extra_actions_are_routed_with_url_path_and_methods(notes):
    """@action routes: detail with a custom url_path and two methods, list, and a .mapping'd POST."""
    got = same("post", f"default/notes/{notes[0].id}/custom-path/")
    assert got.data == {"action": "detail_action", "detail": True, "pk": notes[0].id, "method": "POST"}
    assert same("delete", f"default/notes/{notes[0].id}/custom-path/").status == 200
    assert same("get", f"default/notes/{notes[0].id}/custom-path/").status == 405
    assert same("get", "default/notes/list_action/").data == {"action": "list_action", "detail": False,
                                                              "suffix": None}
    assert same("get", "default/notes/mapped/").data == {"action": "mapped", "method": "get"}
    assert same("post", "default/notes/mapped/").status == 201


@pytest.mark.parametrize("side", ["sync", "async"])
def test_create_update_destroy_through_the_router(side, notes):
    """POST on the list route, PATCH and DELETE on the detail route, as DRF's (each side on its own rows)."""
    created = send(side, "post", "default/notes/", data={"text": "new"}, format="json")
    row = BasicModel.objects.get(text="new")
    assert created.status == 201 and created.data == {"id": row.id, "text": "new"}
    updated = send(side, "patch", f"default/notes/{row.id}/", data={"text": "z"}, format="json")
    assert updated.status == 200 and updated.data == {"id": row.id, "text": "z"}
    assert send(side, "delete", f"default/notes/{row.id}/").status == 204
    assert not BasicModel.objects.filter(id=row.id).exists()


def test_simple_router_without_trailing_slash(notes):
    """SimpleRouter(trailing_slash=False): routes without the slash, no API root."""
    assert same("get", f"simple/notes/{notes[1].id}").data == {"id": notes[1].id, "text": "b"}
    assert same("get", "simple/notes").status == 200
    assert same("get", "simple/").status == 404


def test_lookup_field_and_value_regex(db):
    """`lookup_field` and `lookup_value_regex` shape the detail route; a non-matching value is 404."""
    SlugBasedModel.objects.create(text="t", slug="a-slug")
    assert same("get", "default/slugs/a-slug/").data == {"text": "t", "slug": "a-slug"}
    assert same("get", "default/slugs/NOT_A_SLUG/").status == 404


class Reverses(AsyncNotes):
    @action(detail=True)
    async def links(self, request, pk=None):
        return Response({"basename": self.basename, "list": self.reverse_action("list"),
                         "self": self.reverse_action(self.links.url_name, args=[pk])})


reverse_router = routers.SimpleRouter()
reverse_router.register("rev", Reverses, basename="rev")
urls.urlpatterns.append(path("async/reverse/", include((reverse_router.urls, "reverse"))))


def test_reverse_action_and_basename_inside_async_action(notes):
    """self.basename and reverse_action() give the router's URLs, in the request's namespace."""
    got = send("async", "get", f"reverse/rev/{notes[0].id}/links/")
    assert got.status == 200
    assert got.data == {"basename": "rev", "list": "http://testserver/async/reverse/rev/",
                        "self": f"http://testserver/async/reverse/rev/{notes[0].id}/links/"}
