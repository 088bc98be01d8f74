"""The two storages bench/writes.py compares, and reading them directly.

FileStorage is the seeded clinic copied (``pages.copy_site``).  RelStorage
is a scratch PostgreSQL cluster made as /work/shared/RECIPES.md does
(initdb as the ``postgres`` user in a scratch directory, ``pg_ctl start``
on a free loopback port, ``createdb``) and filled from the same seeded
files with ``zodbconvert``, in the README's "Moving an existing
FileStorage" form: the clinic history-preserving with its blobs, the audit
database history-free, named ``clinic`` and ``audit`` as in
production-postgres.ini.  Both clinics are thus the same objects, byte for
byte, so the two servers differ only in their storage.

PostgreSQL keeps its defaults (``fsync`` and ``synchronous_commit`` on):
an acknowledged write must survive a crash on either storage, so neither
side of the comparison may skip the flush to disk.
"""
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from glob import glob
from pathlib import Path
from types import SimpleNamespace

import transaction
import zodburi
from ZODB import DB

from minorconsent.site.model import ROOT_KEY
from minorconsent.summaries.model import progress_log

#: As bench/pages.py's INI, plus the retry probe (bench/writes_probe.py)
#: and the daily job off (it is off by default; said here so the run
#: measures progress updates and nothing else).
INI = """\
[app:main]
use = egg:minorconsent
zodbconn.uri = {clinic}
zodbconn.uri.audit = {audit}
minorconsent.mail_debug = {dir}/mail
minorconsent.password_profile = default
minorconsent.rate_limits = off
minorconsent.daily_interval_minutes = 0
pyramid.includes = writes_probe
"""

#: The connection cache of bench/pages.py (production.ini's bounds).
CACHE = 'connection_cache_size=20000&connection_cache_size_bytes=40mb'

#: The README's zodbconvert file (one per database).
CONVERT = """\
%import relstorage
<filestorage source>
  path {path}
  read-only true
{source_blobs}</filestorage>
<relstorage destination>
  keep-history {keep_history}
{dest_blobs}  <postgresql>
    dsn {dsn}
  </postgresql>
</relstorage>
"""


def file_ini(site):
    """An ini serving the FileStorage clinic copied into ``site``."""
    ini = site / 'writes.ini'
    ini.write_text(INI.format(
        dir=site, clinic='file://%s/Data.fs?blobstorage_dir=%s/blobs&%s' % (site, site, CACHE),
        audit='file://%s/Audit.fs' % site))
    return ini


def pg_uris(pg, site):
    """The clinic's and the audit database's URIs, as production-postgres.ini
    has them (its cache sizes but pages.py's connection cache, so the two
    storages' servers keep the same objects in memory)."""
    base = 'postgres://postgres:bench@127.0.0.1:%d/' % pg.port
    clinic = (base + 'zodb?name=clinic&keep_history=true&shared_blob_dir=false'
              '&blob_dir=%s/blobcache&blob_cache_size=512mb&cache_local_mb=256&%s'
              % (site, CACHE))
    audit = base + 'zodb_audit?name=audit&keep_history=false&cache_local_mb=32'
    return clinic, audit


def pg_ini(pg, site):
    site.mkdir(parents=True, exist_ok=True)
    clinic, audit = pg_uris(pg, site)
    ini = site / 'writes.ini'
    ini.write_text(INI.format(dir=site, clinic=clinic, audit=audit))
    return ini


def _bindir():
    found = glob('/usr/lib/postgresql/*/bin/initdb')
    if not found:
        raise SystemExit('PostgreSQL is missing: apt-get install -y postgresql')
    return Path(max(found, key=lambda p: int(Path(p).parts[-3]))).parent


