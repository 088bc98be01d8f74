"""Twenty people save the same goal, then the same summary draft, at once.

The app is served by waitress (24 threads) over a FileStorage in a temp
directory with ``retry.attempts = 3``, as in production; the authors are
threads released together by a barrier, each with its own signed-in
session, talking HTTP.  With forms all built from the same version,
exactly one edit lands and the other 19 get the 409 conflict page (some
of them after a ZODB ConflictError and a retry); no request ever answers
500.  With fresh forms, every edit lands and none is lost.
"""
import http.client
import threading
import urllib.parse
from collections import Counter
from datetime import date, datetime, timezone

import pytest
from bs4 import BeautifulSoup
from webtest.http import StopableWSGIServer

from minorconsent import main
from minorconsent.scripts.seed import DEMO_PASSWORD
from support import ROLE_EMAILS, app_settings, audit_entries, clinic_of, seed

AUTHORS = 20


class Browser:
    """A minimal HTTP browser: cookies, forms read with BeautifulSoup."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, fields=None):
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
        headers = {'Host': '127.0.0.1:%d' % self.port}
        if self.cookies:
            headers['Cookie'] = '; '.join('%s=%s' % kv for kv in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
            headers['Origin'] = 'http://127.0.0.1:%d' % self.port
            headers['Referer'] = 'http://127.0.0.1:%d%s' % (self.port, path)
        try:
            conn.request(method, path, body=body, headers=headers)
            res = conn.getresponse()
            text = res.read().decode('utf-8')
            for name, value in res.getheaders():
                if name.lower() == 'set-cookie':
                    key, _, rest = value.partition('=')
                    self.cookies[key] = rest.split(';')[0]
            return res.status, text
        finally:
            conn.close()

    @staticmethod
    def form_fields(html, formid='form'):
        """The fields a browser would submit from the form (and its button)."""
        form = BeautifulSoup(html, 'html.parser').find('form', id=formid)
        assert form is not None, html[:2000]
        fields = {}
        for tag in form.find_all(['input', 'textarea', 'select']):
            name = tag.get('name')
            if not name or tag.get('type') == 'submit':
                continue
            if tag.name == 'textarea':
                fields[name] = tag.text
            elif tag.name == 'select':
                chosen = tag.find('option', selected=True) or tag.find('option')
                fields[name] = chosen.get('value', '') if chosen else ''
            elif tag.get('type') == 'checkbox':
                if tag.has_attr('checked'):
                    fields[name] = tag.get('value', 'true')
            else:
                fields[name] = tag.get('value', '')
        button = form.find('button', type='submit')
        if button is not None and button.get('name'):
            fields[button['name']] = button.get('value', '')
        return fields

    def sign_in(self, email):
        status, page = self.request('GET', '/login')
        fields = self.form_fields(page)
        fields.update(email=email, password=DEMO_PASSWORD)
        status, _ = self.request('POST', '/login', fields)
        assert status == 302, 'sign-in failed'
        return self


@pytest.fixture(scope='module')
def served():
    """The app over a FileStorage in a temp dir, served by waitress."""
    settings = app_settings()
    assert settings['zodbconn.uri'].startswith('file://') and settings['retry.attempts'] == '3'
    app = main({}, **settings)
    demo = seed(app.registry._zodb_databases[''], app.registry)
    server = StopableWSGIServer.create(app, threads=AUTHORS + 4, expose_tracebacks=False,
                                       connection_limit=200)
    assert server.wait()
    yield app, demo, server.adj.port
    server.shutdown()
    for db in app.registry._zodb_databases.values():
        db.close()


def in_clinic(app, fn):
    with clinic_of(app.registry._zodb_databases[''], app.registry) as clinic:
        return fn(clinic)


def new_goal(app, demo, title):
    from minorconsent.clients import Goal

    def add(clinic):
        return clinic['clients'][demo.mateo]['goals'].add(Goal('clinical', title))
    return '/clients/%s/goals/%s/' % (demo.mateo, in_clinic(app, add))


def new_draft(app, demo, period):
    from minorconsent.summaries import add_progress, write_summary

    def add(clinic):
        client = clinic['clients'][demo.mateo]
        for goal in client['goals'].values():
            if goal.status == 'active':
                add_progress(goal, date.today(), 'in-progress', '', demo.user_ids['therapist'])
        return write_summary(clinic, client, period, 'Start.',
                             demo.user_ids['therapist']).__name__
    return '/clients/%s/summaries/%s/' % (demo.mateo, in_clinic(app, add))


def run_together(count, work):
    """Run ``work(i)`` in ``count`` threads released together; results."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def run(i):
        try:
            results[i] = work(i, barrier)
        except BaseException as exc:     # reported below, not lost in a thread
            errors.append(exc)
            barrier.abort()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    return results


