"""bench/pages.py's servers: the seeded clinics, their copies, and the
processes serving them (the app, the bare "Hello" and the signed-in
reference of bench/reference_app.py), with what is read of each from /proc
(CPU time, resident memory).  bench/daily.py and bench/fhir_search.py seed
and copy their clinics with ``seeded`` and ``copy_site`` from here."""
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchkit import cpu_seconds, free_port, pinned  # noqa: F401 (pages.py, pages_targets.py)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
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

#: The server process: ``kind`` is ``hello`` (a bare Pyramid app answering
#: "Hello" from one view: the ceiling), ``reference`` (bench/reference_app.py
#: over the directory given as ``ini``), ``no-audit`` (the app with the
#: audit view deriver replaced by a pass-through, only here: the product has
#: no such switch) or anything else (the app from its ini file).
SERVE = textwrap.dedent('''
    import logging, sys, waitress
    # "Task queue depth is N" is waitress saying the load is on, at every request.
    logging.getLogger('waitress.queue').setLevel(logging.ERROR)
    kind, ini, port, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if kind == 'hello':
        from pyramid.config import Configurator
        from pyramid.response import Response
        with Configurator() as config:
            config.add_route('hello', '/')
            config.add_view(lambda request: Response('Hello'), route_name='hello')
            app = config.make_wsgi_app()
    elif kind == 'reference':
        sys.path.insert(0, %r)
        from reference_app import make_app
        app = make_app(ini)
    else:
        if kind == 'no-audit':
            from minorconsent.audit import access
            access.audited_view = lambda view, info: view
        from pyramid.paster import get_app
        app = get_app(ini)
    # As the ini files serve (egg:minorconsent#waitress): the main-loop
    # spin fix (docs/WAITRESS-SPIN.md), for every app and reference alike.
    from minorconsent.site import waitress_spin; waitress_spin.apply()
    waitress.serve(app, host='127.0.0.1', port=port, threads=threads, _quiet=True)
''' % str(HERE))






def start(kind, ini, threads):
    """Start a server on CPU 0; return ``(process, base url, seconds from
    process start to its first answer)``.  ``taskset`` execs Python, so
    the process id is the server's own (for /proc)."""
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


def stamp_name(clients, therapists, progress, extra=()):
    return 'seeded-%d-%d-%d%s' % (clients, therapists, progress,
                                  ''.join(extra).replace('--', '-'))


def kept_clinic(data, clients, therapists, progress):
    """Where ``--data DIR`` keeps the clinic of this size: ``DIR`` itself
    when it is one (``/tmp/benchdata``, seeded by an earlier bench with
    these figures), else ``DIR/clinic-N``."""
    if (data / stamp_name(clients, therapists, progress)).exists():
        return data
    return data / ('clinic-%d' % clients)


def evolve(ini):
    """Run the code's pending schema steps on a clinic (``minorconsent-
    evolve``): a clinic kept from an earlier run may lack the indexes newer
    code reads, as an upgraded clinic would until it is evolved."""
    done = subprocess.run([str(BIN / 'minorconsent-evolve'), str(ini)],
                          capture_output=True, text=True)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit('minorconsent-evolve %s failed (%d)' % (ini, done.returncode))
    lines = done.stdout.strip().splitlines()
    print('evolve %s: %s' % (ini.parent, lines[-1] if lines else 'nothing to do'), flush=True)


def seeded(where, clients, therapists, progress, extra=()):
    """A seeded clinic in ``where`` (kept for the next run: seeding 50,000
    clients takes minutes); returns its ini file.  ``extra``: more
    ``minorconsent-seed`` options (bench/daily.py's ``--agreements``).  A
    kept clinic is evolved in place first (``evolve``)."""
    where.mkdir(parents=True, exist_ok=True)
    ini = where / 'bench.ini'
    ini.write_text(INI.format(dir=where, cache=CACHE))
    stamp = where / stamp_name(clients, therapists, progress, extra)
    if stamp.exists():
        evolve(ini)
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
