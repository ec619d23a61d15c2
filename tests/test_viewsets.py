"""
drf_async.viewsets against rest_framework.viewsets: a port of the behaviours of DRF's
tests/test_viewsets.py, run on the sync DRF viewset and its async twin.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from drf_async import viewsets as async_viewsets
from drf_async.test import AsyncAPIRequestFactory
from tests import test_generics
from tests.models import BasicModel
from tests.test_generics import (
    ACTION_METHODS,
    OVERRIDES,
    SIDES,
    BasicSerializer,
    TextSerializer,
    assert_override_answers_like_drf,
    same_from_the_same_rows,
    sync_override,
)
from tests.twins import route

basics = test_generics.basics  # the fixture: four rows, one the viewsets' queryset filters out

factory = APIRequestFactory()
async_factory = AsyncAPIRequestFactory()


def respond(side: str, view, method: str, path: str = "/", **kwargs):
    request = getattr(factory if side == "sync" else async_factory, method)(path)
    response = view(request, **kwargs) if side == "sync" else async_to_sync(view)(request, **kwargs)
    return response


class SyncActionViewSet(viewsets.ModelViewSet):
    queryset = BasicModel.objects.all()
    serializer_class = BasicSerializer

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.data = {"action": self.action, "detail": self.detail, "rows": response.data}
        return response

    @action(detail=False)
    def list_action(self, request, *args, **kwargs):
        return Response({"action": self.action, "detail": self.detail, "suffix": self.suffix})

    @action(detail=True, methods=["post", "delete"], url_path="custom-path")
    def detail_action(self, request, *args, **kwargs):
        return Response({"action": self.action, "detail": self.detail, "pk": self.get_object().pk,
                         "method": request.method})

    @action(detail=False, methods=["get"])
    def mapped(self, request):
        return Response({"action": self.action, "method": "get"})

    @mapped.mapping.post
    def mapped_post(self, request):
        return Response({"action": self.action, "method": "post"}, status=status.HTTP_201_CREATED)


class AsyncActionViewSet(async_viewsets.AsyncModelViewSet):
    queryset = BasicModel.objects.all()
    serializer_class = BasicSerializer

    async def list(self, request, *args, **kwargs):
        response = await super().list(request, *args, **kwargs)
        response.data = {"action": self.action, "detail": self.detail, "rows": response.data}
        return response

    @action(detail=False)
    async def list_action(self, request, *args, **kwargs):
        return Response({"action": self.action, "detail": self.detail, "suffix": self.suffix})

    @action(detail=True, methods=["post", "delete"], url_path="custom-path")
    async def detail_action(self, request, *args, **kwargs):
        return Response({"action": self.action, "detail": self.detail, "pk": (await self.aget_object()).pk,
                         "method": request.method})

    @action(detail=False, methods=["get"])
    async def mapped(self, request):
        return Response({"action": self.action, "method": "get"})

    @mapped.mapping.post
    async def mapped_post(self, request):
        return Response({"action": self.action, "method": "post"}, status=status.HTTP_201_CREATED)


VIEWSETS = {"sync": SyncActionViewSet, "async": AsyncActionViewSet}


def test_as_view_returns_a_coroutine_function_carrying_drfs_attributes():
    """as_view() is DRF's (cls, initkwargs, actions, csrf_exempt, login_required) and a coroutine function."""
    view = AsyncActionViewSet.as_view({"get": "list"}, suffix="List")
    assert iscoroutinefunction(view)
    assert view.cls is AsyncActionViewSet and view.initkwargs == {"suffix": "List"}
    assert view.actions == {"get": "list"}
    assert view.csrf_exempt is True and view.login_required is False
    assert view.__name__ == "AsyncActionViewSet"


@pytest.mark.parametrize("side", SIDES)
def test_as_view_argument_errors_match_drf(side):
    """Missing actions, a method name or an unknown name as initkwarg, name with suffix: DRF's TypeErrors."""
    cls = VIEWSETS[side]
    with pytest.raises(TypeError, match="The `actions` argument must be provided"):
        cls.as_view()
    with pytest.raises(TypeError, match="You tried to pass in the get method name"):
        cls.as_view({"get": "list"}, get="list")
    with pytest.raises(TypeError, match="received an invalid keyword 'nope'"):
        cls.as_view({"get": "list"}, nope=1)
    with pytest.raises(TypeError, match="received both `name` and `suffix`"):
        cls.as_view({"get": "list"}, name="x", suffix="y")


