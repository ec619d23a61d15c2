"""
ASGI entry point, on drf_async's coroutine-aware handler::

    gunicorn -k drf_async.worker.AiohttpWorker sampleapi.asgi:application

(the Makefile's ``serve``). It also runs under any ASGI server: uvicorn, granian, ``-k asgi``.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleapi.settings")

from drf_async.handler import get_asgi_application  # noqa: E402

application = get_asgi_application()
