"""Benchmark: page speed against two references, in one run.

    .venv/bin/python bench/pages.py [--clients N] [--baseline-clients M]
        [--no-audit] [--data DIR] [--rounds R] [--seconds S] [--threads T]
        [--connections C] [--pages WORD ...]

Needs ``wrk`` (``apt-get install -y wrk``).  It seeds a clinic with
``minorconsent-seed --clients N --therapists N/250 --progress 10`` (the
named demo families plus N generated clients, 1.2 guardians each; kept in
``--data DIR`` for the next run, since 50,000 clients take minutes: in
``DIR`` itself when it holds a clinic seeded with these figures, as
``/tmp/benchdata`` does, else in ``DIR/clinic-N``; a kept clinic is first
evolved to the code's schema with ``minorconsent-evolve``) and serves, each
with waitress (T threads) pinned to CPU 0:

* ``app``: minorconsent as shipped, on a copy of the N-client clinic;
* ``small`` (with ``--baseline-clients M``): the same app on an M-client
  clinic, for each page's p95 at N against the same page at M;
* ``no-audit`` (with ``--no-audit``): the N-client clinic with the audit
  view deriver replaced by a pass-through (only here; the product has no
  such switch), for the audit trail's cost;
* ``hello``: a bare Pyramid app answering "Hello" from one view (the
  ceiling: no database, session, permission, audit or template);
* ``reference``: bench/reference_app.py, a minimal signed-in Pyramid +
  ZODB page (a server-side session with an idle check, one computed ACL,
  one audit entry, a 1 KB Chameleon template: what any app offering these
  guarantees must pay), signed into once.

Pages (``--pages``: those whose name contains one of the words, ``all``
for every one; by default the five GETs): the **richest guardian child
page** (of guardian@demo.test's children on /family, the one with the
largest body: the older child's, with notices, agreements, goal charts
and summaries), the **younger child's** page (the smallest), the therapist
client list (therapist001@demo.test: a full page of 25 rows at any size),
a client page of it, the anonymous **sign-in page** (GET /login, no
cookie), and on request the progress-update POST and the sign-in POST (a
crowd of different parents).  Before measuring, each page's URL, status
and body size are printed, and it must answer 200 with a marker of that
page (never a sign-in redirect or a 404, which wrk would count as fast
successes); the same check follows every run.

wrk (pinned to CPU 1 when there are two or more) drives each page for S
seconds per round over C connections, each app in turn, the apps' order
rotated from round to round (the references too, next to every page).
Per page: median requests/s of the app and both references, the ratios
to each (``x hello``, ``x ref``), the server's CPU per request from
/proc/<pid>/stat (utime + stime over the run / requests) and the same
ratios by CPU, app/no-audit, latency p50/p95/p99 and the p95 ratio against
``small``; each server's start-up time (process start to its first
answer) and resident memory (peak while the load ran).  bench/RESULTS.md
records the figures with the command.
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from minorconsent.scripts.seed import DEMO_PASSWORD

sys.path.insert(0, str(Path(__file__).resolve().parent))
# seeded, copy_site, INI and CACHE are also bench/daily.py's and
# bench/fhir_search.py's (``pages.seeded``): kept importable from here.
from pages_apps import (BIN, CACHE, INI, REPO, MemoryWatch, copy_site,  # noqa: E402
                        cpu_seconds, kept_clinic, rss_mb, seeded, start)
from benchkit import settle  # noqa: E402
from pages_report import report  # noqa: E402
from pages_targets import REFERENCES, pages_for, references, selected, wrk  # noqa: E402
from reference_app import PASSWORD as REFERENCE_PASSWORD  # noqa: E402

__all__ = ['main', 'seeded', 'copy_site', 'INI', 'CACHE', 'BIN', 'REPO']
CLIENT_LIST_ROWS = 25


def measure(target, seconds, connections, pid):
    """One wrk run; its figures with the server's CPU per request (µs)."""
    before = cpu_seconds(pid)
    result = wrk(target.url, seconds, connections, target.script)
    result['cpu_us'] = (cpu_seconds(pid) - before) / max(result['requests'], 1) * 1e6
    settle(pid)
    return result




