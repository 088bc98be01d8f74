"""Scale-out on PostgreSQL: two waitress processes, one RelStorage database.

What a deployment behind a load balancer relies on, tested with real
processes against a real PostgreSQL server (``conftest.py``):

* a session started through one process is honoured by the other (sessions
  are server-side, in the shared database);
* a write through one process is read through the other at once, and a
  blob written by one process (the seed's signed-agreement PDFs) is served
  by another with its own blob cache;
* the two processes writing the same objects at the same moment collide,
  pyramid_retry retries, every request answers a success or a clear 4xx
  (never a 500), and every acknowledged write is in the database;
* both processes sealing the one audit chain at once leave it whole, with
  every acknowledged write's entry on it (``minorconsent-audit verify``);
* the console scripts work on a PostgreSQL configuration, including
  ``minorconsent-init`` creating the RelStorage schema in empty databases
  as a role that only owns them.

The processes run on one machine, but nothing is shared between them except
PostgreSQL: each has its own blob cache directory, as on separate hosts.
"""
import hashlib
import html
import re
import threading
import time
from collections import Counter
from datetime import date
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from types import SimpleNamespace
from urllib.error import HTTPError
from urllib.parse import urlencode, urljoin
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
import transaction

from scaleout_support import (AUDIT_DB, CLINIC_DB, open_database, run_script,
                              witnessed_verify, write_config)

pytestmark = pytest.mark.xdist_group('scaleout-postgres')

PASSWORD = 'demo-password-1'


# --- a small HTTP client (no extra dependency) ---------------------------------

