"""production.ini is the configuration a clinic deploys: its security
settings are part of the product, and so is what they put on the wire."""
from pathlib import Path

from pyramid.paster import get_appsettings
from pyramid.settings import asbool
from webtest import TestApp

from minorconsent import main
from support import app_settings

REPO = Path(__file__).resolve().parents[2]


def production():
    return get_appsettings(str(REPO / 'production.ini'), name='main')


def test_production_ini_turns_the_protections_on():
    settings = production()
    assert asbool(settings['minorconsent.secure_cookies'])
    assert asbool(settings['minorconsent.hsts'])
    assert settings.get('minorconsent.password_profile', 'default') == 'default'
    assert asbool(settings.get('minorconsent.rate_limits', True))
    assert not asbool(settings.get('pyramid.reload_templates', False))
    assert 'pyramid_debugtoolbar' not in settings.get('pyramid.includes', '')
    # Both databases, each bounded in memory.
    assert 'zodbconn.uri.audit' in settings
    assert 'connection_cache_size_bytes' in settings['zodbconn.uri']


def test_production_server_trusts_only_its_own_proxy():
    from configparser import ConfigParser
    parser = ConfigParser(interpolation=None)
    parser.read(REPO / 'production.ini')
    server = parser['server:main']
    assert server['listen'].startswith('127.0.0.1:')
    assert server['trusted_proxy'] == '127.0.0.1'
    assert server['clear_untrusted_proxy_headers'] == 'true'
    # waitress admits the largest body the app takes (an upload); the app
    # holds every other request to the smaller limit itself.
    assert int(server['max_request_body_size']) == \
        int(production().get('minorconsent.max_upload_bytes', 11534336))
    assert int(production()['minorconsent.max_body_bytes']) == 1048576


def test_secure_settings_put_hsts_and_secure_host_cookies_on_the_wire():
    app = TestApp(main({}, **app_settings(**{'minorconsent.secure_cookies': 'true',
                                             'minorconsent.hsts': 'true'})),
                  extra_environ={'HTTP_HOST': 'clinic.example', 'wsgi.url_scheme': 'https'})
    res = app.get('/login')
    assert res.headers['Strict-Transport-Security'] == 'max-age=31536000'
    assert res.headers['X-Frame-Options'] == 'DENY'
    assert "frame-ancestors 'none'" in res.headers['Content-Security-Policy']
    cookies = res.headers.getall('Set-Cookie')
    assert cookies and all(c.startswith('__Host-') and 'secure' in c.lower() and 'httponly' in c.lower()
                           for c in cookies)


def test_development_settings_send_no_hsts():
    app = TestApp(main({}, **app_settings()), extra_environ={'HTTP_HOST': 'localhost'})
    res = app.get('/login')
    assert 'Strict-Transport-Security' not in res.headers
    assert res.headers['X-Frame-Options'] == 'DENY'
