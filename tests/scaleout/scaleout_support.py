"""Helpers for the scale-out tests (fixtures are in conftest.py): Debian's
PostgreSQL installed and run as a scratch cluster, configuration files
derived from production-postgres.ini, console scripts and app processes
run as subprocesses.  A module of its own name: tests import it directly,
and several folders have a ``conftest.py``.
"""
import configparser
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PRODUCTION_INI = REPO / 'production-postgres.ini'
HERE = Path(__file__).resolve().parent

APP_ROLE = 'minorconsent'
APP_PASSWORD = 'scaleout-test-pw'
SUPER_PASSWORD = 'postgres-test-pw'
CLINIC_DB = 'minorconsent'
AUDIT_DB = 'minorconsent_audit'


# --- PostgreSQL ---------------------------------------------------------------

def _pg_bindir():
    """The newest installed server's bin directory (Debian layout), or None."""
    found = glob.glob('/usr/lib/postgresql/*/bin/initdb')
    if not found:
        return None
    newest = max(found, key=lambda p: int(Path(p).parts[-3]))
    return Path(newest).parent


def _ensure_postgresql():
    bindir = _pg_bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0:
        pytest.fail('PostgreSQL is not installed and this is not root: '
                    'apt-get install -y postgresql (the scale-out tests run a '
                    'real server).', pytrace=False)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    install = ['apt-get', 'install', '-y', '--no-install-recommends', 'postgresql']
    try:
        subprocess.run(install, env=env, check=True)
    except subprocess.CalledProcessError:
        try:
            subprocess.run(['apt-get', 'update'], env=env, check=True)
            subprocess.run(install, env=env, check=True)
        except subprocess.CalledProcessError as exc:
            pytest.fail('Could not install PostgreSQL (%s); the scale-out tests '
                        'need a real server.' % exc, pytrace=False)
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail('apt-get installed postgresql but no initdb was found under '
                    '/usr/lib/postgresql/*/bin.', pytrace=False)
    return bindir


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _as_postgres_user(cmd, **kw):
    """Run ``cmd`` as the ``postgres`` user when we are root (PostgreSQL
    refuses root), else as ourselves (a developer's own account)."""
    if os.geteuid() == 0:
        kw['user'] = 'postgres'
        kw['group'] = pwd.getpwnam('postgres').pw_gid
        kw['extra_groups'] = []
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True,
                          text=True, **kw)


@contextlib.contextmanager
def postgres_cluster():
    """A scratch cluster with the app's role and its two databases."""
    import psycopg2

    bindir = _ensure_postgresql()
    where = Path(tempfile.mkdtemp(prefix='minorconsent-pg-'))
    data = where / 'data'
    port = free_port()
    if os.geteuid() == 0:
        os.chown(where, pwd.getpwnam('postgres').pw_uid, -1)
    pwfile = where / 'pwfile'
    pwfile.write_text(SUPER_PASSWORD + '\n')
    if os.geteuid() == 0:
        os.chown(pwfile, pwd.getpwnam('postgres').pw_uid, -1)
    started = False
    try:
        try:
            _as_postgres_user([bindir / 'initdb', '-D', data, '-U', 'postgres',
                               '-A', 'scram-sha-256', '--pwfile', pwfile,
                               '-E', 'UTF8', '--locale', 'C.UTF-8'], cwd=where)
            # fsync off: a scratch cluster need not survive a power cut.
            _as_postgres_user([bindir / 'pg_ctl', '-D', data, '-w', '-t', '60', '-l',
                               where / 'server.log', '-o',
                               "-k %s -p %d -c listen_addresses=127.0.0.1 "
                               "-c fsync=off -c max_connections=200" % (where, port),
                               'start'], cwd=where)
            started = True
        except subprocess.CalledProcessError as exc:
            log = where / 'server.log'
            pytest.fail('PostgreSQL did not start: %s\n%s\n%s\n%s' % (
                exc, exc.stdout, exc.stderr, log.read_text() if log.exists() else ''),
                pytrace=False)
        admin = psycopg2.connect(host='127.0.0.1', port=port, user='postgres',
                                 password=SUPER_PASSWORD, dbname='postgres')
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("CREATE ROLE %s LOGIN PASSWORD '%s'" % (APP_ROLE, APP_PASSWORD))
            for name in (CLINIC_DB, AUDIT_DB):
                cur.execute('CREATE DATABASE %s OWNER %s' % (name, APP_ROLE))
        admin.close()
        yield SimpleNamespace(host='127.0.0.1', port=port, user=APP_ROLE,
                              password=APP_PASSWORD, where=where,
                              superuser=('postgres', SUPER_PASSWORD))
    finally:
        if started:
            try:
                _as_postgres_user([bindir / 'pg_ctl', '-D', data, '-m', 'fast', '-w',
                                   'stop'], cwd=where)
            except subprocess.CalledProcessError as exc:  # pragma: no cover
                print('pg_ctl stop failed: %s %s' % (exc.stdout, exc.stderr))
        shutil.rmtree(where, ignore_errors=True)


