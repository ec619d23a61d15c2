"""
System checks that turn async mistakes into startup errors with the fix, instead of a
"received a coroutine" 500 at the first request.

- ``drf_async.E001``: an ``async def`` handler or action on a plain DRF view, whose sync
  dispatch cannot await it (also DRF's `api_view` on an ``async def`` function). A view whose
  dispatch() is adrf's (which awaits async handlers) is adrf's, and not reported.
- ``drf_async.E002``: retired (it refused sync and async handlers mixed on one drf_async
  view, which drf_async supports: its dispatch runs each handler through `utils.acall`). The
  id stays reserved, never reused, so silencing it in ``SILENCED_SYSTEM_CHECKS`` is harmless.
- ``drf_async.E003``: a policy hook overridden in the wrong mode on an `AsyncAPIView`
  (``async def check_permissions`` is never awaited; override ``acheck_permissions``; a sync
  ``initial`` is never awaited). A sync ``dispatch`` override is not one: it runs in a thread.
- ``drf_async.E004``: an ``async def`` policy member (authenticator, permission, throttle:
  `drf_async.throttling`'s classes, say) on a sync DRF view, which would never await it.
- ``drf_async.W001``: async DRF views in a project that has no ASGI entry point, so they
  run through WSGI, each request in a fresh event loop.

All carry the tag ``drf_async``: ``manage.py check --tag drf_async`` runs just these. The
checks look at the view classes of the whole project: they import the URLconf first, as
Django's URL checks do, so a view is checked even when nothing else has imported it yet, and
report in a fixed order (by class path), whatever order the checks run in.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core import checks
from django.urls import get_resolver
from rest_framework.views import APIView

from .utils import is_async
from .views import AsyncAPIView

# Action names DRF's routers map to HTTP methods on a viewset.
VIEWSET_ACTIONS = ("list", "create", "retrieve", "update", "partial_update", "destroy")
# Hooks DRF calls synchronously; on an AsyncAPIView their async twins are the override point.
SYNC_HOOKS = {
    "perform_authentication": "aperform_authentication",
    "check_permissions": "acheck_permissions",
    "check_object_permissions": "acheck_object_permissions",
    "check_throttles": "acheck_throttles",
    "initialize_request": None,
    "finalize_response": None,
}
# A sync `dispatch` override works (AsyncAPIView.__init_subclass__ runs it in a thread).
ASYNC_HOOKS = ("initial",)
LIBRARY_MODULES = ("rest_framework.", "drf_async.", "adrf.")
# Other async DRF packages whose own dispatch() awaits async handlers (adrf's APIView, which its
# views and viewsets subclass): their users' views are theirs to check.
ASYNC_DISPATCH_MODULES = ("adrf.",)


def _subclasses(cls: type) -> Iterator[type]:
    subclasses: list[type] = cls.__subclasses__()
    for subclass in subclasses:
        yield subclass
        yield from _subclasses(subclass)


def _user_view_classes() -> list[type[APIView]]:
    """The project's DRF view classes, its URLconf imported first, sorted by class path."""
    if getattr(settings, "ROOT_URLCONF", None):
        get_resolver().url_patterns  # noqa: B018  (imports the URLconf and what it includes)
    seen: dict[type[APIView], None] = dict.fromkeys(_subclasses(APIView))
    classes = [
        cls for cls in seen
        if not cls.__module__.startswith(LIBRARY_MODULES) and not hasattr(cls, "drf_async_replaced_by")
    ]
    return sorted(classes, key=_label)


def _handlers(cls: type) -> dict[str, Any]:
    """HTTP handlers and viewset actions defined on *cls* (DRF's inherited ``options`` excluded)."""
    names = [m for m in cls.http_method_names if m != "options"]  # type: ignore[attr-defined]
    if hasattr(cls, "get_extra_actions"):
        names += list(VIEWSET_ACTIONS) + [action.__name__ for action in cls.get_extra_actions()]
    return {name: getattr(cls, name) for name in names if callable(getattr(cls, name, None))}


def _wrapped_function(handler: Any) -> Any:
    """The user's function behind DRF's `api_view` handler, if *handler* is one."""
    if getattr(handler, "__qualname__", "").startswith("api_view."):
        return inspect.getclosurevars(handler).nonlocals.get("func")
    return None


def _dispatches_async_elsewhere(cls: type) -> bool:
    """*cls* inherits its dispatch() from another async DRF package (`ASYNC_DISPATCH_MODULES`)."""
    owner = next((klass for klass in cls.__mro__ if "dispatch" in vars(klass)), None)
    return owner is not None and owner.__module__.startswith(ASYNC_DISPATCH_MODULES)


