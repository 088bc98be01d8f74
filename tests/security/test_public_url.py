"""Links in mail come from the configured ``minorconsent.public_url``, never
from the request: a forged ``Host`` (or ``X-Forwarded-Host`` through the
production proxy settings) once mailed guardian2 a password-reset link to
``http://evil.example/reset-password/<token>``.  With
``minorconsent.enforce_host`` on (production.ini), a request for another
host is refused with 400 before anything reads or writes."""
import re
import time
from configparser import ConfigParser
from pathlib import Path

import pytest
from pyramid.exceptions import ConfigurationError
from pyramid.paster import get_appsettings
from waitress.proxy_headers import proxy_headers_middleware
from webtest import TestApp

from minorconsent import main
from support import (ROLE_EMAILS, app_settings, csrf_of, mail_text, mails_since, new_browser,
                     sign_in)

REPO = Path(__file__).resolve().parents[2]
EVIL = 'evil.example'
PUBLIC = 'https://portal.clinic.example'
GUARDIAN2 = ROLE_EMAILS['guardian_other']


@pytest.fixture
def public(app, monkeypatch):
    """``public(url, enforce=False)``: the app as configured with that
    ``public_url`` (and host enforcement), for this test only."""
    from minorconsent.site.canonical import PublicSite

    def configure(url=PUBLIC, enforce=False):
        monkeypatch.setattr(app.registry, 'public_site', PublicSite(url, enforce_host=enforce))
    return configure


def behind_the_proxy(app):
    """The app as production.ini's waitress serves it: the proxy on
    127.0.0.1 is trusted for the headers listed there."""
    parser = ConfigParser(interpolation=None)
    parser.read(REPO / 'production.ini')
    server = parser['server:main']
    wrapped = proxy_headers_middleware(
        app, trusted_proxy=server['trusted_proxy'],
        trusted_proxy_headers=set(server['trusted_proxy_headers'].split()),
        clear_untrusted=server['clear_untrusted_proxy_headers'] == 'true')
    return TestApp(wrapped, extra_environ={'HTTP_HOST': 'localhost',
                                           'REMOTE_ADDR': server['trusted_proxy']})


def forge(browser, host=EVIL, forwarded=False):
    """Headers that send ``browser``'s next request to ``host`` while it
    keeps its cookies (WebTest picks cookies by the request's host)."""
    cookies = '; '.join('%s=%s' % (c.name, c.value) for c in browser.cookiejar)
    headers = {'Cookie': cookies} if cookies else {}
    headers['X-Forwarded-Host' if forwarded else 'Host'] = host
    return headers


def ask_reset(browser, email=GUARDIAN2, **forged):
    form = browser.get('/forgot-password').forms['form']
    form['email'] = email
    return form.submit(headers=forge(browser, **forged), expect_errors=True)


def links_in(messages):
    return re.findall(r'https?://\S+', '\n'.join(mail_text(m) for m in messages))


def test_a_forged_host_on_forgot_password_mails_the_configured_address(app, public):
    public(PUBLIC)
    since = time.time_ns()
    res = ask_reset(new_browser(app))
    assert res.status_int == 302
    (link,) = links_in(mails_since(since))
    assert link.startswith(PUBLIC + '/reset-password/'), link


def test_a_forged_host_never_reaches_the_mail_with_the_test_settings(app):
    """The same attack on today's settings (``public_url`` of the test
    suite is http://localhost), without replacing anything."""
    since = time.time_ns()
    ask_reset(new_browser(app))
    (message,) = mails_since(since)
    text = mail_text(message)
    assert EVIL not in text
    assert re.search(r'http://localhost/reset-password/\S+', text)


def test_a_forged_x_forwarded_host_through_the_proxy_mails_the_configured_address(app, public):
    public(PUBLIC)
    since = time.time_ns()
    ask_reset(behind_the_proxy(app), forwarded=True)
    (link,) = links_in(mails_since(since))
    assert EVIL not in link and link.startswith(PUBLIC + '/reset-password/'), link


def test_an_invitation_sent_through_a_forged_host_links_to_the_configured_address(
        app, clinic, demo, public):
    public(PUBLIC)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % demo.lucia
    page = therapist.get(client + 'add-agreement').forms['form'].submit().follow()
    with clinic() as c:
        ref = [a.__name__ for a in c['clients'][demo.lucia]['agreements'].values()
               if a.state == 'draft'][0]
    since = time.time_ns()
    res = therapist.post(client + 'agreements/%s/step' % ref,
                         {'csrf_token': csrf_of(page), 'step': 'send'},
                         headers=forge(therapist), expect_errors=True)
    assert res.status_int == 302, res.status
    links = links_in(mails_since(since))
    assert links and all(link.startswith(PUBLIC + '/invite/') for link in links), links


