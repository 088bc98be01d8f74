"""Benchmark: page speed against a bare Pyramid app, in one run.

    .venv/bin/python bench/pages.py [--clients N] [--baseline-clients M]
        [--no-audit] [--data DIR] [--rounds R] [--seconds S] [--threads T]
        [--connections C] [--pages WORD ...]

Needs ``wrk`` (``apt-get install -y wrk``).  It seeds a clinic with
``minorconsent-seed --clients N --therapists N/250 --progress 10`` (the
named demo families plus N generated clients, 1.2 guardians each; kept in
``--data DIR`` for the next run, since 50,000 clients take minutes) and
serves, each with waitress (T threads) pinned to CPU 0, from a copy:

* ``app``: minorconsent as shipped, on the N-client clinic;
* ``small`` (with ``--baseline-clients M``): the same app on an M-client
  clinic, for each page's p95 at N against the same page at M;
* ``no-audit`` (with ``--no-audit``): the N-client clinic with the audit
  view deriver replaced by a pass-through (only here; the product has no
  such switch), for the audit trail's cost;
* ``bare``: a bare Pyramid app answering "Hello" from one view.

wrk (pinned to CPU 1 when there are two or more) drives each page for S
seconds per round over C connections, rotating the apps' order from round
to round.  Per page: median requests/s of every app, app/bare (and
app/no-audit), app latency p50/p95/p99 and the p95 ratio against
``small``.  Also each server's start-up time (process start to its first
answer) and resident memory (peak while the load ran).  Pages: the
guardian's child page (guardian@demo.test's older child, the same family
at any size), a generated therapist's client list and a client page (a
full caseload), a progress-update POST and sign-in (a crowd of different
parents).  bench/RESULTS.md records the figures with the command.
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: The object cache of each ZODB connection (one per waitress thread), as in
#: production.ini: bounded in objects and in bytes, so memory stays flat
#: however large the clinic grows.
CACHE = 'connection_cache_size=20000&connection_cache_size_bytes=40mb'
BIN = Path(sys.executable).parent

INI = """\
[app:main]
use = egg:minorconsent
zodbconn.uri = file://{dir}/Data.fs?blobstorage_dir={dir}/blobs&{cache}
zodbconn.uri.audit = file://{dir}/Audit.fs
minorconsent.mail_debug = {dir}/mail
minorconsent.password_profile = default
# The crowd signing in comes from one loopback address here; per-address
# limits (on in production) would answer it 429 after a few sign-ins.
minorconsent.rate_limits = off
"""

SERVE = textwrap.dedent('''
    import logging, sys, waitress
    # "Task queue depth is N" is waitress saying the load is on, at every request.
    logging.getLogger('waitress.queue').setLevel(logging.ERROR)
    kind, ini, port, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if kind == 'bare':
        from pyramid.config import Configurator
        from pyramid.response import Response
        with Configurator() as config:
            config.add_route('hello', '/')
            config.add_view(lambda request: Response('Hello'), route_name='hello')
            app = config.make_wsgi_app()
    else:
        if kind == 'no-audit':
            from minorconsent.audit import access
            access.audited_view = lambda view, info: view
        from pyramid.paster import get_app
        app = get_app(ini)
    waitress.serve(app, host='127.0.0.1', port=port, threads=threads, _quiet=True)
''')

REPORT = textwrap.dedent('''
    done = function(summary, latency, requests)
      local errors = summary.errors.status + summary.errors.connect + summary.errors.read
                     + summary.errors.write + summary.errors.timeout
      io.write(string.format(
        '{"rps": %f, "p50": %f, "p95": %f, "p99": %f, "errors": %d, "requests": %d}\\n',
        summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
        latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors,
        summary.requests))
    end
''')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def pinned(cpu):
    return ['taskset', '-c', str(cpu)] if shutil.which('taskset') else []


class Client:
    """A browser without redirects: cookies, CSRF tokens, form posts."""

    def __init__(self, base):
        self.base = base
        self.jar = CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kw):
                return None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def get(self, path):
        try:
            with self.opener.open(self.base + path, timeout=30) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def post(self, path, data):
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(self.base + path, body, timeout=30) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def csrf(self, path):
        import html
        return html.unescape(re.search(r'name="csrf_token" value="([^"]+)"',
                                       self.get(path)[1]).group(1))

    def cookie_header(self):
        return '; '.join('%s=%s' % (c.name, c.value) for c in self.jar)

    def sign_in(self, email, password):
        token = self.csrf('/login')
        status, _ = self.post('/login', {'csrf_token': token, 'email': email,
                                         'password': password, 'sign_in': 'sign_in'})
        assert status == 302, 'sign-in failed for %s (%s)' % (email, status)


def start(kind, ini, threads):
    """Start a server; return ``(process, base url, seconds until it answered)``."""
    port = free_port()
    began = time.perf_counter()
    proc = subprocess.Popen(pinned(0) + [sys.executable, '-c', SERVE, kind, str(ini),
                                         str(port), str(threads)])
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen('http://127.0.0.1:%d/login' % port, timeout=5).read()
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if proc.poll() is not None:
                raise SystemExit('%s exited with %s' % (kind, proc.returncode))
            time.sleep(0.05)
    else:
        proc.kill()
        raise SystemExit('%s did not start' % kind)
    return proc, 'http://127.0.0.1:%d' % port, time.perf_counter() - began


def rss_mb(pid):
    """Resident memory of a process, and its peak, in MB (Linux)."""
    found = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            key, _, value = line.partition(':')
            if key in ('VmRSS', 'VmHWM'):
                found[key] = int(value.split()[0]) / 1024
    return found.get('VmRSS', 0.0), found.get('VmHWM', 0.0)


class MemoryWatch(threading.Thread):
    """Samples servers' resident memory twice a second while the load runs."""

    def __init__(self, procs):
        super().__init__(daemon=True)
        self.procs = procs
        self.peak = {name: 0.0 for name in procs}
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.5):
            for name, proc in self.procs.items():
                try:
                    self.peak[name] = max(self.peak[name], rss_mb(proc.pid)[0])
                except OSError:
                    pass