def authors(port):
    return [Browser(port).sign_in(ROLE_EMAILS['therapist']) for _ in range(AUTHORS)]


def since(app, start):
    return [e for e in audit_entries(app) if e['at'] >= start]


def stamp():
    return datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def stale_race(app, port, path, field, text_of, extra=lambda i, fields: None):
    """Every author fetches the form, then all submit at once."""
    browsers = authors(port)
    forms = []
    for browser in browsers:
        status, page = browser.request('GET', path + 'edit')
        assert status == 200
        forms.append(Browser.form_fields(page))
    assert len({f['revision'] for f in forms}) == 1, 'all forms carry the same version'

    def submit(i, barrier):
        fields = dict(forms[i])
        fields[field] = text_of(i)
        extra(i, fields)
        barrier.wait()
        return browsers[i].request('POST', path + 'edit', fields)
    return run_together(AUTHORS, submit)


def test_twenty_simultaneous_edits_of_one_goal_one_lands(served):
    app, demo, port = served
    path = new_goal(app, demo, 'Original title')
    start = stamp()
    results = stale_race(app, port, path, 'parent_title', lambda i: 'Title by author %02d' % i)
    statuses = Counter(status for status, _ in results)
    assert statuses == {302: 1, 409: AUTHORS - 1}, statuses          # and so no 500
    (winner,) = [i for i, (status, _) in enumerate(results) if status == 302]
    landed = 'Title by author %02d' % winner
    for i, (status, text) in enumerate(results):
        if status == 409:
            assert 'Someone else changed this goal while you were editing' in text
            page = BeautifulSoup(text, 'html.parser')
            current = page.find('dl', class_='current-version').get_text()
            assert landed in current                                    # the current version
            assert page.find('input', attrs={'name': 'parent_title'})['value'] == \
                'Title by author %02d' % i                              # their own text
    gid = path.rstrip('/').rsplit('/', 1)[1]

    def stored(clinic):
        goal = clinic['clients'][demo.mateo]['goals'][gid]
        return goal.parent_title, goal.revision
    assert in_clinic(app, stored) == (landed, 1)
    entries = since(app, start)
    edits = [e for e in entries if e['action'] == 'goal.edit' and e['target'].endswith(gid)]
    assert len(edits) == 1 and edits[0]['detail'].startswith('revision 1')
    outcomes = Counter(e['outcome'] for e in entries if e['action'] == 'POST Goal.edit')
    assert outcomes['302'] == 1 and outcomes['409 not-committed'] == AUTHORS - 1, outcomes
    # Any other entries are attempts that hit a ConflictError and were retried.
    assert set(outcomes) <= {'302', '409 not-committed', '302 not-committed'}, outcomes
    print('retried after a ConflictError:', outcomes['302 not-committed'])


def test_twenty_simultaneous_edits_of_one_summary_draft_one_lands(served):
    app, demo, port = served
    path = new_draft(app, demo, 'Race month')
    start = stamp()

    def rate(i, fields):
        for name in fields:
            if name.startswith('rating_'):
                fields[name] = ('improving', 'worsening', 'achieved')[i % 3]
    results = stale_race(app, port, path, 'parent_text',
                         lambda i: 'Summary text by author %02d' % i, rate)
    statuses = Counter(status for status, _ in results)
    assert statuses == {302: 1, 409: AUTHORS - 1}, statuses
    (winner,) = [i for i, (status, _) in enumerate(results) if status == 302]
    landed = 'Summary text by author %02d' % winner
    for i, (status, text) in enumerate(results):
        if status == 409:
            assert 'Someone else changed this summary while you were editing' in text
            page = BeautifulSoup(text, 'html.parser')
            assert landed in page.find('dl', class_='current-version').get_text()
            assert page.find('textarea', attrs={'name': 'parent_text'}).text == \
                'Summary text by author %02d' % i
    ref = path.rstrip('/').rsplit('/', 1)[1]

    def stored(clinic):
        summary = clinic['clients'][demo.mateo]['summaries'][ref]
        return summary.parent_text, set(summary.ratings().values()), summary.revision
    assert in_clinic(app, stored) == (landed, {('improving', 'worsening', 'achieved')[winner % 3]},
                                      1)
    entries = since(app, start)
    edits = [e for e in entries if e['action'] == 'summary.edit' and e['target'].endswith(ref)]
    assert len(edits) == 1
    outcomes = Counter(e['outcome'] for e in entries if e['action'] == 'POST Summary.edit')
    assert outcomes['302'] == 1 and outcomes['409 not-committed'] == AUTHORS - 1, outcomes


