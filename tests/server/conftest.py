import pytest

from tests.server.bookshop import Bookshop


@pytest.fixture(scope="session")
def shop():
    """The sample API migrated, seeded and served (tests/server/bookshop.py), shared by the sampleapi server tests."""
    instance = Bookshop()
    yield instance
    instance.stop()
