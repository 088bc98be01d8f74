"""The guardian's richest child page, in process: its cost and its trip.

    .venv/bin/python bench/child_trip.py [--requests N] [--repeat R]

Builds the app as the tests do (FileStorage in a temporary directory, the
named demo families seeded, no background audit thread), signs in as
guardian@demo.test and picks, of the children on /family, the page with
the largest body: the older child's (notices, agreements, goal charts,
summaries).  It prints that URL and the body size, so it is plain which
page is measured, then:

* **cost**: the median over R rounds of N GETs of that page, in µs per
  request, through WebTest in this process (no server, no socket);
* **trip**: the distinct ``minorconsent`` modules whose code runs during one
  GET (``sys.setprofile`` on a warmed page), and how many of the package's
  rooms they are in;
* **checks** (where the checkout has ``workflow.engine.permissions_for``):
  the permission checks the parent view makes on the child's documents
  (view-published on each, sign on each agreement), as the mother, in one
  read-only transaction: answered from her roles (``permissions_for``, what
  the policy and ``engine.permits`` do) and by walking each document's
  ACL with Pyramid's ``ACLHelper`` (both memoized per transaction), in µs
  for all of them together.

Run from any checkout (an older commit in a ``git worktree`` too): it uses
only ``minorconsent.main``, the seed's ``Seeder`` and WebTest.
docs/ARCHITECTURE.md and bench/RESULTS.md quote its figures.
"""
import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import warnings

warnings.simplefilter('ignore')


def settings_in(where):
    return {
        'zodbconn.uri': 'file://%s/Data.fs?blobstorage_dir=%s/blobs' % (where, where),
        'zodbconn.uri.audit': 'file://%s/Audit.fs' % where,
        'minorconsent.audit.background': 'false',
        'minorconsent.mail_debug': os.path.join(where, 'mail'),
        'minorconsent.public_url': 'http://localhost',
        'minorconsent.password_profile': 'cheapest',
        'minorconsent.rate_limits': 'off',
    }


def seeded_app(where):
    import transaction
    from pyramid.threadlocal import manager

    from minorconsent import main
    from minorconsent.scripts.seed import DEMO_PASSWORD, Seeder
    from minorconsent.site import bootstrap_clinic

    app = main({}, **settings_in(where))
    db = app.registry._zodb_databases['']
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    manager.push({'registry': app.registry, 'request': None})
    try:
        clinic = bootstrap_clinic(conn.root(), app.registry)
        Seeder(clinic, app.registry.passwords.hash(DEMO_PASSWORD), '',
               app.registry).named_families()
        tm.commit()
    finally:
        manager.pop()
        conn.close()
    return app, DEMO_PASSWORD


def signed_in(app, password):
    from webtest import TestApp
    browser = TestApp(app, extra_environ={'HTTP_HOST': 'localhost',
                                          'REMOTE_ADDR': '192.0.2.10'})
    form = browser.get('/login').forms['form']
    form['email'] = 'guardian@demo.test'
    form['password'] = password
    assert form.submit().status_int == 302
    return browser


def richest_child_page(browser):
    family = browser.get('/family')
    links = sorted({a.attrs['href'] for a in family.html.select('a[href]')
                    if a.attrs['href'].rstrip('/').endswith('/family')
                    and '/clients/' in a.attrs['href']})
    pages = [(len(browser.get(link).body), link) for link in links]
    return max(pages)


def cost(browser, url, requests, repeat):
    rounds = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(requests):
            browser.get(url)
        rounds.append((time.perf_counter() - started) / requests * 1e6)
    return statistics.median(rounds)


def trip(browser, url):
    package = os.path.dirname(sys.modules['minorconsent'].__file__) + os.sep
    seen = set()

    def profile(frame, event, arg):
        if event == 'call':
            filename = frame.f_code.co_filename
            # Python modules only: compiled Jinja2 templates run as code too.
            if filename.startswith(package) and filename.endswith('.py'):
                seen.add(filename[len(package):])
    sys.setprofile(profile)
    try:
        browser.get(url)
    finally:
        sys.setprofile(None)
    modules = sorted(seen)
    rooms = sorted({m.split(os.sep)[0] for m in modules if os.sep in m})
    return modules, rooms


def checks(app, url, repeat=2000):
    """The checks the parent view makes on the child's documents
    (view-published on each agreement, summary and disclosure, sign on
    each agreement), as the mother, answered both ways."""
    try:
        from minorconsent.workflow.engine import permissions_for
    except ImportError:
        return None
    import transaction
    from pyramid.authorization import ACLHelper
    from pyramid.threadlocal import manager

    from minorconsent.security.policy import principals_for
    from minorconsent.site import bootstrap_clinic
    client_id = url.rstrip('/').split('/')[-2]
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = app.registry._zodb_databases[''].open(transaction_manager=tm)
    manager.push({'registry': app.registry, 'request': None})
    try:
        clinic = bootstrap_clinic(conn.root(), app.registry)
        mother = principals_for(clinic['users'].find_by_email('guardian@demo.test'))
        client = clinic['clients'][client_id]
        asked = []
        for name in ('agreements', 'summaries', 'disclosures'):
            for document in (client[name].values() if name in client else ()):
                asked.append((document, 'view-published'))
                if name == 'agreements':
                    asked.append((document, 'sign'))
        acl = ACLHelper()

        def timed(ask):
            started = time.perf_counter()
            for _ in range(repeat):
                for document, permission in asked:
                    ask(document, permission)
            return (time.perf_counter() - started) / repeat * 1e6
        assert all((p in permissions_for(d, mother)) == bool(acl.permits(d, mother, p))
                   for d, p in asked)
        direct = timed(lambda d, p: p in permissions_for(d, mother))
        walked = timed(lambda d, p: acl.permits(d, mother, p))
    finally:
        manager.pop()
        tm.abort()
        conn.close()
    return len(asked), direct, walked


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--requests', type=int, default=300)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--list', action='store_true', help='print each module of the trip')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='minorconsent-trip-') as where:
        app, password = seeded_app(where)
        browser = signed_in(app, password)
        size, url = richest_child_page(browser)
        print('page: %s (%d bytes), as guardian@demo.test' % (url, size))
        for _ in range(50):               # warm: templates compiled, caches full
            browser.get(url)
        modules, rooms = trip(browser, url)
        print('trip: %d minorconsent modules in %d rooms (%s)' % (
            len(modules), len(rooms), ', '.join(rooms)))
        if args.list:
            for module in modules:
                print('  ' + module)
        found = checks(app, url)
        if found:
            print('checks: %d on documents; from the roles %.0f µs, walking each ACL %.0f µs'
                  % found)
        print('cost: %.0f µs per GET (median of %d rounds of %d, in process)' % (
            cost(browser, url, args.requests, args.repeat), args.repeat, args.requests))
        with contextlib.suppress(Exception):
            app.registry._zodb_databases[''].close()


if __name__ == '__main__':
    main()
