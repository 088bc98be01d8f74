"""bench/reference_app.py is a fair reference only while it really does what
it claims: a server-side session whose idle time is checked on every
request, an ACL computed from the record's links that refuses, and an
audit entry per view that reaches the database.  If any of these became a
no-op, the reference would drift towards a "Hello" and every ratio
bench/pages.py reports against it would flatter the app; these tests fail
first.  (No timings are asserted here.)"""
import sys
from pathlib import Path

import pytest
import time_machine
import transaction
from webtest import TestApp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'bench'))
import reference_app  # noqa: E402

IDLE = 600


@pytest.fixture
def app(tmp_path):
    app = reference_app.make_app(tmp_path, idle_seconds=IDLE, audit_interval=0)
    yield app
    app.registry._zodb_databases[''].close()


def signed_in(app, email='guardian-a@demo.test'):
    browser = TestApp(app, extra_environ={'REMOTE_ADDR': '192.0.2.7'})
    answer = browser.post('/login', {'email': email, 'password': reference_app.PASSWORD})
    assert answer.status_int == 302
    assert reference_app.COOKIE in browser.cookies
    return browser


def audit_entries(app):
    conn = app.registry._zodb_databases[''].open()
    try:
        return [entry for _, (_, batch) in conn.root()['reference']['audit'].items()
                for entry in batch]
    finally:
        conn.close()


def test_signed_in_guardian_gets_the_rendered_page(app):
    page = signed_in(app).get('/records/r1')
    assert page.status_int == 200
    assert 'Child of guardian-a' in page.text
    assert page.text.count('<tr>') == 5          # the header and four goals
    assert 800 < len(page.body) < 2000           # the ~1 KB template, rendered
    assert page.headers['Cache-Control'] == 'no-store'


def test_without_a_session_the_page_sends_to_sign_in(app):
    answer = TestApp(app).get('/records/r1', status=302)
    assert answer.headers['Location'].endswith('/login')
    wrong = TestApp(app)
    wrong.set_cookie(reference_app.COOKIE, 'not-a-session')
    assert wrong.get('/records/r1', status=302).headers['Location'].endswith('/login')


def test_an_idle_session_is_refused_and_an_active_one_kept(app):
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        browser = signed_in(app)
        for _ in range(3):                       # active: each view touches it
            clock.shift(IDLE - 60)
            assert browser.get('/records/r1').status_int == 200
        clock.shift(IDLE + 1)                    # idle too long
        assert browser.get('/records/r1', status=302).headers['Location'].endswith('/login')
        # and it stays ended: it was removed, not just refused once
        clock.shift(-(IDLE + 1))
        assert browser.get('/records/r1', status=302)


def test_another_guardians_record_answers_like_a_missing_one(app):
    browser = signed_in(app)
    other = browser.get('/records/r2', status=404)
    missing = browser.get('/records/no-such-record', status=404)
    assert other.body == missing.body
    assert signed_in(app, 'guardian-b@demo.test').get('/records/r2').status_int == 200


def test_the_acl_is_computed_from_the_links_on_each_request(app):
    browser = signed_in(app)
    assert browser.get('/records/r1').status_int == 200
    conn = app.registry._zodb_databases[''].open()
    conn.root()['reference']['records']['r1'].guardians = ['u2']
    transaction.commit()
    conn.close()
    browser.get('/records/r1', status=404)


def test_each_view_leaves_an_audit_entry_in_the_database(app):
    browser = signed_in(app)
    browser.get('/records/r1')
    browser.get('/records/r2', status=404)
    assert app.registry.reference_audit.flush() == 3       # sign-in and two views
    outcomes = [(e['actor'], e['record'], e['outcome']) for e in audit_entries(app)]
    assert ('u1', 'r1', '200') in outcomes
    assert ('u1', 'r2', 'denied') in outcomes
    assert all(e['ip'] == '192.0.2.7' and e['at'] for e in audit_entries(app))
    browser.get('/records/r1')
    assert app.registry.reference_audit.flush() == 1
    conn = app.registry._zodb_databases[''].open()
    batches = conn.root()['reference']['audit']
    assert len(batches) == 2 and batches[1][0] != batches[2][0]   # chained digests
    conn.close()