# --- configuration derived from production-postgres.ini ------------------------

def _point_at(uri, pg, **query):
    """``uri`` (a postgres:// URI from the production file) aimed at the
    test server, its query options kept except those in ``query``."""
    parts = urlsplit(uri)
    options = dict(parse_qsl(parts.query))
    options.update(query)
    netloc = '%s:%s@%s:%s' % (pg.user, pg.password, pg.host, pg.port)
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(options), ''))


def _production():
    config = configparser.RawConfigParser(strict=False)
    config.optionxform = str
    config.read(PRODUCTION_INI)
    return config


ZCONFIG = """\
%%import relstorage
<zodb clinic>
  cache-size 50000
  <relstorage>
    name clinic
    keep-history true
    shared-blob-dir false
    blob-dir %(blob_dir)s
    blob-cache-size 512mb
    cache-local-mb 256
    <postgresql>
      dsn dbname='%(clinic_db)s' user='%(user)s' password='%(password)s' host='%(host)s' port='%(port)s'
    </postgresql>
  </relstorage>
</zodb>
<zodb audit>
  <relstorage>
    name audit
    keep-history false
    cache-local-mb 32
    <postgresql>
      dsn dbname='%(audit_db)s' user='%(user)s' password='%(password)s' host='%(host)s' port='%(port)s'
    </postgresql>
  </relstorage>
</zodb>
"""


