"""A host Pyramid app mounts the whole clinic under a prefix."""
import pytest
from pyramid.config import Configurator
from pyramid.response import Response
from webtest import TestApp

from support import app_settings, seed, ROLE_EMAILS


def host_home(request):
    return Response('host home page')


@pytest.fixture(scope='module')
def host():
    with Configurator(settings=app_settings()) as config:
        config.add_route('host_home', '/')
        config.add_view(host_home, route_name='host_home')
        config.include('minorconsent', route_prefix='/portal')
    app = config.make_wsgi_app()
    demo = seed(app.registry._zodb_databases[''], app.registry)
    return app, demo


def test_host_keeps_its_own_routes(host):
    app, _ = host
    assert TestApp(app).get('/').text == 'host home page'


def test_clinic_lives_under_the_prefix(host):
    app, demo = host
    browser = TestApp(app, extra_environ={'HTTP_HOST': 'localhost'})
    assert browser.get('/portal/').location == 'http://localhost/portal/login'
    login = browser.get('/portal/login')
    assert 'href="http://localhost/portal/static/css/minorconsent.css"' in login.text
    assert browser.get('/portal/static/css/minorconsent.css').status_int == 200
    form = login.forms['form']
    form['email'], form['password'] = ROLE_EMAILS['therapist'], 'demo-password-1'
    res = form.submit()
    assert res.location == 'http://localhost/portal/todo'
    assert 'href="http://localhost/portal/clients' in res.follow().text
    page = browser.get('/portal/clients/')
    assert 'href="http://localhost/portal/clients/%s/"' % demo.mateo in page.text
    client = browser.get('/portal/clients/%s/' % demo.mateo)
    assert 'http://localhost/portal/clients/%s/add-goal' % demo.mateo in client.text
    missing = browser.get('/portal/clients/nope/', status=404)
    assert 'href="http://localhost/portal/"' in missing.text
    assert browser.get('/portal/users/', status=404)   # not an admin
