"""Benchmark: page speed against a bare Pyramid app, with the audit trail on
and off, in one run.

    .venv/bin/python bench/pages.py [--clients N] [--rounds R] [--seconds S]
                                    [--threads T] [--connections C]

Needs ``wrk`` (``apt-get install -y wrk``).  In a temporary directory it
seeds a clinic with ``minorconsent-seed --clients N`` (the named demo
families plus N generated ones), copies it, and serves three apps with
waitress (T threads each), pinned to CPU 0:

* ``app``: minorconsent as shipped;
* ``no-audit``: the same code and data with the audit view deriver replaced
  by a pass-through (only here; the product has no such switch);
* ``bare``: a bare Pyramid app answering "Hello" from one view.

wrk (pinned to CPU 1 when there are two or more) drives each page for S
seconds per round over C connections, alternating the apps' order from
round to round.  For each page it reports median requests/s of every app,
the ratios app/bare and app/no-audit, and app latency p50/p95/p99.  Pages:
the guardian's child page, the therapist's client list and a client page
(signed in), a progress-update POST and sign-in.  Figures go to stdout;
bench/RESULTS.md records them with the command that produced them.
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
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

INI = """\
[app:main]
use = egg:minorconsent
zodbconn.uri = file://{dir}/Data.fs?blobstorage_dir={dir}/blobs&connection_cache_size=50000
zodbconn.uri.audit = file://{dir}/Audit.fs
minorconsent.mail_debug = {dir}/mail
minorconsent.password_profile = default
"""

SERVE = textwrap.dedent('''
    import sys, waitress
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
    port = free_port()
    proc = subprocess.Popen(pinned(0) + [sys.executable, '-c', SERVE, kind, str(ini),
                                         str(port), str(threads)])
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen('http://127.0.0.1:%d/' % port, timeout=1).read()
            return proc, 'http://127.0.0.1:%d' % port
        except urllib.error.HTTPError:
            return proc, 'http://127.0.0.1:%d' % port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit('%s did not start' % kind)


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
    therapist.sign_in('therapist@demo.test', demo_password)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--clients', type=int, default=100)
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
    sites = {}
    for name in ('app', 'no-audit'):
        (workdir / name).mkdir()
        sites[name] = workdir / name / 'bench.ini'
        sites[name].write_text(INI.format(dir=workdir / name))
    started = time.perf_counter()
    subprocess.run([str(BIN / 'minorconsent-seed'), str(sites['app']), '--quiet',
                    '--clients', str(args.clients)], check=True)
    print('seeded %d generated clients in %.0f s' % (args.clients,
                                                     time.perf_counter() - started))
    for item in ('Data.fs', 'Audit.fs', 'blobs'):
        source = workdir / 'app' / item
        target = workdir / 'no-audit' / item
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
    servers = {}
    try:
        for name in ('app', 'no-audit', 'bare'):
            servers[name] = start(name, sites.get(name, ''), args.threads)
        targets = {name: pages_for(name, servers[name][1], workdir, DEMO_PASSWORD,
                                   args.clients)
                   for name in ('app', 'no-audit')}
        if args.pages:
            targets = {name: {page: target for page, target in found.items()
                              if any(word in page for word in args.pages)}
                       for name, found in targets.items()}
        bare = (servers['bare'][1] + '/', lua(workdir / 'bare.lua'))
        results = {}
        for number in range(args.rounds):
            order = ['app', 'no-audit', 'bare']
            order = order[number % 3:] + order[:number % 3]
            for page in targets['app']:
                for name in order:
                    url, script = bare if name == 'bare' else targets[name][page]
                    results.setdefault((page, name), []).append(
                        wrk(url, args.seconds, args.connections, script))
        report(results, targets['app'], args)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(30)
        shutil.rmtree(workdir, ignore_errors=True)


def report(results, pages, args):
    print('waitress threads=%d, wrk -t1 -c%d, %d rounds x %d s, server on CPU 0, wrk on '
          'CPU 1' % (args.threads, args.connections, args.rounds, args.seconds))
    print('%-24s %9s %9s %9s %9s %9s %8s %8s %8s %6s' % (
        'page', 'app r/s', 'no-audit', 'bare r/s', 'app/bare', 'app/noaud',
        'p50 ms', 'p95 ms', 'p99 ms', 'errors'))
    for page in pages:
        app = results[page, 'app']
        rps = {name: statistics.median(r['rps'] for r in results[page, name]) or float('nan')
               for name in ('app', 'no-audit', 'bare')}
        print('%-24s %9.1f %9.1f %9.1f %9.3f %9.3f %8.1f %8.1f %8.1f %6d' % (
            page, rps['app'], rps['no-audit'], rps['bare'], rps['app'] / rps['bare'],
            rps['app'] / rps['no-audit'], statistics.median(r['p50'] for r in app),
            statistics.median(r['p95'] for r in app), statistics.median(r['p99'] for r in app),
            sum(r['errors'] for r in app)))
    print('errors: answers of 400 or more, and socket errors, over all rounds of the app')


if __name__ == '__main__':
    main()
