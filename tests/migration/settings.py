"""The fixture project's settings: tests.settings plus the REST_FRAMEWORK defaults a project sets."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, REST_FRAMEWORK

ROOT_URLCONF = "tests.migration.urls"
ASGI_APPLICATION = "tests.migration.asgi.application"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_AUTHENTICATION_CLASSES": ["tests.migration.project.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # tests/test_migration.py runs the fixture with DRF's paginator and with drf_async's.
    "DEFAULT_PAGINATION_CLASS": os.environ.get("MIGRATION_PAGINATOR", "rest_framework.pagination.PageNumberPagination"),
    "PAGE_SIZE": 3,
}
# Its own test database on PostgreSQL: the suite that starts it holds test_<NAME>.
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_migration"}
