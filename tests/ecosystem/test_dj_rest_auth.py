"""
dj-rest-auth: login, user details, password change and logout with token authentication, as
in dj-rest-auth's "Installation" (its `urls` module included under a prefix). Its views are DRF
generics and `APIView`s with sync handlers and `dispatch` overrides (`sensitive_post_parameters`),
served as written and swapped onto drf_async.
"""

from __future__ import annotations

from typing import Any

import pytest
from dj_rest_auth import views as auth_views
from django.contrib.auth.models import User
from django.urls import path
from rest_framework.authtoken.models import Token
from rest_framework.response import Response

from drf_async.generics import AsyncGenericAPIView, AsyncRetrieveUpdateAPIView
from tests.ecosystem.harness import SIDES, assert_alike, each_side, mount
from tests.ecosystem.swap import swapped


def patterns(views: Any) -> list[Any]:
    # dj_rest_auth.urls' routes, on *views*; and a project's own subclass that adds a sync
    # handler, DRF style, to a view whose handlers are (once swapped) async.
    class AccountView(views.UserDetailsView):
        def delete(self, request, *args, **kwargs):
            request.user.is_active = False
            request.user.save(update_fields=["is_active"])
            return Response(status=204)

    return [
        path("login/", views.LoginView.as_view()),
        path("logout/", views.LogoutView.as_view()),
        path("user/", views.UserDetailsView.as_view()),
        path("password/change/", views.PasswordChangeView.as_view()),
        path("account/", AccountView.as_view()),
    ]


SWAPPED = swapped("dj_rest_auth.views")
for side in ("sync", "async"):
    mount(side, "rest-auth", patterns(auth_views))
mount("swapped", "rest-auth", patterns(SWAPPED))


def shape(data: Any) -> Any:
    """A login answer with its key (random per login) replaced by its length."""
    if isinstance(data, dict) and "key" in data:
        return {**data, "key": len(data["key"])}
    return data


@pytest.fixture
def ann(db):
    return User.objects.create_user("ann", email="ann@example.com", password="old-secret-1", first_name="Ann")


def test_swapped_views_are_drf_async_views():
    """The swap rebuilt dj-rest-auth's views on drf_async's generics; its own module stays DRF's."""
    assert issubclass(SWAPPED.LoginView, AsyncGenericAPIView)
    assert issubclass(SWAPPED.UserDetailsView, AsyncRetrieveUpdateAPIView)
    assert not issubclass(auth_views.LoginView, AsyncGenericAPIView)


def test_login_details_password_change_logout(ann):
    """The whole account flow answers alike on every side (status, body, headers), and leaves the same rows."""

    def scenario(side):
        steps = []

        def step(method, suffix, token=None, **kwargs):
            extra = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
            got = getattr(side, method)(suffix, format="json", **extra, **kwargs)
            steps.append((method, suffix, got.status, shape(got.data), got.headers))
            return got.data

        step("post", "login/", data={"username": "ann", "password": "wrong"})
        step("post", "login/", data={"username": "ann"})
        key = step("post", "login/", data={"username": "ann", "password": "old-secret-1"})["key"]
        step("get", "user/")
        step("get", "user/", key)
        step("patch", "user/", key, data={"first_name": "Annie"})
        step("put", "user/", key, data={"username": ""})
        step("put", "user/", key, data={"username": "ann", "first_name": "A", "last_name": "B"})
        step("post", "password/change/", key, data={"new_password1": "n3w-Secret!", "new_password2": "other"})
        step("post", "password/change/", key, data={"new_password1": "n3w-Secret!", "new_password2": "n3w-Secret!"})
        step("post", "login/", data={"username": "ann", "password": "old-secret-1"})
        step("post", "logout/", key)
        step("get", "user/", key)
        step("post", "logout/")
        user = User.objects.get(pk=ann.pk)
        steps.append((user.first_name, user.last_name, user.check_password("n3w-Secret!"), Token.objects.count()))
        return steps

    steps = assert_alike(each_side("rest-auth", scenario, SIDES))
    assert [step[2] for step in steps[:-1]] == [400, 400, 200, 401, 200, 200, 400, 200, 400, 200, 400, 200, 401, 400]
    assert steps[-1] == ("A", "B", True, 0)


def test_sync_handler_added_to_inherited_async_ones(ann):
    """
    A project's subclass adds ``def delete`` to dj-rest-auth's user view, whose ``get``/``put``
    are async once swapped: the URLconf loads, and both kinds of handler answer as on DRF.
    """
    token = Token.objects.create(user=ann).key

    def scenario(side):
        side.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        steps = [side.get("account/"), side.delete("account/"), side.get("account/")]
        return [(got.status, got.data, got.headers) for got in steps]

    steps = assert_alike(each_side("rest-auth", scenario, SIDES))
    assert [step[0] for step in steps] == [200, 204, 401]