def test_an_email_change_asked_through_a_forged_host_links_to_the_configured_address(
        app, public):
    public(PUBLIC)
    guardian = sign_in(app, GUARDIAN2)
    page = guardian.get('/password')
    form = page.forms['email']
    fields = dict(form.submit_fields())
    fields.update({'new_email': 'chris.new@example.org', 'current': 'demo-password-1'})
    since = time.time_ns()
    res = guardian.post('/password', fields, headers=forge(guardian, forwarded=False),
                        expect_errors=True)
    assert res.status_int == 302, res.status
    (link,) = links_in(mails_since(since))
    assert link.startswith(PUBLIC + '/confirm-email/'), link


# --- enforcement ------------------------------------------------------------------

def test_with_enforcement_a_forged_host_gets_400_and_nothing_is_mailed_or_written(app, public):
    public('http://localhost', enforce=True)
    browser = new_browser(app)
    assert browser.get('/forgot-password').status_int == 200      # the real host is fine
    before = app.db.storage.lastTransaction()
    since = time.time_ns()
    for forwarded in (False, True):
        client = behind_the_proxy(app) if forwarded else browser
        res = ask_reset(client, forwarded=forwarded)
        assert res.status_int == 400, res.status
        assert EVIL not in res.text and EVIL not in str(res.headers)
        assert 'This address is not valid' in res.text
    assert browser.get('/login', headers={'Host': EVIL}, status=400)
    assert mails_since(since) == []
    assert app.db.storage.lastTransaction() == before


def test_enforcement_compares_the_name_and_any_port_given():
    from minorconsent.site.canonical import PublicSite
    site = PublicSite('https://Portal.Clinic.example/', enforce_host=True)
    assert site.url == 'https://portal.clinic.example'
    for host in ('portal.clinic.example', 'PORTAL.clinic.example', 'portal.clinic.example:443'):
        assert site.accepts_host(host), host
    for host in ('evil.example', 'portal.clinic.example:8443', 'portal.clinic.example.evil.example',
                 '', 'portal.clinic.example@evil.example', 'evil.example#portal.clinic.example'):
        assert not site.accepts_host(host), host
    prefixed = PublicSite('http://127.0.0.1:6543/portal')
    assert prefixed.link('reset-password', 'a b') == 'http://127.0.0.1:6543/portal/reset-password/a%20b'
    assert prefixed.accepts_host('127.0.0.1:6543') and not prefixed.accepts_host('127.0.0.1')


# --- configuration ------------------------------------------------------------------

def production_settings(tmp_path, **overrides):
    settings = dict(get_appsettings(str(REPO / 'production.ini'), name='main'))
    tmp_path = tmp_path / str(time.time_ns())      # each start opens (and locks) its own
    tmp_path.mkdir()
    settings.update({'zodbconn.uri': 'file://%s/Data.fs?blobstorage_dir=%s/blobs' % (tmp_path, tmp_path),
                     'zodbconn.uri.audit': 'file://%s/Audit.fs' % tmp_path,
                     'minorconsent.audit.background': 'false',
                     'minorconsent.password_profile': 'cheapest'})
    settings.update(overrides)
    return settings


def test_production_ini_without_a_public_url_refuses_to_start(tmp_path):
    settings = production_settings(tmp_path)
    assert not settings.get('minorconsent.public_url')     # the operator fills it in
    with pytest.raises(ConfigurationError, match='minorconsent.public_url'):
        main({}, **settings)
    for bad in ('portal.clinic.example', 'ftp://portal.clinic.example', 'https://',
                'https://portal.clinic.example/?x=1', 'https://user@portal.clinic.example'):
        with pytest.raises(ConfigurationError, match='minorconsent.public_url'):
            main({}, **production_settings(tmp_path, **{'minorconsent.public_url': bad}))


def test_production_ini_with_a_public_url_enforces_its_host(tmp_path):
    app = main({}, **production_settings(tmp_path, **{'minorconsent.public_url': PUBLIC}))
    assert app.registry.public_site.enforce_host
    browser = TestApp(app, extra_environ={'wsgi.url_scheme': 'https'})
    assert browser.get('/login', headers={'Host': 'portal.clinic.example'}).status_int == 200
    assert browser.get('/login', headers={'Host': EVIL}, status=400)


def test_the_test_and_development_settings_name_their_own_address():
    assert app_settings()['minorconsent.public_url'] == 'http://localhost'
    development = get_appsettings(str(REPO / 'development.ini'), name='main')
    assert development['minorconsent.public_url'] == 'http://127.0.0.1:6543'
