"""The API's edges (issue 19: "a FHIR error, never a 500"): three refusals
are made before any view runs -- a method other than GET/HEAD/POST
(``security.gate``), an address that is not UTF-8 (``site.views.bad_url``)
and a body over 1 MB (``security.headers``).  Under ``/fhir/`` they were
the clinic's HTML pages (and a plain-text 413), at the token endpoint too;
an EHR reads JSON.  Now each answers in the API's format
(``config.add_refusal_renderer``): an OperationOutcome under ``/fhir/``,
the OAuth error JSON at ``/auth/token``; with the same status, nothing
written, no audit entry.  Every HTML page keeps its answers byte for byte.
"""
import json

import pytest
from pyramid.config import Configurator
from webob import Request

from support import app_settings, new_browser, seed
from test_fhir_support import EHR

METHODS = ('PUT', 'DELETE', 'OPTIONS', 'PROPFIND')
TWO_MB = b'x=' + b'a' * (2 * 1024 * 1024)
FORM = 'application/x-www-form-urlencoded'


def raw(app, path, method='GET', body=None, headers=None):
    """Straight to the WSGI app: WebTest cannot send a path that is not
    UTF-8 (waitress can)."""
    environ = {'HTTP_HOST': 'localhost', 'REMOTE_ADDR': '192.0.2.19', 'REQUEST_METHOD': method}
    req = Request.blank(path, environ=environ, headers=headers or {})
    if body is not None:
        req.body = body
        req.content_type = FORM
    return req.get_response(app)


def writes(app):
    app.registry.audit_recorder.flush()
    return (app.db.storage.lastTransaction(),
            app.registry._zodb_databases['audit'].storage.lastTransaction(),
            len(app.registry.audit_recorder.buffer))


def assert_outcome(res, status, code):
    assert res.status_int == status, res.status
    assert res.content_type == 'application/fhir+json', res.content_type
    assert res.charset.lower() == 'utf-8'
    body = json.loads(res.body)
    assert body['resourceType'] == 'OperationOutcome'
    assert [issue['code'] for issue in body['issue']] == [code]
    assert b'<html' not in res.body.lower()
    assert res.headers['Cache-Control'] == 'no-store'
    assert 'Content-Security-Policy' in res.headers     # the tween still ran
    return body


def assert_oauth(res, status):
    assert res.status_int == status, res.status
    assert res.content_type == 'application/json', res.content_type
    body = json.loads(res.body)
    assert body['error'] == 'invalid_request'
    assert set(body) <= {'error', 'error_description'}
    assert res.headers['Cache-Control'] == 'no-store'
    return body


@pytest.fixture
def ehr(app):
    return EHR(app)


@pytest.mark.parametrize('method', METHODS)
def test_a_method_the_api_does_not_take_is_a_405_outcome(app, ehr, method):
    before = writes(app)
    for path in ('/fhir/Consent', '/fhir/Consent/x', '/fhir/', '/fhir', '/fhir/metadata'):
        res = raw(app, path, method, headers={'Authorization': 'Bearer ' + ehr.token})
        assert_outcome(res, 405, 'not-supported')
        assert res.headers['Allow'] == 'GET, HEAD'      # as the view's own 405 says
    assert writes(app) == before


@pytest.mark.parametrize('method', METHODS)
def test_a_method_the_token_endpoint_does_not_take_is_an_oauth_405(app, method):
    before = writes(app)
    res = raw(app, '/auth/token', method)
    assert_oauth(res, 405)
    assert res.headers['Allow'] == 'POST'
    assert writes(app) == before


def test_an_address_that_is_not_utf8_is_a_400_outcome(app, ehr):
    before = writes(app)
    auth = {'Authorization': 'Bearer ' + ehr.token}
    for path in ('/fhir/%ff', '/fhir/Consent/%ff', '/fhir/Consent?patient=%ff',
                 '/fhir/Consent?%c3%28=1', '/fhir/metadata?x=%ff', '/fhir/./Consent/%ff',
                 '//fhir//Consent/%fe%ff'):
        for method in ('GET', 'POST'):
            res = raw(app, path, method, headers=auth)
            body = assert_outcome(res, 400, 'invalid')
            assert 'UTF-8' in body['issue'][0]['diagnostics'], path
            assert '\ufffd' not in res.text and '%ff' not in res.text   # nothing echoed
    assert writes(app) == before


