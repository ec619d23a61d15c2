"""drf_async's `api_view` on async functions against DRF's `api_view` on the same sync functions."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.core.cache import cache
from rest_framework import decorators as drf
from rest_framework.authentication import BasicAuthentication
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.schemas.openapi import AutoSchema
from rest_framework.throttling import AnonRateThrottle

from drf_async.decorators import api_view
from drf_async.test import AsyncAPIRequestFactory
from drf_async.views import AsyncAPIView
from tests.twins import Twins, route

factory = AsyncAPIRequestFactory()


def body(request):
    return Response({"method": request.method, "data": request.data, "user": str(request.user)})


@drf.api_view(["GET", "POST"])
def sync_plain(request):
    return body(request)


@api_view(["GET", "POST"])
async def async_plain(request):
    await asyncio.sleep(0)
    return body(request)


@drf.api_view(["GET"])
@drf.authentication_classes([BasicAuthentication])
@drf.permission_classes([IsAuthenticated])
def sync_guarded(request):
    return body(request)


@api_view(["GET"])
@drf.authentication_classes([BasicAuthentication])
@drf.permission_classes([IsAuthenticated])
async def async_guarded(request):
    return body(request)


@drf.api_view(["POST"])
@drf.renderer_classes([JSONRenderer])
@drf.parser_classes([FormParser])
@drf.throttle_classes([AnonRateThrottle])
def sync_configured(request):
    return body(request)


@api_view(["POST"])
@drf.renderer_classes([JSONRenderer])
@drf.parser_classes([FormParser])
@drf.throttle_classes([AnonRateThrottle])
async def async_configured(request):
    return body(request)


route("fn-plain", sync_plain, async_plain)
route("fn-guarded", sync_guarded, async_guarded)
route("fn-configured", sync_configured, async_configured)


def test_async_function_view_is_an_async_api_view():
    """The result is an AsyncAPIView subclass named after the function, awaited by Django."""
    assert iscoroutinefunction(async_plain)
    assert issubclass(async_plain.cls, AsyncAPIView)
    assert async_plain.cls.__name__ == "async_plain"
    assert sorted(async_plain.cls.http_method_names) == ["get", "options", "post"]


def test_sync_function_gets_drf_api_view_unchanged():
    @api_view(["GET"])
    def sync_view(request):
        return Response()

    assert not iscoroutinefunction(sync_view)
    assert not issubclass(sync_view.cls, AsyncAPIView)


def test_methods_and_405_match_drf():
    client = Twins()
    assert client.same("get", "fn-plain").data == {"method": "GET", "data": {}, "user": "AnonymousUser"}
    assert client.same("post", "fn-plain", data={"x": 1}, format="json").data["data"] == {"x": 1}
    not_allowed = client.same("put", "fn-plain")
    assert not_allowed.status == 405 and set(not_allowed.headers["Allow"].split(", ")) == {"GET", "POST", "OPTIONS"}


def test_authentication_and_permission_decorators_apply(db):
    """@authentication_classes/@permission_classes reach the async view: 401 + WWW-Authenticate."""
    denied = Twins().same("get", "fn-guarded")
    assert denied.status == 401 and denied.headers["WWW-Authenticate"] == 'Basic realm="api"'


def test_renderer_parser_and_throttle_decorators_apply():
    """@parser_classes refuses JSON (415), @renderer_classes refuses HTML (406), @throttle_classes throttles."""
    cache.clear()
    client = Twins()
    assert client.same("post", "fn-configured", data={"x": 1}, format="json").status == 415
    assert client.same("post", "fn-configured", data="x=1", content_type="application/x-www-form-urlencoded",
                       HTTP_ACCEPT="text/html").status == 406
    cache.clear()
    statuses = [
        async_to_sync(client.async_client.post)("/async/fn-configured/", "x=1",
                                                 content_type="application/x-www-form-urlencoded").status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    cache.clear()


def test_schema_decorator_applies():
    schema = AutoSchema(operation_id_base="Custom")

    @api_view(["GET"])
    @drf.schema(schema)
    async def with_schema(request):
        return Response()

    assert with_schema.cls.schema is schema
    response = async_to_sync(with_schema)(factory.get("/"))
    assert response.status_code == 200
