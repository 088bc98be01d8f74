#!/usr/bin/env python3
"""One entry point for developers; needs only Python 3.11 on Debian.

    python3 dev.py serve [--port N]
                           set up .venv, create var/ with demo data on the
                           first run, serve on development.ini's port
                           (http_port, 6543) or on N: the server, the
                           links in mail and the seed's links all use it
    python3 dev.py test    set up .venv (with test extras) and Chromium,
                           then run the whole test suite, browser tests too
    python3 dev.py catalogs   extract the translatable strings, merge them
                           into each language's .po, compile the .mo files

Extra arguments after ``test`` go to pytest.
"""
import argparse
import configparser
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / '.venv'
BIN = VENV / 'bin'
CHROMIUM = '/usr/bin/chromium'
INI = HERE / 'development.ini'

#: Pyramid 2 imports pkg_resources, and setuptools warns about that on
#: every start of every script.  This filter hides that one warning (by
#: its message) and nothing else.
PKG_RESOURCES_WARNING = 'ignore:pkg_resources is deprecated as an API:UserWarning'


def run(*cmd, **kw):
    print('+', ' '.join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def ensure_venv(extras):
    """Create .venv and install the project when its metadata changed."""
    if not (BIN / 'python').exists():
        run(sys.executable, '-m', 'venv', VENV)
    stamp = VENV / ('.installed-' + extras)
    digest = hashlib.sha256((HERE / 'setup.cfg').read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    # Pyramid 2 imports pkg_resources, which setuptools 81 and later drop.
    run(BIN / 'python', '-m', 'pip', 'install', '--quiet', '--upgrade', 'pip', 'setuptools<81', 'wheel')
    run(BIN / 'python', '-m', 'pip', 'install', '--quiet', '-e', '.[%s]' % extras, cwd=HERE)
    stamp.write_text(digest)


def ensure_chromium():
    """Debian's chromium for browser tests; installed when missing (root)."""
    if Path(CHROMIUM).exists():
        return
    if os.geteuid() != 0:
        sys.exit('Browser tests need Debian\'s chromium: sudo apt-get install -y chromium')
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    try:
        run('apt-get', 'install', '-y', '--no-install-recommends', 'chromium', env=env)
    except subprocess.CalledProcessError:
        run('apt-get', 'update', env=env)
        run('apt-get', 'install', '-y', '--no-install-recommends', 'chromium', env=env)


def without_pkg_resources_warning(environ):
    """``environ`` for a program of the virtualenv: the one warning filter
    added to whatever ``PYTHONWARNINGS`` says already."""
    warnings = ','.join(w for w in (environ.get('PYTHONWARNINGS'), PKG_RESOURCES_WARNING) if w)
    return dict(environ, PYTHONWARNINGS=warnings)


def read_ini(ini):
    """``ini`` as written (no ``%(...)s`` expanded)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str        # keys as written
    parser.read(ini)
    return parser


def ini_port(ini):
    """The port ``ini`` serves on: its ``http_port`` variable, which both
    ``[server:main] listen`` and ``minorconsent.public_url`` use (an older
    copy without the variable: the port of ``listen``)."""
    parser = read_ini(ini)
    if parser.has_option('DEFAULT', 'http_port'):
        return int(parser['DEFAULT']['http_port'])
    return int(parser['server:main']['listen'].rsplit(':', 1)[1])


class ServePlan:
    """What ``dev.py serve`` runs, against which config file, on which port.

    Without a port, development.ini as it is: its ``http_port``.  With
    another port, a copy of it in ``var/`` whose ``[DEFAULT]`` says
    ``http_port = N`` (and ``here``, so its paths still lead to this
    checkout's ``var/``): every program then reads that one file, so the
    address the server listens on, ``minorconsent.public_url`` (every link
    in mail is built from it, never from the request) and the links the
    seed prints agree.  (PasteDeploy lets a file's own ``[DEFAULT]`` win
    over ``pserve development.ini http_port=N``, so that cannot do it.)
    """

    def __init__(self, port=None, ini=None, var=None, environ=None):
        self.source = Path(INI if ini is None else ini)
        self.var = self.source.parent / 'var' if var is None else Path(var)
        own = ini_port(self.source)
        self.port = own if port is None else int(port)
        self.ini = self.source if self.port == own else self.var / 'serve.ini'
        self.env = without_pkg_resources_warning(os.environ if environ is None else environ)

    def config(self):
        """The settings every program will read, ``%(...)s`` expanded."""
        expanded = configparser.ConfigParser(defaults={
            'here': str(self.source.parent), '__file__': str(self.ini)})
        expanded.optionxform = str
        expanded.read(self.source)
        expanded['DEFAULT']['http_port'] = str(self.port)
        return expanded

    @property
    def listen(self):
        return self.config()['server:main']['listen']

    @property
    def public_url(self):
        return self.config()['app:main'].get('minorconsent.public_url', '')

    def write(self):
        """Write the copy with the other port (nothing when the port is
        development.ini's own); the file the programs are to read."""
        if self.ini != self.source:
            parser = read_ini(self.source)
            parser['DEFAULT']['http_port'] = str(self.port)
            parser['DEFAULT']['here'] = str(self.source.parent)
            self.var.mkdir(exist_ok=True)
            with open(self.ini, 'w') as out:
                out.write('# Written by dev.py serve --port %d from %s: edit that one.\n'
                          % (self.port, self.source.name))
                parser.write(out)
        return self.ini

    def script(self, name, *args):
        """The command line of a console script run against the config."""
        return [str(BIN / name), *[str(a) for a in args], str(self.ini)]

    def pserve(self):
        return [str(BIN / 'pserve'), str(self.ini)]


def port_number(text):
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError('a port is a number from 1 to 65535')
    return int(text)


def parse_serve_args(argv):
    parser = argparse.ArgumentParser(prog='dev.py serve')
    parser.add_argument('--port', type=port_number, metavar='N',
                        help="serve on N (default: development.ini's http_port); "
                             'the links in mail and the seed use it too')
    return parser.parse_args(argv)


def serve(argv=()):
    plan = ServePlan(parse_serve_args(argv).port)
    ensure_venv('testing')
    var = plan.var
    first_run = not (var / 'Data.fs').exists()
    var.mkdir(exist_ok=True)
    plan.write()
    if first_run:
        run(*plan.script('minorconsent-seed'), env=plan.env)
    else:
        run(*plan.script('minorconsent-evolve'), env=plan.env)
        print('Demo sign-ins: admin@, therapist@, therapist2@, supervisor@, '
              'guardian@, guardian2@, teen@ (all @demo.test), password '
              'demo-password-1 (unless you seeded another)')
    witness(var, first_run, plan.ini, plan.env)
    print('Serving on http://%s (links in mail: %s)' % (plan.listen, plan.public_url),
          flush=True)
    os.execve(plan.pserve()[0], plan.pserve(), plan.env)


def witness(var, first_run, ini=INI, env=None):
    """Witness the development audit chain (development.ini: the file
    var/audit-witness.log, the key var/audit-witness.key), so that
    ``minorconsent-audit verify development.ini`` checks it as production's
    cron does.  A newly seeded database begins a new witness file (an old
    one, which names another chain's entries, is kept aside); a failed
    witness is reported, and the server starts anyway."""
    log, key = var / 'audit-witness.log', var / 'audit-witness.key'
    if first_run and log.exists():
        aside = var / ('audit-witness-before-%s.log' % time.strftime('%Y%m%dT%H%M%S'))
        log.rename(aside)
        print('The witness file of the earlier database is kept as', aside)
    if not key.exists():
        run(BIN / 'minorconsent-audit', 'witness-key', ini, env=env)
    start = () if log.exists() else ('--start',)
    cmd = [BIN / 'minorconsent-audit', 'witness', *start, ini]
    print('+', ' '.join(str(c) for c in cmd), flush=True)
    if subprocess.run([str(c) for c in cmd], env=env).returncode:
        print('The audit chain was not witnessed: minorconsent-audit verify development.ini '
              'says why.', flush=True)


def test(args):
    ensure_venv('testing')
    ensure_chromium()
    env = dict(without_pkg_resources_warning(os.environ), MINORCONSENT_CHROMIUM=CHROMIUM)
    if not any(arg == '-n' or arg.startswith(('-n', '--numprocesses')) for arg in args):
        # One worker per CPU; the browser tests stay together on one worker.
        args = ['-n', 'auto', '--dist', 'loadgroup', *args]
    result = subprocess.run([str(BIN / 'python'), '-m', 'pytest', *args], cwd=HERE, env=env)
    sys.exit(result.returncode)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ('serve', 'test', 'catalogs'):
        sys.exit(__doc__)
    if sys.argv[1] == 'serve':
        serve(sys.argv[2:])
    elif sys.argv[1] == 'catalogs':
        ensure_venv('testing')
        run(BIN / 'python', '-m', 'minorconsent.scripts.catalogs', cwd=HERE)
    else:
        test(sys.argv[2:])


if __name__ == '__main__':
    main()