def show(name, page, target):
    """Check one page before any load; print what is measured."""
    status, size, problem = target.check()
    if problem:
        raise SystemExit('%s %s: %s answers %s, not the page named (%s)' % (
            name, page, target.url, status, problem))
    if name in ('app', 'hello', 'reference'):
        print('%-9s %-24s %-4s %s -> %s, %s' % (
            name, page, target.method, target.url, status,
            '%d bytes' % size if target.method == 'GET' else 'a redirect: done'),
            flush=True)
    return size


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clients', type=int, default=100)
    parser.add_argument('--therapists', type=int, default=None,
                        help='generated therapists (default: one per 250 clients)')
    parser.add_argument('--progress', type=int, default=10,
                        help='progress updates per generated client (default 10)')
    parser.add_argument('--baseline-clients', type=int, default=0, metavar='N',
                        help='also serve a clinic of N clients and compare each page\'s '
                             'p95 latency with it (the same page at a small size)')
    parser.add_argument('--no-audit', action='store_true',
                        help='also serve a copy with the audit trail off (its cost)')
    parser.add_argument('--data', default=None,
                        help='keep the seeded clinics in this directory and reuse them')
    parser.add_argument('--rounds', type=int, default=4)
    parser.add_argument('--seconds', type=int, default=5)
    parser.add_argument('--threads', type=int, default=4)
    parser.add_argument('--connections', type=int, default=8)
    parser.add_argument('--pages', nargs='*', default=None,
                        help='pages whose name contains one of these words ("all": every '
                             'page, "POST": the two writes too); default: the five GETs')
    args = parser.parse_args(argv)
    if not shutil.which('wrk'):
        raise SystemExit('wrk is missing: apt-get install -y wrk')
    pages = selected(args.pages)
    if not pages:
        raise SystemExit('no page matches %s' % ' '.join(args.pages))
    workdir = Path(tempfile.mkdtemp(prefix='minorconsent-bench-'))
    data = Path(args.data) if args.data else workdir / 'data'

    def therapists(clients):
        return args.therapists if args.therapists is not None else max(1, clients // 250)

    def clinic(clients):
        where = kept_clinic(data, clients, therapists(clients), args.progress)
        return seeded(where, clients, therapists(clients), args.progress)
    sizes_of = {'app': args.clients}
    sites = {'app': clinic(args.clients)}
    if args.baseline_clients:
        sites['small'] = clinic(args.baseline_clients)
        sizes_of['small'] = args.baseline_clients
    # Every app serves a copy: the kept clinics stay as seeded (and evolved).
    sites = {name: copy_site(ini.parent, workdir / name) for name, ini in sites.items()}
    if args.no_audit:
        sites['no-audit'] = copy_site(sites['app'].parent, workdir / 'no-audit')
        sizes_of['no-audit'] = args.clients
    (workdir / 'reference').mkdir()
    names = list(sites) + list(REFERENCES)
    servers, startup = {}, {}
    try:
        for name in names:
            kind = 'app' if name == 'small' else name
            ini = sites[name] if name in sites else workdir / 'reference'
            proc, base, seconds = start(kind, ini, args.threads)
            servers[name] = (proc, base)
            startup[name] = seconds
        targets = {}
        for name in sites:
            per_therapist = sizes_of[name] // therapists(sizes_of[name])
            found = pages_for(name, servers[name][1], workdir, DEMO_PASSWORD,
                              sizes_of[name], min(CLIENT_LIST_ROWS, per_therapist))
            targets[name] = {page: found[page] for page in pages}
        refs = references({name: servers[name][1] for name in REFERENCES}, workdir,
                          REFERENCE_PASSWORD)
        sizes = {}
        for name in names:
            for page in pages:
                target = refs[name] if name in refs else targets[name][page]
                size = show(name, page if name not in refs else '(reference)', target)
                if name == 'app':
                    sizes[page] = size
                elif name in refs:
                    sizes[name] = size
                if name in refs:
                    break
        watch = MemoryWatch({name: servers[name][0] for name in names})
        watch.start()
        results, failures = {}, []
        for number in range(args.rounds):
            # Rotate the order, so no app always runs first (or warmest).
            order = names[number % len(names):] + names[:number % len(names)]
            for page in pages:
                for name in order:
                    target = refs[name] if name in refs else targets[name][page]
                    results.setdefault((page, name), []).append(measure(
                        target, args.seconds, args.connections, servers[name][0].pid))
                    status, _, problem = target.check()
                    if problem:
                        failures.append('round %d, %s, %s: %s (%s)' % (
                            number + 1, page, name, target.url, problem))
            print('round %d of %d done' % (number + 1, args.rounds), flush=True)
        watch.done.set()
        memory = {name: (watch.peak[name], rss_mb(servers[name][0].pid)[1])
                  for name in names}
        report(results, pages, sizes, args, names, startup, memory, failures)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
