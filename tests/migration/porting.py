"""
What a user does to port project/ to drf_async, done by an import hook: ``tests.migration.ported``
is project/ again, with each view's DRF base class replaced by drf_async's twin in views.py and
nothing else changed (serializers, authentication, urls, settings stay as written).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from pathlib import Path

PROJECT = Path(__file__).parent / "project"
PACKAGE = "tests.migration.ported"
# DRF base class -> drf_async's, as the README's checklist tells a user to change them.
BASES = {
    **{f"generics.{name}": f"async_generics.Async{name}" for name in (
        "GenericAPIView", "CreateAPIView", "ListAPIView", "RetrieveAPIView", "DestroyAPIView", "UpdateAPIView",
        "ListCreateAPIView", "RetrieveUpdateAPIView", "RetrieveDestroyAPIView", "RetrieveUpdateDestroyAPIView")},
    **{f"viewsets.{name}": f"async_viewsets.Async{name}" for name in (
        "ViewSet", "GenericViewSet", "ReadOnlyModelViewSet", "ModelViewSet")},
    "APIView": "AsyncAPIView",
}
IMPORTS = (
    "from drf_async import generics as async_generics\n"
    "from drf_async import viewsets as async_viewsets\n"
    "from drf_async.decorators import api_view  # noqa: F811\n"
    "from drf_async.views import AsyncAPIView\n"
)


def port(source: str) -> str:
    """*source* with the base classes of its class statements swapped, and drf_async imported after its imports."""

    def swap(match: re.Match[str]) -> str:
        bases = [BASES.get(base.strip(), base.strip()) for base in match.group(2).split(",")]
        return f"class {match.group(1)}({', '.join(bases)}):"

    ported = re.sub(r"^class (\w+)\(([^)]*)\):", swap, source, flags=re.MULTILINE)
    head, _, body = ported.partition("\n\n\n")
    return f"{head}\n{IMPORTS}\n\n{body}"


class _PortingLoader(importlib.machinery.SourceFileLoader):
    def source_to_code(self, data, path, *, _optimize=-1):  # type: ignore[override]
        source = importlib.util.decode_source(data)
        if Path(path).name == "views.py":
            source = port(source)
        return super().source_to_code(source, path)


class _PortedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname == PACKAGE:
            location, search = PROJECT / "__init__.py", [str(PROJECT)]
        elif fullname.startswith(f"{PACKAGE}."):
            location, search = PROJECT / f"{fullname.rpartition('.')[2]}.py", None
        else:
            return None
        loader = _PortingLoader(fullname, str(location))
        return importlib.util.spec_from_file_location(fullname, location, loader=loader,
                                                      submodule_search_locations=search)


def install() -> None:
    if not any(isinstance(finder, _PortedFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PortedFinder())
