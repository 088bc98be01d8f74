"""Helpers and fixtures for the console-script tests.

(No conftest.py here on purpose: other test modules do ``from conftest
import ...``, and a second conftest module would shadow tests/conftest.py.
Test modules import the fixtures below by name.)

Each test gets its own FileStorage under ``tmp_path`` and an ini file that
points at it.  Scripts are called in-process through their ``main(argv)``;
the database is then reopened directly with ``ZODB.FileStorage`` to check
what the script left behind.
"""
import contextlib
import io
import sys
from types import SimpleNamespace
from unittest import mock

import pytest
import transaction
from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.scripts import common
from minorconsent.security.passwords import Passwords
from minorconsent.site import ROOT_KEY

#: Verifies hashes written with ``minorconsent.password_profile = cheapest``.
PASSWORDS = Passwords('cheapest')

INI = """\
[app:main]
use = egg:minorconsent
zodbconn.uri = file://{dir}/Data.fs?blobstorage_dir={dir}/blobs
zodbconn.uri.audit = file://{dir}/Audit.fs
minorconsent.password_profile = cheapest
"""


def write_ini(directory):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / 'test.ini'
    path.write_text(INI.format(dir=directory))
    return path


class Site(SimpleNamespace):
    """One database on disk: its directory, ini file and Data.fs."""

    @property
    def data_fs(self):
        return str(self.dir / 'Data.fs')


def make_site(directory):
    return Site(dir=directory, ini=str(write_ini(directory)))


@pytest.fixture
def site(tmp_path):
    """A fresh, empty database directory with its ini file."""
    return make_site(tmp_path / 'site')


@pytest.fixture
def other_site(tmp_path):
    """A second, independent database."""
    return make_site(tmp_path / 'other')


def run(script, *args):
    """Run ``script.main(args)`` in-process; return ``(code, stdout, stderr)``.

    Every ZODB database the script's app opened is closed afterwards, so the
    next call (or the test) can open the same FileStorage.  The scripts do
    not do this themselves; ``test_script_init.py`` holds the failing test
    for that.
    """
    opened = []
    real_bootstrap = common.bootstrap

    def tracking_bootstrap(*a, **kw):
        env = real_bootstrap(*a, **kw)
        opened.append(env['registry'])
        return env

    out, err = io.StringIO(), io.StringIO()
    try:
        with mock.patch.object(common, 'bootstrap', tracking_bootstrap), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = script.main([str(a) for a in args])
    finally:
        for registry in opened:
            for db in getattr(registry, '_zodb_databases', {}).values():
                db.close()
    sys.stdout.write(out.getvalue())
    sys.stderr.write(err.getvalue())
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def open_db(site, commit=False):
    """``(root, clinic)`` straight from the site's FileStorage.

    Commits on exit if ``commit``; otherwise aborts.  Always closes the
    database so the file lock is released.
    """
    db = DB(FileStorage(site.data_fs, blob_dir=str(site.dir / 'blobs')))
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    try:
        root = conn.root()
        yield root, root.get(ROOT_KEY)
        if commit:
            tm.commit()
        else:
            tm.abort()
    except BaseException:
        tm.abort()
        raise
    finally:
        conn.close()
        db.close()


def last_transaction(site):
    db = DB(FileStorage(site.data_fs, blob_dir=str(site.dir / 'blobs'),
                        read_only=True))
    try:
        return db.lastTransaction()
    finally:
        db.close()
