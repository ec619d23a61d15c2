"""
A package's own DRF views, rebuilt on drf_async's classes, beside the originals.

A project that moves to drf_async project-wide swaps DRF's base classes before anything
imports them (tests/drf_suite/drf_async_suite.py does that for DRF's own suite). Here both
twins must live in one process, so `swapped()` executes a *fresh copy* of the package's views
module while `rest_framework.views.APIView`, the generics, mixins and viewsets name drf_async's
classes (the same table as the DRF-suite run), then puts DRF's names back. The copy is not
entered in ``sys.modules``; the package's own module, and everything else, stays on DRF.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from tests.drf_suite.drf_async_suite import SWAPS


@contextmanager
def drf_names_on_drf_async() -> Iterator[None]:
    """While inside, DRF's view class names (`SWAPS`) are drf_async's classes."""
    # drf_async's classes first: its modules subclass DRF's names, which must still be DRF's.
    replacements = []
    for module_name, names in SWAPS.items():
        module = importlib.import_module(module_name)
        for name, target in names.items():
            target_module, _, target_name = target.rpartition(".")
            replacements.append((module, name, getattr(importlib.import_module(target_module), target_name)))
    saved = [(module, name, getattr(module, name)) for module, name, _ in replacements]
    for module, name, replacement in replacements:
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def swapped(module_name: str) -> ModuleType:
    """A fresh copy of *module_name* whose classes were defined on drf_async's base classes."""
    spec = importlib.util.find_spec(module_name)
    assert spec is not None and spec.loader is not None, module_name
    module = importlib.util.module_from_spec(spec)
    with drf_names_on_drf_async():
        spec.loader.exec_module(module)
    return module
