"""tests.settings with a URLconf of its own, picked by DRF_ASYNC_CHECKS_URLCONF (``mistakes`` or ``correct``)."""

import os

from tests.settings import *  # noqa: F403

ROOT_URLCONF = f"tests.checks_project.urls_{os.environ.get('DRF_ASYNC_CHECKS_URLCONF', 'correct')}"