@pytest.mark.parametrize("side", SIDES)
def test_action_and_detail_are_set_like_drf(side, db):
    """self.action is the mapped action's name (HEAD maps to GET's), self.detail the router's initkwarg."""
    cls = VIEWSETS[side]
    BasicModel.objects.create(text="a")
    response = respond(side, cls.as_view({"get": "list"}, detail=False), "get")
    assert response.data["action"] == "list" and response.data["detail"] is False
    response = respond(side, cls.as_view({"get": "list"}, detail=False), "head")
    assert response.status_code == 200 and response.data["action"] == "list"
    response = respond(side, cls.as_view({"get": "list_action"}, detail=False, suffix="List"), "get")
    assert response.data == {"action": "list_action", "detail": False, "suffix": "List"}


@pytest.mark.parametrize("side", SIDES)
def test_extra_detail_action_with_methods_and_get_object(side, db):
    """An @action(detail=True) with several methods runs for each, with get_object() on the URL's pk."""
    obj = BasicModel.objects.create(text="a")
    view = VIEWSETS[side].as_view({"post": "detail_action", "delete": "detail_action"}, detail=True)
    for method in ("post", "delete"):
        response = respond(side, view, method, pk=obj.pk)
        assert response.status_code == 200
        assert response.data == {"action": "detail_action", "detail": True, "pk": obj.pk, "method": method.upper()}
    assert respond(side, view, "post", pk=obj.pk + 1000).status_code == 404
    assert respond(side, view, "get", pk=obj.pk).status_code == 405


@pytest.mark.parametrize("side", SIDES)
def test_action_mapping_routes_methods_to_their_functions(side):
    """`@mapped.mapping.post` binds POST to another method; self.action names that method."""
    view = VIEWSETS[side].as_view({"get": "mapped", "post": "mapped_post"}, detail=False)
    assert respond(side, view, "get").data == {"action": "mapped", "method": "get"}
    response = respond(side, view, "post")
    assert response.status_code == 201 and response.data == {"action": "mapped_post", "method": "post"}


@pytest.mark.parametrize("side", SIDES)
def test_options_sets_action_to_metadata(side):
    """OPTIONS is DRF's metadata (run in a thread on the async side), with self.action == "metadata"."""
    seen = []

    class RecordsAction(VIEWSETS[side]):
        def get_serializer(self, *args, **kwargs):
            seen.append(self.action)
            return super().get_serializer(*args, **kwargs)

    response = respond(side, RecordsAction.as_view({"get": "list", "post": "create"}), "options")
    assert response.status_code == 200 and seen == ["metadata"]
    assert set(response.data["actions"]["POST"]) == {"id", "text"}


@pytest.mark.parametrize("side", SIDES)
def test_extra_actions_and_url_map_are_drfs(side):
    """get_extra_actions() lists the @action methods; the async ones are the coroutines themselves."""
    cls = VIEWSETS[side]
    names = sorted(extra.__name__ for extra in cls.get_extra_actions())
    assert names == ["detail_action", "list_action", "mapped"]
    if side == "async":
        assert all(iscoroutinefunction(extra) for extra in cls.get_extra_actions())
    assert cls.detail_action.url_path == "custom-path"
    assert cls.mapped.mapping == {"get": "mapped", "post": "mapped_post"}


def test_sync_viewset_with_an_async_helper_stays_sync(db):
    """A DRF ModelViewSet with one async helper method is still DRF's sync viewset (no adrf-style flip)."""

    class WithHelper(viewsets.ModelViewSet):
        queryset = BasicModel.objects.all()
        serializer_class = BasicSerializer

        async def notify(self):  # pragma: no cover - never called
            pass

    view = WithHelper.as_view({"get": "list"})
    assert not iscoroutinefunction(view)
    BasicModel.objects.create(text="a")
    response = view(factory.get("/"))
    assert response.status_code == 200 and response.data[0]["text"] == "a"


def test_async_viewset_without_model_behaviour_runs_plain_async_actions():
    """AsyncViewSet: a bare viewset of async actions, mapped by hand like DRF's ViewSet."""

    class Hello(async_viewsets.AsyncViewSet):
        authentication_classes = []
        permission_classes = []

        async def list(self, request):
            return Response({"hello": self.action})

    view = Hello.as_view({"get": "list"})
    assert async_to_sync(view)(async_factory.get("/")).data == {"hello": "list"}