def write_config(pg, where, name, form='uri'):
    """An ini file for one app process (or a script): production-postgres.ini
    with the test server's address, a blob cache of its own, plain-HTTP
    cookies (the test client talks to waitress directly, without the TLS
    proxy), cheap password hashing, a mail folder, a retry probe, and the
    audit witness's file and key in the test's folder (production's are
    under /srv and /etc)."""
    config = _production()
    app = config['app:main']
    blob_dir = where / (name + '-blobcache')
    if form == 'uri':
        clinic_uri = _point_at(app['zodbconn.uri'], pg, blob_dir=str(blob_dir))
        audit_uri = _point_at(app['zodbconn.uri.audit'], pg)
        # The production URIs' options, kept by _point_at, are what is tested.
        assert 'shared_blob_dir=false' in clinic_uri and 'keep_history=false' in audit_uri
        assert 'name=clinic' in clinic_uri and 'name=audit' in audit_uri
    else:
        conf = where / (name + '-zodb.conf')
        conf.write_text(ZCONFIG % dict(
            blob_dir=blob_dir, clinic_db=CLINIC_DB, audit_db=AUDIT_DB, user=pg.user,
            password=pg.password, host=pg.host, port=pg.port))
        clinic_uri = 'zconfig://%s#clinic' % conf
        audit_uri = 'zconfig://%s#audit' % conf
    # ConfigParser would read '%' as interpolation in what it writes back.
    app['zodbconn.uri'] = clinic_uri.replace('%', '%%')
    app['zodbconn.uri.audit'] = audit_uri.replace('%', '%%')
    app['minorconsent.secure_cookies'] = 'false'
    app['minorconsent.hsts'] = 'false'
    app['minorconsent.password_profile'] = 'cheapest'
    app['minorconsent.audit.flush_seconds'] = '0.2'
    app['minorconsent.mail_debug'] = str(where / 'mail')
    assert app['minorconsent.audit.witness_file'] and app['minorconsent.audit.witness_key']
    witness = where / (name + '-witness')
    witness.mkdir(exist_ok=True)
    app['minorconsent.audit.witness_file'] = str(witness / 'audit-witness.log')
    app['minorconsent.audit.witness_key'] = str(witness / 'audit-witness.key')
    # Logs each pyramid_retry retry, so the test can count them.
    app['pyramid.includes'] = 'scaleout_retry_probe'
    port = free_port()
    config['server:main']['listen'] = '127.0.0.1:%d' % port
    # production-postgres.ini enforces its host: these processes are reached here.
    app['minorconsent.public_url'] = 'http://127.0.0.1:%d' % port
    config['logger_root']['level'] = 'WARN'
    path = where / (name + '.ini')
    with open(path, 'w') as f:
        config.write(f)
    return SimpleNamespace(path=path, port=port, url='http://127.0.0.1:%d' % port,
                           name=name, log=where / (name + '.log'),
                           witness_file=witness / 'audit-witness.log',
                           witness_key=witness / 'audit-witness.key')


def witnessed_verify(config):
    """``minorconsent-audit verify`` as production runs it: the witness key
    made once, the head witnessed (``--start`` for the first witness of a
    chain with entries), then verified against every witness; its output."""
    if not config.witness_key.exists():
        run_script('minorconsent-audit', 'witness-key', config.path)
    first = () if config.witness_file.exists() else ('--start',)
    line = run_script('minorconsent-audit', 'witness', *first, config.path)
    assert line.startswith('v1 '), line
    return run_script('minorconsent-audit', 'verify', config.path)


def script_env():
    """Subprocess environment: the retry probe importable, output unbuffered."""
    path = [str(HERE)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(path), PYTHONUNBUFFERED='1')


def run_script(name, *args, timeout=120):
    result = subprocess.run([str(BIN / name), *[str(a) for a in args]],
                            capture_output=True, text=True, env=script_env(),
                            timeout=timeout, cwd=REPO)
    assert result.returncode == 0, '%s %s failed (%s):\n%s\n%s' % (
        name, ' '.join(map(str, args)), result.returncode, result.stdout, result.stderr)
    return result.stdout


def wait_ready(process, config, timeout=60):
    """Poll the sign-in page until the server answers (or fail with its log)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail('%s exited with %s:\n%s' % (config.name, process.returncode,
                                                     config.log.read_text()), pytrace=False)
        try:
            with urllib.request.urlopen(config.url + '/login', timeout=5) as res:
                if res.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail('%s did not answer within %s s:\n%s' % (
                config.name, timeout, config.log.read_text()), pytrace=False)
        time.sleep(0.1)


def open_database(config, key='zodbconn.uri', replace=()):
    """A ``ZODB.DB`` on the database ``key`` of ``config`` (an ini written by
    ``write_config``), opened from the test process.  ``replace``: (old,
    new) pairs applied to the URI (another database name, another blob
    cache: a process's blob cache belongs to that process)."""
    import zodburi
    from ZODB import DB
    parser = configparser.RawConfigParser()
    parser.read(config.path)
    uri = parser['app:main'][key].replace('%%', '%')
    for old, new in replace:
        uri = uri.replace(old, new)
    factory, dbkw = zodburi.resolve_uri(uri)
    return DB(factory(), **dbkw)
