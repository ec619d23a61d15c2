"""AsyncAPIView against its sync DRF twin: same request, same status, data and headers."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import pytest
import rest_framework
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import connection
from django.http import Http404, StreamingHttpResponse
from django.test import override_settings
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework import exceptions, permissions, renderers, throttling, versioning
from rest_framework.authentication import (
    BaseAuthentication,
    BasicAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.authtoken.models import Token
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from drf_async.test import AsyncAPIClient, AsyncAPIRequestFactory
from drf_async.views import AsyncAPIView
from tests.twins import Twins, route, seen

DRF_VERSION = tuple(int(part) for part in rest_framework.VERSION.split(".")[:2])
factory = APIRequestFactory()
async_factory = AsyncAPIRequestFactory()


def twins(name: str, sync_cls: type, async_cls: type, pattern: str = "") -> None:
    route(name, sync_cls.as_view(), async_cls.as_view(), pattern)


# Basic dispatch, negotiation, parsing


class SyncEcho(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def get(self, request, *args, **kwargs):
        return Response({"method": "GET", "query": request.query_params.dict()}, headers={"X-Extra": "1"})

    def post(self, request, *args, **kwargs):
        return Response({"data": request.data}, status=201)


class AsyncEcho(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    async def get(self, request, *args, **kwargs):
        return Response({"method": "GET", "query": request.query_params.dict()}, headers={"X-Extra": "1"})

    async def post(self, request, *args, **kwargs):
        return Response({"data": request.data}, status=201)


twins("echo", SyncEcho, AsyncEcho)


def test_get_and_post_match_sync_drf():
    """A GET and a JSON POST give the same status, body and headers as sync DRF."""
    client = Twins()
    got = client.same("get", "echo", data={"q": "1"})
    assert got.status == 200 and got.data == {"method": "GET", "query": {"q": "1"}}
    got = client.same("post", "echo", data={"a": [1, 2]}, format="json")
    assert got.status == 201 and got.data == {"data": {"a": [1, 2]}}
    got = client.same("post", "echo", data={"a": "b"}, format="multipart")
    assert got.data["data"]["a"] == "b"


def test_options_head_and_method_not_allowed_match_sync_drf():
    """DRF's own sync options/http_method_not_allowed work on an async view: metadata, 405 + Allow."""
    client = Twins()
    sync_seen, async_seen = client.request("options", "echo")
    assert sync_seen.status == async_seen.status == 200
    assert sync_seen.data.pop("name") == "Sync Echo" and async_seen.data.pop("name") == "Async Echo"
    assert async_seen == sync_seen
    got = client.same("delete", "echo")
    assert got.status == 405 and got.headers["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert got.data == {"detail": 'Method "DELETE" not allowed.'}


def test_content_negotiation_and_bad_input_match_sync_drf():
    """406 for an unacceptable Accept, 400 for malformed JSON, 415 for an unknown media type."""
    client = Twins()
    assert client.same("get", "echo", HTTP_ACCEPT="application/xml").status == 406
    assert client.same("get", "echo", data={"format": "json"}).status == 200
    bad_json = client.same("post", "echo", data=b'{"a": ', content_type="application/json")
    assert bad_json.status == 400 and "JSON parse error" in bad_json.data["detail"]
    unsupported = client.same("post", "echo", data=b"x", content_type="application/x-unknown")
    assert unsupported.status == 415 and unsupported.data == {
        "detail": 'Unsupported media type "application/x-unknown" in request.'
    }


def test_oversized_body_gets_the_same_answer_as_sync_drf(settings):
    """
    A body past DATA_UPLOAD_MAX_MEMORY_SIZE gets sync DRF's answer: Django's 400 since DRF 3.17
    (through the test client; under AsyncHandler such a body is not read at all, and reading
    it raises the same error on any DRF: tests/test_body.py).
    """
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    client = Twins()
    for body in ({"data": f"blob={big}", "content_type": "application/x-www-form-urlencoded"},
                 {"data": {"blob": big}, "format": "json"}):
        sync_seen, async_seen = client.request("post", "echo", **body)
        assert async_seen.status == sync_seen.status
        if DRF_VERSION >= (3, 17):
            assert async_seen.status == 400


# Content negotiation answers remembered per Accept header (AsyncAPIView.perform_content_negotiation)


class PlainRenderer(renderers.BaseRenderer):
    media_type = "text/plain"
    format = "txt"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class ReversedRendererOrder:
    """``get_renderers()`` decided per request: ``?plain_first=1`` puts the text renderer first."""

    def get_renderers(self):
        found = super().get_renderers()
        return found[::-1] if self.request.query_params.get("plain_first") else found


def negotiated_view(base: type, *mixins: type, **attributes) -> type:
    """A view on *base* that answers with the renderer and media type DRF's negotiation picked."""

    def get(self, request, *args, **kwargs):
        return Response({"renderer": type(request.accepted_renderer).__name__, "media": request.accepted_media_type})

    async def aget(self, request, *args, **kwargs):
        return get(self, request, *args, **kwargs)

    body = {
        "authentication_classes": [],
        "permission_classes": [permissions.AllowAny],
        "renderer_classes": [renderers.JSONRenderer, PlainRenderer],
        "get": aget if base is AsyncAPIView else get,
        **attributes,
    }
    return type(f"{base.__name__}Negotiated", (*mixins, base), body)


class FirstRendererNegotiation(DefaultContentNegotiation):
    """A project's own negotiator (a subclass of DRF's): always the last renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[-1], renderers[-1].media_type


FORMAT_SUFFIX = r"data(?:\.(?P<format>[a-z]+))?"
twins("negotiated", negotiated_view(APIView), negotiated_view(AsyncAPIView), FORMAT_SUFFIX)
twins("negotiated-per-request", negotiated_view(APIView, ReversedRendererOrder),
      negotiated_view(AsyncAPIView, ReversedRendererOrder), FORMAT_SUFFIX)
twins("negotiated-custom", negotiated_view(APIView, content_negotiation_class=FirstRendererNegotiation),
      negotiated_view(AsyncAPIView, content_negotiation_class=FirstRendererNegotiation), FORMAT_SUFFIX)

ACCEPT_HEADERS = [
    None, "*/*", "application/json", "text/plain", "application/json; indent=4", "text/*",
    "text/plain, application/json", "application/json;q=0.5, text/plain", "application/xml", "",
]


@pytest.mark.parametrize("name", ["negotiated", "negotiated-per-request", "negotiated-custom"])
def test_repeated_accept_headers_get_drf_negotiation_answer(name):
    """Each Accept header, sent twice in a row and again after the others, picks DRF's renderer and media type."""
    client = Twins()
    answers = {}
    for _ in range(2):
        for accept in ACCEPT_HEADERS:
            headers = {} if accept is None else {"HTTP_ACCEPT": accept}
            first = client.same("get", name, "data", **headers)
            assert client.same("get", name, "data", **headers) == first
            answers.setdefault(accept, first)
            assert first == answers[accept]
    assert answers["text/plain"].data == {"renderer": "PlainRenderer", "media": "text/plain"}
    if name == "negotiated-custom":  # the project's negotiator is asked every time
        assert answers["application/xml"].data == answers["text/plain"].data
        return
    assert answers["application/xml"].status == 406
    assert answers["application/json; indent=4"].data["media"] == "application/json; indent=4"


@pytest.mark.parametrize("name", ["negotiated", "negotiated-per-request"])
def test_format_override_and_suffix_still_get_drf_answer(name):
    """After an Accept header was answered, ``?format=`` and a ``.txt`` suffix with it still get DRF's answer."""
    client = Twins()
    for accept in ("*/*", "application/json", "text/plain"):
        client.same("get", name, "data", HTTP_ACCEPT=accept)
        for suffix, data in (("data", {"format": "txt"}), ("data", {"format": "json"}), ("data.txt", None),
                             ("data.json", None), ("data.xml", None), ("data", {"format": "nope"})):
            client.same("get", name, suffix, data=data, HTTP_ACCEPT=accept)


def test_renderers_chosen_per_request_get_drf_answer_for_a_repeated_accept():
    """A `get_renderers()` override that reorders per request: the same Accept header picks what DRF picks each time."""
    client = Twins()
    name, reorder = "negotiated-per-request", {"plain_first": "1"}
    picked = {}
    for accept in ("*/*", "text/plain, application/json", "application/json, text/plain", "text/*"):
        plain_first = client.same("get", name, "data", data=reorder, HTTP_ACCEPT=accept)
        json_first = client.same("get", name, "data", HTTP_ACCEPT=accept)
        assert client.same("get", name, "data", data=reorder, HTTP_ACCEPT=accept) == plain_first
        picked[accept] = (plain_first.data["renderer"], json_first.data["renderer"])
    assert picked["*/*"] == ("PlainRenderer", "JSONRenderer")  # the order decides
    assert picked["text/*"] == ("PlainRenderer", "PlainRenderer")  # the header decides


def test_negotiation_memory_is_bounded():
    """Client-chosen Accept headers cannot grow the remembered answers past their bound."""
    from drf_async import views

    view = negotiated_view(AsyncAPIView).as_view()
    for i in range(views._NEGOTIATED_MAX_ENTRIES + 50):
        response = async_to_sync(view)(async_factory.get("/", HTTP_ACCEPT=f"application/json; v={i}"))
        assert response.status_code == 200
    assert len(views._NEGOTIATED) <= views._NEGOTIATED_MAX_ENTRIES
    huge = "application/json; v=" + "x" * views._NEGOTIATED_MAX_HEADER
    async_to_sync(view)(async_factory.get("/", HTTP_ACCEPT=huge))
    assert all(len(key[0]) <= views._NEGOTIATED_MAX_HEADER for key in views._NEGOTIATED)


# Authentication


class AsyncHeaderAuthentication(BaseAuthentication):
    """Authenticates `X-User: <username>` on the loop; `X-User: !` fails loudly."""

    async def authenticate(self, request):
        username = request.headers.get("X-User")
        if not username:
            return None
        if username == "!":
            raise exceptions.AuthenticationFailed("Bad X-User header.")
        user = await User.objects.aget(username=username)
        return (user, "header")

    def authenticate_header(self, request):
        return 'Header realm="api"'


class SyncHeaderAuthentication(BaseAuthentication):
    def authenticate(self, request):
        username = request.headers.get("X-User")
        if not username:
            return None
        if username == "!":
            raise exceptions.AuthenticationFailed("Bad X-User header.")
        return (User.objects.get(username=username), "header")

    def authenticate_header(self, request):
        return 'Header realm="api"'


def _whoami(request):
    return Response({"user": request.user.username, "auth": str(request.auth) if request.auth else None})


class SyncWhoAmI(APIView):
    authentication_classes = [BasicAuthentication, SessionAuthentication, TokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    def get(self, request):
        return _whoami(request)

    def post(self, request):
        return _whoami(request)


class AsyncWhoAmI(AsyncAPIView):
    authentication_classes = [BasicAuthentication, SessionAuthentication, TokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    async def get(self, request):
        return _whoami(request)

    async def post(self, request):
        return _whoami(request)


class SyncHeaderWhoAmI(SyncWhoAmI):
    authentication_classes = [SyncHeaderAuthentication, BasicAuthentication]


class AsyncHeaderWhoAmI(AsyncWhoAmI):
    authentication_classes = [AsyncHeaderAuthentication, BasicAuthentication]


twins("whoami", SyncWhoAmI, AsyncWhoAmI)
twins("header-whoami", SyncHeaderWhoAmI, AsyncHeaderWhoAmI)


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", password="secret")


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_basic_and_token_authentication_match_sync_drf(alice):
    """Sync authenticators (they query the DB) work from an async view; 401s carry the same header."""
    client = Twins()
    assert client.same("get", "whoami", HTTP_AUTHORIZATION=basic("alice", "secret")).data == {
        "user": "alice", "auth": None,
    }
    denied = client.same("get", "whoami", HTTP_AUTHORIZATION=basic("alice", "wrong"))
    assert denied.status == 401 and denied.headers["WWW-Authenticate"] == 'Basic realm="api"'
    token = Token.objects.create(user=alice)
    assert client.same("get", "whoami", HTTP_AUTHORIZATION=f"Token {token.key}").data["user"] == "alice"
    assert client.same("get", "whoami", HTTP_AUTHORIZATION="Token nope").status == 401


def test_session_authentication_enforces_csrf_like_sync_drf(alice):
    """A logged-in session passes on GET; an unsafe method without a CSRF token is a 403."""
    client = Twins(enforce_csrf_checks=True)
    client.each("force_login", alice)
    assert client.same("get", "whoami").data == {"user": "alice", "auth": None}
    denied = client.same("post", "whoami", data={}, format="json")
    assert denied.status == 403 and denied.data["detail"].startswith("CSRF Failed")
    anonymous = Twins().same("get", "whoami")
    assert anonymous.status == 401 and anonymous.data == {"detail": "Authentication credentials were not provided."}


def test_async_authenticator_matches_its_sync_twin(alice):
    """An `async def authenticate` is awaited; its results and failures match the sync twin's."""
    client = Twins()
    assert client.same("get", "header-whoami", HTTP_X_USER="alice").data == {"user": "alice", "auth": "header"}
    failed = client.same("get", "header-whoami", HTTP_X_USER="!")
    assert failed.status == 401 and failed.data == {"detail": "Bad X-User header."}
    assert failed.headers["WWW-Authenticate"] == 'Header realm="api"'
    fallback = client.same("get", "header-whoami", HTTP_AUTHORIZATION=basic("alice", "secret"))
    assert fallback.data == {"user": "alice", "auth": None}
    assert client.same("get", "header-whoami").status == 401


def test_force_authenticate_matches_sync_drf(alice):
    client = Twins()
    client.each("force_authenticate", alice)
    assert client.same("get", "whoami").data == {"user": "alice", "auth": None}


# Permissions


class AsyncHasHeader(permissions.BasePermission):
    message = "Send X-Allow."
    code = "no_header"

    async def has_permission(self, request, view):
        await asyncio.sleep(0)
        return request.headers.get("X-Allow") == "yes"

    async def has_object_permission(self, request, view, obj):
        return obj == request.headers.get("X-Owner")


class SyncHasHeader(permissions.BasePermission):
    message = "Send X-Allow."
    code = "no_header"

    def has_permission(self, request, view):
        return request.headers.get("X-Allow") == "yes"

    def has_object_permission(self, request, view, obj):
        return obj == request.headers.get("X-Owner")


def _permission_twins(name, sync_permissions, async_permissions):
    class SyncView(APIView):
        authentication_classes = [BasicAuthentication]
        permission_classes = sync_permissions

        def get(self, request, obj=None):
            if obj:
                self.check_object_permissions(request, obj)
            return Response({"ok": True})

    class AsyncView(AsyncAPIView):
        authentication_classes = [BasicAuthentication]
        permission_classes = async_permissions

        async def get(self, request, obj=None):
            if obj:
                await self.acheck_object_permissions(request, obj)
            return Response({"ok": True})

    twins(name, SyncView, AsyncView, pattern=r"(?:(?P<obj>\w+)/)?")


_permission_twins("perm", [SyncHasHeader], [AsyncHasHeader])
_permission_twins("perm-and", [SyncHasHeader & permissions.IsAuthenticated],
                  [AsyncHasHeader & permissions.IsAuthenticated])
_permission_twins("perm-or", [SyncHasHeader | permissions.IsAuthenticated],
                  [AsyncHasHeader | permissions.IsAuthenticated])
_permission_twins("perm-not", [~SyncHasHeader], [~AsyncHasHeader])


def test_async_permission_with_message_and_code_matches_sync_drf(db):
    """An async has_permission is awaited; its `message` is DRF's 403 detail."""
    client = Twins()
    assert client.same("get", "perm", HTTP_X_ALLOW="yes").status == 200
    denied = client.same("get", "perm")
    assert denied.status == 401 and denied.data == {"detail": "Authentication credentials were not provided."}


def test_async_permission_denied_for_authenticated_user_is_403_with_message(alice):
    client = Twins()
    denied = client.same("get", "perm", HTTP_AUTHORIZATION=basic("alice", "secret"))
    assert denied.status == 403 and denied.data == {"detail": "Send X-Allow."}


@pytest.mark.parametrize(
    "name, headers, status",
    [
        ("perm-and", {"HTTP_X_ALLOW": "yes"}, 401),
        ("perm-and", {"HTTP_X_ALLOW": "yes", "HTTP_AUTHORIZATION": basic("alice", "secret")}, 200),
        ("perm-or", {}, 401),
        ("perm-or", {"HTTP_X_ALLOW": "yes"}, 200),
        ("perm-or", {"HTTP_AUTHORIZATION": basic("alice", "secret")}, 200),
        ("perm-not", {"HTTP_X_ALLOW": "yes", "HTTP_AUTHORIZATION": basic("alice", "secret")}, 403),
        ("perm-not", {}, 200),
    ],
)
def test_composed_async_permissions_match_sync_drf(alice, name, headers, status):
    """DRF's `&`, `|` and `~` keep their meaning when a member is async (a coroutine is truthy)."""
    assert Twins().same("get", name, **headers).status == status


def test_async_object_permissions_match_sync_drf(alice):
    client = Twins()
    assert client.same("get", "perm", "mine/", HTTP_X_ALLOW="yes", HTTP_X_OWNER="mine").status == 200
    denied = client.same("get", "perm", "mine/", HTTP_X_ALLOW="yes", HTTP_X_OWNER="theirs")
    assert denied.status == 401
    assert Twins().same("get", "perm-or", "mine/", HTTP_X_ALLOW="yes", HTTP_X_OWNER="mine").status == 200
    assert Twins().same("get", "perm-or", "mine/", HTTP_X_ALLOW="yes", HTTP_X_OWNER="x").status == 401


class RecordsChecks(AsyncAPIView):
    """Pure policies (no authenticators, AllowAny, no throttles), with each async twin overridden."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = []
    seen: list[str] | None = None  # as_view(seen=[]): the twins that were awaited

    async def aperform_authentication(self, request):
        self.seen.append("authentication")
        await super().aperform_authentication(request)

    async def acheck_permissions(self, request):
        self.seen.append("permissions")
        await super().acheck_permissions(request)

    async def acheck_throttles(self, request):
        self.seen.append("throttles")
        await super().acheck_throttles(request)

    async def get(self, request):
        return Response(self.seen)


def test_overridden_async_twins_are_awaited_even_when_the_checks_are_pure():
    """A pure check runs in place inside DRF's initial() unless its async twin is overridden: that one is awaited."""
    response = async_to_sync(RecordsChecks.as_view(seen=[]))(async_factory.get("/"))
    assert response.data == ["authentication", "permissions", "throttles"]


class LaterTwinOverridden(RecordsChecks):
    aperform_authentication = AsyncAPIView.aperform_authentication
    acheck_permissions = AsyncAPIView.acheck_permissions


def test_checks_after_a_deferred_one_keep_drf_order():
    """The pure checks before an overridden twin run in place; the override is still awaited."""
    response = async_to_sync(LaterTwinOverridden.as_view(seen=[]))(async_factory.get("/"))
    assert response.data == ["throttles"]


# Throttling


class AsyncBurstThrottle(throttling.SimpleRateThrottle):
    """A rate throttle whose `allow_request` is a coroutine (it uses the cache's async API)."""

    scope = "burst"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    async def allow_request(self, request, view):
        self.key = self.get_cache_key(request, view)
        self.history = await self.cache.aget(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            return self.throttle_failure()
        self.history.insert(0, self.now)
        await self.cache.aset(self.key, self.history, self.duration)
        return True


class SyncBurstThrottle(throttling.SimpleRateThrottle):
    scope = "burst"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SyncThrottled(SyncEcho):
    throttle_classes = [SyncBurstThrottle]


class AsyncThrottled(AsyncEcho):
    throttle_classes = [AsyncBurstThrottle]


class SyncThrottledBuiltin(SyncEcho):
    throttle_classes = [throttling.AnonRateThrottle]


class AsyncThrottledBuiltin(AsyncEcho):
    throttle_classes = [throttling.AnonRateThrottle]


twins("throttled", SyncThrottled, AsyncThrottled)
twins("throttled-builtin", SyncThrottledBuiltin, AsyncThrottledBuiltin)


@pytest.mark.parametrize("name", ["throttled", "throttled-builtin"])
def test_throttles_give_429_with_retry_after_like_sync_drf(name):
    """Sync (cache in a thread) and async throttles: two requests pass, the third is a 429 + Retry-After."""
    client = Twins()
    send = {
        "sync": lambda: client.sync_client.get(f"/sync/{name}/"),
        "async": lambda: async_to_sync(client.async_client.get)(f"/async/{name}/"),
    }
    answers = {}
    for side in ("sync", "async"):
        cache.clear()
        answers[side] = [(r.status_code, r.get("Retry-After"), r.data) for r in (send[side]() for _ in range(3))]
    assert answers["async"] == answers["sync"]
    assert [status for status, *_ in answers["sync"]] == [200, 200, 429]
    assert int(answers["sync"][2][1]) > 0
    cache.clear()


# Exceptions


def _raise(kind):
    if kind == "notfound":
        raise exceptions.NotFound()
    if kind == "http404":
        raise Http404("No such thing.")
    if kind == "denied":
        raise DjangoPermissionDenied("Nope.")
    if kind == "invalid":
        raise exceptions.ValidationError({"field": ["Bad."]})
    if kind == "teapot":
        raise exceptions.APIException("Short and stout.", code="teapot")
    return Response({"kind": kind})


class SyncRaises(SyncEcho):
    def get(self, request, kind):
        return _raise(kind)


class AsyncRaises(AsyncEcho):
    async def get(self, request, kind):
        await asyncio.sleep(0)
        return _raise(kind)


async def async_exception_handler(exc, context):
    from rest_framework.views import exception_handler

    await asyncio.sleep(0)
    response = exception_handler(exc, context)
    if response is not None:
        response.data = {"error": response.data, "view": context["view"].__class__.__name__.removeprefix("Async")}
    return response


def sync_exception_handler(exc, context):
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is not None:
        response.data = {"error": response.data, "view": context["view"].__class__.__name__.removeprefix("Sync")}
    return response


class SyncCustomHandler(SyncRaises):
    def get_exception_handler(self):
        return sync_exception_handler


class AsyncCustomHandler(AsyncRaises):
    def get_exception_handler(self):
        return async_exception_handler


class SyncCustomHandlerUnauthenticated(SyncCustomHandler):
    authentication_classes = [BasicAuthentication]
    permission_classes = [permissions.IsAuthenticated]


class AsyncCustomHandlerUnauthenticated(AsyncCustomHandler):
    authentication_classes = [BasicAuthentication]
    permission_classes = [permissions.IsAuthenticated]


twins("raises", SyncRaises, AsyncRaises, pattern=r"(?P<kind>\w+)/")
twins("custom-handler", SyncCustomHandler, AsyncCustomHandler, pattern=r"(?P<kind>\w+)/")
twins("custom-handler-auth", SyncCustomHandlerUnauthenticated, AsyncCustomHandlerUnauthenticated,
      pattern=r"(?P<kind>\w+)/")


@pytest.mark.parametrize("kind, status", [
    ("notfound", 404), ("http404", 404), ("denied", 403), ("invalid", 400), ("teapot", 500), ("fine", 200),
])
def test_handler_exceptions_match_sync_drf(kind, status):
    """APIException, Http404, Django's PermissionDenied from the handler become DRF's error responses."""
    assert Twins().same("get", "raises", f"{kind}/").status == status


@pytest.mark.parametrize("kind", ["notfound", "http404", "invalid", "fine"])
def test_async_exception_handler_is_awaited(kind):
    """An `async def` exception handler gets DRF's (exc, context) and its response is used."""
    got = Twins().same("get", "custom-handler", f"{kind}/")
    if kind != "fine":
        assert got.data["view"] == "CustomHandler"


def test_async_exception_handler_sees_drf_prepared_auth_exceptions(db):
    """401s reach an async handler with DRF's WWW-Authenticate already attached."""
    got = Twins().same("get", "custom-handler-auth", "fine/")
    assert got.status == 401 and got.headers["WWW-Authenticate"] == 'Basic realm="api"'
    assert got.data["error"] == {"detail": "Authentication credentials were not provided."}


def test_uncaught_exception_propagates_like_sync_drf():
    """An exception the handler does not know is raised, not swallowed, as in DRF."""

    class Boom(AsyncEcho):
        async def get(self, request):
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        async_to_sync(Boom.as_view())(async_factory.get("/"))


def test_set_rollback_marks_the_atomic_block_of_the_thread_that_wrote(db, monkeypatch):
    """With ATOMIC_REQUESTS, an API error rolls back the request's transaction, as in DRF."""
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)

    class CreatesThenFails(AsyncEcho):
        async def post(self, request):
            await User.objects.acreate(username="ghost")
            raise exceptions.ValidationError("Changed my mind.")

    from django.db import transaction

    with transaction.atomic():
        response = async_to_sync(CreatesThenFails.as_view())(async_factory.post("/", {}))
        assert response.status_code == 400
        assert connection.needs_rollback
        connection.set_rollback(False)


# Versioning


class SyncVersioned(SyncEcho):
    versioning_class = versioning.AcceptHeaderVersioning

    def get(self, request):
        return Response({"version": request.version})


class AsyncVersioned(AsyncEcho):
    versioning_class = versioning.AcceptHeaderVersioning

    async def get(self, request):
        return Response({"version": request.version})


twins("versioned", SyncVersioned, AsyncVersioned)


def test_versioning_matches_sync_drf():
    assert Twins().same("get", "versioned", HTTP_ACCEPT="application/json; version=2").data == {"version": "2"}


# as_view, sync handlers, mixing


def test_as_view_is_a_csrf_exempt_coroutine_function_carrying_drf_attributes():
    view = AsyncEcho.as_view(permission_classes=[permissions.AllowAny])
    assert iscoroutinefunction(view)
    assert view.cls is AsyncEcho and view.initkwargs == {"permission_classes": [permissions.AllowAny]}
    assert view.csrf_exempt is True and view.login_required is False


class SyncHandlerOnAsyncView(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return Response({"users": User.objects.count()})


def test_sync_handler_on_async_view_runs_in_a_thread(alice):
    """A plain `def` handler on an AsyncAPIView works, ORM included (it runs off the loop)."""
    response = async_to_sync(SyncHandlerOnAsyncView.as_view())(async_factory.get("/"))
    assert response.status_code == 200 and response.data == {"users": 1}


class SyncHandlerChecksObject(AsyncAPIView):
    authentication_classes = []
    permission_classes = [AsyncHasHeader]

    def get(self, request, obj):
        self.check_object_permissions(request, obj)
        return Response({"obj": obj})


@pytest.mark.parametrize("owner, status", [("mine", 200), ("theirs", 403)])
def test_sync_code_in_a_thread_still_awaits_async_permissions(owner, status):
    """DRF's sync check_object_permissions(), called from a sync handler, evaluates async members."""
    request = async_factory.get("/", HTTP_X_ALLOW="yes", HTTP_X_OWNER=owner)
    response = async_to_sync(SyncHandlerChecksObject.as_view())(request, obj="mine")
    assert response.status_code == status


class SyncCounts(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        return Response({"users": User.objects.count()}, headers={"X-Extra": "get"})

    def post(self, request):
        User.objects.create(username=request.data["username"])
        return Response({"users": User.objects.count()}, status=201)


class AsyncPostBase(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    async def post(self, request):
        await User.objects.acreate(username=request.data["username"])
        return Response({"users": await User.objects.acount()}, status=201)


class InheritedAsyncPostOwnSyncGet(AsyncPostBase):
    def get(self, request):
        return Response({"users": User.objects.count()}, headers={"X-Extra": "get"})


class SyncPostBase(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        User.objects.create(username=request.data["username"])
        return Response({"users": User.objects.count()}, status=201)


class InheritedSyncPostOwnAsyncGet(SyncPostBase):
    async def get(self, request):
        return Response({"users": await User.objects.acount()}, headers={"X-Extra": "get"})


twins("mixed-async-post", SyncCounts, InheritedAsyncPostOwnSyncGet)
twins("mixed-sync-post", SyncCounts, InheritedSyncPostOwnAsyncGet)


@pytest.mark.parametrize("name", ["mixed-async-post", "mixed-sync-post"])
def test_mixed_sync_and_async_handlers_answer_like_sync_drf(name, db):
    """An inherited async post with an own sync get (and the reverse): as_view() works, both answer as DRF's view."""
    client = Twins()
    assert client.same("get", name).data == {"users": 0}
    sync_seen = seen(client.sync_client.post(f"/sync/{name}/", {"username": "x"}, format="json"))
    User.objects.filter(username="x").delete()
    async_seen = seen(async_to_sync(client.async_client.post)(f"/async/{name}/", {"username": "x"}, format="json"))
    assert async_seen == sync_seen and async_seen.status == 201
    assert client.same("get", name).headers["X-Extra"] == "get"
    assert client.same("delete", name).status == 405


def test_mixed_handlers_are_not_reported_by_the_checks():
    """No system check objects to a drf_async view mixing def and async def handlers."""
    from django.core import checks

    found = checks.run_checks(tags=["drf_async"])
    assert [m for m in found if m.obj in (InheritedAsyncPostOwnSyncGet, InheritedSyncPostOwnAsyncGet)] == []


# Thread hops


class Trivial(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = []

    async def get(self, request):
        return Response({"user": str(request.user), "ok": True})


def test_pure_view_makes_zero_thread_hops(hops):
    """AllowAny, no authenticators, no throttles: the whole dispatch stays on the loop."""
    response = async_to_sync(Trivial.as_view())(async_factory.get("/"))
    response.render()
    assert response.status_code == 200 and json.loads(response.content) == {"user": "AnonymousUser", "ok": True}
    assert hops == []


def test_db_authentication_costs_one_hop_and_is_authenticated_none(alice, hops):
    """Token auth (a DB query) takes one hop; IsAuthenticated on the loaded user takes none."""
    token = Token.objects.create(user=alice)

    class TokenView(Trivial):
        authentication_classes = [TokenAuthentication]
        permission_classes = [permissions.IsAuthenticated]

    request = async_factory.get("/", HTTP_AUTHORIZATION=f"Token {token.key}")
    response = async_to_sync(TokenView.as_view())(request)
    assert response.status_code == 200 and response.data["user"] == "alice"
    assert len(hops) == 1


def _with_session(request, session_key=None):
    """Apply Django's session and authentication middleware, as the handler would."""
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware

    if session_key:
        request.COOKIES["sessionid"] = session_key
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    return request


class DefaultAuth(Trivial):
    authentication_classes = [SessionAuthentication, BasicAuthentication, TokenAuthentication]


def test_default_authenticators_make_no_hop_for_an_anonymous_request(db, hops):
    """Session/Basic/Token with no cookie and no Authorization header would query nothing: no hop."""
    response = async_to_sync(DefaultAuth.as_view())(_with_session(async_factory.get("/")))
    assert response.data["user"] == "AnonymousUser" and hops == []


def test_default_authenticators_hop_once_when_credentials_are_sent(alice, hops):
    """A Basic header, or a session cookie, means a query: one hop, and the user is authenticated."""
    request = _with_session(async_factory.get("/", HTTP_AUTHORIZATION=basic("alice", "secret")))
    assert async_to_sync(DefaultAuth.as_view())(request).data["user"] == "alice"
    assert len(hops) == 1

    from django.contrib.auth import login

    logged_in = _with_session(async_factory.get("/"))
    login(logged_in, alice, backend="django.contrib.auth.backends.ModelBackend")
    logged_in.session.save()
    request = _with_session(async_factory.get("/"), session_key=logged_in.session.session_key)
    assert async_to_sync(DefaultAuth.as_view())(request).data["user"] == "alice"
    assert len(hops) == 2


# Concurrency and streaming through Django's ASGI handler


class Sleepy(Trivial):
    async def get(self, request):
        await asyncio.sleep(0.2)
        return Response({"slept": True})


class Streams(Trivial):
    gate: asyncio.Event  # set by the test when it has seen a chunk

    async def get(self, request):
        async def chunks():
            for i in range(3):
                yield f"chunk{i};".encode()
                await self.gate.wait()
                self.gate.clear()

        return StreamingHttpResponse(chunks(), content_type="text/plain")


route("sleepy", None, Sleepy.as_view())
route("streams", None, Streams.as_view())


async def test_concurrent_requests_overlap():
    """Ten requests to a handler that awaits 0.2 s finish together, not one after another."""
    client = AsyncAPIClient()
    started = time.perf_counter()
    responses = await asyncio.gather(*(client.get("/async/sleepy/") for _ in range(10)))
    elapsed = time.perf_counter() - started
    assert [r.status_code for r in responses] == [200] * 10
    assert elapsed < 1.0


async def test_async_iterator_is_streamed_chunk_by_chunk_under_asgi(db):
    """Each chunk reaches the ASGI server before the iterator produces the next one."""
    from tests.asgi import application

    Streams.gate = asyncio.Event()
    received: list[bytes] = []
    got_chunk = asyncio.Event()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "path": "/async/streams/", "raw_path": b"/async/streams/", "query_string": b"", "headers": [],
             "client": ("127.0.0.1", 1234), "server": ("testserver", 80), "scheme": "http", "root_path": ""}
    inbox: asyncio.Queue = asyncio.Queue()
    await inbox.put({"type": "http.request", "body": b"", "more_body": False})

    async def send(message):
        if message["type"] == "http.response.body" and message.get("body"):
            received.append(message["body"])
            got_chunk.set()

    app = asyncio.ensure_future(application(scope, inbox.get, send))
    for expected in (b"chunk0;", b"chunk1;", b"chunk2;"):
        await asyncio.wait_for(got_chunk.wait(), 5)
        got_chunk.clear()
        assert received[-1] == expected
        Streams.gate.set()
    await asyncio.wait_for(app, 5)
    assert received == [b"chunk0;", b"chunk1;", b"chunk2;"]


def test_request_user_is_usable_in_async_handler_after_session_login(alice):
    """request.user is loaded before the handler runs: no SynchronousOnlyOperation on the loop."""

    class Profile(AsyncAPIView):
        authentication_classes = [SessionAuthentication]
        permission_classes = [permissions.IsAuthenticated]

        async def get(self, request):
            return Response({"is_staff": request.user.is_staff, "pk": request.user.pk})

    route("profile", None, Profile.as_view())
    client = AsyncAPIClient()
    client.force_login(alice)
    response = async_to_sync(client.get)("/async/profile/")
    assert response.status_code == 200 and response.data == {"is_staff": False, "pk": alice.pk}


@override_settings(DEBUG=False)
def test_sync_permission_that_queries_runs_in_a_thread(alice):
    """A user's sync permission doing ORM work runs off the loop (no SynchronousOnlyOperation)."""

    class HasUsers(permissions.BasePermission):
        def has_permission(self, request, view):
            return User.objects.exists()

    class View(Trivial):
        permission_classes = [HasUsers]

    response = async_to_sync(View.as_view())(async_factory.get("/"))
    assert response.status_code == 200


# A DRF-style sync dispatch() override (dj-rest-auth's views decorate theirs)


def decorated_dispatch_view(base: type) -> type:
    """The same view on *base*: a sync dispatch that is decorated and post-processes the response."""

    class Decorated(base):
        @method_decorator(sensitive_post_parameters("password"))
        @method_decorator(never_cache)
        def dispatch(self, request, *args, **kwargs):
            response = super().dispatch(request, *args, **kwargs)
            response["X-Extra"] = f"dispatched {request.method}"
            return response

        def get(self, request):
            return Response({"hidden": list(getattr(request._request, "sensitive_post_parameters", []))})

        def post(self, request):
            return Response(request.data, status=201)

    if base is AsyncAPIView:
        async def get(self, request):
            return Response({"hidden": list(getattr(request._request, "sensitive_post_parameters", []))})

        Decorated.get = get
    return Decorated


twins("sync-dispatch", decorated_dispatch_view(APIView), decorated_dispatch_view(AsyncAPIView))


@pytest.mark.parametrize(("method", "kwargs"), [("get", {}), ("post", {"data": {"password": "x"}, "format": "json"}),
                                                ("put", {})])
def test_sync_dispatch_override_answers_like_drf(method, kwargs):
    """
    A sync dispatch() override decorated with never_cache and sensitive_post_parameters, which
    adds a header to super().dispatch()'s response: DRF's answer (status, data, headers,
    Cache-Control), with async and sync handlers alike.
    """
    got = Twins().same(method, "sync-dispatch", **kwargs)
    assert got.headers["X-Extra"] == f"dispatched {method.upper()}"
    sync_response = getattr(APIClient(), method)("/sync/sync-dispatch/", **kwargs)
    async_response = async_to_sync(getattr(AsyncAPIClient(), method))("/async/sync-dispatch/", **kwargs)
    assert async_response["Cache-Control"] == sync_response["Cache-Control"]
    assert "no-cache" in sync_response["Cache-Control"]


class EchoData(AsyncAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    async def post(self, request):
        return Response({"keys": sorted(request.data)})


def test_deeply_nested_json_is_a_400_with_drfs_error_body():
    """
    JSON nested 20,000 deep: DRF's JSONParser raises RecursionError (a 500 on sync DRF); on
    drf_async's views it is a ParseError, 400 with DRF's error body, and the next request is served.
    """
    view = EchoData.as_view()
    nested = "[" * 20_000 + "]" * 20_000
    response = async_to_sync(view)(factory.post("/", nested, content_type="application/json"))
    assert response.status_code == 400
    assert response.data == {"detail": "Malformed request: the body is nested too deeply."}
    ok = async_to_sync(view)(factory.post("/", {"a": 1}, format="json"))
    assert (ok.status_code, ok.data) == (200, {"keys": ["a"]})
