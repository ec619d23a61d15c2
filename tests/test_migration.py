"""
The migration fixture (tests/migration/): a DRF project and its port, in which only the base
classes changed, answer the same requests alike. Each run is a fresh interpreter, because a
project's DEFAULT_* settings take effect when DRF's modules are first imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("paginator", [
    "rest_framework.pagination.PageNumberPagination",
    "drf_async.pagination.AsyncPageNumberPagination",
])
def test_ported_project_answers_like_the_drf_project(paginator):
    """tests/migration/parity.py passes with DRF's paginator, and with drf_async's, as DEFAULT_PAGINATION_CLASS."""
    env = {**os.environ, "MIGRATION_PAGINATOR": paginator}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--ds", "tests.migration.settings",
         "tests/migration/parity.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


def test_port_changes_only_base_classes():
    """The ported views.py differs from the project's only in class statements and the drf_async imports."""
    from tests.migration.porting import IMPORTS, PROJECT, port

    source = (PROJECT / "views.py").read_text()
    ported = port(source)
    changed = [line for line in ported.splitlines() if line not in source.splitlines()]
    assert all(line.startswith("class ") or line in IMPORTS.splitlines() for line in changed), changed
    assert "class BookViewSet(async_viewsets.AsyncModelViewSet):" in changed
    assert "class Stats(AsyncAPIView):" in changed
