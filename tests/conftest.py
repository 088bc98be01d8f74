"""Shared fixtures.

One configured app serves the whole session (configuring Pyramid is the
slow part).  The demo clinic is seeded once into a base storage; each test
gets a fresh ``DemoStorage`` layered over it, so tests can write freely and
never see each other's changes.
"""
import contextlib
import tempfile

import pytest
from ZODB import DB
from ZODB.DemoStorage import DemoStorage
from ZODB.MappingStorage import MappingStorage
from ZODB.blob import BlobStorage

from minorconsent import main
from support import (ROLE_EMAILS, app_settings, clinic_of, multi_database, new_browser,
                     seed, sign_in)


@pytest.fixture(scope='session')
def base_app():
    app = main({}, **app_settings())
    # Signed agreements keep their PDF as a blob: the storages must hold blobs.
    base = BlobStorage(tempfile.mkdtemp(prefix='minorconsent-blobs-'), MappingStorage())
    audit_base = MappingStorage()
    db, _ = multi_database(base, audit_base)
    demo = seed(db, app.registry)
    return app, (base, audit_base), demo


@pytest.fixture
def app(base_app):
    """The app over a private copy-on-write view of the seeded clinic (and
    of its audit trail)."""
    wsgi, (base, audit_base), demo = base_app
    db, databases = multi_database(
        DemoStorage(base=base, close_base_on_close=False),
        DemoStorage(base=audit_base, close_base_on_close=False))
    saved = wsgi.registry._zodb_databases
    wsgi.registry._zodb_databases = databases
    wsgi.registry.audit_recorder.buffer.clear()
    wsgi.db = db
    wsgi.demo = demo
    yield wsgi
    wsgi.registry.audit_recorder.buffer.clear()
    wsgi.registry._zodb_databases = saved
    for each in databases.values():
        each.close()


@pytest.fixture
def demo(app):
    return app.demo


@contextlib.contextmanager
def _clinic(app):
    with clinic_of(app.db, app.registry) as clinic:
        yield clinic


@pytest.fixture
def clinic(app):
    """``with clinic() as c:`` opens the test's clinic in a transaction."""
    return lambda: _clinic(app)


@pytest.fixture
def browser_as(app):
    """``browser_as('therapist')``: a WebTest browser for a matrix role."""
    def make(role):
        if role == 'anonymous':
            return new_browser(app)
        return sign_in(app, ROLE_EMAILS[role])
    return make