def _as_postgres(cmd, **kw):
    """PostgreSQL refuses to run as root: as root, run as ``postgres``."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam('postgres')
        kw.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True,
                          text=True, **kw)


@contextmanager
def postgres(port, pin=(), settings=()):
    """A scratch cluster on ``port`` with the databases ``zodb`` and
    ``zodb_audit``; the server started under ``pin`` (taskset: its
    processes share the app server's CPU, the load has the other), with
    ``settings`` (``name=value``, for a diagnosis: e.g.
    ``synchronous_commit=off`` shows what the flush to disk costs).
    Yields its port, postmaster pid, directory and the settings in force."""
    bindir = _bindir()
    where = Path(tempfile.mkdtemp(prefix='minorconsent-writes-pg-'))
    if os.geteuid() == 0:
        os.chown(where, pwd.getpwnam('postgres').pw_uid, -1)
    data = where / 'data'
    _as_postgres([bindir / 'initdb', '-D', data, '-A', 'trust', '-U', 'postgres',
                  '-E', 'UTF8', '--locale', 'C.UTF-8'], cwd=where)
    started = False
    try:
        _as_postgres(list(pin) + [bindir / 'pg_ctl', '-D', data, '-w', '-l', where / 'log', '-o',
                                  "-k %s -p %d -c listen_addresses=127.0.0.1 "
                                  "-c max_connections=100 %s" % (
                                      where, port, ' '.join('-c ' + kv for kv in settings)),
                                  'start'], cwd=where)
        started = True
        for name in ('zodb', 'zodb_audit'):
            _as_postgres([bindir / 'createdb', '-h', '127.0.0.1', '-p', port, '-U',
                          'postgres', name], cwd=where)
        pid = int((data / 'postmaster.pid').read_text().split()[0])
        settings = _as_postgres([bindir / 'psql', '-h', '127.0.0.1', '-p', port,
                                 '-U', 'postgres', '-Atc',
                                 "select string_agg(name || '=' || setting, ', ') from "
                                 "pg_settings where name in ('fsync', 'synchronous_commit', "
                                 "'wal_sync_method', 'server_version')"],
                                cwd=where).stdout.strip()
        yield SimpleNamespace(port=port, pid=pid, where=where, settings=settings)
    finally:
        if started:
            try:
                _as_postgres([bindir / 'pg_ctl', '-D', data, '-m', 'fast', '-w', 'stop'],
                             cwd=where)
            except subprocess.CalledProcessError as err:
                print('pg_ctl stop failed: %s %s' % (err.stdout, err.stderr))
        shutil.rmtree(where, ignore_errors=True)


def convert(source, pg, site, zodbconvert):
    """Copy the seeded FileStorage clinic in ``source`` into PostgreSQL."""
    site.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for name, fs, db, keep, blobs in (('clinic', 'Data.fs', 'zodb', 'true', True),
                                      ('audit', 'Audit.fs', 'zodb_audit', 'false', False)):
        conf = site / ('convert-%s.conf' % name)
        conf.write_text(CONVERT.format(
            path=source / fs, keep_history=keep,
            dsn="dbname='%s' user='postgres' host='127.0.0.1' port='%d'" % (db, pg.port),
            source_blobs='  blob-dir %s\n' % (source / 'blobs') if blobs else '',
            dest_blobs=('  shared-blob-dir false\n  blob-dir %s\n' % (site / 'convert-blobs')
                        if blobs else '')))
        done = subprocess.run([str(zodbconvert), str(conf)], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit('zodbconvert %s failed:\n%s%s' % (conf, done.stdout, done.stderr))
    return time.perf_counter() - started


def open_clinic_db(ini_or_uri, blob_dir=None):
    """A ``ZODB.DB`` on the clinic database of a writes.ini (the server
    stopped for FileStorage; a blob cache of its own for RelStorage)."""
    uri = ini_or_uri
    if isinstance(ini_or_uri, Path):
        line = [ln for ln in ini_or_uri.read_text().splitlines()
                if ln.startswith('zodbconn.uri =')][0]
        uri = line.split('=', 1)[1].strip()
    if blob_dir is not None:
        uri = re.sub(r'(?<=[?&])blob_dir=[^&]*', 'blob_dir=%s' % blob_dir, uri)
    factory, dbkw = zodburi.resolve_uri(uri)
    return DB(factory(), **dbkw)


def census(ini, marker, blob_dir):
    """What the clinic holds now: ``(progress entries on all goals, notes
    starting with ``marker`` -> how many times each is stored)``."""
    db = open_clinic_db(ini, blob_dir)
    tm = transaction.TransactionManager(explicit=True)
    try:
        tm.begin()
        conn = db.open(transaction_manager=tm)
        entries, notes = 0, {}
        try:
            for client in conn.root()[ROOT_KEY]['clients'].values():
                goals = client.get('goals') if hasattr(client, 'get') else None
                for goal in (goals.values() if goals is not None else ()):
                    for entry in progress_log(goal):
                        entries += 1
                        if marker and entry.parent_note.startswith(marker):
                            notes[entry.parent_note] = notes.get(entry.parent_note, 0) + 1
                conn.cacheMinimize()
        finally:
            tm.abort()
            conn.close()
        return entries, notes
    finally:
        db.close()


def cpu_seconds(pids):
    """User + system CPU seconds of ``pids`` and, for a postmaster, of its
    children (PostgreSQL's backends); gone processes count 0."""
    tick = os.sysconf('SC_CLK_TCK')
    wanted, total = set(pids), 0
    for stat in glob('/proc/[0-9]*/stat'):
        try:
            fields = Path(stat).read_text().rsplit(')', 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.split('/')[2]), int(fields[1])
        if pid in wanted or ppid in wanted:
            total += int(fields[11]) + int(fields[12])
    return total / tick
