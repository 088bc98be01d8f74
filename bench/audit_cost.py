"""Benchmark: the cost of the audit trail (issue 6, item 7).

    .venv/bin/python bench/audit_cost.py [--rounds N] [--requests N] [--entries N]

1. Page views with the audit trail on and off, in one run.  Two apps are
   built over identical seeded databases: one as shipped, one with the
   audit view deriver replaced by a pass-through (only here: the product
   has no switch to turn its audit trail off).  Signed-in guardian and
   therapist pages are requested in alternating rounds, in process
   (WebTest, no network), and the sealer runs as in production.  Reports
   requests/s per page and the ratio on/off.
2. ``verify`` over a chain of N entries (default 100,000) in a FileStorage.
"""
import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / 'tests'))

from ZODB import DB  # noqa: E402
from ZODB.FileStorage import FileStorage  # noqa: E402
import transaction  # noqa: E402

from minorconsent import main  # noqa: E402
from minorconsent.audit import access  # noqa: E402
from minorconsent.audit.chain import log_of, verify  # noqa: E402
from minorconsent.audit.recorder import make_entry  # noqa: E402
import support  # noqa: E402


def build(audited):
    real = access.audited_view
    if not audited:
        access.audited_view = lambda view, info: view
    try:
        app = main({}, **support.app_settings(**{
            'minorconsent.audit.background': 'true'}))
    finally:
        access.audited_view = real
    demo = support.seed(app.registry._zodb_databases[''], app.registry)
    return app, demo


def pages(demo):
    return {
        'guardian child page': ('guardian', '/clients/%s/family' % demo.mateo),
        'therapist client page': ('therapist', '/clients/%s/' % demo.mateo),
        'therapist client list': ('therapist', '/clients/'),
    }


def rate(browser, path, count):
    gc.collect()
    started = time.perf_counter()
    for _ in range(count):
        browser.get(path)
    return count / (time.perf_counter() - started)


def page_views(rounds, requests):
    apps = {'on': build(True), 'off': build(False)}
    browsers = {}
    for name, (app, demo) in apps.items():
        for role in ('guardian', 'therapist'):
            browsers[name, role] = support.sign_in(app, support.ROLE_EMAILS[role])
    results = {}
    for page, (role, _) in pages(apps['on'][1]).items():
        for name in ('on', 'off'):
            results[page, name] = []
    for number in range(rounds):
        # Alternate which app goes first, so neither always runs warmer.
        for name in ('on', 'off') if number % 2 == 0 else ('off', 'on'):
            demo = apps[name][1]
            for page, (role, path) in pages(demo).items():
                results[page, name].append(rate(browsers[name, role], path, requests))
    print('Page views, %d rounds of %d requests, in process (req/s, median; ratio = '
          'median of the rounds\' on/off ratios, with its range):' % (rounds, requests))
    for page in pages(apps['on'][1]):
        on = statistics.median(results[page, 'on'])
        off = statistics.median(results[page, 'off'])
        ratios = sorted(a / b for a, b in zip(results[page, 'on'], results[page, 'off']))
        ratio = statistics.median(ratios)
        print('  %-24s audit on %7.1f   off %7.1f   on/off %.3f (%.1f%% slower; rounds '
              '%.2f-%.2f)' % (page, on, off, ratio, 100 * (1 - ratio), ratios[0], ratios[-1]))
    for app, _ in apps.values():
        app.registry.audit_recorder.stop()


def chain(entries):
    where = tempfile.mkdtemp(prefix='minorconsent-audit-bench-')
    db = DB(FileStorage(where + '/Audit.fs'))
    conn = db.open()
    log = log_of(conn.root())
    batch = 10_000
    for start in range(0, entries, batch):
        log.seal([make_entry('GET Client.index', actor='u%d' % (n % 200),
                             record='c%d' % (n % 5000), target='', ip='192.0.2.1',
                             outcome='200') for n in range(start, min(start + batch, entries))])
        transaction.commit()
    conn.close()
    db.close()
    db = DB(FileStorage(where + '/Audit.fs', read_only=True))
    conn = db.open()
    started = time.perf_counter()
    count = verify(log_of(conn.root(), create=False))
    elapsed = time.perf_counter() - started
    print('verify: %d entries in %.2f s (%.0f entries/s), cold cache, FileStorage'
          % (count, elapsed, count / elapsed))
    conn.close()
    db.close()


def main_():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--requests', type=int, default=100)
    parser.add_argument('--entries', type=int, default=100_000)
    args = parser.parse_args()
    page_views(args.rounds, args.requests)
    chain(args.entries)


if __name__ == '__main__':
    main_()