def wrk(url, seconds, connections, script):
    cpu = pinned(1) if (os.cpu_count() or 1) > 1 else []
    out = subprocess.run(cpu + ['wrk', '-t1', '-c%d' % connections, '-d%ds' % seconds,
                                '--timeout', '10s',
                                '-s', str(script), url],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def lua(path, method='GET', headers=None, body='', extra=''):
    lines = ['wrk.method = %s' % json.dumps(method)]
    for name, value in (headers or {}).items():
        lines.append('wrk.headers[%s] = %s' % (json.dumps(name), json.dumps(value)))
    if body:
        lines.append('wrk.body = %s' % json.dumps(body))
    path.write_text('\n'.join(lines) + '\n' + extra + REPORT)
    return path


#: Each sign-in is a different parent of the generated clients (a crowd
#: signing in after a summary email, not one account signing in 8 times).
SIGN_IN_ROTATION = textwrap.dedent('''
    local n = 0
    request = function()
      n = n + 1
      local body = string.format(wrk.body, n %% %d)
      return wrk.format(nil, nil, nil, body)
    end
''')


def pages_for(name, base, workdir, demo_password, generated):
    """{page: (url, lua script)} for one app, with its own signed-in sessions."""
    guardian, therapist, anonymous = Client(base), Client(base), Client(base)
    guardian.sign_in('guardian@demo.test', demo_password)
    # A generated therapist: a full caseload (25 clients a page) at any size.
    therapist.sign_in('therapist001@demo.test', demo_password)
    family = guardian.get('/family')[1]
    child = re.search(r'href="[^"]*/clients/([^/"]+)/family"', family).group(1)
    clients = therapist.get('/clients/')[1]
    client = re.search(r'href="[^"]*/clients/([^/"]+)/"', clients).group(1)
    record = therapist.get('/clients/%s/' % client)[1]
    goal = re.search(r'/goals/([^/"]+)/progress', record).group(1)
    progress = '/clients/%s/goals/%s/progress' % (client, goal)
    token = therapist.csrf(progress)
    login_token = anonymous.csrf('/login')
    form = 'application/x-www-form-urlencoded'
    return {
        'guardian child page': (base + '/clients/%s/family' % child, lua(
            workdir / (name + '-child.lua'), headers={'Cookie': guardian.cookie_header()})),
        'therapist client list': (base + '/clients/', lua(
            workdir / (name + '-list.lua'), headers={'Cookie': therapist.cookie_header()})),
        'therapist client page': (base + '/clients/%s/' % client, lua(
            workdir / (name + '-client.lua'), headers={'Cookie': therapist.cookie_header()})),
        'progress update POST': (base + progress, lua(
            workdir / (name + '-progress.lua'), 'POST',
            {'Cookie': therapist.cookie_header(), 'Content-Type': form},
            urllib.parse.urlencode({'csrf_token': token, 'day': '2026-11-20',
                                    'rating': 'improving', 'parent_note': '',
                                    'save': 'save'}))),
        'sign-in POST': (base + '/login', lua(
            workdir / (name + '-login.lua'), 'POST',
            {'Cookie': anonymous.cookie_header(), 'Content-Type': form},
            urllib.parse.urlencode({'csrf_token': login_token, 'email': 'EMAIL',
                                    'password': demo_password, 'sign_in': 'sign_in'}
                                   ).replace('EMAIL', 'parent%05d%%40demo.test'),
            extra=SIGN_IN_ROTATION % max(generated, 1))),
    }


def seeded(where, clients, therapists, progress, extra=()):
    """A seeded clinic in ``where`` (kept for the next run: seeding 50,000
    clients takes minutes); returns its ini file.  ``extra``: more
    ``minorconsent-seed`` options (bench/daily.py's ``--agreements``)."""
    where.mkdir(parents=True, exist_ok=True)
    ini = where / 'bench.ini'
    ini.write_text(INI.format(dir=where, cache=CACHE))
    stamp = where / ('seeded-%d-%d-%d%s' % (clients, therapists, progress,
                                           ''.join(extra).replace('--', '-')))
    if stamp.exists():
        # A clinic kept from an earlier run gets the code's newer schema steps.
        subprocess.run([str(BIN / 'minorconsent-evolve'), str(ini)], check=True,
                       stdout=subprocess.DEVNULL)
        return ini
    for item in ('Data.fs', 'Audit.fs', 'blobs'):
        path = where / item
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    started = time.perf_counter()
    with open(where / 'seed-output.txt', 'w') as output:
        subprocess.run([str(BIN / 'minorconsent-seed'), str(ini), '--quiet', '--clients',
                        str(clients), '--therapists', str(therapists), '--progress',
                        str(progress), *extra], check=True, stdout=output)
    print('seeded %d clients (%d therapists, %d progress updates each) in %.0f s'
          % (clients, therapists, progress, time.perf_counter() - started), flush=True)
    stamp.touch()
    return ini


def copy_site(source, target):
    target.mkdir(parents=True, exist_ok=True)
    for item in ('Data.fs', 'Data.fs.index', 'Audit.fs', 'Audit.fs.index', 'blobs'):
        if (target / item).exists():
            (shutil.rmtree if (target / item).is_dir() else os.unlink)(target / item)
        if (source / item).exists():
            (shutil.copytree if (source / item).is_dir() else shutil.copy2)(
                source / item, target / item)
    ini = target / 'bench.ini'
    ini.write_text(INI.format(dir=target, cache=CACHE))
    return ini


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
                        help='only pages whose name contains one of these words')
    args = parser.parse_args(argv)
    if not shutil.which('wrk'):
        raise SystemExit('wrk is missing: apt-get install -y wrk')
    from minorconsent.scripts.seed import DEMO_PASSWORD
    workdir = Path(tempfile.mkdtemp(prefix='minorconsent-bench-'))
    data = Path(args.data) if args.data else workdir / 'data'

    def therapists(clients):
        return args.therapists if args.therapists is not None else max(1, clients // 250)
    sites = {'app': seeded(data / ('clinic-%d' % args.clients), args.clients,
                           therapists(args.clients), args.progress)}
    if args.baseline_clients:
        sites['small'] = seeded(data / ('clinic-%d' % args.baseline_clients),
                                args.baseline_clients, therapists(args.baseline_clients),
                                args.progress)
    # Every app serves a copy: the kept clinics stay as seeded.
    sites = {name: copy_site(ini.parent, workdir / name) for name, ini in sites.items()}
    if args.no_audit:
        sites['no-audit'] = copy_site(sites['app'].parent, workdir / 'no-audit')
    names = list(sites) + ['bare']
    servers, startup = {}, {}
    try:
        for name in names:
            proc, base, seconds = start(name if name != 'small' else 'app',
                                        sites.get(name, ''), args.threads)
            servers[name] = (proc, base)
            startup[name] = seconds
        targets = {name: pages_for(name, servers[name][1], workdir, DEMO_PASSWORD,
                                   args.baseline_clients if name == 'small' else args.clients)
                   for name in sites}
        if args.pages:
            targets = {name: {page: target for page, target in found.items()
                              if any(word in page for word in args.pages)}
                       for name, found in targets.items()}
        bare = (servers['bare'][1] + '/', lua(workdir / 'bare.lua'))
        watch = MemoryWatch({name: servers[name][0] for name in sites})
        watch.start()
        results = {}
        for number in range(args.rounds):
            # Rotate the order, so no app always runs first (or warmest).
            order = names[number % len(names):] + names[:number % len(names)]
            for page in targets['app']:
                for name in order:
                    url, script = bare if name == 'bare' else targets[name][page]
                    results.setdefault((page, name), []).append(
                        wrk(url, args.seconds, args.connections, script))
        watch.done.set()
        memory = {name: (watch.peak[name], rss_mb(servers[name][0].pid)[1]) for name in sites}
        report(results, targets['app'], args, names, startup, memory)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)


