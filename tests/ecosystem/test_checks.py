"""drf_async's system checks over the whole matrix: no package view, swapped or not, is flagged."""

from __future__ import annotations

from django.core import checks

from tests.ecosystem import test_spectacular  # noqa: F401  (imports every app of the matrix)


def test_no_drf_async_check_fires_on_the_matrix():
    """`manage.py check --tag drf_async` finds nothing: every view here works (a check never flags one that does)."""
    assert checks.run_checks(tags=["drf_async"], include_deployment_checks=False) == []