def interleaved(app, port, path, field):
    """Each author fetches a fresh form and submits it, one pair at a time
    in the order the threads arrive: every edit lands on the previous one."""
    browsers = authors(port)
    turn = threading.Lock()

    def work(i, barrier):
        barrier.wait()
        with turn:
            status, page = browsers[i].request('GET', path + 'edit')
            assert status == 200
            fields = Browser.form_fields(page)
            seen = fields[field]
            fields[field] = 'Edit by author %02d' % i
            status, _ = browsers[i].request('POST', path + 'edit', fields)
            return status, seen, fields[field]
    return run_together(AUTHORS, work)


def assert_a_chain(results, first):
    """Each author's form showed the text the previous author saved."""
    assert Counter(status for status, _, _ in results) == {302: AUTHORS}
    after = {seen: mine for _, seen, mine in results}
    assert len(after) == AUTHORS
    text, chain = first, []
    while text in after:
        text = after[text]
        chain.append(text)
    assert len(chain) == AUTHORS
    return chain[-1]


def test_twenty_interleaved_goal_edits_all_land(served):
    app, demo, port = served
    path = new_goal(app, demo, 'Interleaved goal')
    last = assert_a_chain(interleaved(app, port, path, 'parent_title'), 'Interleaved goal')
    gid = path.rstrip('/').rsplit('/', 1)[1]
    assert in_clinic(app, lambda c: (c['clients'][demo.mateo]['goals'][gid].parent_title,
                                     c['clients'][demo.mateo]['goals'][gid].revision)) == \
        (last, AUTHORS)


def test_twenty_interleaved_summary_edits_all_land(served):
    app, demo, port = served
    path = new_draft(app, demo, 'Interleaved month')
    last = assert_a_chain(interleaved(app, port, path, 'parent_text'), 'Start.')
    ref = path.rstrip('/').rsplit('/', 1)[1]
    assert in_clinic(app, lambda c: (c['clients'][demo.mateo]['summaries'][ref].parent_text,
                                     c['clients'][demo.mateo]['summaries'][ref].revision)) == \
        (last, AUTHORS)


def test_twenty_authors_who_resave_from_the_conflict_page_all_land(served):
    """All at once, and whoever gets the conflict page saves again from it
    (it carries the current version): every author's edit lands in turn,
    the revision counts all 20, and no request answers 500."""
    app, demo, port = served
    path = new_goal(app, demo, 'Busy goal')
    browsers = authors(port)
    start = stamp()

    def work(i, barrier):
        status, page = browsers[i].request('GET', path + 'edit')
        fields = Browser.form_fields(page)
        fields['parent_title'] = 'Busy edit %02d' % i
        barrier.wait()
        seen = []
        for _ in range(AUTHORS * 2):
            status, page = browsers[i].request('POST', path + 'edit', fields)
            seen.append(status)
            if status != 409:
                return seen
            fields = Browser.form_fields(page)           # my text, current revision
            assert fields['parent_title'] == 'Busy edit %02d' % i
        return seen
    results = run_together(AUTHORS, work)
    assert all(seen[-1] == 302 for seen in results), results
    assert all(set(seen) <= {302, 409} for seen in results), results
    assert sum(len(seen) for seen in results) > AUTHORS     # there was contention
    gid = path.rstrip('/').rsplit('/', 1)[1]
    assert in_clinic(app, lambda c: c['clients'][demo.mateo]['goals'][gid].revision) == AUTHORS
    edits = [e for e in since(app, start)
             if e['action'] == 'goal.edit' and e['target'].endswith(gid)]
    assert sorted(int(e['detail'].split(':')[0].split()[1]) for e in edits) == \
        list(range(1, AUTHORS + 1))
