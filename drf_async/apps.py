from django.apps import AppConfig


class DrfAsyncConfig(AppConfig):
    name = "drf_async"
    verbose_name = "drf_async"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
