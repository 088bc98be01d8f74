"""Headers, CSRF, request size, and "no acknowledgement" over HTTP."""
import pytest

from support import csrf_of, new_browser, sign_in, ROLE_EMAILS


def test_every_response_carries_the_security_headers(app, browser_as, demo):
    browser = browser_as('therapist')
    for path, status in (('/login', 302), ('/clients/', 200),
                         ('/clients/%s/' % demo.mateo, 200), ('/nowhere', 404),
                         ('/static/css/minorconsent.css', 200)):
        res = browser.get(path, status=status)
        csp = res.headers['Content-Security-Policy']
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert 'unsafe-inline' not in csp
        assert res.headers['X-Content-Type-Options'] == 'nosniff'
        assert res.headers['Referrer-Policy'] == 'no-referrer'


def test_signed_in_pages_are_never_cached_but_static_files_are(app, browser_as, demo):
    browser = browser_as('guardian')
    for path in ('/family', '/clients/%s/family' % demo.mateo, '/password'):
        assert browser.get(path).headers['Cache-Control'] == 'no-store'
    static = browser.get('/static/css/minorconsent.css')
    assert 'max-age=3600' in static.headers['Cache-Control']


def test_no_page_has_inline_script(app, browser_as, demo):
    for role in ('therapist', 'guardian', 'admin'):
        browser = browser_as(role)
        for path in ('/', '/clients/%s/' % demo.mateo, '/clients/%s/add-goal' % demo.mateo,
                     '/users/add', '/settings', '/family'):
            res = browser.get(path, expect_errors=True).maybe_follow(expect_errors=True)
            assert '<script' not in res.text


