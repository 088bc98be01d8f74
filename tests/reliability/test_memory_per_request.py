"""Nothing in the server keeps a record per request.

bench/soak.py saw resident memory rise for as long as it ran (+7 MiB a
minute at ~400 requests/s, RESULTS.md); about 4 MiB a minute of it was
pyramid_zodbconn giving every database a ``ZODB.ActivityMonitor``, which
appends a tuple for each connection closed (two per request) and keeps an
hour of them (~2.9 million tuples at that rate); nothing in minorconsent
reads it.  The app removes the monitors
(``minorconsent.drop_activity_monitors``); this test serves requests
through the app as ``main`` configures it (pyramid_zodbconn's own
databases, not the suite's shared fixtures) and checks that no such
per-request history accumulates.
"""
import shutil

import pytest

from minorconsent import main
from support import app_settings, new_browser, seed

pytestmark = pytest.mark.xdist_group('reliability')

REQUESTS = 40


@pytest.fixture
def served():
    settings = app_settings()
    app = main({}, **settings)
    databases = app.registry._zodb_databases
    seed(databases[''], app.registry)
    yield app
    for db in databases.values():
        db.close()
    shutil.rmtree(settings['zodbconn.uri'].split('file://')[1].split('/Data.fs')[0],
                  ignore_errors=True)


def history(app):
    """Entries the databases' activity monitors hold (0 without monitors)."""
    return sum(len(getattr(db.getActivityMonitor(), 'log', ()))
               for db in app.registry._zodb_databases.values())


def test_requests_leave_no_activity_history(served):
    browser = new_browser(served)
    browser.get('/login')
    before = history(served)
    for _ in range(REQUESTS):
        browser.get('/login')
    served.registry.audit_recorder.flush()
    # With pyramid_zodbconn's monitors this grows by one or more per request.
    assert history(served) - before == 0
    assert all(db.getActivityMonitor() is None
               for db in served.registry._zodb_databases.values())
