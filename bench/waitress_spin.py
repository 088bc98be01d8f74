"""The capacity the waitress spin fix gives: a bare Pyramid hello and
minorconsent's anonymous sign-in page, each served by plain waitress 3.0.2
and by waitress with minorconsent.site.waitress_spin, in alternating rounds
of one run (issue 20, item 3; docs/WAITRESS-SPIN.md).

    .venv/bin/python bench/waitress_spin.py [--rounds 6] [--seconds 10]
        [--threads 4] [--connections 8] [--pages hello login]

Every server runs at once, each in its own process pinned to CPU 0 (taskset),
and they are measured one after the other (never together) by wrk pinned to
CPU 1; the order alternates from round to round.  Each run reports requests
per second and the server's CPU per request (user + system time of the whole
process, all its threads, from /proc/PID/stat, before and after the wrk run).
The summary gives medians and the ratios fixed / plain: compare ratios,
never absolute figures from a shared machine.

``login`` is GET /login of the demo clinic, seeded once into a temporary
directory (minorconsent-seed, about 10 s) from development.ini with template
reloading and the in-server daily tasks off; each server has its own copy.
The servers are this file run with ``--serve MODE PORT THREADS [INI]``: the
same app, the same ``waitress.serve`` call, the only difference being
``waitress_spin.apply()`` first.
"""
import argparse
import configparser
import importlib.metadata
import logging
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# Pyramid 2 imports pkg_resources; setuptools warns on every start (dev.py hides it too).
warnings.filterwarnings('ignore', message='pkg_resources is deprecated as an API')
import waitress  # noqa: E402
from pyramid.config import Configurator  # noqa: E402
from pyramid.paster import get_app  # noqa: E402
from pyramid.response import Response  # noqa: E402

from benchkit import cpu_seconds, free_port, machine, pinned, settle  # noqa: E402
from minorconsent.site import waitress_spin  # noqa: E402

MODES = ('plain', 'fixed')
PAGES = {'hello': '/', 'login': '/login'}
REPO = HERE.parent
BIN = Path(sys.executable).parent


def serve(mode, port, threads, ini=None):
    """The bare hello (one route, one view, a 5-byte body), or the app of
    ``ini``, under waitress."""
    # "Task queue depth is N" is waitress saying the load is on, at every request.
    logging.getLogger('waitress.queue').setLevel(logging.ERROR)
    if mode == 'fixed' and not waitress_spin.apply():
        raise SystemExit('the fix was not applied (see the warning above)')
    if ini:
        app = get_app(ini)
    else:
        with Configurator() as config:
            config.add_route('hello', '/')
            config.add_view(lambda request: Response('Hello'), route_name='hello')
            app = config.make_wsgi_app()
    waitress.serve(app, host='127.0.0.1', port=port, threads=threads, _quiet=True)


def seeded_demo(workdir):
    """development.ini's demo clinic in ``workdir/seed``, seeded once."""
    seed = workdir / 'seed'
    seed.mkdir()
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(REPO / 'development.ini')
    parser['app:main']['pyramid.reload_templates'] = 'false'
    parser['app:main']['minorconsent.daily_interval_minutes'] = '0'
    with open(seed / 'app.ini', 'w') as f:
        parser.write(f)
    done = subprocess.run([str(BIN / 'minorconsent-seed'), str(seed / 'app.ini')],
                          capture_output=True, text=True, cwd=str(seed))
    if done.returncode:
        raise SystemExit('minorconsent-seed failed:\n' + done.stdout + done.stderr)
    return seed


def copy_of(seed, dest):
    shutil.copytree(seed, dest, ignore=shutil.ignore_patterns('*.lock', '*.tmp'))
    return dest / 'app.ini'






def start(mode, threads, page, ini=None):
    port = free_port()
    proc = subprocess.Popen(pinned(0) + [sys.executable, '-W', 'ignore', __file__,
                                         '--serve', mode, str(port), str(threads)]
                            + ([str(ini)] if ini else []))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return proc, 'http://127.0.0.1:%d%s' % (port, PAGES[page])
        except OSError:
            if proc.poll() is not None:
                raise SystemExit('the %s %s server did not start' % (page, mode))
            time.sleep(0.1)
    proc.kill()
    raise SystemExit('the %s %s server did not answer in 30 s' % (page, mode))






