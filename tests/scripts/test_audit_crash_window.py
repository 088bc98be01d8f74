"""The crash window of docs/SECURITY.md, tested on a real server killed -9.

A write's audit entry commits with the write, so a server killed the moment
it answers still has it.  Page views are sealed every
``minorconsent.audit.flush_seconds``: views older than that window survive
the kill; only the last window's may be lost.
"""
import html
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request

from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.audit.chain import inbox_entry, log_of, verify
from minorconsent.scripts import seed
from minorconsent.summaries.model import latest_rating

from scripthelpers import open_db, run, site  # noqa: F401  (fixture)

FLUSH_SECONDS = 0.3
SERVE = textwrap.dedent('''
    import sys, waitress
    from pyramid.paster import get_app
    app = get_app(sys.argv[1])
    waitress.serve(app, host='127.0.0.1', port=int(sys.argv[2]), threads=4, _quiet=True)
''')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=10) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def csrf(self, path):
        status, text = self.request(path)
        return html.unescape(re.search(r'name="csrf_token" value="([^"]+)"', text).group(1))


def start(site, port):
    ini = site.dir / 'test.ini'
    ini.write_text(ini.read_text() + 'minorconsent.audit.flush_seconds = %s\n' % FLUSH_SECONDS)
    server = subprocess.Popen([sys.executable, '-c', SERVE, str(ini), str(port)])
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen('http://127.0.0.1:%d/login' % port, timeout=1).read()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError('the server did not start')


def trail(site):
    db = DB(FileStorage(str(site.dir / 'Audit.fs'), read_only=True))
    try:
        conn = db.open()
        log = log_of(conn.root(), create=False)
        verify(log)
        entries = [log.get(seq) for seq in log.entries.keys()] + [inbox_entry(i) for i in log.inbox]
        conn.close()
        return entries
    finally:
        db.close()


def test_kill_9_keeps_every_write_entry_and_reads_older_than_the_window(site):
    assert run(seed, site.ini, '--quiet', '--clients', '1')[0] == 0
    with open_db(site) as (root, clinic):
        therapist = clinic['users'].find_by_email('therapist@demo.test').__name__
        mateo = next(c for c in clinic['clients'].values() if c.first_name == 'Mateo')
        client, goal = mateo.__name__, next(iter(mateo['goals'].keys()))
    port = free_port()
    server = start(site, port)
    try:
        browser = Browser('http://127.0.0.1:%d' % port)
        status, _ = browser.request('/login', {
            'csrf_token': browser.csrf('/login'), 'email': 'therapist@demo.test',
            'password': seed.DEMO_PASSWORD, 'sign in': 'sign in'})
        assert status == 302
        for _ in range(5):
            assert browser.request('/clients/%s/' % client)[0] == 200
        time.sleep(FLUSH_SECONDS * 5)          # well past the window
        progress = '/clients/%s/goals/%s/progress' % (client, goal)
        status, _ = browser.request(progress, {
            'csrf_token': browser.csrf(progress), 'day': '2026-11-20',
            'rating': 'achieved', 'parent_note': '', 'save': 'save'})
        assert status == 302
        os.kill(server.pid, signal.SIGKILL)   # the moment it answered
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
    entries = trail(site)
    mine = [e for e in entries if e['actor'] == therapist]
    views = [e for e in mine if e['action'] == 'GET Client.index' and e['record'] == client]
    assert len(views) == 5
    writes = [e for e in mine if e['action'] == 'POST Goal.progress']
    assert len(writes) == 1 and writes[0]['outcome'] == '302'
    with open_db(site) as (root, clinic):
        saved = clinic['clients'][client]['goals'][goal]
        assert latest_rating(saved).rating == 'achieved'


def test_sigterm_seals_the_reads_still_in_the_buffer(site):
    """A supervisor's stop (SIGTERM) loses nothing, even inside the window."""
    assert run(seed, site.ini, '--quiet', '--clients', '1')[0] == 0
    port = free_port()
    server = start(site, port)
    try:
        browser = Browser('http://127.0.0.1:%d' % port)
        for _ in range(4):
            assert browser.request('/login')[0] == 200
        server.send_signal(signal.SIGTERM)     # at once: within the window
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
    views = [e for e in trail(site) if e['action'] == 'GET Clinic.login']
    assert len(views) >= 4
