"""
The matrix under a project-wide shim: DRF's view class names are drf_async's *before* any
package's views module is imported, as a project that swaps its base classes in one place
would have it; each app's OpenAPI document (drf-spectacular) is printed as JSON.

``python -m tests.ecosystem.shim`` — run in its own interpreter by test_spectacular.py, since
the swap must precede the packages' imports. drf-spectacular's extensions find the package's
view classes by import path, so under the shim they meet the swapped classes themselves; the
in-process copies of `tests.ecosystem.swap` are other classes, which those extensions skip.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.ecosystem.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.test import override_settings

    # As test_spectacular's fixture does (override_settings: DRF reloads its api_settings).
    override_settings(REST_FRAMEWORK={
        **settings.REST_FRAMEWORK, "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    }).enable()

    from tests.ecosystem.swap import drf_names_on_drf_async

    with drf_names_on_drf_async():  # the shim, for the whole run
        from dj_rest_auth import views as rest_auth_views
        from knox import views as knox_views
        from rest_framework_simplejwt import views as jwt_views

        from drf_async.views import AsyncAPIView
        from tests.ecosystem import test_spectacular
        from tests.ecosystem.harness import MOUNTED

        package_views = (rest_auth_views.LoginView, knox_views.LoginView, jwt_views.TokenViewBase)
        shimmed = all(issubclass(view, AsyncAPIView) for view in package_views)
        documents = {name: test_spectacular.document(name, "sync") for name in MOUNTED}
        json.dump({"shimmed": shimmed, "documents": documents}, sys.stdout)


if __name__ == "__main__":
    main()