def test_read_only_viewset_has_only_list_and_retrieve():
    """AsyncReadOnlyModelViewSet offers DRF's two read actions and no write ones."""
    cls = async_viewsets.AsyncReadOnlyModelViewSet
    assert iscoroutinefunction(cls.list) and iscoroutinefunction(cls.retrieve)
    assert not hasattr(cls, "create") and not hasattr(cls, "destroy")
    assert issubclass(cls, viewsets.ViewSetMixin)


# Sync action overrides and mixed actions on AsyncModelViewSet, against ModelViewSet

VIEWSET_ROUTES = {"": {"get": "list", "post": "create"},
                  r"(?P<pk>\d+)/": {"get": "retrieve", "put": "update", "patch": "partial_update",
                                      "delete": "destroy"}}


def route_viewsets(name: str, sync_attrs: dict, async_attrs: dict, extra: dict | None = None) -> type:
    """A ModelViewSet and an AsyncModelViewSet, routed list, detail and *extra*; returns the async class."""
    common = dict(queryset=BasicModel.objects.exclude(text="filtered out"), serializer_class=TextSerializer)
    sync_cls = type("Things", (viewsets.ModelViewSet,), {**common, **sync_attrs})
    async_cls = type("Things", (async_viewsets.AsyncModelViewSet,), {**common, **async_attrs})
    for pattern, actions in {**VIEWSET_ROUTES, **(extra or {})}.items():
        route(name, sync_cls.as_view(actions), async_cls.as_view(actions), pattern or "$")
    return async_cls


for _action in ACTION_METHODS:
    for _variant in OVERRIDES:
        _override = {_action: sync_override(_action, _variant)}
        route_viewsets(f"vs-override-{_action}-{_variant}".replace(" ", "-"), _override, _override)


@pytest.mark.parametrize("variant", OVERRIDES)
@pytest.mark.parametrize("action", list(ACTION_METHODS))
def test_sync_action_override_on_viewset_answers_like_drf(action, variant, basics):
    """A ``def <action>()`` override on AsyncModelViewSet (super() included) answers as on ModelViewSet."""
    assert_override_answers_like_drf(f"vs-override-{action}-{variant}", action, variant, basics)


async def _async_list(self, request, *args, **kwargs):
    return Response({"rows": await self.get_queryset().acount()})


def _sync_list(self, request, *args, **kwargs):
    return Response({"rows": self.get_queryset().count()})


@action(detail=False, methods=["get"])
def recent(self, request):
    return Response({"recent": list(self.get_queryset().values_list("text", flat=True)[:2])})


@action(detail=False, methods=["get"], url_path="recent")
async def arecent(self, request):
    return Response({"recent": [text async for text in self.get_queryset().values_list("text", flat=True)[:2]]})


SYNC_OVERRIDES = {name: sync_override(name, "super") for name in ("create", "retrieve", "update", "destroy")}
MIXED = {
    # Inherited async actions beside an own def list and a def @action.
    "vs-mixed-sync": ({"list": _sync_list, "recent": recent}, {"list": _sync_list, "recent": recent}),
    # Own def create/retrieve/update/destroy (all but the inherited async partial_update: the
    # old drf_async.E002 false alarm) beside an own async def list and async def @action.
    "vs-mixed-async": ({"list": _sync_list, "recent": recent, **SYNC_OVERRIDES},
                       {"list": _async_list, "recent": arecent, **SYNC_OVERRIDES}),
}
MIXED_CLASSES = [route_viewsets(name, sync_attrs, async_attrs, extra={"recent/": {"get": "recent"}})
                 for name, (sync_attrs, async_attrs) in MIXED.items()]


@pytest.mark.parametrize("name", ["vs-mixed-sync", "vs-mixed-async"])
def test_mixed_sync_and_async_actions_on_viewset_answer_like_drf(name, basics):
    """def and async def actions (an @action too) on one AsyncModelViewSet: each answers as on ModelViewSet."""
    detail = f"{basics[0].id}/"
    written = {"data": {"text": "written"}, "format": "json"}
    for method, suffix, data in [("get", "", {}), ("post", "", written), ("get", detail, {}), ("put", detail, written),
                                 ("patch", detail, written), ("delete", detail, {}), ("get", "recent/", {})]:
        assert same_from_the_same_rows(method, name, suffix, **data).status < 300
    from django.core import checks

    assert [m for m in checks.run_checks(tags=["drf_async"]) if m.obj in MIXED_CLASSES] == []
