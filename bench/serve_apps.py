"""The benchmark's applications: drf_async's handler, Django's stock ASGI and WSGI handlers."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serve_settings")

from django.core.asgi import get_asgi_application as django_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from drf_async.handler import get_asgi_application  # noqa: E402

asgi = get_asgi_application()
django_asgi = django_asgi_application()
wsgi = get_wsgi_application()
