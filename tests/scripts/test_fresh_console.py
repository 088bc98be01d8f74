"""A fresh clone works with the console scripts alone (issue 18 item 3).

Before, ``minorconsent-init development.ini`` on a clone without ``var/``
(only ``dev.py`` made it) died with ``FileNotFoundError: var/Data.fs.lock``.
These tests copy the repository's own ``development.ini`` into an empty
directory and run the README's commands as an operator would: the
installed console scripts, as subprocesses, no ``dev.py``.
"""
import os
import pathlib
import subprocess
import sys

import pytest
from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.site.storage import (StorageDirectoryError, make_storage_directories,
                                      storage_directories)
from minorconsent.site import ROOT_KEY

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
ADMIN = 'first-admin@demo.test'
PASSWORD = 'fresh-clone-pass-42'


def console(name, *args, cwd):
    """Run the installed console script ``name`` in ``cwd``."""
    return subprocess.run([str(BIN / name), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture
def fresh(tmp_path):
    """The repository's development.ini in a directory with no ``var/``."""
    (tmp_path / 'development.ini').write_text((REPO / 'development.ini').read_text())
    assert not (tmp_path / 'var').exists()
    return tmp_path


def clinic_of(var):
    """Open the database the scripts left (read-only) and return plain facts."""
    db = DB(FileStorage(str(var / 'Data.fs'), blob_dir=str(var / 'blobs'), read_only=True))
    try:
        conn = db.open()
        clinic = conn.root()[ROOT_KEY]
        users = clinic['users']
        facts = {'admin': users.find_by_email(ADMIN) is not None,
                 'demo_admin': users.find_by_email('admin@demo.test') is not None,
                 'clients': len(clinic['clients'])}
        conn.close()
        return facts
    finally:
        db.close()


def test_init_then_seed_on_a_fresh_copy_without_var(fresh):
    init = console('minorconsent-init', 'development.ini', '--email', ADMIN,
                   '--password', PASSWORD, cwd=fresh)
    assert init.returncode == 0, init.stderr
    assert 'Created the clinic admin %s' % ADMIN in init.stdout
    var = fresh / 'var'
    for made in ('Data.fs', 'Audit.fs', 'blobs'):
        assert (var / made).exists(), made
    seeded = console('minorconsent-seed', 'development.ini', '--clients', '3', '--quiet',
                     cwd=fresh)
    assert seeded.returncode == 0, seeded.stderr
    assert 'FileNotFoundError' not in seeded.stderr
    facts = clinic_of(var)
    assert facts['admin'] and facts['demo_admin']
    assert facts['clients'] >= 3
    exported = console('minorconsent-export', 'development.ini', 'export', '--quiet', cwd=fresh)
    assert exported.returncode == 0, exported.stderr
    assert (fresh / 'export' / 'manifest.json').exists()
    assert 'Audit chain verified' in exported.stdout


def test_seed_alone_on_a_fresh_copy(fresh):
    """The README's other order: seed first, on nothing at all."""
    seeded = console('minorconsent-seed', 'development.ini', '--clients', '0', '--quiet',
                     cwd=fresh)
    assert seeded.returncode == 0, seeded.stderr
    assert clinic_of(fresh / 'var')['demo_admin']


def test_a_directory_that_cannot_be_made_is_named_with_its_setting(fresh):
    """A storage under a plain file: the script says which directory and
    which setting, exits non-zero, and leaves no traceback for the operator
    to decode."""
    (fresh / 'blocked').write_text('a file where a folder should be')
    ini = (fresh / 'development.ini').read_text().replace(
        '%(here)s/var/Data.fs', '%(here)s/blocked/var/Data.fs')
    (fresh / 'development.ini').write_text(ini)
    result = console('minorconsent-init', 'development.ini', '--email', ADMIN,
                     '--password', PASSWORD, cwd=fresh)
    assert result.returncode != 0
    assert 'zodbconn.uri' in result.stderr
    assert str(fresh / 'blocked' / 'var') in result.stderr
    assert 'Traceback' not in result.stderr


def test_only_file_storages_ask_for_directories(tmp_path):
    settings = {
        'zodbconn.uri': 'file://%s/a/Data.fs?blobstorage_dir=%s/b/blobs&connection_cache_size=9'
                        % (tmp_path, tmp_path),
        'zodbconn.uri.audit': 'file://%s/c/Audit.fs' % tmp_path,
        'zodbconn.uri.other': 'postgres://user@localhost/db',
        'zodbconn.uri.mem': 'memory://x',
        'mail.queue_path': '/nowhere/queue',
    }
    assert storage_directories(settings) == [
        ('zodbconn.uri', str(tmp_path / 'a')),
        ('zodbconn.uri blobstorage_dir', str(tmp_path / 'b' / 'blobs')),
        ('zodbconn.uri.audit', str(tmp_path / 'c')),
    ]
    made = make_storage_directories(settings)
    assert sorted(made) == sorted(str(tmp_path / name) for name in ('a', 'b/blobs', 'c'))
    assert make_storage_directories(settings) == []     # already there: nothing to do
    assert oct(os.stat(tmp_path / 'a').st_mode & 0o777) == oct(0o700)


def test_unmakeable_directory_raises_the_named_error(tmp_path):
    (tmp_path / 'file').write_text('x')
    with pytest.raises(StorageDirectoryError) as caught:
        make_storage_directories({'zodbconn.uri.audit': 'file://%s/file/sub/Audit.fs'
                                                        % tmp_path})
    assert 'zodbconn.uri.audit' in str(caught.value)


def test_the_server_and_the_daily_job_start_on_a_fresh_copy_without_var(fresh):
    """What ``pserve development.ini`` loads (the paste app) makes its own
    folders, and so do the scripts that bootstrap the app without
    ``clinic_transaction`` (the daily job)."""
    load = subprocess.run(
        [sys.executable, '-c', 'from pyramid.paster import get_app; '
         'app = get_app("development.ini"); print(type(app).__name__)'],
        cwd=fresh, capture_output=True, text=True, timeout=300)
    assert load.returncode == 0, load.stderr
    assert 'FileNotFoundError' not in load.stderr
    assert (fresh / 'var' / 'Data.fs').exists() and (fresh / 'var' / 'blobs').is_dir()
    other = fresh / 'other'
    other.mkdir()
    (other / 'development.ini').write_text((REPO / 'development.ini').read_text())
    daily = console('minorconsent-daily', 'development.ini', cwd=other)
    assert daily.returncode == 0, daily.stderr
    assert (other / 'var' / 'Audit.fs').exists()