def report(results, pages, args, names, startup, memory):
    print('waitress threads=%d, wrk -t1 -c%d, %d rounds x %d s, server on CPU 0, wrk on '
          'CPU 1; app: %d clients%s' % (
              args.threads, args.connections, args.rounds, args.seconds, args.clients,
              ', small: %d clients' % args.baseline_clients if 'small' in names else ''))
    others = [name for name in names if name not in ('app', 'bare')]
    head = ['page', 'app r/s', 'bare r/s', 'app/bare'] + ['%s r/s' % n for n in others] + \
        ['app/%s' % n for n in others if n == 'no-audit'] + \
        ['p50 ms', 'p95 ms', 'p99 ms'] + \
        (['small p95', 'p95 ratio'] if 'small' in names else []) + ['errors']
    print(' '.join('%-24s' % h if i == 0 else '%10s' % h for i, h in enumerate(head)))

    def median(page, name, key):
        return statistics.median(r[key] for r in results[page, name]) or float('nan')
    for page in pages:
        row = ['%-24s' % page]
        rps = {name: median(page, name, 'rps') for name in names}
        row += ['%10.1f' % rps['app'], '%10.1f' % rps['bare'],
                '%10.3f' % (rps['app'] / rps['bare'])]
        row += ['%10.1f' % rps[n] for n in others]
        row += ['%10.3f' % (rps['app'] / rps[n]) for n in others if n == 'no-audit']
        row += ['%10.1f' % median(page, 'app', key) for key in ('p50', 'p95', 'p99')]
        if 'small' in names:
            row += ['%10.1f' % median(page, 'small', 'p95'),
                    '%10.2f' % (median(page, 'app', 'p95') / median(page, 'small', 'p95'))]
        row.append('%10d' % sum(r['errors'] for r in results[page, 'app']))
        print(' '.join(row))
    print('errors: answers of 400 or more, and socket errors, over all rounds of the app')
    for name in startup:
        print('start-up %-8s %.2f s (process start to the first answer)' % (name, startup[name]))
    for name, (peak, hwm) in memory.items():
        print('memory   %-8s resident peak %.0f MB during the load (VmHWM %.0f MB)'
              % (name, peak, hwm))


if __name__ == '__main__':
    main()
