"""Soak: a bounded mixed read/write load, zero 5xx, bounded memory growth.

    .venv/bin/python bench/soak.py --minutes 10 --connections 50

In a temporary directory it seeds a clinic (``minorconsent-seed --clients
200 --therapists 10 --progress 4``), serves it with waitress (8 threads, as
production.ini; the ini also follows production.ini: argon2 ``default``
profile, a connection pool of 8 (one per thread), audit trail on with its
1 s flush; connection caches of 50,000 objects (production.ini: 20,000 and
40 MB), large enough to hold the whole clinic after the prewarm; the
per-IP rate limits off, as one load generator is one address), on
127.0.0.1, pinned to CPU 0 when ``taskset`` is there, and drives it from
this process (pinned to CPU 1) with C virtual users, each its own
keep-alive connection and session:

* 3 in 5 are parents (``parent00000@demo.test`` ...): sign in, open their
  family page, then read their child's page;
* 2 in 5 are therapists (``therapist001@demo.test`` ...): sign in, then the
  client list (40 %), a client page (40 %) and a progress-update POST on a
  goal of one of their clients (20 %, with the session's CSRF token);
* after 300-600 requests a user signs out and signs in again as someone
  else, so sign-ins (argon2id, deliberately slow) are occasional.  The
  users start one after the other over the first 10 s.

No think time: every user sends its next request when the last one is
answered, so the server runs saturated for the whole run.

The load generator is Python threads rather than wrk: each user needs its
own session cookie, the CSRF token bound to that session, client and goal
ids read from the pages it was shown, and a sign-out/sign-in cycle; wrk's
Lua can script that only awkwardly, and a closed loop of 50 Python threads
on the other core keeps the server saturated (it is the bottleneck; check
``requests/s`` against bench/pages.py).

Every second the server's resident memory (``VmRSS`` in
``/proc/PID/status``) is sampled.  Reported: requests by kind and status,
latency percentiles, and RSS over the 30 s that end the warm-up and the 30 s
that end the run.  The growth is measured on the *floor* of each window
(its lowest sample): every sign-in in flight holds argon2id's 64 MiB for
as long as it takes (seconds, on a saturated core) and hands it back, so
single samples and even medians swing by 60-120 MiB with how many sign-ins
happen to be running; memory that stays (a leak, data, caches) raises the
floor.  The median and peak are reported too.

Before the load the server fills each of its threads' ZODB connection
caches with every object of the clinic (``--cold`` does not): otherwise
eight caches keep warming up for longer than the run, and that is most of
what a 5-minute run would measure.  The audit database's caches cannot
be filled beforehand: the connection the audit sealer uses keeps the
buckets it writes (one entry per request) until its cache reaches its
object limit (zodburi's default, 10,000), about 40 MiB and 3.5 minutes
at 390 requests/s, and then stays flat.  So the reference RSS is taken
after a 240 s warm-up and the growth is measured over the rest: 10
minutes give 6 minutes of steady state, in which a leak the size of the
one fixed in RESULTS.md (~4 MiB a minute) shows as about +13 %.
``--log-conflicts`` shows, every 30 s, what the databases' caches hold
and how many Python objects the server has, and at the end the write
conflicts ZODB could not merge.

After the load the server is stopped with SIGTERM and the files are checked
(``fstest`` on both, ``minorconsent-audit verify``).

Exit status 1 on any 5xx answer, any request without an answer (connection
error or timeout), growth of 10 % or more, or a failed check.
"""
import argparse
import html
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

BIN = Path(sys.executable).parent

INI = """\
[app:main]
use = egg:minorconsent
zodbconn.uri = file://{dir}/Data.fs?blobstorage_dir={dir}/blobs&connection_pool_size=8&connection_cache_size=50000
zodbconn.uri.audit = file://{dir}/Audit.fs
retry.attempts = 3
minorconsent.password_profile = default
minorconsent.mail_debug = {dir}/mail
# One load generator on 127.0.0.1 is one "client IP": the per-IP limits
# on sign-in would answer 429 (see README).
minorconsent.rate_limits = off
"""

