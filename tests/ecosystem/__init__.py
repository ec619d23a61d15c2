"""
The ecosystem matrix (`make test-ecosystem`): popular DRF packages on drf_async's classes.

One module per package, each a small app in the style of the package's documentation. Every
request goes to the app as written on DRF (``/sync/…``, Django's WSGI test handler) and to the
same app on drf_async (``/async/…`` or ``/swapped/…``, the ASGI test handler); status, body
and headers must be equal. ``/swapped/…`` serves the package's *own* DRF views, rebuilt on
drf_async's classes as a project-wide shim would (see `tests.ecosystem.swap`).

Run with ``tests.ecosystem.settings`` in its own pytest process: `make test` neither
collects these modules nor needs the packages (requirements-ecosystem.txt).
"""
