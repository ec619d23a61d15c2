from django.apps import AppConfig
from django.conf import settings


class DrfAsyncConfig(AppConfig):
    name = "drf_async"
    verbose_name = "drf_async"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        if getattr(settings, "DRF_ASYNC_FAST_HOP", True):
            from . import hop

            # The cheaper thread hop for sync_to_async() calls on a request's lane (drf_async.hop).
            hop.install()