SERVE = textwrap.dedent('''
    import sys, waitress
    from pyramid.paster import get_app
    if len(sys.argv) > 5:       # --log-conflicts: each conflict resolution refused
        import logging, ZODB.ConflictResolution as cr
        from ZODB.FileStorage import FileStorage
        resolve = cr.tryToResolveConflict
        def logged(self, oid, committedSerial, oldSerial, newpickle, committedData=b''):
            try:
                return resolve(self, oid, committedSerial, oldSerial, newpickle, committedData)
            except Exception as exc:
                from ZODB.utils import oid_repr
                logging.getLogger('soak').warning('CONFLICT %s %r', oid_repr(oid), exc)
                raise
        FileStorage.tryToResolveConflict = logged
    app = get_app(sys.argv[1])
    threads = int(sys.argv[3])
    if sys.argv[4] == 'prewarm':
        # Every waitress thread's ZODB connection gets its own cache; fill
        # each with every object of the clinic, so that the memory measured
        # later is what the load adds, not caches still warming up.
        db = app.registry._zodb_databases['']
        oids = list(db.storage._index.keys())
        connections = [db.open() for _ in range(threads)]
        for conn in connections:
            for oid in oids:
                conn.get(oid)._p_activate()
        for conn in connections:
            conn.close()
    if len(sys.argv) > 5:       # and every 30 s, what each database's caches hold
        import threading, time
        import os, tracemalloc
        first = []
        def caches():
            while True:
                time.sleep(30)
                if tracemalloc.is_tracing():     # PYTHONTRACEMALLOC=N in the environment
                    snap = tracemalloc.take_snapshot()
                    if not first:
                        first.append(snap)
                    else:
                        for stat in snap.compare_to(first[0], 'traceback')[:8]:
                            logging.getLogger('soak').warning(
                                'GROWTH %+d KiB %d blocks: %s', stat.size_diff >> 10,
                                stat.count_diff, ' <- '.join(
                                    '%s:%d' % (f.filename.split('site-packages/')[-1]
                                               .split('mc-head/')[-1], f.lineno)
                                    for f in reversed(stat.traceback)))
                import gc
                sizes = {}
                memos = []
                for name, db in app.registry._zodb_databases.items():
                    found = []
                    db._connectionMap(lambda c: found.append(c._cache.total_estimated_size))
                    sizes[name or 'clinic'] = (db.cacheSize(), len(found), sum(found) >> 20)
                    # ZODB.ActivityMonitor keeps a tuple per closed connection
                    # for an hour; the app removes pyramid_zodbconn's (RESULTS.md)
                    monitor = db.getActivityMonitor()
                    if monitor is not None:
                        memos.append('%s activity log=%d' % (name or 'clinic',
                                                             len(getattr(monitor, 'log', ()))))
                try:     # the app's own bounded memos (names as of this writing)
                    from minorconsent.portal.chart import _drawn
                    from minorconsent.site.i18n import _memo
                    memos += ['charts=%d' % _drawn.cache_info().currsize,
                              'translations=%d' % len(_memo)]
                except (ImportError, AttributeError):
                    pass
                logging.getLogger('soak').warning('CACHES %s; %d Python objects; %s', ' '.join(
                    '%s=%d objects in %d caches, ~%d MiB pickled' % (name, *each)
                    for name, each in sizes.items()), len(gc.get_objects()), ' '.join(memos))
        threading.Thread(target=caches, daemon=True).start()
    # As the ini files serve (egg:minorconsent#waitress): the main-loop
    # spin fix (docs/WAITRESS-SPIN.md), for every app and reference alike.
    from minorconsent.site import waitress_spin; waitress_spin.apply()
    waitress.serve(app, host='127.0.0.1', port=int(sys.argv[2]), threads=threads,
                   connection_limit=1000, _quiet=True)
''')

PASSWORD = 'demo-password-1'
FORM = 'application/x-www-form-urlencoded'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def pinned(cpu):
    return ['taskset', '-c', str(cpu)] if shutil.which('taskset') and (
        os.cpu_count() or 1) > 1 else []


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS')


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.status = Counter()            # (kind, status)
        self.latency = defaultdict(list)   # kind -> seconds
        self.errors = Counter()            # kind -> requests without an answer
        self.samples = []                  # (seconds since start, RSS KiB)
        self.examples = []                 # first few odd answers

    def record(self, kind, status, seconds, body=b''):
        with self.lock:
            self.status[kind, status] += 1
            self.latency[kind].append(seconds)
            if status >= 500 and len(self.examples) < 5:
                self.examples.append((kind, status, body[:500]))