def _label(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@checks.register("drf_async")
def check_async_handlers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for cls in _user_view_classes():
        if issubclass(cls, AsyncAPIView) or is_async(cls.dispatch) or _dispatches_async_elsewhere(cls):
            if issubclass(cls, AsyncAPIView):
                errors += _check_async_view(cls)
            continue
        errors += _check_sync_view_policies(cls)
        handlers = _handlers(cls)
        async_names = sorted(name for name, handler in handlers.items() if is_async(handler))
        functions = {_wrapped_function(handler) for handler in handlers.values()} - {None}
        if any(is_async(func) for func in functions):
            [func] = functions
            errors.append(checks.Error(
                f"Function view {func.__module__}.{func.__qualname__} is 'async def' but decorated with "
                "rest_framework.decorators.api_view, whose view would return the coroutine unawaited.",
                hint="Decorate it with drf_async.decorators.api_view instead.",
                obj=cls,
                id="drf_async.E001",
            ))
        elif async_names:
            errors.append(checks.Error(
                f"{_label(cls)} defines async handler(s) {', '.join(async_names)} but is a sync DRF view: "
                "its dispatch() would return the coroutine unawaited.",
                hint=(
                    "Subclass AsyncAPIView (drf_async.views), or use drf_async's async generics/viewsets; "
                    "for a function view, use drf_async.decorators.api_view."
                ),
                obj=cls,
                id="drf_async.E001",
            ))
    return errors


# The policy members DRF's sync views call, by the view attribute that lists their classes.
POLICY_METHODS = {
    "authentication_classes": ("authenticate",),
    "permission_classes": ("has_permission", "has_object_permission"),
    "throttle_classes": ("allow_request", "wait"),
}


def _check_sync_view_policies(cls: type) -> list[checks.CheckMessage]:
    """E004: an ``async def`` policy member (drf_async.throttling's throttles, say) on a sync DRF view."""
    errors: list[checks.CheckMessage] = []
    for attribute, methods in POLICY_METHODS.items():
        for policy in getattr(cls, attribute, None) or ():
            names = [name for name in methods if (func := getattr(policy, name, None)) is not None and is_async(func)]
            if not names:
                continue
            member = f"{getattr(policy, '__module__', '?')}.{getattr(policy, '__qualname__', policy)}"
            errors.append(checks.Error(
                f"{_label(cls)} is a sync DRF view, which never awaits {member}.{names[0]}(): "
                f"its {attribute} would not apply.",
                hint="Subclass AsyncAPIView (drf_async.views), or use drf_async's async generics/viewsets.",
                obj=cls,
                id="drf_async.E004",
            ))
    return errors


def _check_async_view(cls: type) -> list[checks.CheckMessage]:
    # Handlers and actions may be `def` or `async def` in any mix (drf_async.E002 is retired).
    errors: list[checks.CheckMessage] = []
    for hook, twin in SYNC_HOOKS.items():
        if is_async(getattr(cls, hook)):
            hint = "Make it a plain 'def'" + (f", or override '{twin}' instead." if twin else ".")
            errors.append(checks.Error(
                f"{_label(cls)}.{hook} is 'async def', but DRF calls it synchronously and never awaits it.",
                hint=hint,
                obj=cls,
                id="drf_async.E003",
            ))
    for hook in ASYNC_HOOKS:
        if not is_async(getattr(cls, hook)):
            errors.append(checks.Error(
                f"{_label(cls)}.{hook} must be 'async def' on an AsyncAPIView.",
                hint=f"Declare it 'async def {hook}(...)' and 'await super().{hook}(...)'.",
                obj=cls,
                id="drf_async.E003",
            ))
    return errors


def _project_packages() -> Iterator[str]:
    """Packages where Django's startproject puts asgi.py: beside wsgi.py and urls.py."""
    wsgi_application = getattr(settings, "WSGI_APPLICATION", None)
    if wsgi_application:  # "mysite.wsgi.application" -> "mysite"
        yield wsgi_application.rpartition(".")[0].rpartition(".")[0]
    yield settings.ROOT_URLCONF.rpartition(".")[0]


def _has_asgi_entry_point() -> bool:
    if getattr(settings, "ASGI_APPLICATION", None):
        return True
    for package in _project_packages():
        try:
            if package and importlib.util.find_spec(f"{package}.asgi") is not None:
                return True
        except ModuleNotFoundError:
            continue
    return False


@checks.register("drf_async", checks.Tags.compatibility)
def check_asgi_entry_point(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    async_views = [cls for cls in _user_view_classes() if issubclass(cls, AsyncAPIView)]
    if not async_views or _has_asgi_entry_point():
        return []
    return [checks.Warning(
        f"{len(async_views)} async DRF view(s) (e.g. {_label(async_views[0])}) but no ASGI entry point: "
        "ASGI_APPLICATION is unset and no asgi module sits beside WSGI_APPLICATION or ROOT_URLCONF. "
        "Under WSGI every request to them starts a new event loop, slower than a sync view.",
        hint=(
            "Add an asgi.py with 'application = drf_async.handler.get_asgi_application()' and serve it with "
            "'gunicorn -k drf_async.worker.AiohttpWorker project.asgi:application'."
        ),
        id="drf_async.W001",
    )]
