"""
drf_async.generics against rest_framework.generics: a port of the behaviours of DRF's
tests/test_generics.py, each run on the sync DRF view and its async twin with the same
assertions, plus the sync/async hook rules, query counts and thread hops.
"""

from __future__ import annotations

import inspect

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.db import connection, transaction
from django.shortcuts import get_object_or_404
from django.test.utils import CaptureQueriesContext
from rest_framework import exceptions, generics, permissions, renderers, serializers
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from drf_async import generics as async_generics
from drf_async.test import AsyncAPIRequestFactory
from tests.models import BasicModel, ForeignKeySource, ForeignKeyTarget, SlugBasedModel
from tests.twins import Seen, Twins, route, seen

factory = APIRequestFactory()
async_factory = AsyncAPIRequestFactory()
SIDES = ["sync", "async"]
# tests/settings.py has no template engine; the browsable API tests bring DRF's.
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}]
# Transaction control around drf_async's atomic writes; not part of what a view queries.
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT", "ROLLBACK")


# Serializers


class BasicSerializer(serializers.ModelSerializer):
    class Meta:
        model = BasicModel
        fields = "__all__"


class ForeignKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ForeignKeySource
        fields = "__all__"


class SlugSerializer(serializers.ModelSerializer):
    slug = serializers.ReadOnlyField()

    class Meta:
        model = SlugBasedModel
        fields = ("text", "slug")


# Helpers shared by the other test modules


def twin_classes(name: str, sync_base: type, async_base: type, **attrs) -> tuple[type, type]:
    """A DRF class and its drf_async twin with the same attributes and the same name."""
    return type(name, (sync_base,), dict(attrs)), type(name, (async_base,), dict(attrs))


def twin_views(name: str, sync_base: type, async_base: type, pattern: str = "", **attrs) -> tuple[type, type]:
    """`twin_classes()`, routed at /sync/<name>/<pattern> and /async/<name>/<pattern>."""
    sync_cls, async_cls = twin_classes(name, sync_base, async_base, **attrs)
    route(name, sync_cls.as_view(), async_cls.as_view(), pattern)
    return sync_cls, async_cls


def send(side: str, method: str, path: str, **kwargs) -> Seen:
    """One request to the /<side>/<path> view through the matching client (WSGI or ASGI)."""
    twins = Twins()
    if side == "sync":
        return seen(getattr(twins.sync_client, method)(f"/sync/{path}", **kwargs))
    return seen(async_to_sync(getattr(twins.async_client, method))(f"/async/{path}", **kwargs))


def call(side: str, view, method: str, data=None, **kwargs):
    """Call a view function directly with a request built for its side; returns the rendered response."""
    if side == "sync":
        request = getattr(factory, method)("/", data, format="json") if data is not None else getattr(
            factory, method)("/")
        return view(request, **kwargs).render()
    request = getattr(async_factory, method)("/", data, format="json") if data is not None else getattr(
        async_factory, method)("/")
    return async_to_sync(view)(request, **kwargs).render()