class NoAnswer(Exception):
    pass


class User:
    """One virtual user: a keep-alive connection, cookies, a session."""

    def __init__(self, port, stats, rng, progress_share):
        self.port, self.stats, self.rng = port, stats, rng
        self.progress_share = progress_share
        self.conn = None
        self.cookies = {}

    def request(self, kind, method, path, fields=None):
        body = urllib.parse.urlencode(fields).encode() if fields is not None else None
        headers = {'Cookie': '; '.join('%s=%s' % kv for kv in self.cookies.items())}
        if body is not None:
            headers['Content-Type'] = FORM
        for attempt in (1, 2):
            fresh = self.conn is None
            if fresh:
                self.conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body, headers)
                response = self.conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if fresh or attempt == 2:
                    with self.stats.lock:
                        self.stats.errors[kind] += 1
                    raise NoAnswer(kind)
                continue    # a kept-alive connection the server had closed: once more
            self.stats.record(kind, response.status, time.perf_counter() - started, data)
            for header in response.headers.get_all('Set-Cookie') or ():
                name, _, rest = header.partition('=')
                value = rest.split(';')[0]
                if 'max-age=0' in header.lower() or not value.strip('"'):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            if response.getheader('Connection', '').lower() == 'close':
                self.conn.close()
                self.conn = None
            return response.status, data.decode('utf-8', 'replace')

    @staticmethod
    def csrf(page):
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        return html.unescape(found.group(1)) if found else ''

    def sign_in(self, email):
        _, page = self.request('sign-in page', 'GET', '/login')
        status, _ = self.request('sign-in POST', 'POST', '/login', {
            'csrf_token': self.csrf(page), 'email': email, 'password': PASSWORD,
            'sign_in': 'sign_in'})
        return status == 302

    def sign_out(self, token):
        self.request('sign-out POST', 'POST', '/logout', {'csrf_token': token})
        self.cookies.clear()

    def parent(self, email, count, stop):
        if not self.sign_in(email):
            return
        status, page = self.request('family page', 'GET', '/family')
        children = re.findall(r'href="[^"]*/clients/([^/"]+)/family"', page)
        token = self.csrf(page)
        for n in range(count):
            if stop.is_set() or not children:
                break
            if n % 25 == 24:
                self.request('family page', 'GET', '/family')
            else:
                self.request('guardian child page', 'GET',
                             '/clients/%s/family' % self.rng.choice(children))
        self.sign_out(token)

    def therapist(self, email, count, stop):
        if not self.sign_in(email):
            return
        _, page = self.request('therapist client list', 'GET', '/clients/')
        clients = re.findall(r'href="[^"]*/clients/([^/"]+)/"', page)
        token = self.csrf(page)
        goals = {}
        for n in range(count):
            if stop.is_set() or not clients:
                break
            draw = self.rng.random()
            client = self.rng.choice(clients)
            reads = 1 - self.progress_share
            if draw < reads / 2:
                self.request('therapist client list', 'GET', '/clients/')
            elif draw < reads or client not in goals:
                _, page = self.request('therapist client page', 'GET', '/clients/%s/' % client)
                goals[client] = re.findall(r'/goals/([^/"]+)/progress', page)
            elif goals[client]:
                self.request('progress update POST', 'POST', '/clients/%s/goals/%s/progress' % (
                    client, self.rng.choice(goals[client])), {
                    'csrf_token': token, 'day': '2026-11-20',
                    'rating': self.rng.choice(('improving', 'in-progress', 'achieved')),
                    'parent_note': 'soak', 'save': 'save'})
        self.sign_out(token)

    def run(self, number, args, stop):
        turn = 0
        while not stop.is_set():
            count = self.rng.randint(300, 600)
            try:
                if number % 5 < 3:
                    n = (number + args.connections * turn) % args.clients
                    self.parent('parent%05d@demo.test' % n, count, stop)
                else:
                    n = (number + turn) % args.therapists + 1
                    self.therapist('therapist%03d@demo.test' % n, count, stop)
            except NoAnswer:
                time.sleep(0.5)
            turn += 1
        if self.conn is not None:
            self.conn.close()


