"""
djangorestframework-simplejwt: obtain, refresh and verify a token pair, and `JWTAuthentication`
on a project's own view, as in simplejwt's "Getting started". The token views are simplejwt's
own (`TokenViewBase` is a DRF `GenericAPIView`), as written and swapped onto drf_async.
"""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from django.contrib.auth.models import User
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.authentication import JWTAuthentication

from drf_async.views import AsyncAPIView
from tests.ecosystem.harness import SIDES, assert_alike, each_side, mount
from tests.ecosystem.swap import swapped


class Me(APIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"username": request.user.username, "token_type": request.auth["token_type"]})


class AsyncMe(AsyncAPIView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [IsAuthenticated]

    async def get(self, request):
        return Response({"username": request.user.username, "token_type": request.auth["token_type"]})


def patterns(views: Any, me: type) -> list[Any]:
    return [
        path("token/", views.TokenObtainPairView.as_view()),
        path("token/refresh/", views.TokenRefreshView.as_view()),
        path("token/verify/", views.TokenVerifyView.as_view()),
        path("me/", me.as_view()),
    ]


SWAPPED = swapped("rest_framework_simplejwt.views")
mount("sync", "jwt", patterns(jwt_views, Me))
mount("async", "jwt", patterns(jwt_views, AsyncMe))
mount("swapped", "jwt", patterns(SWAPPED, AsyncMe))


def claims(token: str) -> dict[str, Any]:
    """A token's claims without those that differ per issue (id, times); its lifetime kept."""
    decoded = jwt.decode(token, options={"verify_signature": False})
    decoded["lifetime"] = decoded.pop("exp") - decoded.pop("iat")
    decoded.pop("jti")
    return decoded


def normalized(data: Any) -> Any:
    """*data* with each token replaced by its claims (tokens differ per issue)."""
    if isinstance(data, dict):
        return {key: claims(value) if key in ("access", "refresh") else value for key, value in data.items()}
    return data


@pytest.fixture
def ann(db):
    return User.objects.create_user("ann", password="secret")


def test_swapped_views_are_drf_async_views():
    """The swap rebuilt simplejwt's token views on drf_async's generic view; the originals stay DRF's."""
    from drf_async.generics import AsyncGenericAPIView

    assert issubclass(SWAPPED.TokenObtainPairView, AsyncGenericAPIView)
    assert not issubclass(jwt_views.TokenObtainPairView, AsyncGenericAPIView)


def test_obtain_refresh_verify_and_authenticate(ann):
    """Obtain (good, wrong, missing credentials), refresh, verify and a bearer request answer alike on every side."""

    def scenario(side):
        steps = []
        for body in ({"username": "ann", "password": "secret"}, {"username": "ann", "password": "nope"},
                     {"username": "ann"}):
            got = side.post("token/", data=body, format="json")
            steps.append((got.status, normalized(got.data), got.headers))
        good = side.post("token/", data={"username": "ann", "password": "secret"}, format="json").data
        for suffix, body in (
            ("token/refresh/", {"refresh": good["refresh"]}), ("token/refresh/", {"refresh": "x"}),
            ("token/refresh/", {"refresh": good["access"]}), ("token/verify/", {"token": good["access"]}),
            ("token/verify/", {"token": good["access"] + "x"}), ("token/verify/", {}),
        ):
            got = side.post(suffix, data=body, format="json")
            steps.append((suffix, got.status, normalized(got.data), got.headers))
        for authorization in (f"Bearer {good['access']}", f"Bearer {good['refresh']}", "Bearer x", None):
            extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
            got = side.get("me/", **extra)
            steps.append((authorization and authorization[:9], got.status, got.data, got.headers))
        return steps

    steps = assert_alike(each_side("jwt", scenario, SIDES))
    assert [step[0] for step in steps[:3]] == [200, 401, 400]
    assert [step[1] for step in steps[3:9]] == [200, 401, 401, 200, 401, 400]
    assert [step[1] for step in steps[9:]] == [200, 401, 401, 401]
    assert steps[9][2] == {"username": "ann", "token_type": "access"}
    assert steps[-1][3]["WWW-Authenticate"].startswith("Bearer")