def captured(side: str, view, method: str, data=None, **kwargs) -> tuple[object, list[str]]:
    """`call()` under CaptureQueriesContext: (response, the SQL of every query but transaction control)."""
    with CaptureQueriesContext(connection) as context:
        response = call(side, view, method, data, **kwargs)
    return response, [q["sql"] for q in context.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


# Views (DRF's tests/test_generics.py)

RootViews = twin_views("root", generics.ListCreateAPIView, async_generics.AsyncListCreateAPIView,
                       queryset=BasicModel.objects.all(), serializer_class=BasicSerializer)
InstanceViews = twin_views("instance", generics.RetrieveUpdateDestroyAPIView,
                           async_generics.AsyncRetrieveUpdateDestroyAPIView, pattern=r"(?P<pk>[^/]+)/",
                           queryset=BasicModel.objects.exclude(text="filtered out"), serializer_class=BasicSerializer)
FKInstanceViews = twin_views("fk-instance", generics.RetrieveUpdateDestroyAPIView,
                             async_generics.AsyncRetrieveUpdateDestroyAPIView, pattern=r"(?P<pk>[^/]+)/",
                             queryset=ForeignKeySource.objects.all(), serializer_class=ForeignKeySerializer)
SlugViews = twin_views("slug", generics.RetrieveUpdateDestroyAPIView,
                       async_generics.AsyncRetrieveUpdateDestroyAPIView, pattern=r"(?P<slug>[^/]+)/",
                       queryset=SlugBasedModel.objects.all(), serializer_class=SlugSerializer, lookup_field="slug")


@pytest.fixture
def basics(db):
    for text in ["foo", "bar", "baz", "filtered out"]:
        BasicModel.objects.create(text=text)
    return list(BasicModel.objects.order_by("id"))


def test_get_root_view_lists_objects_like_drf(basics):
    """GET on ListCreateAPIView lists every object, with DRF's status, data and headers."""
    got = Twins().same("get", "root")
    assert got.status == 200
    assert got.data == [{"id": obj.id, "text": obj.text} for obj in basics]


@pytest.mark.parametrize("side", SIDES)
def test_post_root_view_creates_an_object(side, basics):
    """POST on ListCreateAPIView creates the row and answers 201 with it; the id is not settable."""
    got = send(side, "post", "root/", data={"id": 999, "text": "foobar"}, format="json")
    created = BasicModel.objects.get(text="foobar")
    assert got.status == 201 and got.data == {"id": created.id, "text": "foobar"}
    assert created.id != 999


@pytest.mark.parametrize("side", SIDES)
def test_post_form_data_creates_an_object(side, basics):
    """A multipart POST (a browser form) is parsed and creates the row."""
    got = send(side, "post", "root/", data={"text": "from a form"}, format="multipart")
    assert got.status == 201 and BasicModel.objects.filter(text="from a form").exists()


def test_post_invalid_data_is_a_400_like_drf(basics):
    """Validation errors are DRF's 400 with the field errors, and nothing is written."""
    got = Twins().same("post", "root", data={"text": "x" * 101}, format="json")
    assert got.status == 400 and got.data == {"text": ["Ensure this field has no more than 100 characters."]}
    assert BasicModel.objects.count() == 4


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_unsupported_methods_on_root_view_are_405_like_drf(basics, method):
    """Methods the concrete view does not handle get DRF's 405 with the Allow header."""
    got = Twins().same(method, "root", data={"text": "foobar"}, format="json")
    assert got.status == 405 and got.headers["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_options_root_view_matches_drf(basics):
    """OPTIONS describes the POST action's fields like DRF (names aside, they are the same)."""
    got = Twins().same("options", "root")
    assert got.status == 200 and got.data["actions"]["POST"]["text"]["max_length"] == 100


def test_get_instance_view_retrieves_like_drf(basics):
    """GET on RetrieveUpdateDestroyAPIView returns the one object."""
    got = Twins().same("get", "instance", f"{basics[0].id}/")
    assert got.status == 200 and got.data == {"id": basics[0].id, "text": "foo"}


def test_get_instance_view_with_bad_pk_or_filtered_out_is_404_like_drf(basics):
    """A pk of the wrong type, a missing row and a row the queryset excludes are all 404."""
    client = Twins()
    assert client.same("get", "instance", "a/").status == 404
    assert client.same("get", "instance", "999999/").status == 404
    assert client.same("put", "instance", f"{basics[3].id}/", data={"text": "foo"}, format="json").status == 404
    assert client.same("patch", "instance", "999999/", data={"text": "foo"}, format="json").status == 404
    assert not BasicModel.objects.filter(id=999999).exists()


def test_post_instance_view_is_405_like_drf(basics):
    """POST is not allowed on a RetrieveUpdateDestroyAPIView."""
    got = Twins().same("post", "instance", f"{basics[0].id}/", data={"text": "foobar"}, format="json")
    assert got.status == 405 and got.data == {"detail": 'Method "POST" not allowed.'}


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_put_and_patch_instance_view_update_the_object(side, method, basics):
    """PUT and PATCH update the row and answer with it; the id in the body is ignored."""
    pk = basics[0].id
    got = send(side, method, f"instance/{pk}/", data={"id": 999, "text": "foobar"}, format="json")
    assert got.status == 200 and got.data == {"id": pk, "text": "foobar"}
    assert BasicModel.objects.get(id=pk).text == "foobar"


@pytest.mark.parametrize("side", SIDES)
def test_delete_instance_view_deletes_the_object(side, basics):
    """DELETE removes the row and answers 204 with an empty body."""
    got = send(side, "delete", f"instance/{basics[0].id}/")
    assert got.status == 204 and got.data == b""
    assert list(BasicModel.objects.values_list("text", flat=True).order_by("id")) == ["bar", "baz", "filtered out"]


@pytest.mark.parametrize("side", SIDES)
def test_put_to_deleted_instance_is_404(side, basics):
    """PUT to a row deleted meanwhile is a 404, not a create."""
    pk = basics[0].id
    basics[0].delete()
    assert send(side, "put", f"instance/{pk}/", data={"text": "foobar"}, format="json").status == 404
    assert not BasicModel.objects.filter(id=pk).exists()


def test_lookup_field_slug_retrieves_like_drf(db):
    """`lookup_field = "slug"` looks the object up by the slug URL kwarg."""
    SlugBasedModel.objects.create(text="foo", slug="test-slug")
    got = Twins().same("get", "slug", "test-slug/")
    assert got.status == 200 and got.data == {"text": "foo", "slug": "test-slug"}


@pytest.mark.parametrize("side", SIDES)
def test_fk_instance_view_updates_the_relation(side, db):
    """A PUT can point a ForeignKey at another target."""
    first, second = ForeignKeyTarget.objects.create(name="a"), ForeignKeyTarget.objects.create(name="b")
    source = ForeignKeySource.objects.create(name="s", target=first)
    got = send(side, "put", f"fk-instance/{source.id}/", data={"name": "s2", "target": second.id}, format="json")
    assert got.status == 200 and got.data == {"id": source.id, "name": "s2", "target": second.id}
    assert ForeignKeySource.objects.get(id=source.id).target == second


def test_lookup_url_kwarg_missing_fails_with_drfs_message(basics):
    """A URL conf without the lookup kwarg fails with DRF's assertion, naming the fix."""
    _, async_cls = twin_classes("NoKwarg", generics.RetrieveAPIView, async_generics.AsyncRetrieveAPIView,
                                queryset=BasicModel.objects.all(), serializer_class=BasicSerializer)
    with pytest.raises(AssertionError, match='named "pk". Fix your URL conf'):
        call("async", async_cls.as_view(), "get")


def test_missing_queryset_fails_with_drfs_message(db):
    """No queryset and no get_queryset(): DRF's assertion, on the async path too."""
    _, async_cls = twin_classes("NoQueryset", generics.ListAPIView, async_generics.AsyncListAPIView,
                                serializer_class=BasicSerializer)
    with pytest.raises(AssertionError, match="should either include a `queryset` attribute"):
        call("async", async_cls.as_view(), "get")


# Overridden hooks: sync (as copied from a DRF project) or async


def _sync_get_object(self):
    return get_object_or_404(BasicModel.objects.all(), id=int(self.kwargs["pk"]))


async def _async_get_object(self):
    return await BasicModel.objects.aget(id=int(self.kwargs["pk"]))


def _sync_get_queryset(self):
    return BasicModel.objects.filter(text__startswith="b")


async def _async_get_queryset(self):
    return BasicModel.objects.filter(text__startswith="b")


def _sync_serializer_class(self):
    return SlugSerializer if self.request.method == "POST" else BasicSerializer


async def _async_serializer_class(self):
    return BasicSerializer


HOOKED = {
    "def get_object": ({"get_object": _sync_get_object}, {"get_object": _sync_get_object}),
    "async def get_object": ({"get_object": _sync_get_object}, {"get_object": _async_get_object}),
    "def get_queryset": ({"get_queryset": _sync_get_queryset}, {"get_queryset": _sync_get_queryset}),
    "async def get_queryset": ({"get_queryset": _sync_get_queryset}, {"get_queryset": _async_get_queryset}),
    "async def aget_queryset": ({"get_queryset": _sync_get_queryset}, {"aget_queryset": _async_get_queryset}),
    "async def get_serializer_class": ({}, {"get_serializer_class": _async_serializer_class}),
}


@pytest.mark.parametrize("hook", list(HOOKED))
def test_overridden_hooks_sync_or_async_give_drfs_answers(hook, basics):
    """get_object/get_queryset/aget_queryset/get_serializer_class as def or async def: DRF's answers."""
    sync_attrs, async_attrs = HOOKED[hook]
    common = dict(serializer_class=BasicSerializer, queryset=BasicModel.objects.all())
    sync_view = type("Hooked", (generics.RetrieveUpdateDestroyAPIView,), {**common, **sync_attrs}).as_view()
    async_base = async_generics.AsyncRetrieveUpdateDestroyAPIView
    async_view = type("Hooked", (async_base,), {**common, **async_attrs}).as_view()
    answers = []
    for obj in basics:
        sync_response = call("sync", sync_view, "get", pk=obj.id)
        async_response = call("async", async_view, "get", pk=obj.id)
        assert (async_response.status_code, async_response.data) == (sync_response.status_code, sync_response.data)
        answers.append(async_response.status_code)
    assert 200 in answers
    target = basics[1]  # "bar": found whichever queryset applies
    response = call("async", async_view, "patch", {"text": "bar!"}, pk=target.id)
    assert response.status_code == 200 and response.data == {"id": target.id, "text": "bar!"}
    assert BasicModel.objects.get(id=target.id).text == "bar!"


@pytest.mark.parametrize("get_queryset", [_sync_get_queryset, _async_get_queryset], ids=["def", "async-def"])
def test_overridden_get_queryset_filters_the_list(get_queryset, basics):
    """A def or async def get_queryset() on a list view decides what is listed."""
    view = type("Filtered", (async_generics.AsyncListAPIView,), dict(
        serializer_class=BasicSerializer, get_queryset=get_queryset)).as_view()
    assert [row["text"] for row in call("async", view, "get").data] == ["bar", "baz"]


@pytest.mark.parametrize("side", SIDES)
def test_sync_get_serializer_class_override_picks_serializer_per_method(side, basics):
    """A DRF-style get_serializer_class() choosing per request method is used for each action."""
    base = generics.ListCreateAPIView if side == "sync" else async_generics.AsyncListCreateAPIView
    view = type("Dynamic", (base,), dict(queryset=SlugBasedModel.objects.all(),
                                         get_serializer_class=_sync_serializer_class)).as_view()
    response = call(side, view, "post", {"text": "t", "slug": "ignored"})
    assert response.status_code == 201 and response.data == {"text": "t", "slug": ""}


class InclusiveFilterBackend:
    def filter_queryset(self, request, queryset, view):
        return queryset.filter(text="foo")


class AsyncExclusiveFilterBackend:
    async def filter_queryset(self, request, queryset, view):
        return queryset.filter(text="other")


FilteredViews = twin_views("filtered-list", generics.ListAPIView, async_generics.AsyncListAPIView,
                           queryset=BasicModel.objects.all(), serializer_class=BasicSerializer,
                           filter_backends=(InclusiveFilterBackend,))
twin_views("filtered-instance", generics.RetrieveAPIView, async_generics.AsyncRetrieveAPIView,
           pattern=r"(?P<pk>[^/]+)/", queryset=BasicModel.objects.all(), serializer_class=BasicSerializer,
           filter_backends=(InclusiveFilterBackend,))


def test_filter_backend_applied_to_list_and_instance_like_drf(basics):
    """A view's filter backends filter the list and make filtered-out instances 404."""
    client = Twins()
    assert client.same("get", "filtered-list").data == [{"id": basics[0].id, "text": "foo"}]
    assert client.same("get", "filtered-instance", f"{basics[0].id}/").status == 200
    assert client.same("get", "filtered-instance", f"{basics[1].id}/").status == 404


def test_async_filter_backend_is_awaited_on_list_and_instance(basics):
    """An `async def filter_queryset` backend filters the list and the get_object() lookup."""
    list_view = async_generics.AsyncListAPIView.as_view(
        queryset=BasicModel.objects.all(), serializer_class=BasicSerializer,
        filter_backends=[InclusiveFilterBackend, AsyncExclusiveFilterBackend])
    assert call("async", list_view, "get").data == []
    detail_view = async_generics.AsyncRetrieveAPIView.as_view(
        queryset=BasicModel.objects.all(), serializer_class=BasicSerializer,
        filter_backends=[AsyncExclusiveFilterBackend])
    assert call("async", detail_view, "get", pk=basics[0].id).status_code == 404


def test_browsable_api_renders_m2m_form_for_async_view(db, settings):
    """The browsable API renders a list view's HTML, forms included (DRF's m2m regression)."""
    settings.TEMPLATES = TEMPLATES
    view = type("Html", (async_generics.AsyncListCreateAPIView,), dict(
        queryset=ForeignKeySource.objects.all(), serializer_class=ForeignKeySerializer,
        renderer_classes=(renderers.BrowsableAPIRenderer, renderers.JSONRenderer))).as_view()
    ForeignKeySource.objects.create(name="s", target=ForeignKeyTarget.objects.create(name="t"))
    response = async_to_sync(view)(async_factory.get("/", HTTP_ACCEPT="text/html"))
    response.render()
    assert response.status_code == 200 and b"<form" in response.content and b'name="target"' in response.content


def test_concrete_views_are_coroutine_views_with_drfs_allowed_methods():
    """Every Async*APIView's as_view() is a coroutine function and allows DRF's methods."""
    pairs = [(name, getattr(generics, name.removeprefix("Async"))) for name in async_generics.__all__
             if name != "AsyncGenericAPIView"]
    assert len(pairs) == 9
    for name, drf_cls in pairs:
        async_cls = getattr(async_generics, name)
        assert iscoroutinefunction(async_cls.as_view(queryset=BasicModel.objects.all()))
        assert async_cls().allowed_methods == drf_cls().allowed_methods, name


def test_generic_view_is_subscriptable_like_drf():
    """`AsyncGenericAPIView[Model]` works for type annotations, as DRF's `__class_getitem__` allows."""
    assert async_generics.AsyncListAPIView[BasicModel] is async_generics.AsyncListAPIView


def test_get_serializer_passes_drfs_context(basics):
    """aget_object() and the serializer see request, format and view in the context, as DRF's."""
    seen_context = {}

    class Context(serializers.ModelSerializer):
        class Meta:
            model = BasicModel
            fields = "__all__"

        def to_representation(self, instance):
            seen_context.update(self.context)
            return super().to_representation(instance)

    view = async_generics.AsyncRetrieveAPIView.as_view(queryset=BasicModel.objects.all(), serializer_class=Context)
    assert call("async", view, "get", pk=basics[0].id).status_code == 200
    assert set(seen_context) == {"request", "format", "view"}


# Query counts: exactly what the sync twin issues


QUERY_CASES = [  # DRF's test_generics.py asserts these counts for the sync views
    ("list", "get", RootViews, None, False, 1),
    ("create", "post", RootViews, {"text": "new"}, False, 1),
    ("retrieve", "get", InstanceViews, None, True, 1),
    ("update", "put", InstanceViews, {"text": "changed"}, True, 2),
    ("partial_update", "patch", InstanceViews, {"text": "changed"}, True, 2),
    ("destroy", "delete", InstanceViews, None, True, 2),
    ("invalid create", "post", RootViews, {"text": "x" * 101}, False, 0),
    ("missing instance", "get", InstanceViews, None, "missing", 1),
]


class StepByStep:
    """Async hooks that send every action down the step-by-step path (not DRF's action in one hop)."""

    async def get_queryset(self):
        return self.queryset.all()

    async def get_serializer_class(self):
        return self.serializer_class


@pytest.mark.parametrize("path", ["one hop", "step by step"])
@pytest.mark.parametrize("case", QUERY_CASES, ids=[case[0] for case in QUERY_CASES])
def test_async_view_issues_the_queries_of_its_sync_twin(case, path, basics):
    """The same SQL, in the same order, as the sync DRF view (savepoints of the atomic write aside)."""
    _, method, (sync_cls, async_cls), data, detail, expected = case
    if path == "step by step":
        async_cls = type(async_cls.__name__, (StepByStep, async_cls), {})
    results = []
    for side, cls in (("sync", sync_cls), ("async", async_cls)):
        pk = {"pk": 999999} if detail == "missing" else {"pk": basics[1].id} if detail else {}
        response, sql = captured(side, cls.as_view(), method, data, **pk)
        results.append((response.status_code, sql))
        if method == "delete":  # put the row back for the other side
            basics[1].save()
        if method == "post":
            BasicModel.objects.filter(text="new").delete()
    (sync_status, sync_sql), (async_status, async_sql) = results
    assert async_status == sync_status
    assert len(async_sql) == len(sync_sql) == expected
    # Statements match up to their parameters (an INSERT's values, a pk).
    assert [sql.split(" WHERE")[0].split(" VALUES")[0] for sql in async_sql] == [
        sql.split(" WHERE")[0].split(" VALUES")[0] for sql in sync_sql
    ]


def test_async_foreign_key_view_queries_like_sync(db):
    """Retrieving and updating a FK source costs what it costs in DRF (the target lookup included)."""
    target = ForeignKeyTarget.objects.create(name="t")
    source = ForeignKeySource.objects.create(name="s", target=target)
    sync_cls, async_cls = FKInstanceViews
    counts = []
    for side, cls in (("sync", sync_cls), ("async", async_cls)):
        _, sql = captured(side, cls.as_view(), "put", {"name": "s2", "target": target.id}, pk=source.id)
        counts.append(len(sql))
    assert counts[0] == counts[1] == 3


# Thread hops


def test_sync_hooks_only_make_one_thread_hop_per_action(basics, hops):
    """A view whose hooks are all sync runs DRF's action in one hop: list, retrieve, update."""
    sync_cls, async_cls = InstanceViews
    call("async", async_cls.as_view(), "get", pk=basics[0].id)
    assert len(hops) == 1
    call("async", async_cls.as_view(), "patch", {"text": "x"}, pk=basics[0].id)
    assert len(hops) == 2
    call("async", RootViews[1].as_view(), "get")
    assert len(hops) == 3


def test_async_hook_path_makes_one_hop_per_sync_step(basics, hops):
    """With an async get_queryset, a list costs one hop for .data (the queryset is built on the loop)."""
    view = type("AsyncQs", (async_generics.AsyncListAPIView,), dict(
        serializer_class=BasicSerializer, get_queryset=_async_get_queryset)).as_view()
    assert len(call("async", view, "get").data) == 2
    assert len(hops) == 1


# Sync overrides of actions, as in a DRF project: the same override on DRF's class and on ours


class TextSerializer(serializers.ModelSerializer):
    """No id: rows created inside a rolled-back block may get different ids on PostgreSQL."""

    class Meta:
        model = BasicModel
        fields = ("text",)


ACTION_METHODS = {"list": "get", "create": "post", "retrieve": "get", "update": "put", "partial_update": "patch",
                  "destroy": "delete"}
DETAIL_ACTIONS = ("retrieve", "update", "partial_update", "destroy")
OVERRIDES = ("no query", "query", "super")


def sync_override(action: str, variant: str):
    """A ``def <action>()`` override: answers without a query, with a query, or wraps ``super().<action>()``."""

    def no_query(self, request, *args, **kwargs):
        return Response({"action": action, "kwargs": sorted(kwargs)}, headers={"X-Extra": action})

    def query(self, request, *args, **kwargs):
        return Response({"action": action, "rows": list(self.get_queryset().values_list("text", flat=True))})

    def wraps_super(self, request, *args, **kwargs):
        response = getattr(super(type(self), self), action)(request, *args, **kwargs)
        response.data = {"wrapped": response.data, "rows": BasicModel.objects.count()}
        return response

    function = {"no query": no_query, "query": query, "super": wraps_super}[variant]
    function.__name__ = function.__qualname__ = action
    return function


def same_from_the_same_rows(method: str, name: str, suffix: str = "", **kwargs) -> Seen:
    """`Twins.same()` with each side's writes rolled back, so both start from the same rows."""
    return same_from_the_same_rows_as(Twins(), method, name, suffix, **kwargs)


def same_from_the_same_rows_as(client: Twins, method: str, name: str, suffix: str = "", **kwargs) -> Seen:
    """`same_from_the_same_rows()` through *client* (authenticated, say)."""
    answers = []
    for side in SIDES:
        request = getattr(client.sync_client, method) if side == "sync" else async_to_sync(
            getattr(client.async_client, method))
        with transaction.atomic():
            answers.append(seen(request(f"/{side}/{name}/{suffix}", **kwargs)))
            transaction.set_rollback(True)
    sync_seen, async_seen = answers
    assert async_seen == sync_seen
    return async_seen


CONCRETE = [name.removeprefix("Async") for name in async_generics.__all__ if name != "AsyncGenericAPIView"]
OVERRIDE_CASES = [(view, action, variant) for view in CONCRETE for action in ACTION_METHODS
                  if hasattr(getattr(generics, view), action) for variant in OVERRIDES]
for view, action, variant in OVERRIDE_CASES:
    twin_views(f"override-{view}-{action}-{variant}".replace(" ", "-"), getattr(generics, view),
               getattr(async_generics, f"Async{view}"), pattern=r"(?P<pk>[^/]+)/" if action in DETAIL_ACTIONS else "",
               queryset=BasicModel.objects.exclude(text="filtered out"), serializer_class=TextSerializer,
               **{action: sync_override(action, variant)})


@pytest.mark.parametrize("view, action, variant", OVERRIDE_CASES, ids=["-".join(case) for case in OVERRIDE_CASES])
def test_sync_action_override_answers_like_drf(view, action, variant, basics):
    """A ``def list()``/``create()``/… override on each concrete view: DRF's status, data and headers."""
    assert_override_answers_like_drf(f"override-{view}-{action}-{variant}", action, variant, basics)


def assert_override_answers_like_drf(name: str, action: str, variant: str, basics) -> None:
    """Send *action*'s request to the twins routed at *name* (from the same rows): a success, alike on both."""
    suffix = f"{basics[0].id}/" if action in DETAIL_ACTIONS else ""
    data = {"data": {"text": "written"}, "format": "json"} if action in ("create", "update", "partial_update") else {}
    got = same_from_the_same_rows(ACTION_METHODS[action], name.replace(" ", "-"), suffix, **data)
    assert got.status < 300
    if variant == "query":
        assert got.data["rows"] == ["foo", "bar", "baz"]


def test_sync_write_override_runs_in_a_transaction(transactional_db):
    """
    A ``def create()`` override that writes and then fails leaves no row, as drf_async's own
    create (in autocommit mode: inside a caller's transaction the write joins it, as in DRF).
    """

    def create(self, request, *args, **kwargs):
        BasicModel.objects.create(text="half")
        raise exceptions.ValidationError("Changed my mind.")

    view = type("Creates", (async_generics.AsyncCreateAPIView,), dict(
        queryset=BasicModel.objects.all(), serializer_class=TextSerializer, create=create)).as_view()
    assert call("async", view, "post", {"text": "x"}).status_code == 400
    assert not BasicModel.objects.filter(text="half").exists()


@pytest.mark.parametrize("action", list(ACTION_METHODS))
def test_sync_action_override_is_one_thread_hop(action, basics, hops):
    """A ``def`` override, super() call included, costs one hop: DRF's action runs in the override's thread."""
    detail = action in DETAIL_ACTIONS
    base = async_generics.AsyncRetrieveUpdateDestroyAPIView if detail else async_generics.AsyncListCreateAPIView
    view = type("OneHop", (base,), {"queryset": BasicModel.objects.all(), "serializer_class": TextSerializer,
                                    action: sync_override(action, "super")}).as_view()
    data = {"text": "x"} if action in ("create", "update", "partial_update") else None
    response = call("async", view, ACTION_METHODS[action], data, **({"pk": basics[0].id} if detail else {}))
    assert response.status_code < 300 and len(hops) == 1


def test_sync_override_calling_super_with_an_async_hook_awaits_it(basics):
    """``super().list()`` from a def override still honours an async def get_queryset (awaited on the loop)."""
    view = type("Mixed", (async_generics.AsyncListAPIView,), dict(
        serializer_class=TextSerializer, get_queryset=_async_get_queryset,
        list=sync_override("list", "super"))).as_view()
    response = call("async", view, "get")
    assert response.status_code == 200 and response.data == {"wrapped": [{"text": "bar"}, {"text": "baz"}], "rows": 4}


# Mixed handlers: own def handlers beside inherited async ones, and the reverse


def _sync_extra(self, request, *args, **kwargs):
    return Response({"rows": self.get_queryset().count(), "method": request.method}, headers={"X-Extra": "sync"})


async def _async_extra(self, request, *args, **kwargs):
    return Response({"rows": await self.get_queryset().acount(), "method": request.method}, headers={"X-Extra": "sync"})


def _free_method(view: str) -> str:
    """An HTTP method the concrete view does not handle."""
    return next(m for m in ("post", "get", "put", "delete") if not hasattr(getattr(generics, view), m))


def _own_method(view: str) -> str:
    return next(m for m in ("get", "post", "put", "delete") if hasattr(getattr(generics, view), m))


MIXED_CASES = [(view, direction) for view in CONCRETE for direction in ("own sync", "own sync and async")]
for view, direction in MIXED_CASES:
    free, own = _free_method(view), _own_method(view)
    # "own sync": inherited async handlers plus a def one. "own sync and async": an inherited
    # handler overridden as def, plus a new async def one.
    async_attrs = {free: _sync_extra} if direction == "own sync" else {free: _async_extra, own: _sync_extra}
    sync_attrs = {free: _sync_extra} if direction == "own sync" else {free: _sync_extra, own: _sync_extra}
    name = f"mixed-{view}-{direction}".replace(" ", "-")
    common = dict(queryset=BasicModel.objects.all(), serializer_class=TextSerializer)
    route(name, type(view, (getattr(generics, view),), {**common, **sync_attrs}).as_view(),
          type(view, (getattr(async_generics, f"Async{view}"),), {**common, **async_attrs}).as_view(),
          r"(?P<pk>[^/]+)/")


@pytest.mark.parametrize("view, direction", MIXED_CASES, ids=["-".join(case) for case in MIXED_CASES])
def test_mixed_handlers_on_each_concrete_view_answer_like_drf(view, direction, basics):
    """def and async def handlers on one concrete view: every method answers as on DRF's class, no check error."""
    name = f"mixed-{view}-{direction}".replace(" ", "-")
    for method in ("get", "post", "put", "patch", "delete", "options"):
        data = {"data": {"text": "written"}, "format": "json"} if method in ("post", "put", "patch") else {}
        same_from_the_same_rows(method, name, f"{basics[0].id}/", **data)
    from django.core import checks

    assert [m for m in checks.run_checks(tags=["drf_async"]) if m.obj.__name__ == view] == []


# DRF's model and object permissions with an async def get_queryset


class FooOwnerBackend:
    """Object permissions for the row whose text is the user's name (as django-guardian would grant)."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        return obj is not None and getattr(obj, "text", None) == user_obj.username


PERMISSION_CASES = {
    "model-perms": (generics.ListCreateAPIView, async_generics.AsyncListCreateAPIView, "",
                    permissions.DjangoModelPermissions),
    "model-perms-anon": (generics.ListCreateAPIView, async_generics.AsyncListCreateAPIView, "",
                         permissions.DjangoModelPermissionsOrAnonReadOnly),
    "object-perms": (generics.RetrieveUpdateDestroyAPIView, async_generics.AsyncRetrieveUpdateDestroyAPIView,
                     r"(?P<pk>[^/]+)/", permissions.DjangoObjectPermissions),
}
for _name, (_sync_base, _async_base, _pattern, _permission) in PERMISSION_CASES.items():
    route(_name, type("Perms", (_sync_base,), dict(
              serializer_class=TextSerializer, permission_classes=[_permission], get_queryset=_sync_get_queryset)
          ).as_view(),
          type("Perms", (_async_base,), dict(
              serializer_class=TextSerializer, permission_classes=[_permission], get_queryset=_async_get_queryset)
          ).as_view(), _pattern)


@pytest.fixture
def staff(basics):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("bar")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_basicmodel", "change_basicmodel"]))
    return {"perms": user, "none": User.objects.create_user("baz"), "anonymous": None}


@pytest.mark.parametrize("who, method, status", [
    ("anonymous", "get", 403), ("none", "get", 200), ("none", "post", 403), ("perms", "post", 201),
])
def test_django_model_permissions_with_async_get_queryset_match_sync(who, method, status, staff):
    """DjangoModelPermissions reads get_queryset().model: an async def get_queryset gives the sync view's answers."""
    client = Twins()
    client.each("force_authenticate", staff[who])
    data = {"data": {"text": "new"}, "format": "json"} if method == "post" else {}
    assert same_from_the_same_rows_as(client, method, "model-perms", **data).status == status


def test_django_model_permissions_or_anon_read_only_with_async_get_queryset(staff):
    """Anonymous reads pass, anonymous writes do not, as on the sync view."""
    client = Twins()
    assert client.same("get", "model-perms-anon").status == 200
    assert client.same("post", "model-perms-anon", data={"text": "x"}, format="json").status == 403


@pytest.mark.parametrize("who, row, method, status", [
    ("perms", 1, "get", 200), ("perms", 1, "patch", 200), ("perms", 2, "patch", 403), ("none", 2, "patch", 403),
    ("perms", 0, "get", 404),  # "foo": outside the queryset
])
def test_django_object_permissions_with_async_get_queryset_match_sync(who, row, method, status, staff, settings):
    """
    DjangoObjectPermissions, with a backend granting each user the row named after them: the object check
    passes, fails, or the model check fails first ("baz" has no change permission), as on the sync view.
    """
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
                                        "tests.test_generics.FooOwnerBackend"]
    client = Twins()
    client.each("force_authenticate", staff[who])
    data = {"data": {"text": "bar"}, "format": "json"} if method == "patch" else {}
    got = same_from_the_same_rows_as(client, method, "object-perms", f"{staff_rows(row)}/", **data)
    assert got.status == status


def staff_rows(index: int) -> int:
    """The id of the index-th row of `basics` ("foo", "bar", "baz"…)."""
    return BasicModel.objects.order_by("id").values_list("id", flat=True)[index]


def test_drfs_sync_callers_get_the_result_of_async_hooks(basics, settings):
    """OPTIONS metadata and the browsable API call get_object()/get_serializer() synchronously: async hooks work."""
    settings.TEMPLATES = TEMPLATES
    view = type("AsyncHooks", (async_generics.AsyncRetrieveUpdateDestroyAPIView,), dict(
        get_queryset=_async_get_queryset, get_serializer_class=_async_serializer_class,
        renderer_classes=(renderers.JSONRenderer, renderers.BrowsableAPIRenderer))).as_view()
    pk = basics[1].id
    options = call("async", view, "options", pk=pk)
    assert options.status_code == 200 and set(options.data["actions"]["PUT"]) == {"id", "text"}
    html = async_to_sync(view)(async_factory.get("/", HTTP_ACCEPT="text/html"), pk=pk)
    html.render()
    assert html.status_code == 200 and b'name="text"' in html.content


def test_async_hooks_answer_sync_callers_outside_a_request():
    """
    An ``async def get_queryset`` called synchronously with no request and no event loop (a
    schema generator, a management command) returns its queryset; awaited code still gets a
    coroutine; a subclass inherits the hook as it is, not wrapped twice.
    """
    view_class = type("Rows", (async_generics.AsyncListAPIView,), dict(
        serializer_class=BasicSerializer, get_queryset=_async_get_queryset))
    subclass = type("MoreRows", (view_class,), {})

    rows = view_class().get_queryset()
    assert rows.model is BasicModel and str(rows.query) == str(BasicModel.objects.filter(text__startswith="b").query)
    assert subclass.get_queryset is view_class.get_queryset

    async def from_the_loop():
        pending = view_class().get_queryset()
        assert inspect.isawaitable(pending)
        return await pending

    assert async_to_sync(from_the_loop)().model is BasicModel