def start_server(ini, threads, directory, prewarm=True, log_conflicts=False, arenas=None):
    port = free_port()
    env = dict(os.environ, **({'MALLOC_ARENA_MAX': str(arenas)} if arenas else {}))
    log = open(directory / 'server.log', 'wb')
    proc = subprocess.Popen(pinned(0) + [sys.executable, '-c', SERVE, str(ini), str(port),
                                         str(threads), 'prewarm' if prewarm else 'cold']
                            + (['log'] if log_conflicts else []),
                            stdout=log, stderr=subprocess.STDOUT, cwd=str(directory), env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit('the server did not start; see %s' % (directory / 'server.log'))


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else float('nan')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--minutes', type=float, default=5)
    parser.add_argument('--connections', type=int, default=50)
    parser.add_argument('--threads', type=int, default=8, help='waitress threads (8)')
    parser.add_argument('--warmup', type=float, default=240,
                        help='seconds before the reference RSS (240: the audit '
                             'database\'s caches fill with newly sealed entries up to '
                             'their object limit, about 3.5 minutes at 390 requests/s; '
                             'use --minutes 10 for 6 minutes measured after it)')
    parser.add_argument('--clients', type=int, default=200)
    parser.add_argument('--therapists', type=int, default=10)
    parser.add_argument('--progress-share', type=float, default=0.2,
                        help='share of a therapist\'s requests that are progress-update '
                             'POSTs (0.2; the rest: client list and client pages alike)')
    parser.add_argument('--malloc-arena-max', type=int, default=None, metavar='N',
                        help='run the server with MALLOC_ARENA_MAX=N (glibc)')
    parser.add_argument('--max-growth', type=float, default=10.0, help='in %% (10)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary directory')
    parser.add_argument('--cold', action='store_true',
                        help='do not fill the ZODB caches before the load (they then warm '
                             'up for many minutes and the growth measured is mostly that)')
    parser.add_argument('--log-conflicts', action='store_true',
                        help='count the conflicts ZODB could not resolve, by class, and '
                             'show the databases\' cache sizes every 30 s')
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix='minorconsent-soak-'))
    ini = workdir / 'soak.ini'
    ini.write_text(INI.format(dir=workdir))
    failures = []
    try:
        started = time.perf_counter()
        subprocess.run([str(BIN / 'minorconsent-seed'), str(ini), '--quiet', '--clients',
                        str(args.clients), '--therapists', str(args.therapists),
                        '--progress', '4'], check=True, stdout=subprocess.DEVNULL)
        print('seeded %d generated clients, %d therapists in %.0f s' % (
            args.clients, args.therapists, time.perf_counter() - started))
        server, port = start_server(ini, args.threads, workdir, not args.cold, args.log_conflicts,
                                    args.malloc_arena_max)
        try:
            if pinned(1):
                os.sched_setaffinity(0, {1})
            stats = run_load(server.pid, port, args)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                failures.append('the server did not stop on SIGTERM')
        failures += report(stats, args, workdir)
        if args.log_conflicts:
            log = (workdir / 'server.log').read_text(errors='replace')
            found = Counter(re.sub(r'0x[0-9a-f]+', 'OID', line.split('CONFLICT ', 1)[1])[:160]
                            for line in log.splitlines() if 'CONFLICT ' in line)
            for line in log.splitlines():
                if 'CACHES ' in line:
                    print('caches: ' + line.split('CACHES ', 1)[1])
            print('unresolved conflicts (each may be retried):')
            for line, count in found.most_common():
                print('%6d  %s' % (count, line))
        failures += check_files(ini, workdir)
    finally:
        if args.keep:
            print('kept', workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print('FAIL: ' + '; '.join(failures))
        return 1
    print('PASS')
    return 0


def run_load(pid, port, args):
    stats = Stats()
    stop = threading.Event()
    seconds = args.minutes * 60
    t0 = time.monotonic()

    def sample():
        while not stop.is_set():
            stats.samples.append((time.monotonic() - t0, rss_kib(pid)))
            stop.wait(1)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    users = []
    for number in range(args.connections):
        user = User(port, stats, random.Random(number), args.progress_share)
        thread = threading.Thread(target=user.run, args=(number, args, stop), daemon=True)
        thread.start()
        users.append(thread)
        time.sleep(10 / args.connections)
    last = 0
    while time.monotonic() - t0 < seconds:
        time.sleep(1)
        elapsed = time.monotonic() - t0
        if elapsed - last >= 30:
            last = elapsed
            done = sum(stats.status.values())
            print('%4.0f s: %7d requests, RSS %.1f MiB' % (
                elapsed, done, stats.samples[-1][1] / 1024), flush=True)
    stop.set()
    for thread in users:
        thread.join(90)
    sampler.join(5)
    stats.duration = time.monotonic() - t0
    return stats


def report(stats, args, workdir):
    failures = []
    kinds = sorted({kind for kind, _ in stats.status} | set(stats.errors))
    total = sum(stats.status.values())
    print('\n%d connections, waitress threads=%d, %.1f min, %d requests (%.1f/s)' % (
        args.connections, args.threads, stats.duration / 60, total, total / stats.duration))
    print('%-24s %8s %8s %8s %8s %8s %8s %8s' % (
        'kind', 'requests', '2xx/3xx', '4xx', '5xx', 'no answ', 'p50 ms', 'p99 ms'))
    for kind in kinds:
        by = {status: n for (k, status), n in stats.status.items() if k == kind}
        ok = sum(n for s, n in by.items() if s < 400)
        client = sum(n for s, n in by.items() if 400 <= s < 500)
        server = sum(n for s, n in by.items() if s >= 500)
        lat = stats.latency[kind]
        print('%-24s %8d %8d %8d %8d %8d %8.0f %8.0f' % (
            kind, sum(by.values()), ok, client, server, stats.errors[kind],
            percentile(lat, .5) * 1000, percentile(lat, .99) * 1000))
    fives = sum(n for (_, status), n in stats.status.items() if status >= 500)
    fours = Counter({key: n for key, n in stats.status.items() if 400 <= key[1] < 500})
    unanswered = sum(stats.errors.values())
    warm = [kib for t, kib in stats.samples if args.warmup - 30 <= t <= args.warmup]
    end = [kib for t, kib in stats.samples if t >= stats.duration - 31]
    if not warm or not end:
        failures.append('the run is shorter than the warm-up')
        return failures
    floor_warm, floor_end = min(warm), min(end)
    growth = (floor_end - floor_warm) / floor_warm * 100
    median_growth = (statistics.median(end) - statistics.median(warm)) / statistics.median(
        warm) * 100
    peak = max(kib for _, kib in stats.samples)
    print('\n5xx answers: %d; requests without an answer: %d; 4xx: %s' % (
        fives, unanswered, dict(fours) or 0))
    print('RSS floor (lowest sample of 30 s): %.1f MiB at the end of the %.0f s warm-up, '
          '%.1f MiB at the end: growth %+.1f %%' % (
              floor_warm / 1024, args.warmup, floor_end / 1024, growth))
    print('RSS median of the same 30 s: %.1f MiB, %.1f MiB: %+.1f %%; peak %.1f MiB' % (
        statistics.median(warm) / 1024, statistics.median(end) / 1024, median_growth,
        peak / 1024))
    windows = defaultdict(list)
    for t, kib in stats.samples:
        windows[int(t // 30)].append(kib / 1024)
    print('RSS per 30 s, floor/median/max (MiB): ' + '  '.join(
        '%.0f/%.0f/%.0f' % (min(w), statistics.median(w), max(w))
        for _, w in sorted(windows.items())))
    for example in stats.examples:
        print('example 5xx: %s %s %r' % example)
    if fives:
        failures.append('%d answers were 5xx' % fives)
    if unanswered:
        failures.append('%d requests got no answer' % unanswered)
    if growth >= args.max_growth:
        failures.append('RSS grew %.1f %% (limit %.0f %%)' % (growth, args.max_growth))
    return failures


def check_files(ini, workdir):
    """After the load: the files are sound and the audit chain verifies."""
    failures = []
    for name in ('Data.fs', 'Audit.fs'):
        done = subprocess.run([sys.executable, '-m', 'ZODB.scripts.fstest',
                               str(workdir / name)], capture_output=True, text=True)
        print('fstest %s: %s' % (name, 'OK' if done.returncode == 0 else done.stderr.strip()))
        if done.returncode:
            failures.append('fstest %s failed' % name)
    done = subprocess.run([str(BIN / 'minorconsent-audit'), 'verify', str(ini)],
                          capture_output=True, text=True)
    print('minorconsent-audit verify: ' + done.stdout.strip().replace('\n', ' / '))
    if done.returncode:
        failures.append('the audit chain does not verify')
    return failures


if __name__ == '__main__':
    sys.exit(main())
