"""Helpers for the reliability tests: a real server over real files.

(Not a conftest.py: a second conftest module would shadow tests/conftest.py,
see tests/scripts/scripthelpers.py.)

Each test gets a directory with its own ``Data.fs`` (blobs in ``blobs/``)
and ``Audit.fs``, an ini file pointing at them, and seeds it with the
``minorconsent-seed`` console script.  The server is the app under waitress
in a subprocess, started the way ``tests/scripts/test_audit_crash_window.py``
starts it, so it can be killed with SIGKILL like a crashed process.
The checks use ZODB's own tools (``fstest``, ``fsrefs``), the audit chain's
``verify`` and the ``minorconsent-audit verify`` script.
"""
import contextlib
import html
import html.parser
import http.client
import http.cookiejar
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import transaction
from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.audit.chain import inbox_entry, log_of, verify
from minorconsent.site import ROOT_KEY

BIN = Path(sys.executable).parent
PASSWORD = 'demo-password-1'

INI = """\
[app:main]
use = egg:minorconsent
zodbconn.uri = file://{dir}/Data.fs?blobstorage_dir={dir}/blobs
zodbconn.uri.audit = file://{dir}/Audit.fs
minorconsent.password_profile = cheapest
minorconsent.mail_debug = {dir}/mail
minorconsent.audit.flush_seconds = {flush}
minorconsent.rate_limits = off
"""

SERVE = textwrap.dedent('''
    import sys, waitress
    from pyramid.paster import get_app
    app = get_app(sys.argv[1])
    waitress.serve(app, host='127.0.0.1', port=int(sys.argv[2]),
                   threads=int(sys.argv[3]), _quiet=True)
''')


class Site:
    """One clinic on disk: ``Data.fs`` + ``blobs/`` + ``Audit.fs`` + ini."""

    def __init__(self, directory, flush_seconds=1):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ini = self.dir / 'test.ini'
        self.ini.write_text(INI.format(dir=self.dir, flush=flush_seconds))

    data_fs = property(lambda self: self.dir / 'Data.fs')
    audit_fs = property(lambda self: self.dir / 'Audit.fs')
    blobs = property(lambda self: self.dir / 'blobs')

    def seed(self):
        script('minorconsent-seed', self.ini, '--quiet', '--clients', '1')


def script(name, *args, check=True):
    """Run one of the app's console scripts; return ``(code, stdout)``."""
    done = subprocess.run([str(BIN / name)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=120)
    if check and done.returncode != 0:
        raise AssertionError('%s failed (%s):\n%s%s' % (name, done.returncode,
                                                       done.stdout, done.stderr))
    return done.returncode, done.stdout


def audit_verify(site):
    """``minorconsent-audit verify`` as an operator runs it: (code, stdout)."""
    return script('minorconsent-audit', 'verify', site.ini, check=False)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    """The app under waitress in a subprocess (``threads`` worker threads)."""

    def __init__(self, site, threads=4):
        self.site, self.threads = site, threads
        self.port = free_port()
        self.base = 'http://127.0.0.1:%d' % self.port
        self.log = open(site.dir / 'server.log', 'ab')
        self.proc = subprocess.Popen(
            [sys.executable, '-c', SERVE, str(site.ini), str(self.port), str(threads)],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=str(site.dir))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.base + '/login', timeout=2).read()
                return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise AssertionError('the server did not start:\n%s' % self.log_text())

    def log_text(self):
        self.log.flush()
        return (self.site.dir / 'server.log').read_text(errors='replace')[-4000:]

    def kill9(self):
        """SIGKILL: no atexit, no SIGTERM handler, no closing of storages."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        """SIGTERM, what systemd sends: the app seals buffered reads."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


class Refused(Exception):
    """The server answered nothing (killed, or not listening)."""