def test_state_changing_requests_need_the_csrf_token(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/add-note' % demo.mateo
    data = {'text': 'A note', 'session_date': ''}
    missing = browser.post(path, data, expect_errors=True)
    assert missing.status_int == 400 and 'This form has expired' in missing.text
    assert browser.post(path, dict(data, csrf_token='forged'), expect_errors=True).status_int == 400
    with clinic() as c:
        assert len(c['clients'][demo.mateo]['notes']) == 2
    res = browser.post(path, dict(data, csrf_token=csrf_of(browser.get(path))))
    assert res.status_int == 302
    with clinic() as c:
        assert len(c['clients'][demo.mateo]['notes']) == 3


def test_the_sign_in_form_itself_needs_the_csrf_token(app):
    browser = new_browser(app)
    browser.get('/login')
    res = browser.post('/login', {'email': ROLE_EMAILS['therapist'],
                                  'password': 'demo-password-1'}, expect_errors=True)
    assert res.status_int == 400


def test_bodies_over_one_megabyte_answer_413_and_change_nothing(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/add-note' % demo.mateo
    token = csrf_of(browser.get(path))
    res = browser.post(path, {'csrf_token': token, 'text': 'x' * (1024 * 1024)},
                       expect_errors=True)
    assert res.status_int == 413
    with clinic() as c:
        assert len(c['clients'][demo.mateo]['notes']) == 2


CLIENT_PATHS = ('', 'edit', 'contact', 'add-goal', 'add-note', 'add-guardian',
                'family', 'mine')


@pytest.mark.parametrize('role', ['anonymous', 'therapist_other', 'guardian_other',
                                  'guardian_restricted', 'admin', 'adolescent'])
def test_a_client_you_may_not_see_looks_exactly_like_no_client(app, browser_as, demo, role):
    browser = browser_as(role)
    mateo = '/clients/%s/' % demo.mateo
    fake = '/clients/%s/' % ('Z' * len(demo.mateo))
    for name in CLIENT_PATHS + ('goals/%s/edit' % demo.mateo_goal,
                                'guardians/%s/edit' % demo.user_ids['guardian']):
        if role == 'adolescent' and name == 'mine':
            continue
        real = browser.get(mateo + name, expect_errors=True)
        none = browser.get(fake + name, expect_errors=True)
        assert real.status_int == none.status_int == 404, (name, real.status)
        assert real.body == none.body
        drop = ('Date',)
        assert ([h for h in real.headerlist if h[0] not in drop]
                == [h for h in none.headerlist if h[0] not in drop])
        assert 'Mateo' not in real.text and 'Alvarez' not in real.text


def test_https_posts_with_a_null_origin_work_when_the_token_is_right(app):
    """Referrer-Policy: no-referrer makes browsers send "Origin: null"."""
    from webtest import TestApp
    browser = TestApp(app, extra_environ={'HTTP_HOST': 'localhost',
                                          'wsgi.url_scheme': 'https'})
    page = browser.get('/login')
    headers = {'Origin': 'null'}
    res = browser.post('/login', {'csrf_token': csrf_of(page), 'email': ROLE_EMAILS['therapist'],
                                  'password': 'demo-password-1'}, headers=headers)
    assert res.status_int == 302 and res.location == 'https://localhost/todo'
    res = browser.post('/login', {'csrf_token': 'forged', 'email': ROLE_EMAILS['therapist'],
                                  'password': 'demo-password-1'}, headers=headers,
                       expect_errors=True)
    assert res.status_int == 400 and 'This form has expired' in res.text


def test_secure_mode_uses_host_prefixed_cookies():
    from minorconsent.security.csrf import SessionBoundCSRF
    from minorconsent.security.policy import ClinicSecurityPolicy
    cookie = ClinicSecurityPolicy(secure_cookies=True)._cookie('t')
    assert cookie.startswith('__Host-mc_session=t;') and 'Secure' in cookie and 'Path=/' in cookie
    assert SessionBoundCSRF(secure_cookies=True).anonymous.cookie_profile.cookie_name \
        == '__Host-mc_csrf'


def test_a_path_outside_the_clinic_route_gets_the_one_not_found_page(browser_as):
    """A newline in a path stops the route's pattern (found by the URL
    fuzzer): the answer must still be the clinic's not-found page."""
    for role in ('anonymous', 'therapist', 'guardian'):
        browser = browser_as(role)
        nowhere = browser.get('/no-such-page-here/', status=404)
        for path in ('/%0A/', '/x%0Ay/', '/clients/%0A/'):
            res = browser.get(path, status=404)
            assert res.body == nowhere.body, (role, path)


def test_a_query_string_that_is_not_utf8_is_a_bad_address(browser_as):
    """``?page=%ff`` made a view reading ``request.GET`` answer 500 (found
    by the URL fuzzer); it is a 400 'not a valid address' page anywhere."""
    admin = browser_as('admin')
    for path in ('/workflows/confidentiality-agreement/state?page=%ff', '/users/?page=%ff',
                 '/login?x=%c3%28'):
        res = admin.get(path, status=400)
        assert 'This address is not valid' in res.text
    assert admin.get('/users/?page=%c3%a9').status_int == 200   # real UTF-8 is fine


def test_only_a_view_that_takes_a_file_admits_a_bigger_body(app, clinic, demo):
    """The paper-signature form takes a scan up to the upload limit; the
    same 2 MB posted anywhere else (or to that name by GET) is 413."""
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    page = browser.get('/clients/%s/add-note' % demo.mateo)
    big = {'csrf_token': csrf_of(page), 'text': 'x' * (2 * 1024 * 1024)}
    elsewhere = browser.post('/clients/%s/add-note' % demo.mateo, big, expect_errors=True)
    assert elsewhere.status_int == 413
    upload = browser.post('/clients/%s/agreements/%s/paper-signature'
                          % (demo.mateo, demo.mateo_consent), big, expect_errors=True)
    assert upload.status_int != 413      # the view answers (the consent is active: 400)
    assert upload.status_int == 400
    # Only that view: any other path ending in the name keeps the 1 MB
    # limit (found in review).
    for path in ('/nothing/paper-signature', '/clients/%s/paper-signature' % demo.mateo):
        assert browser.post(path, big, expect_errors=True).status_int == 413, path
    too_big = {'csrf_token': big['csrf_token'], 'text': 'x' * (12 * 1024 * 1024)}
    res = browser.post('/clients/%s/agreements/%s/paper-signature'
                       % (demo.mateo, demo.mateo_consent), too_big, expect_errors=True)
    assert res.status_int == 413


def test_a_post_to_a_path_that_is_not_utf8_is_not_a_500(app):
    """The upload-limit check reads the path before any view: a path that
    is not UTF-8 (found by the URL fuzzer) must get the app's own answer.
    Straight to the app: WebTest itself cannot send such a path."""
    from webob import Request
    for path in ('/%ff', '//%ff', '/clients/%ff/paper-signature'):
        req = Request.blank(path, environ={'HTTP_HOST': 'localhost', 'REQUEST_METHOD': 'POST',
                                           'REMOTE_ADDR': '192.0.2.10'})
        assert req.get_response(app).status_int < 500, path