def wrk(url, seconds, connections):
    out = subprocess.run(pinned(1) + ['wrk', '-t1', '-c%d' % connections, '-d%ds' % seconds,
                                      '--latency', url],
                         capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r'(\d+) requests in', out).group(1))
    errors = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    p99 = re.search(r'99%\s+([\d.]+)(us|ms|s)\b', out)
    scale = {'us': 1e-3, 'ms': 1.0, 's': 1e3}
    return {'requests': requests, 'rps': float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1)),
            'errors': int(errors.group(1)) if errors else 0,
            'p99_ms': float(p99.group(1)) * scale[p99.group(2)] if p99 else float('nan')}


def measure(url, pid, seconds, connections):
    before = cpu_seconds(pid)
    result = wrk(url, seconds, connections)
    result['cpu_us'] = (cpu_seconds(pid) - before) / max(result['requests'], 1) * 1e6
    settle(pid)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=6)
    parser.add_argument('--seconds', type=int, default=10)
    parser.add_argument('--threads', type=int, default=4, help='waitress threads (4)')
    parser.add_argument('--connections', type=int, default=8, help='wrk connections (8)')
    parser.add_argument('--pages', nargs='+', choices=sorted(PAGES), default=list(PAGES))
    parser.add_argument('--serve', nargs='+', metavar='ARG', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        mode, port, threads, *ini = args.serve
        return serve(mode, int(port), int(threads), *ini)
    if not shutil.which('wrk'):
        raise SystemExit('wrk is missing: apt-get install -y wrk')
    print(machine())
    print('waitress %s, threads=%d, on CPU 0; wrk -t1 -c%d on CPU 1; %d rounds x %d s, '
          'alternating' % (waitress_version(), args.threads, args.connections, args.rounds,
                           args.seconds))
    runs = [(page, mode) for page in args.pages for mode in MODES]
    workdir = Path(tempfile.mkdtemp(prefix='minorconsent-spin-'))
    servers = {}
    try:
        seed = seeded_demo(workdir) if 'login' in args.pages else None
        for page, mode in runs:
            ini = copy_of(seed, workdir / mode) if page == 'login' else None
            servers[page, mode] = start(mode, args.threads, page, ini)
        for proc, url in servers.values():      # warm up, not measured
            wrk(url, 1, args.connections)
            settle(proc.pid)
        results = {run: [] for run in runs}
        print('%-6s %-6s %-6s %10s %12s %9s %7s' % (
            'round', 'page', 'server', 'req/s', 'CPU us/req', 'p99 ms', 'errors'))
        for number in range(args.rounds):
            for page in args.pages:
                for mode in (MODES if number % 2 == 0 else MODES[::-1]):
                    proc, url = servers[page, mode]
                    r = measure(url, proc.pid, args.seconds, args.connections)
                    results[page, mode].append(r)
                    print('%-6d %-6s %-6s %10.0f %12.0f %9.2f %7d' % (
                        number + 1, page, mode, r['rps'], r['cpu_us'], r['p99_ms'],
                        r['errors']), flush=True)
    finally:
        for proc, _ in servers.values():
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    summary(args.pages, results)
    if any(r['errors'] for each in results.values() for r in each):
        raise SystemExit('some responses were not 2xx/3xx')


def summary(pages, results):
    print('\nmedians  page   server     req/s   CPU us/req   p99 ms')
    for page in pages:
        med = {mode: {key: statistics.median(r[key] for r in results[page, mode])
                      for key in ('rps', 'cpu_us', 'p99_ms')} for mode in MODES}
        for mode in MODES:
            print('         %-6s %-6s %9.0f %12.0f %8.2f' % (
                page, mode, med[mode]['rps'], med[mode]['cpu_us'], med[mode]['p99_ms']))
        ratios = [f['rps'] / p['rps'] for p, f in zip(results[page, 'plain'],
                                                       results[page, 'fixed'])]
        cpu = [f['cpu_us'] / p['cpu_us'] for p, f in zip(results[page, 'plain'],
                                                          results[page, 'fixed'])]
        print('%s fixed / plain: req/s x%.2f (per round %.2f-%.2f); CPU per request x%.2f '
              '(per round %.2f-%.2f)' % (
                  page, med['fixed']['rps'] / med['plain']['rps'], min(ratios), max(ratios),
                  med['fixed']['cpu_us'] / med['plain']['cpu_us'], min(cpu), max(cpu)))


def waitress_version():
    return importlib.metadata.version('waitress')


if __name__ == '__main__':
    main()
