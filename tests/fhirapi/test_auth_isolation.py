"""No session, CSRF token or staff role works on the API, and no API token
works on the HTML pages (issue 19 item 1).

* a bearer token on a staff page is no sign-in: the answer is the
  anonymous visitor's, byte for byte;
* ``request.api_grant`` reads the ``Authorization: Bearer`` header only:
  not a cookie, a query parameter or a form field, not another scheme;
* a signed-in admin's session cookie gets 401 on a ``/fhir/`` search (the
  resource views ask ``request.api_grant`` only);
* the token endpoint is the one view without a CSRF check.
"""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from pyramid.request import Request
from pyramid.scripting import prepare

from minorconsent.site import ROUTE

from api_support import api_browser, bearer, register_client, token_for
from support import ROLE_EMAILS, new_browser, sign_in


@pytest.fixture
def token(app):
    client_id, key = register_client(app)
    return token_for(app, client_id, key)


@pytest.mark.parametrize('path', ['/users/', '/settings', '/api-clients', '/todo',
                                  '/audit', '/clients/'])
def test_a_bearer_token_on_an_html_page_is_not_a_sign_in(app, token, path):
    anonymous = new_browser(app).get(path, expect_errors=True)
    with_token = new_browser(app).get(path, headers=bearer(token), expect_errors=True)
    assert with_token.status_int == anonymous.status_int
    assert with_token.status_int in (302, 404)
    assert with_token.headers.get('Location') == anonymous.headers.get('Location')
    assert with_token.body == anonymous.body


def test_a_bearer_token_posted_to_an_html_form_changes_nothing(app, token):
    res = new_browser(app).post('/settings', {'portal_name': 'Taken over'},
                                headers=bearer(token), expect_errors=True)
    assert res.status_int in (302, 400, 404)
    admin = sign_in(app, 'admin@demo.test')
    assert 'Taken over' not in admin.get('/settings').text


def test_the_grant_comes_from_the_bearer_header_only(app, token):
    browser = api_browser(app)
    # The token endpoint's answer is of no use as a session cookie either.
    browser.set_cookie('mc_session', token)
    assert 'Sign in' in browser.get('/users/', expect_errors=True).follow().text


def test_api_grant_reads_only_the_authorization_header(app, token):
    results = {}
    for label, environ in {
        'bearer': {'HTTP_AUTHORIZATION': 'Bearer ' + token},
        'lowercase scheme': {'HTTP_AUTHORIZATION': 'bearer ' + token},
        'basic': {'HTTP_AUTHORIZATION': 'Basic ' + token},
        'no scheme': {'HTTP_AUTHORIZATION': token},
        'query': {'QUERY_STRING': 'access_token=' + token},
        'cookie': {'HTTP_COOKIE': 'access_token=%s; mc_session=%s' % (token, token)},
        'two tokens': {'HTTP_AUTHORIZATION': 'Bearer %s %s' % (token, token)},
        'made up': {'HTTP_AUTHORIZATION': 'Bearer ' + 'x' * 43},
        'huge': {'HTTP_AUTHORIZATION': 'Bearer ' + 'x' * 100_000},
    }.items():
        results[label] = grant_of_request(app, environ)
    assert results.pop('bearer') is not None
    assert results.pop('lowercase scheme') is not None
    assert results == {label: None for label in results}


def grant_of_request(app, environ):
    """``request.api_grant`` of a request the app's own factory and
    extensions build from ``environ``, as a view would see it."""
    env = prepare(registry=app.registry, request=Request.blank(
        '/', environ=dict({'HTTP_HOST': 'localhost'}, **environ)))
    request = env['request']
    try:
        request.tm.begin()
        grant = request.api_grant
        request.tm.abort()
        return grant
    finally:
        env['closer']()


def fhir_views(app):
    return [e['introspectable'] for e in app.registry.introspector.get_category('views')
            if e['introspectable']['route_name'] == ROUTE
            and e['introspectable']['name'] == 'fhir']


