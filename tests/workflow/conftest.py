"""The rooms' family-state declarations are current for every test here,
as they are in a request (tests with the app push its own registry)."""
import pytest
from pyramid.threadlocal import manager

from wfsupport import declared_registry


@pytest.fixture(autouse=True)
def declared_family_states():
    manager.push({'registry': declared_registry(), 'request': None})
    yield
    manager.pop()
