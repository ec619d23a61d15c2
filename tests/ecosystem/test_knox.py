"""
django-rest-knox: log in with Basic credentials, use the token, log out one session and all
of them, with knox's own views (DRF `APIView`s) as written and swapped onto drf_async, and
`knox.auth.TokenAuthentication` on a project's own DRF and drf_async views.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.urls import path
from knox import views as knox_views
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework.authentication import BasicAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from drf_async.test import AsyncAPIClient
from drf_async.views import AsyncAPIView
from tests.ecosystem.harness import assert_alike, each_side, mount
from tests.ecosystem.swap import swapped


class Me(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"username": request.user.username})


class AsyncMe(AsyncAPIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    async def get(self, request):
        return Response({"username": request.user.username})


def patterns(views: Any, me: type) -> list[Any]:
    # knox's docs: LoginView takes Basic credentials (its default is DRF's default classes).
    login = type("LoginView", (views.LoginView,), {"authentication_classes": [BasicAuthentication]})
    return [
        path("login/", login.as_view()),
        path("logout/", views.LogoutView.as_view()),
        path("logoutall/", views.LogoutAllView.as_view()),
        path("me/", me.as_view()),
    ]


SWAPPED = swapped("knox.views")
mount("sync", "knox", patterns(knox_views, Me))
mount("async", "knox", patterns(knox_views, AsyncMe))
mount("swapped", "knox", patterns(SWAPPED, AsyncMe))


def basic(username: str, password: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {token}"}


def shape(data: Any) -> Any:
    """A login answer with its token (random per login) replaced by its length."""
    if isinstance(data, dict) and "token" in data:
        return {**data, "token": len(data["token"])}
    return data


@pytest.fixture
def ann(db):
    return User.objects.create_user("ann", password="secret")


def test_swapped_views_are_drf_async_views():
    """The swap rebuilt knox's views on drf_async's `AsyncAPIView`; knox's own module stays DRF's."""
    assert issubclass(SWAPPED.LoginView, AsyncAPIView)
    assert not issubclass(knox_views.LoginView, AsyncAPIView)


def test_login_use_logout_logoutall(ann):
    """Logins (good, wrong, none), token use, logout of one token and of all answer alike; tokens left alike."""

    def scenario(side):
        steps = []
        for extra in (basic("ann", "secret"), basic("ann", "wrong"), {}):
            got = side.post("login/", **extra)
            steps.append((got.status, shape(got.data), got.headers))
        first, second, third = (side.post("login/", **basic("ann", "secret")).data["token"] for _ in range(3))
        for method, suffix, extra in (
            ("get", "me/", bearer(first)), ("get", "me/", bearer("nope")), ("get", "me/", {}),
            ("post", "logout/", bearer(first)), ("get", "me/", bearer(first)), ("get", "me/", bearer(second)),
            ("post", "logoutall/", bearer(second)), ("get", "me/", bearer(third)), ("post", "logout/", {}),
        ):
            got = getattr(side, method)(suffix, **extra)
            steps.append((method, suffix, got.status, got.data, got.headers))
        steps.append(("tokens left", AuthToken.objects.filter(user=ann).count()))
        return steps

    steps = assert_alike(each_side("knox", scenario))
    assert [step[0] for step in steps[:3]] == [200, 401, 401]
    assert [step[2] for step in steps[3:-1]] == [200, 401, 401, 204, 401, 200, 204, 401, 401]
    assert steps[-1] == ("tokens left", 0)


def test_knox_authentication_is_one_thread_hop(ann, hops):
    """knox's sync `TokenAuthentication` (it queries the token table) runs in one thread hop, never on the loop."""
    token = AuthToken.objects.create(user=ann)[1]
    response = async_to_sync(AsyncAPIClient().get)("/async/knox/me/", **bearer(token))
    assert response.status_code == 200 and response.data == {"username": "ann"}
    assert [getattr(func, "__name__", None) for func in hops].count("perform_authentication") == 1
