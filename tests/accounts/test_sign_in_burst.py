"""A burst of wrong-password sign-ins for one address, all at once.

An outside scanner sent eight wrong passwords for one address together and
got two or three 500s: each failure rewrote the address's record in the
sign-in throttle, the concurrent transactions conflicted on it, and some
lost all three of pyramid_retry's attempts.  The throttle's counts now
merge (``accounts/throttle.py``), so a burst answers every request with the
ordinary "sign-in failed" page and counts every failure.

The app is served by waitress over a FileStorage in a temp directory (the
storage that resolves conflicts the way production does), with
``retry.attempts = 3``; the attempts are threads released together by a
barrier, each with its own browser, talking HTTP.
"""
import http.client
import re
import threading
import urllib.parse
from datetime import datetime, timezone

import pytest
from webtest.http import StopableWSGIServer

from minorconsent import main
from minorconsent.accounts import User, throttle
from support import app_settings, audit_entries, clinic_of

pytestmark = pytest.mark.xdist_group('reliability')

BURST = 8
PASSWORD = 'a long right passphrase'


def request(port, method, path, fields=None, cookies=None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    headers = {'Host': '127.0.0.1:%d' % port}
    if cookies:
        headers['Cookie'] = '; '.join('%s=%s' % kv for kv in cookies.items())
    body = None
    if fields is not None:
        body = urllib.parse.urlencode(fields)
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
    try:
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        found = {}
        for name, value in res.getheaders():
            if name.lower() == 'set-cookie':
                key, _, rest = value.partition('=')
                found[key] = rest.split(';')[0]
        return res.status, res.read().decode('utf-8'), found
    finally:
        conn.close()


def login_form(port):
    """The sign-in form's fields and the browser's cookies (CSRF)."""
    _, page, cookies = request(port, 'GET', '/login')
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields['sign in'] = 'sign in'
    return fields, cookies


@pytest.fixture(scope='module')
def served():
    settings = app_settings()
    assert settings['zodbconn.uri'].startswith('file://') and settings['retry.attempts'] == '3'
    app = main({}, **settings)
    server = StopableWSGIServer.create(app, threads=BURST + 4, expose_tracebacks=False)
    assert server.wait()
    yield app, server.adj.port
    server.shutdown()
    for db in app.registry._zodb_databases.values():
        db.close()


def new_account(app, email):
    with clinic_of(app.registry._zodb_databases[''], app.registry) as clinic:
        user = User(email, 'Burst Therapist', ['therapist'])
        user.password_hash = app.registry.passwords.hash(PASSWORD)
        clinic['users'].add_user(user)
        return user.__name__


def burst(port, email, count=BURST):
    """``count`` wrong-password sign-ins for ``email``, released together:
    the list of (status, page)."""
    browsers = [login_form(port) for _ in range(count)]
    gate = threading.Barrier(count)
    answers = [None] * count

    def attempt(n):
        fields, cookies = browsers[n]
        fields = dict(fields, email=email, password='wrong password %d!' % n)
        gate.wait()
        status, page, _ = request(port, 'POST', '/login', fields, cookies)
        answers[n] = (status, page)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def throttle_state(app, email):
    with clinic_of(app.registry._zodb_databases[''], app.registry) as clinic:
        store = clinic.sign_in_throttle
        return store.failures(email), store.is_locked(email, datetime.now(timezone.utc))


def assert_all_failed_normally(answers):
    statuses = [status for status, _ in answers]
    assert 500 not in statuses, statuses
    for status, page in answers:
        assert status == 200 and 'Sign-in failed' in page, (status, page[:500])


@pytest.mark.parametrize('round_', range(3))
def test_a_burst_of_wrong_passwords_counts_every_one_and_answers_no_500(
        served, monkeypatch, round_):
    """No pause within the burst (the allowance raised for the test), so
    every one of the attempts is a failure that must be counted."""
    app, port = served
    monkeypatch.setattr(throttle, 'FREE_ATTEMPTS', 1000)
    email = 'burst%d@demo.test' % round_
    uid = new_account(app, email)
    for rounds in (1, 2):
        answers = burst(port, email)
        assert_all_failed_normally(answers)
        assert throttle_state(app, email) == (BURST * rounds, False)
    failed = [e for e in audit_entries(app)
              if e['action'] == 'auth.sign_in_failed' and e['actor'] == uid]
    assert len(failed) == 2 * BURST


def test_a_burst_with_the_documented_rules_pauses_sign_in(served):
    """With the real allowance (5 failures), the burst pauses the address;
    attempts that began after the pause do not count (as one by one)."""
    app, port = served
    email = 'pause@demo.test'
    new_account(app, email)
    answers = burst(port, email, BURST + 4)
    assert_all_failed_normally(answers)
    failures, locked = throttle_state(app, email)
    assert locked and throttle.FREE_ATTEMPTS <= failures <= BURST + 4
    # The right password is refused during the pause, with the same page.
    fields, cookies = login_form(port)
    status, page, _ = request(port, 'POST', '/login',
                              dict(fields, email=email, password=PASSWORD), cookies)
    assert status == 200 and 'Sign-in failed' in page


def test_unknown_addresses_burst_alike(served, monkeypatch):
    """An address without an account is counted the same way."""
    app, port = served
    monkeypatch.setattr(throttle, 'FREE_ATTEMPTS', 1000)
    email = 'nobody-here@demo.test'
    assert_all_failed_normally(burst(port, email))
    assert throttle_state(app, email) == (BURST, False)


# --- the merge rule, without a server ---------------------------------------------

def test_concurrent_changes_of_a_shard_add_up():
    """What ``ThrottleShard._p_resolveConflict`` keeps: each writer's
    change of a count, a right password's removal, the later time."""
    from datetime import timedelta
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    t1, t2 = t0 + timedelta(seconds=1), t0 + timedelta(seconds=2)
    old = {'records': {'a': (3, t0), 'b': (2, t0), 'c': (1, t0)}, 'oldest': t0}
    committed = {'records': {'a': (4, t1), 'b': (2, t0), 'd': (1, t1)}, 'oldest': t0}
    new = {'records': {'a': (5, t2), 'b': (3, t2), 'c': (1, t0), 'd': (1, t2)}, 'oldest': t0}
    merged = throttle.ThrottleShard()._p_resolveConflict(old, committed, new)
    assert merged['records'] == {
        'a': (6, t2),       # one failure each
        'b': (3, t2),       # one failure on one side
        # 'c': a right password removed it on one side, nothing on the other
        'd': (2, t2),       # first failures of a new address on both sides
    }
    assert merged['oldest'] == t2
    # A right password on one side and a failure on the other: the failure stays.
    merged = throttle.ThrottleShard()._p_resolveConflict(
        old, {'records': {'b': (2, t0), 'c': (1, t0)}, 'oldest': t0},
        {'records': dict(old['records'], a=(4, t1)), 'oldest': t0})
    assert merged['records']['a'] == (1, t1)


def test_the_old_store_moves_to_the_shards_with_its_counts(app, clinic):
    """Evolve step 0025: an old database's counts, and pauses, survive."""
    from minorconsent.accounts.evolve import conflict_free_throttle
    from minorconsent.accounts.throttle import AddressThrottle, SignInThrottle
    now = datetime.now(timezone.utc)
    with clinic() as c:
        old = c.sign_in_throttle = SignInThrottle()
        for _ in range(6):
            old.record_failure('paused@demo.test', now)
        old.record_failure('once@demo.test', now)
    with clinic() as c:
        conflict_free_throttle(c, app.registry)
    with clinic() as c:
        store = c.sign_in_throttle
        assert isinstance(store, AddressThrottle) and len(store) == 2
        assert store.failures('paused@demo.test') == 6 and store.is_locked('paused@demo.test', now)
        assert store.failures('once@demo.test') == 1
        assert not store.is_locked('once@demo.test', now)
        conflict_free_throttle(c, app.registry)        # once only
        assert c.sign_in_throttle is store