class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class _FormParser(HTMLParser):
    """The fields of each form on a page, in document order."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'form':
            self.forms.append(SimpleNamespace(action=attrs.get('action') or '',
                                              id=attrs.get('id') or '',
                                              method=(attrs.get('method') or 'get').lower(),
                                              fields=[], buttons=[]))
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == 'input' and attrs.get('name'):
            kind = (attrs.get('type') or 'text').lower()
            if kind == 'submit':
                form.buttons.append((attrs['name'], attrs.get('value') or ''))
            elif kind in ('checkbox', 'radio'):
                if 'checked' in attrs:
                    form.fields.append((attrs['name'], attrs.get('value') or 'on'))
            else:
                form.fields.append((attrs['name'], attrs.get('value') or ''))
        elif tag == 'button' and attrs.get('name') and (attrs.get('type') or 'submit') == 'submit':
            form.buttons.append((attrs['name'], attrs.get('value') or ''))
        elif tag == 'select' and attrs.get('name'):
            self._select = [attrs['name'], None, None]
        elif tag == 'option' and self._select is not None:
            value = attrs.get('value') or ''
            if self._select[1] is None:
                self._select[1] = value
            if 'selected' in attrs:
                self._select[2] = value
        elif tag == 'textarea' and attrs.get('name'):
            self._textarea = [attrs['name'], '']

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == 'select' and self._select is not None:
            name, first, chosen = self._select
            self.forms[-1].fields.append((name, chosen if chosen is not None else first))
            self._select = None
        elif tag == 'textarea' and self._textarea is not None:
            self.forms[-1].fields.append(tuple(self._textarea))
            self._textarea = None


class Browser:
    """One person's browser: a cookie jar used against any of the processes
    (cookies ignore the port, so a session started on one process is sent
    to the other, as behind a load balancer)."""

    def __init__(self):
        self.jar = CookieJar()

    def open(self, url, data=None):
        opener = build_opener(HTTPCookieProcessor(self.jar), _NoRedirect)
        body = urlencode(data).encode('utf-8') if data is not None else None
        try:
            res = opener.open(Request(url, data=body), timeout=60)
        except HTTPError as error:
            res = error
        with res:
            text = res.read()
        return SimpleNamespace(status=res.code, headers=res.headers, body=text,
                               text=text.decode('utf-8', 'replace'), url=url)

    def get(self, url):
        return self.open(url)

    def submit(self, url, **values):
        """GET the page at ``url``, fill its form with ``values`` (the CSRF
        token and defaults come from the page) and submit it."""
        page = self.get(url)
        assert page.status == 200, '%s answered %s' % (url, page.status)
        return self.post_form(page, **values)

    def post_form(self, page, **values):
        parser = _FormParser()
        parser.feed(page.text)
        # deform's form (id "form"), not the header's sign-out form.
        form = [f for f in parser.forms if f.method == 'post' and f.id == 'form'][0]
        fields = [(name, values.pop(name, value)) for name, value in form.fields]
        fields.extend(values.items())
        fields.extend(form.buttons[:1])
        return self.open(urljoin(page.url, html.unescape(form.action)) or page.url, fields)


def sign_in(url, email):
    browser = Browser()
    res = browser.submit(url + '/login', email=email, password=PASSWORD)
    assert res.status == 302, 'sign-in failed for %s: %s' % (email, res.status)
    return browser


# --- the database seen directly ------------------------------------------------

class Direct:
    """The clinic database opened from the test process (its own blob
    cache), for reading ids and checking what was committed."""

    def __init__(self, deployment, config=None):
        if config is None:
            config = write_config(deployment.postgres, deployment.where, 'direct')
        self.db = open_database(config, replace=[
            (config.name + '-blobcache', 'direct-%s-blobcache' % config.name)])

    def read(self, fn):
        tm = transaction.TransactionManager(explicit=True)
        tm.begin()
        conn = self.db.open(transaction_manager=tm)
        try:
            return fn(conn.root()['minorconsent'])
        finally:
            tm.abort()
            conn.close()

    def close(self):
        self.db.close()


# --- fixtures -------------------------------------------------------------------

@pytest.fixture(scope='module')
def apps(deployment):
    """Both app processes, started together and ready."""
    procs = [deployment.start_app(deployment.one), deployment.start_app(deployment.two)]
    try:
        for proc in procs:
            deployment.wait_ready(proc, proc.config)
        yield SimpleNamespace(one=deployment.one, two=deployment.two, procs=procs)
    finally:
        for proc in procs:
            deployment.stop_app(proc)


@pytest.fixture(scope='module')
def direct(deployment):
    found = Direct(deployment)
    yield found
    found.close()


def mateo(clinic):
    """Mateo Alvarez (15): the therapist's client with signed agreements."""
    for client in clinic['clients'].values():
        if client.first_name == 'Mateo':
            return client
    raise AssertionError('the seed has no Mateo')


def path_of(obj):
    names = []
    while obj is not None and obj.__name__:
        names.append(obj.__name__)
        obj = obj.__parent__
    return '/' + '/'.join(reversed(names))


# --- the tests --------------------------------------------------------------------

def test_session_write_and_blob_cross_processes(apps, direct):
    one, two = apps.one.url, apps.two.url
    client_path, pdfs = direct.read(lambda clinic: (
        path_of(mateo(clinic)),
        [(path_of(a), a.pdf_sha256) for a in mateo(clinic)['agreements'].values()
         if a.pdf is not None]))
    assert pdfs, 'the seed signed agreements with PDFs'

    # Signed in through one, recognised by two: the session is in the database.
    therapist = sign_in(one, 'therapist@demo.test')
    page = therapist.get(two + client_path + '/')
    assert page.status == 200
    assert 'Treatment goals' in page.text

    # A goal added through one is on the page served by two, at once.
    title = 'Sleep routine %s' % time.monotonic_ns()
    res = therapist.submit(one + client_path + '/add-goal', parent_title=title,
                           clinical_text='Sleep hygiene plan (clinical wording).')
    assert res.status == 302, res.text[:2000]
    assert title in therapist.get(two + client_path + '/').text

    # Blobs: the PDFs the seed stored (from a third process) come out of
    # PostgreSQL through each process's own blob cache, byte for byte.
    for base in (two, one):
        for agreement_path, digest in pdfs:
            res = therapist.get(base + agreement_path + '/agreement.pdf')
            assert res.status == 200
            assert res.body.startswith(b'%PDF')
            assert hashlib.sha256(res.body).hexdigest() == digest

    # Signing out through two ends the session for one as well.
    logout = therapist.get(two + client_path + '/')
    token = re.search(r'name="csrf_token" value="([^"]+)"', logout.text).group(1)
    assert therapist.open(two + '/logout', {'csrf_token': token}).status in (200, 302, 303)
    assert therapist.get(one + client_path + '/').status == 404


