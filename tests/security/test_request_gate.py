"""Requests the clinic cannot read are refused before anything reads them:
a form body in a charset other than UTF-8, or multipart without a boundary,
answered 500 (anonymous included); a made-up HTTP method reached the views
and was stored on the audit trail as an action forever (3,000 anonymous
requests grew the admin's /audit page from 34 KB to 499 KB)."""
import time

import pytest

from support import ROLE_EMAILS, audit_entries, mails_since, new_browser, sign_in

UNREADABLE = (
    'application/x-www-form-urlencoded; charset=utf-16',
    'application/x-www-form-urlencoded; charset=no-such-charset',
    'application/x-www-form-urlencoded; charset=latin-1',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary=""',
    'multipart/form-data; charset=utf-16; boundary=xyz',
    'multipart/form-data; boundary=' + 'x' * 300,
)

MADE_UP = ('FROB', 'PROPFIND', 'M-SEARCH', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE',
           'X' * 40)


def writes(app):
    return (app.db.storage.lastTransaction(),
            app.registry._zodb_databases['audit'].storage.lastTransaction())


@pytest.mark.parametrize('content_type', UNREADABLE)
def test_an_unreadable_form_body_is_a_400_and_changes_nothing(app, demo, content_type):
    guardian = sign_in(app, ROLE_EMAILS['guardian_other'])
    anonymous = new_browser(app)
    app.registry.audit_recorder.flush()
    before = writes(app)
    since = time.time_ns()
    body = 'email=guardian2%40demo.test&password=x'.encode('utf-16') \
        if 'utf-16' in content_type else b'email=guardian2%40demo.test&password=x'
    for browser, path in ((anonymous, '/login'), (anonymous, '/forgot-password'),
                          (guardian, '/password'), (guardian, '/clients/%s/family' % demo.ava)):
        res = browser.post(path, body, headers={'Content-Type': content_type},
                           expect_errors=True)
        assert res.status_int == 400, (path, res.status)
        assert 'This form could not be read' in res.text
        assert 'Nothing was saved' in res.text
    assert mails_since(since) == []
    assert writes(app) == before


def test_a_nested_part_without_a_boundary_is_a_400(app):
    body = (b'--outer\r\nContent-Disposition: form-data; name="email"\r\n'
            b'Content-Type: multipart/mixed\r\n\r\nx\r\n--outer--\r\n')
    res = new_browser(app).post('/login', body, expect_errors=True,
                                headers={'Content-Type': 'multipart/form-data; boundary=outer'})
    assert res.status_int == 400 and 'This form could not be read' in res.text


def test_a_utf8_form_still_signs_in(app):
    for content_type in ('application/x-www-form-urlencoded; charset=UTF-8',
                         'application/x-www-form-urlencoded; charset="utf8"'):
        browser = new_browser(app)
        fields = dict(browser.get('/login').forms['form'].submit_fields())
        fields.update(email=ROLE_EMAILS['guardian'], password='demo-password-1')
        res = browser.post('/login', fields, headers={'Content-Type': content_type})
        assert res.status_int == 302, content_type


@pytest.mark.parametrize('method', MADE_UP)
def test_a_made_up_method_is_405_before_the_audit_trail(app, demo, method):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    before = len(audit_entries(app))
    for browser in (new_browser(app), therapist):
        for path in ('/login', '/', '/clients/%s/' % demo.mateo, '/clients/no-such-client/'):
            res = browser.request(path, method=method, expect_errors=True)
            assert res.status_int == 405, (method, path, res.status)
            assert res.headers['Allow'] == 'GET, HEAD, POST'
            assert 'Content-Security-Policy' in res.headers
    entries = audit_entries(app)
    assert not [e for e in entries if e['action'].split(' ')[0] == method]
    assert len(entries) == before


def test_get_head_and_post_still_answer(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    assert therapist.get('/clients/%s/' % demo.mateo).status_int == 200
    assert therapist.head('/clients/%s/' % demo.mateo).status_int == 200
    assert new_browser(app).head('/login').status_int == 200