class Browser:
    """A browser without redirects: cookies, CSRF tokens, deform forms."""

    def __init__(self, base, timeout=30):
        self.base, self.timeout = base, timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, path, data=None):
        """``(status, body, location path)``; ``Refused`` if no answer came."""
        if isinstance(data, list):
            data = [tuple(pair) for pair in data]
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=self.timeout) as res:
                return res.status, res.read().decode(), None
        except urllib.error.HTTPError as err:
            location = err.headers.get('Location')
            if location:
                location = urllib.parse.urlsplit(location).path
            try:
                body = err.read().decode()
            except (OSError, http.client.HTTPException) as exc:
                # Killed while sending the body: the status line alone is
                # not an answer the person could act on.
                raise Refused(repr(exc)) from exc
            return err.code, body, location
        except (OSError, http.client.HTTPException) as exc:
            raise Refused(repr(exc)) from exc

    def csrf(self, path):
        status, text, _ = self.request(path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', text)
        assert found, 'no CSRF token on %s (%s)' % (path, status)
        return html.unescape(found.group(1))

    def sign_in(self, email):
        status, _, _ = self.request('/login', {
            'csrf_token': self.csrf('/login'), 'email': email, 'password': PASSWORD,
            'sign_in': 'sign_in'})
        assert status == 302, 'sign-in as %s answered %s' % (email, status)

    def form(self, path, formid='form'):
        """The fields of a deform form on ``path``, in order, as a browser
        would post them (hidden fields, checked boxes, typed values)."""
        status, text, _ = self.request(path)
        assert status == 200, '%s answered %s' % (path, status)
        parser = _FormParser(formid)
        parser.feed(text)
        assert parser.fields, 'no form %r on %s' % (formid, path)
        return parser.fields


class _FormParser(html.parser.HTMLParser):
    def __init__(self, formid):
        super().__init__()
        self.formid, self.fields, self.inside, self.textarea = formid, [], False, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'form':
            self.inside = False
        if tag == 'input' and a.get('name') == '__formid__':
            self.inside = a.get('value') == self.formid
        if not self.inside:
            return
        if tag == 'input' and a.get('name') and a.get('name') != '__formid__':
            kind = a.get('type', 'text')
            if kind in ('checkbox', 'radio') and 'checked' not in a:
                return
            self.fields.append([a['name'], a.get('value') or ''])
        elif tag == 'input':
            self.fields.append(['__formid__', self.formid])
        elif tag == 'textarea':
            self.textarea = [a['name'], '']
            self.fields.append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == 'textarea':
            self.textarea = None
        if tag == 'form':
            self.inside = False


def set_field(fields, name, value):
    """Set (or add) one field of a parsed form; returns the list."""
    for field in fields:
        if field[0] == name:
            field[1] = value
            return fields
    fields.append([name, value])
    return fields


# --- checks on the files ----------------------------------------------------

def fstest(path):
    """ZODB's FileStorage checker: ``(ok, message)``."""
    done = subprocess.run([sys.executable, '-m', 'ZODB.scripts.fstest', str(path)],
                          capture_output=True, text=True, timeout=120)
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def fstest_after_crash(path, scratch):
    """fstest on a file a killed process was writing.

    A process killed between a transaction's vote (data written, status
    ``c``) and its finish (status cleared) leaves that one unfinished
    transaction at the end; FileStorage drops it when the file is next
    opened for writing, and nobody was told it committed.  So fstest may
    complain about the tail only: the file cut at the position fstest
    names must pass.  Returns ``'clean'`` or ``'unfinished tail'``.
    """
    ok, message = fstest(path)
    if ok:
        return 'clean'
    assert ('checkpoint flag was not cleared' in message
            or 'truncated' in message), 'fstest: %s' % message
    pos = int(re.findall(r'at (\d+)', message)[-1])
    size = os.path.getsize(path)
    with open(path, 'rb') as f:
        f.seek(pos)
        header = f.read(23)
    if len(header) == 23:      # that transaction must be the last one
        length = struct.unpack('>Q', header[8:16])[0]
        assert pos + length + 8 >= size, \
            'fstest: damage before the last transaction (%s of %s): %s' % (pos, size, message)
    cut = Path(scratch) / (Path(path).name + '.cut')
    with open(path, 'rb') as source, open(cut, 'wb') as target:
        target.write(source.read(pos))
    ok, again = fstest(cut)
    cut.unlink()
    assert ok, 'fstest finds more than an unfinished tail: %s / %s' % (message, again)
    return 'unfinished tail'


def fsrefs(path):
    """ZODB's dangling-reference checker: every current object loads and
    every object it refers to exists (no half-written graph)."""
    done = subprocess.run([sys.executable, '-m', 'ZODB.scripts.fsrefs', str(path)],
                          capture_output=True, text=True, timeout=300)
    return (done.stdout + done.stderr).strip()


@contextlib.contextmanager
def clinic_read_only(site):
    """The clinic root object from the files as they are (read-only: the
    way a restarted process would see them, without changing them)."""
    db = DB(FileStorage(str(site.data_fs), blob_dir=str(site.blobs), read_only=True))
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    try:
        yield conn.root()[ROOT_KEY]
    finally:
        tm.abort()
        conn.close()
        db.close()


def trail(path):
    """Every entry of the audit trail at ``path``: sealed (after verifying
    the chain) and waiting in the inbox.  Raises ``Broken`` on a bad chain."""
    db = DB(FileStorage(str(path), read_only=True))
    try:
        conn = db.open()
        log = log_of(conn.root(), create=False)
        verify(log)
        sealed = [log.get(seq) for seq in log.entries.keys()]
        waiting = [inbox_entry(item) for item in log.inbox]
        head = log.head_hash
        conn.close()
        return sealed + waiting, head
    finally:
        db.close()


def sealed_chain(path):
    """The sealed audit entries as stored (fields, then the chain hash)."""
    db = DB(FileStorage(str(path), read_only=True))
    try:
        conn = db.open()
        log = log_of(conn.root(), create=False)
        chain = [tuple(stored) for stored in log.entries.values()]
        conn.close()
        return chain
    finally:
        db.close()