def test_every_process_orders_the_two_databases_alike(deployment):
    """A write commits the clinic and the audit database together, voting
    (and so locking rows) in the order of the storages' ``sortKey``.  It
    must be the same in every process, whichever configuration form it
    uses, or two processes can deadlock until the commit lock timeout."""
    keys = []
    for config in (deployment.one, deployment.two):
        for key in ('zodbconn.uri', 'zodbconn.uri.audit'):
            db = open_database(config, key, replace=[
                (config.name + '-blobcache', 'sortkey-%s-blobcache' % config.name)])
            try:
                keys.append(db.storage.sortKey())
            finally:
                db.close()
    assert keys == ['clinic', 'audit', 'clinic', 'audit']


def _progress_url(page_text, base, title):
    """The "Record progress" link of the goal titled ``title``."""
    for item in re.findall(r'<li[^>]*class="card".*?</li>', page_text, re.S):
        if '<strong>%s</strong>' % html.escape(title) in item:
            href = re.search(r'href="([^"]+/progress)"', item).group(1)
            return urljoin(base + '/', html.unescape(href))
    raise AssertionError('goal %r not on the page' % title)


ROUNDS = 4
PER_PROCESS = 3


def test_concurrent_writes_conflict_retried_nothing_lost(apps, deployment, direct):
    """Both processes record progress on one goal at the same instant, six
    at a time, on a fresh goal each round.  The first write of a goal's
    progress sets an attribute of the goal in every one of them (a true
    conflict: one commits, the others are retried); later ones append to
    its progress queue, which merges concurrent appends.  Meanwhile both
    processes' sealers put page views and write entries on the one audit
    chain."""
    one, two = apps.one.url, apps.two.url
    client_path = direct.read(lambda clinic: path_of(mateo(clinic)))
    # Two therapists' browsers per process would be realistic; one browser
    # per thread is enough (each its own session, so sessions do not serialise).
    browsers = [sign_in(one, 'therapist@demo.test') for _ in range(2 * PER_PROCESS)]
    bases = [one] * PER_PROCESS + [two] * PER_PROCESS

    acknowledged = {}       # goal title -> notes whose POST answered 302
    statuses = Counter()
    failures = []
    started = time.monotonic()
    for round_no in range(ROUNDS):
        title = 'Concurrency goal %d %s' % (round_no, time.monotonic_ns())
        res = browsers[0].submit(one + client_path + '/add-goal', parent_title=title,
                                 clinical_text='Concurrency test goal.')
        assert res.status == 302
        # Each thread loads its form first (CSRF token), then all post at once.
        pages = []
        for browser, base in zip(browsers, bases):
            url = _progress_url(browser.get(base + client_path + '/').text, base, title)
            pages.append(browser.get(url))
        barrier = threading.Barrier(len(browsers))
        results = [None] * len(browsers)

        def post(i):
            note = 'round %d writer %d via %s' % (round_no, i, bases[i][-5:])
            try:
                barrier.wait(timeout=30)
                res = browsers[i].post_form(pages[i], day=date.today().isoformat(),
                                            rating='improving', parent_note=note)
            except Exception as exc:   # reported below, with the others
                res = SimpleNamespace(status='no answer: %r' % exc, text='')
            results[i] = (note, res)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(browsers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        acknowledged[title] = set()
        for note, res in results:
            statuses[res.status] += 1
            if res.status == 302:
                acknowledged[title].add(note)
            elif not (isinstance(res.status, int) and 400 <= res.status < 500):
                failures.append((res.status, note, res.text[:500]))
    elapsed = time.monotonic() - started

    assert not failures, failures
    assert sum(len(notes) for notes in acknowledged.values()) > 0, statuses

    # The processes really collided and pyramid_retry retried; no commit
    # waited on the other process's locks until RelStorage's lock timeout
    # (what two processes committing the two databases in opposite orders
    # do: see the storage names in production-postgres.ini).
    logs = [proc.config.log.read_text() for proc in apps.procs]
    retries = sum(log.count('RETRY ConflictError') for log in logs)
    assert retries > 0, 'no conflict was provoked (%s)' % statuses
    for log in logs:
        assert 'UnableToLockRows' not in log and 'Objects were locked by' not in log, log
    assert elapsed < ROUNDS * 10, 'the bursts took %.1f s' % elapsed
    print('\n%d concurrent progress POSTs in %.1f s: %s; %d retries after a '
          'ConflictError' % (ROUNDS * len(browsers), elapsed, dict(statuses), retries))
    print('PostgreSQL connections per database, two processes after the burst: %s'
          % _connections(deployment.postgres))

    # Every acknowledged write is in the database (read from the test
    # process) and shown on the page served by the other process.
    def stored(clinic):
        from minorconsent.summaries.model import progress_entries
        goals = {g.parent_title: g for g in mateo(clinic)['goals'].values()}
        return {title: [e.parent_note for e in progress_entries(goals[title])]
                for title in acknowledged}
    in_db = direct.read(stored)
    for title, notes in acknowledged.items():
        assert notes <= set(in_db[title]), (title, notes - set(in_db[title]))
        # Nothing counted twice either (a retry re-runs the whole request).
        assert len(in_db[title]) == len(set(in_db[title]))

    # Stop both servers (SIGTERM seals what they buffered), then the audit
    # chain both sealed concurrently must verify, and every acknowledged
    # progress POST must have its entry on it.
    for proc in apps.procs:
        deployment.stop_app(proc)
    out = witnessed_verify(deployment.one)
    assert out.startswith('OK: '), out
    assert 'Witnessed: 1 head in' in out and 'all on the chain' in out, out
    assert 'waiting to be sealed' not in out, out
    sealed = direct_audit_actions(deployment)
    assert sealed['POST Goal.progress 302'] == sum(len(n) for n in acknowledged.values())


def direct_audit_actions(deployment):
    """``Counter`` of 'ACTION OUTCOME' over the whole audit chain."""
    from minorconsent.audit.chain import log_of
    db = open_database(deployment.one, 'zodbconn.uri.audit')
    try:
        conn = db.open()
        audit_log = log_of(conn.root(), create=False)
        found = Counter('%s %s' % (stored[4], stored[9]) for stored in audit_log.entries.values())
        conn.close()
        return found
    finally:
        db.close()


def _create_databases(pg, *names):
    """Empty databases owned by the app's role (as a DBA would make them)."""
    import psycopg2
    admin = psycopg2.connect(host=pg.host, port=pg.port, user=pg.superuser[0],
                             password=pg.superuser[1], dbname='postgres')
    admin.autocommit = True
    with admin.cursor() as cur:
        for name in names:
            cur.execute('CREATE DATABASE %s OWNER %s' % (name, pg.user))
    admin.close()


def _public_tables(pg, name):
    import psycopg2
    conn = psycopg2.connect(host=pg.host, port=pg.port, user=pg.user,
                            password=pg.password, dbname=name)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public'")
            return {row[0] for row in cur.fetchall()}
    finally:
        conn.close()


def _connections(pg):
    """Open PostgreSQL connections per database (for sizing max_connections)."""
    import psycopg2
    admin = psycopg2.connect(host=pg.host, port=pg.port, user=pg.superuser[0],
                             password=pg.superuser[1], dbname='postgres')
    try:
        with admin.cursor() as cur:
            cur.execute('SELECT datname, count(*) FROM pg_stat_activity '
                        'WHERE datname IS NOT NULL GROUP BY datname ORDER BY datname')
            return dict(cur.fetchall())
    finally:
        admin.close()


def test_scripts_create_the_schema_in_empty_databases(deployment):
    """``minorconsent-init`` on two empty PostgreSQL databases owned by the
    app's (non-superuser) role: RelStorage creates its tables on first
    open; evolve and audit verify then run on the same configuration."""
    pg = deployment.postgres
    _create_databases(pg, 'fresh', 'fresh_audit')
    config = write_config(pg, deployment.where, 'fresh')
    text = config.path.read_text()
    config.path.write_text(text.replace('/%s?' % CLINIC_DB, '/fresh?')
                                .replace('/%s?' % AUDIT_DB, '/fresh_audit?'))
    assert '/fresh?' in config.path.read_text() and '/fresh_audit?' in config.path.read_text()
    run_script('minorconsent-init', config.path, '--email', 'admin@clinic.test',
               '--name', 'First Admin', '--password', 'a-long-enough-password-1')
    run_script('minorconsent-evolve', config.path)
    # init writes no audit entry; witness and verify must still open the
    # new database: the empty chain's head (entry 0) is witnessed, and a
    # later entry must follow from it.
    out = witnessed_verify(config)
    assert out.startswith('The audit trail is empty.\nWitnessed: 1 head in %s, all on the '
                          'chain; the newest, entry 0, ' % config.witness_file), out

    # History-preserving clinic database, history-free audit database.
    clinic_tables, audit_tables = _public_tables(pg, 'fresh'), _public_tables(pg, 'fresh_audit')
    assert {'object_state', 'transaction', 'blob_chunk'} <= clinic_tables
    assert 'object_state' in audit_tables and 'transaction' not in audit_tables

    found = Direct(deployment, config)
    try:
        admin = found.read(lambda clinic: clinic['users'].find_by_email('admin@clinic.test'))
        assert admin is not None
    finally:
        found.close()


def test_two_sealers_on_one_chain_conflict_and_retry(deployment, monkeypatch):
    """Two processes' audit sealers, interleaved on purpose: A reads the
    chain's head, B seals and commits, then A commits.  A's commit must
    conflict (both wrote the head) and A's retry must append after B's
    entry: one line, not a fork.  Each sealer has its own RelStorage
    instance, exactly as two processes do."""
    from minorconsent.audit.chain import AuditLog, log_of, verify
    from minorconsent.audit.recorder import Recorder, make_entry

    pg = deployment.postgres
    _create_databases(pg, 'sealrace')
    config = write_config(pg, deployment.where, 'sealrace')
    recorders, dbs = [], []
    for _ in range(2):
        db = open_database(config, 'zodbconn.uri.audit',
                           replace=[('/%s?' % AUDIT_DB, '/sealrace?')])
        dbs.append(db)
        recorders.append(Recorder(SimpleNamespace(_zodb_databases={'audit': db}),
                                  background=False))
    a, b = recorders
    try:
        a.buffer.append(make_entry('GET first', actor='a'))
        assert a.flush() == 1                       # the chain exists: 1 entry
        a.buffer.append(make_entry('GET from A', actor='a'))
        b.buffer.append(make_entry('GET from B', actor='b'))

        original, attempts = AuditLog.seal, []

        def seal(log, entries):
            attempts.append([entry['action'] for entry in entries])
            if len(attempts) == 1:          # A's first attempt, head already read
                assert b.flush() == 1       # B seals and commits in between
            return original(log, entries)
        monkeypatch.setattr(AuditLog, 'seal', seal)
        assert a.flush() == 1
        monkeypatch.undo()
        # A's first attempt, B's seal, A's retry.
        assert attempts == [['GET from A'], ['GET from B'], ['GET from A']]

        conn = dbs[1].open()
        try:
            audit_log = log_of(conn.root(), create=False)
            assert verify(audit_log) == 3
            assert [audit_log.get(seq)['action'] for seq in (1, 2, 3)] == \
                ['GET first', 'GET from B', 'GET from A']
        finally:
            conn.close()
    finally:
        for db in dbs:
            db.close()


CONVERT = """\
%%import relstorage
<filestorage source>
  path %(path)s
%(source_blobs)s</filestorage>
<relstorage destination>
  keep-history %(keep_history)s
%(dest_blobs)s  <postgresql>
    dsn %(dsn)s
  </postgresql>
</relstorage>
"""

PACK = """\
%%import relstorage
<relstorage clinic>
  keep-history true
  shared-blob-dir false
  blob-dir %(blob_dir)s
  <postgresql>
    dsn %(clinic_dsn)s
  </postgresql>
</relstorage>
<relstorage audit>
  keep-history false
  <postgresql>
    dsn %(audit_dsn)s
  </postgresql>
</relstorage>
"""


def test_zodbconvert_a_filestorage_then_zodbpack(deployment):
    """The README's move from FileStorage: a seeded ``var/`` (Data.fs with
    blobs, Audit.fs) converted with ``zodbconvert`` into two new PostgreSQL
    databases keeps the audit head and the signed PDFs; ``zodbpack`` on
    both (the README's pack.conf form) keeps them too."""
    pg, where = deployment.postgres, deployment.where
    var = where / 'var'
    var.mkdir()
    file_ini = where / 'filestorage.ini'
    file_ini.write_text(
        '[app:main]\nuse = egg:minorconsent\n'
        'zodbconn.uri = file://%(var)s/Data.fs?blobstorage_dir=%(var)s/blobs\n'
        'zodbconn.uri.audit = file://%(var)s/Audit.fs\n'
        'minorconsent.password_profile = cheapest\nminorconsent.mail_debug = %(mail)s\n'
        % {'var': var, 'mail': where / 'mail'})
    run_script('minorconsent-seed', file_ini, '--clients', '0', '--quiet')
    head = run_script('minorconsent-audit', 'verify', file_ini).split('head ')[1].split()[0]

    def dsn(name):
        return "dbname='%s' user='%s' password='%s' host='%s' port='%s'" % (
            name, pg.user, pg.password, pg.host, pg.port)

    _create_databases(pg, 'conv', 'conv_audit')
    for name, source, target, keep, blobs in (
            ('clinic', 'Data.fs', 'conv', 'true', True),
            ('audit', 'Audit.fs', 'conv_audit', 'false', False)):
        conf = where / ('convert-%s.conf' % name)
        conf.write_text(CONVERT % dict(
            path=var / source, keep_history=keep, dsn=dsn(target),
            source_blobs='  blob-dir %s\n' % (var / 'blobs') if blobs else '',
            dest_blobs=('  shared-blob-dir false\n  blob-dir %s\n' % (where / 'convert-blobs')
                        if blobs else '')))
        run_script('zodbconvert', conf, timeout=300)

    config = write_config(pg, where, 'conv')
    text = config.path.read_text()
    config.path.write_text(text.replace('/%s?' % CLINIC_DB, '/conv?')
                                .replace('/%s?' % AUDIT_DB, '/conv_audit?'))

    def check():
        out = witnessed_verify(config)
        assert out.startswith('OK: ') and out.split('head ')[1].split()[0] == head, out
        assert 'all on the chain' in out, out
        found = Direct(deployment, config)
        try:
            def pdfs(clinic):
                agreements = [a for a in mateo(clinic)['agreements'].values() if a.pdf]
                assert agreements
                for agreement in agreements:
                    with agreement.pdf.open('r') as f:
                        assert hashlib.sha256(f.read()).hexdigest() == agreement.pdf_sha256
            found.read(pdfs)
        finally:
            found.close()

    check()
    pack = where / 'pack.conf'
    pack.write_text(PACK % dict(blob_dir=where / 'pack-blobs', clinic_dsn=dsn('conv'),
                                audit_dsn=dsn('conv_audit')))
    run_script('zodbpack', '-d', '0', pack, timeout=300)
    check()
