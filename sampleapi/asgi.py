"""
ASGI entry point, on drf_async's coroutine-aware handler::

    gunicorn -k drf_async.worker.AiohttpWorker sampleapi.asgi:application

(what ``make serve`` runs). Static files are answered from memory in front of Django
(`sampleapi.static`). It also runs under any ASGI server: uvicorn, granian, ``-k asgi``.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleapi.settings")

from drf_async.handler import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from sampleapi.static import StaticFiles  # noqa: E402  (reads settings: after Django's set-up)

application = StaticFiles(django_application)
