"""
drf-spectacular over every app of the matrix: the OpenAPI document of each drf_async side
(the package's views swapped, or the project's views on drf_async) equals the sync DRF side's,
drf-spectacular's own extensions for these packages (simplejwt's and knox's authentication,
django-filter's parameters, drf-nested-routers' path parameters) included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import include, path

from tests.ecosystem import (
    test_dj_rest_auth,
    test_django_filter,
    test_guardian,
    test_knox,
    test_middleware,
    test_nested_routers,
    test_silk,
)
from tests.ecosystem import test_simplejwt as test_jwt
from tests.ecosystem.harness import MOUNTED

# Imported for their routes (MOUNTED), whichever of the matrix's modules pytest was asked to run.
APPS = [test_jwt, test_knox, test_dj_rest_auth, test_guardian, test_nested_routers, test_django_filter, test_middleware,
        test_silk]
# In one process, "swapped" sides are copies of a package's classes, which drf-spectacular's
# extensions for that package (matched by class) skip; the shim run below compares those.
COMPARED = [(name, side) for name, sides in sorted(MOUNTED.items())
            for side in sides if side not in ("sync", "swapped")]
ROOT = Path(__file__).parent.parent.parent


@pytest.fixture(autouse=True)
def spectacular(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}


def document(name: str, side: str) -> str:
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator(patterns=[path(f"api/{name}/", include(MOUNTED[name][side]))])
    return json.dumps(generator.get_schema(request=None, public=True), sort_keys=True, indent=1, default=str)


def test_every_app_is_compared():
    """Each app of the matrix has a sync side and at least one drf_async side in the comparison below."""
    assert {name for name, _ in COMPARED} == {"jwt", "knox", "rest-auth", "guardian", "nested", "filter", "mw", "silk"}
    assert all("sync" in MOUNTED[name] for name, _ in COMPARED)


@pytest.fixture(scope="module")
def shimmed():
    """Each app's document under a project-wide shim (tests/ecosystem/shim.py, its own interpreter)."""
    result = subprocess.run([sys.executable, "-m", "tests.ecosystem.shim"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.ecosystem.settings"})
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", sorted(MOUNTED))
def test_schema_under_a_project_wide_shim_is_the_sync_twins(shimmed, name):
    """With DRF's base classes swapped before the packages import, every app's document is the DRF one."""
    assert shimmed["shimmed"]
    assert shimmed["documents"][name] == document(name, "sync")


@pytest.mark.parametrize(("name", "side"), COMPARED)
def test_schema_is_the_sync_twins(name, side):
    """drf-spectacular describes the drf_async side exactly as the sync DRF side (paths, operations, components)."""
    expected = document(name, "sync")
    assert json.loads(expected)["paths"]
    assert document(name, side) == expected


def test_async_get_queryset_reaches_the_schema():
    """
    drf-spectacular calls `get_queryset()` synchronously, outside any request, to find a view's
    model (path parameter types); an ``async def get_queryset`` gives it the same model.
    """
    from rest_framework import viewsets
    from rest_framework.routers import SimpleRouter

    from drf_async.viewsets import AsyncModelViewSet
    from tests.ecosystem.test_guardian import BookSerializer
    from tests.models import Book

    def get_queryset(self):
        return Book.objects.all()

    async def aget_queryset(self):
        return Book.objects.all()

    documents = []
    for base, hook in ((viewsets.ModelViewSet, get_queryset), (AsyncModelViewSet, aget_queryset)):
        router = SimpleRouter()
        router.register("books", type("BookViewSet", (base,), {"serializer_class": BookSerializer,
                                                               "get_queryset": hook}), basename="schema-book")
        MOUNTED["schema-books"] = {"sync": router.urls}
        documents.append(document("schema-books", "sync"))
    del MOUNTED["schema-books"]
    parameter = json.loads(documents[0])["paths"]["/api/schema-books/books/{id}/"]["get"]["parameters"][0]
    assert parameter["schema"] == {"type": "integer"}
    assert documents[1] == documents[0]
