#!/usr/bin/env python3
"""One entry point for developers; needs only Python 3.11 on Debian.

    python3 dev.py serve   set up .venv, create var/ with demo data on the
                           first run, serve http://127.0.0.1:6543
    python3 dev.py test    set up .venv (with test extras) and Chromium,
                           then run the whole test suite, browser tests too
    python3 dev.py catalogs   extract the translatable strings, merge them
                           into each language's .po, compile the .mo files

Extra arguments after ``test`` go to pytest.
"""
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


def serve():
    ensure_venv('testing')
    var = HERE / 'var'
    first_run = not (var / 'Data.fs').exists()
    if first_run:
        var.mkdir(exist_ok=True)
        run(BIN / 'minorconsent-seed', HERE / 'development.ini')
    else:
        run(BIN / 'minorconsent-evolve', HERE / 'development.ini')
        print('Demo sign-ins: admin@, therapist@, therapist2@, supervisor@, '
              'guardian@, guardian2@, teen@ (all @demo.test), password '
              'demo-password-1 (unless you seeded another)')
    witness(var, first_run)
    print('Serving on http://127.0.0.1:6543', flush=True)
    os.execv(str(BIN / 'pserve'), [str(BIN / 'pserve'), str(HERE / 'development.ini')])


def witness(var, first_run):
    """Witness the development audit chain (development.ini: the file
    var/audit-witness.log, the key var/audit-witness.key), so that
    ``minorconsent-audit verify development.ini`` checks it as production's
    cron does.  A newly seeded database begins a new witness file (an old
    one, which names another chain's entries, is kept aside); a failed
    witness is reported, and the server starts anyway."""
    ini = HERE / 'development.ini'
    log, key = var / 'audit-witness.log', var / 'audit-witness.key'
    if first_run and log.exists():
        aside = var / ('audit-witness-before-%s.log' % time.strftime('%Y%m%dT%H%M%S'))
        log.rename(aside)
        print('The witness file of the earlier database is kept as', aside)
    if not key.exists():
        run(BIN / 'minorconsent-audit', 'witness-key', ini)
    start = () if log.exists() else ('--start',)
    cmd = [BIN / 'minorconsent-audit', 'witness', *start, ini]
    print('+', ' '.join(str(c) for c in cmd), flush=True)
    if subprocess.run([str(c) for c in cmd]).returncode:
        print('The audit chain was not witnessed: minorconsent-audit verify development.ini '
              'says why.', flush=True)


def test(args):
    ensure_venv('testing')
    ensure_chromium()
    env = dict(os.environ, MINORCONSENT_CHROMIUM=CHROMIUM)
    if not any(arg == '-n' or arg.startswith(('-n', '--numprocesses')) for arg in args):
        # One worker per CPU; the browser tests stay together on one worker.
        args = ['-n', 'auto', '--dist', 'loadgroup', *args]
    result = subprocess.run([str(BIN / 'python'), '-m', 'pytest', *args], cwd=HERE, env=env)
    sys.exit(result.returncode)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ('serve', 'test', 'catalogs'):
        sys.exit(__doc__)
    if sys.argv[1] == 'serve':
        serve()
    elif sys.argv[1] == 'catalogs':
        ensure_venv('testing')
        run(BIN / 'python', '-m', 'minorconsent.scripts.catalogs', cwd=HERE)
    else:
        test(sys.argv[2:])


if __name__ == '__main__':
    main()