def test_an_address_that_is_not_utf8_at_the_token_endpoint_is_an_oauth_400(app):
    before = writes(app)
    for path in ('/auth/token?x=%ff', '/auth/token/%ff'):
        res = raw(app, path, 'POST', body=b'grant_type=client_credentials')
        assert_oauth(res, 400)
    assert writes(app) == before


def test_a_body_over_the_limit_is_a_413_in_the_api_format(app, ehr):
    before = writes(app)
    res = raw(app, '/fhir/Consent', 'POST', body=TWO_MB,
              headers={'Authorization': 'Bearer ' + ehr.token})
    assert_outcome(res, 413, 'too-long')
    res = raw(app, '/auth/token', 'POST', body=TWO_MB)
    assert assert_oauth(res, 413)['error_description'] == 'The request is too large.'
    assert writes(app) == before


def test_an_unreadable_form_at_the_token_endpoint_is_an_oauth_400(app):
    before = writes(app)
    res = raw(app, '/auth/token', 'POST', body=b'grant_type=client_credentials',
              headers={'Content-Type': FORM + '; charset=no-such-charset'})
    assert_oauth(res, 400)
    assert writes(app) == before


def test_the_html_pages_keep_the_clinics_own_answers(app):
    """The same requests to a page (and to paths that only look like the
    API's) get the clinic's HTML 405 and 400 and the plain-text 413."""
    before = writes(app)
    for path in ('/login', '/', '/fhirx/Consent', '/clients/fhir', '/auth/', '/auth/other',
                 '/auth-token'):
        for method in METHODS:
            res = raw(app, path, method)
            assert res.status_int == 405 and res.content_type == 'text/html', (path, method)
            assert res.headers['Allow'] == 'GET, HEAD, POST'
            assert 'This request is not accepted' in res.text
        res = raw(app, path, 'POST', body=TWO_MB)
        assert res.status_int == 413 and res.content_type == 'text/plain', path
        assert res.body == b'The request is too large.\n'
    for path in ('/users/%ff', '/login?x=%ff', '/fhirx/%ff', '/%ff/fhir/Consent'):
        res = raw(app, path)
        assert res.status_int == 400 and res.content_type == 'text/html', path
        assert 'This address is not valid' in res.text
    assert writes(app) == before
    # The answer to a page is the one it was: the same bytes as a path
    # no room claims.
    browser = new_browser(app)
    assert browser.request('/login', method='PUT', expect_errors=True).body == \
        browser.request('/no-such-page', method='PUT', expect_errors=True).body


def test_a_host_apps_prefix_moves_the_api_edges_with_the_clinic():
    """Mounted under ``/portal``, the API's refusals are found there; the
    same segment outside the clinic's route is none of the clinic's."""
    with Configurator(settings=app_settings()) as config:
        config.include('minorconsent', route_prefix='/portal')
    app = config.make_wsgi_app()
    seed(app.registry._zodb_databases[''], app.registry)
    assert_outcome(raw(app, '/portal/fhir/Consent', 'PUT'), 405, 'not-supported')
    assert_outcome(raw(app, '/portal/fhir/Consent?patient=%ff'), 400, 'invalid')
    assert_outcome(raw(app, '/portal/fhir/%ff'), 400, 'invalid')
    assert_outcome(raw(app, '/portal/fhir/Consent', 'POST', body=TWO_MB), 413, 'too-long')
    assert_oauth(raw(app, '/portal/auth/token', 'DELETE'), 405)
    for path in ('/fhir/Consent', '/portal/x/fhir/Consent'):
        res = raw(app, path, 'PUT')
        assert res.status_int == 405 and res.content_type == 'text/html', path
        res = raw(app, path, 'POST', body=TWO_MB)
        assert res.content_type == 'text/plain', path
