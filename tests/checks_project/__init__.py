"""A project for `manage.py check --tag drf_async` in a fresh interpreter (tests/test_checks.py)."""