@pytest.mark.parametrize('role', ['admin', 'therapist', 'privacy_officer'])
def test_a_staff_session_cookie_gets_401_on_a_fhir_search(app, role):
    assert fhir_views(app), 'the /fhir/ view is not registered'
    browser = sign_in(app, ROLE_EMAILS[role])
    for path in ('/fhir/Consent', '/fhir/Patient?identifier=x|y', '/fhir/Goal'):
        res = browser.get(path, expect_errors=True)
        assert res.status_int == 401, (path, res.status)
        assert 'entry' not in res.text


def test_no_html_page_skips_the_csrf_check(app):
    exempt = sorted(
        (e['introspectable']['context'].__name__, e['introspectable']['name'])
        for e in app.registry.introspector.get_category('views')
        if e['introspectable']['route_name'] == ROUTE
        and e['introspectable']['require_csrf'] is False
        and not issubclass(e['introspectable']['context'] or object, Exception))
    # Sign-out checks the token itself whenever a session is live
    # (accounts/views.py); the token endpoint and /fhir/ (which answers
    # anything but GET with its own 405) take no cookie at all.
    assert exempt == [('Clinic', 'auth'), ('Clinic', 'fhir'), ('Clinic', 'logout')]


def test_the_token_endpoint_needs_no_csrf_token_and_ignores_a_session(app):
    admin = sign_in(app, 'admin@demo.test')
    res = admin.post('/auth/token', {'grant_type': 'client_credentials'},
                     expect_errors=True)
    assert res.status_int == 400 and res.json['error'] == 'invalid_request'


def test_a_token_reads_fhir_until_its_client_is_disabled_on_the_admin_page(app):
    client_id, key = register_client(app, scopes=('system/Consent.rs',))
    token = token_for(app, client_id, key, scopes=('system/Consent.rs',))
    api = api_browser(app)
    res = api.get('/fhir/Consent', headers=bearer(token))
    assert res.status_int == 200 and res.json['resourceType'] == 'Bundle'
    assert api.get('/fhir/Goal?patient=x', headers=bearer(token),
                   expect_errors=True).status_int == 403
    admin = sign_in(app, 'admin@demo.test')
    form = [f for f in admin.get('/api-clients').forms.values()
            if f.fields.get('client_id') and f['client_id'].value == client_id][0]
    form.submit('action', value='disable')
    res = api.get('/fhir/Consent', headers=bearer(token), expect_errors=True)
    assert res.status_int == 401
    # The admin's own session (and the token with it) reaches nothing more.
    res = admin.get('/fhir/Consent', headers=bearer(token), expect_errors=True)
    assert res.status_int == 401


def test_a_bad_or_expired_token_is_told_invalid_token(app):
    """RFC 6750 3.1: a request with a token that is no (longer a) live one
    gets ``error="invalid_token"``; one with no token gets no error code."""
    client_id, key = register_client(app, scopes=('system/Consent.rs',))
    api = api_browser(app)
    res = api.get('/fhir/Consent', status=401)
    assert res.headers['WWW-Authenticate'] == 'Bearer realm="fhir"'
    for value in ('Bearer made-up-token', 'Bearer ' + 'x' * 300, 'bearer nope'):
        res = api.get('/fhir/Consent', headers={'Authorization': value}, status=401)
        assert res.headers['WWW-Authenticate'] == 'Bearer realm="fhir", error="invalid_token"'
    token = token_for(app, client_id, key, scopes=('system/Consent.rs',))
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(minutes=6)):
        res = api.get('/fhir/Consent', headers=bearer(token), status=401)
    assert 'error="invalid_token"' in res.headers['WWW-Authenticate']
    res = api.get('/fhir/Consent', headers={'Authorization': 'Basic dXNlcjpwdw=='},
                  status=401)
    assert res.headers['WWW-Authenticate'] == 'Bearer realm="fhir"'
