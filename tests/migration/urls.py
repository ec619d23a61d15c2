"""Both flavours of the project: as written at /sync/mig/, ported at /async/mig/."""

from django.urls import include, path

from tests.migration import porting

porting.install()

urlpatterns = [
    path("sync/mig/", include(("tests.migration.project.urls", "mig"), namespace="sync")),
    path("async/mig/", include(("tests.migration.ported.urls", "mig"), namespace="async")),
]
