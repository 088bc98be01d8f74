"""Unexpected errors: a plain 500 page; conflicts: retried, then saved."""
from pyramid.config import Configurator
from webtest import TestApp
from ZODB.POSException import ConflictError

from support import app_settings
from minorconsent.site import Clinic, ROUTE


def build(view):
    with Configurator(settings=app_settings()) as config:
        config.include('minorconsent')
        config.add_view(view, context=Clinic, name='probe', route_name=ROUTE,
                        permission='public', renderer='string')
    return TestApp(config.make_wsgi_app())


def test_an_unexpected_error_is_a_plain_500_with_the_usual_headers():
    def broken(request):
        raise RuntimeError('secret internals')
    res = build(broken).get('/probe', status=500)
    assert 'Something went wrong' in res.text
    assert 'secret internals' not in res.text and 'Traceback' not in res.text
    assert res.headers['Cache-Control'] == 'no-store'
    assert "frame-ancestors 'none'" in res.headers['Content-Security-Policy']


def test_a_conflict_is_retried_and_the_write_lands_once():
    calls = []

    def conflicted(request):
        calls.append(1)
        request.clinic.settings.name = 'Written on attempt %d' % len(calls)
        if len(calls) < 3:
            raise ConflictError()
        return 'ok'
    app = build(conflicted)
    assert app.get('/probe').text == 'ok'
    assert len(calls) == 3
    db = app.app.registry._zodb_databases['']
    conn = db.open()
    try:
        assert conn.root()['minorconsent'].settings.name == 'Written on attempt 3'
    finally:
        conn.close()


def test_a_conflict_on_every_attempt_ends_in_the_500_page():
    def always(request):
        raise ConflictError()
    assert 'Something went wrong' in build(always).get('/probe', status=500).text
