"""No page does work that grows with the database.

Each page is requested with an empty object cache, so every persistent
object it touches is loaded from storage, and ZODB's transfer counts say
how many.  The same pages are requested in a small clinic and in one forty
times larger (more clients, therapists, guardians and progress); the
named demo families are the same in both, so a page that reads only what
it shows loads about as many objects in either.  A listing that walked
every client, a lookup that scanned every user, or a view that read every
progress entry in the clinic fails here long before a clinic notices.

The figures are printed (``-s``) for the notes in bench/RESULTS.md.
"""
import tempfile

import pytest
import transaction
from ZODB.FileStorage import FileStorage

from minorconsent import main
from minorconsent.scripts.seed import DEMO_PASSWORD, Seeder
from support import ROLE_EMAILS, app_settings, clinic_of, csrf_of, multi_database, sign_in

pytestmark = pytest.mark.xdist_group('scale')

SMALL, LARGE = 60, 1200
#: The larger clinic may cost a few more loads per page (a BTree one level
#: deeper, a bucket split differently); never a number that grows with it.
SLACK = 8
#: A listing shows a page of 25 clients.  In a tiny clinic they share a
#: bucket or two of the client folder's BTree; in a large one each may sit
#: in its own bucket.  That costs up to one load per client shown: bounded
#: by the page size, whatever the clinic's size.
PAGE = 25
LISTINGS = ('therapist client list', 'client list search', 'client list, page 2')


def _clinic(app, generated):
    where = tempfile.mkdtemp(prefix='minorconsent-scale-')
    db, databases = multi_database(
        FileStorage(where + '/Data.fs', blob_dir=where + '/blobs'),
        FileStorage(where + '/Audit.fs'))
    registry = app.registry
    with clinic_of(db, registry) as clinic:
        seeder = Seeder(clinic, registry.passwords.hash(DEMO_PASSWORD), '', registry)
        seeder.named_families()
        therapists = seeder.generated_therapists(max(1, generated // 60))
        tm = clinic._p_jar.transaction_manager

        def commit():
            tm.commit()
            tm.begin()
        seeder.generated(generated, therapists, lambda: None, commit, progress=6)
        mateo = clinic['clients'].index.children_of(
            clinic['users'].find_by_email('guardian@demo.test').__name__)
        mateo = max(mateo, key=lambda cid: clinic['clients'][cid].age())
    return db, databases, mateo


class LoadCounter:
    """A ZODB activity monitor: each connection reports its transfer
    counts when it is closed (at the end of every request)."""

    def __init__(self):
        self.loads = 0

    def closedConnection(self, conn):
        self.loads += conn.getTransferCounts(True)[0]


def _loads(app, databases, browser, path):
    """Objects loaded from storage by one request with an empty cache.

    ``path`` may be ``('POST', path, fields)``: the search form posts
    (names never go into URLs)."""
    db = databases['']
    if isinstance(path, tuple):
        _method, path, fields = path
        token = csrf_of(browser.get(path))

        def request():
            return browser.post(path, dict(fields, csrf_token=token))
    else:
        def request():
            return browser.get(path)
    counter = LoadCounter()
    # Set before the warm-up request, so every connection's counts are
    # cleared when it closes and the measured request counts only its own.
    db.setActivityMonitor(counter)
    request()                          # warm the code paths, not the cache
    app.registry.audit_recorder.flush()
    db.cacheMinimize()
    counter.loads = 0
    try:
        res = request()
    finally:
        db.setActivityMonitor(None)
    assert res.status_int == 200, path
    return counter.loads


@pytest.fixture(scope='module')
def measured():
    app = main({}, **app_settings())
    saved = app.registry._zodb_databases
    results = {}
    try:
        for size in (SMALL, LARGE):
            db, databases, mateo = _clinic(app, size)
            app.registry._zodb_databases = databases
            guardian = sign_in(app, ROLE_EMAILS['guardian'])
            therapist = sign_in(app, ROLE_EMAILS['therapist'])
            generated = sign_in(app, 'therapist001@demo.test')
            pages = {
                'guardian family page': (guardian, '/family'),
                'guardian child page': (guardian, '/clients/%s/family' % mateo),
                'therapist client page': (therapist, '/clients/%s/' % mateo),
                'therapist client list': (generated, '/clients/'),
                'client list search': (generated, ('POST', '/clients/', {'q': 'a'})),
                'client list, page 2': (generated, '/clients/?page=2'),
            }
            for name, (browser, path) in pages.items():
                results[name, size] = _loads(app, databases, browser, path)
            app.registry.audit_recorder.flush()
            transaction.abort()
            for each in databases.values():
                each.close()
    finally:
        app.registry._zodb_databases = saved
    return results


@pytest.mark.parametrize('page', [
    'guardian family page', 'guardian child page', 'therapist client page',
    'therapist client list', 'client list search', 'client list, page 2'])
def test_object_loads_do_not_grow_with_the_clinic(measured, page):
    small, large = measured[page, SMALL], measured[page, LARGE]
    print('%-24s %4d loads with %d clients, %4d with %d' % (page, small, SMALL, large, LARGE))
    assert small > 0
    bound = small + SLACK + (PAGE if page in LISTINGS else 0)
    assert large <= bound, (
        '%s loads %d objects in a clinic of %d clients but %d in one of %d'
        % (page, small, SMALL, large, LARGE))
