"""One request class for the app (site/request.py, issue 20): the router no
longer builds a class per request, and every request extension still works,
per request, in a page view and in a script's request."""
from pyramid.decorator import reify
from pyramid.interfaces import INewRequest, IRequestFactory
from pyramid.request import Request
from pyramid.scripting import prepare

from minorconsent.site import clinic_url
from minorconsent.site.model import Clinic
from support import new_browser, sign_in

EXTENSIONS = ('tm', 'clinic', 'mailer', 'api_grant', 'clinic_url')


def requests_of(app, make_requests):
    """The request objects the router made while ``make_requests()`` ran."""
    seen = []

    def subscriber(event):
        seen.append(event.request)
    app.registry.registerHandler(subscriber, (INewRequest,))
    try:
        make_requests()
    finally:
        app.registry.unregisterHandler(subscriber, (INewRequest,))
    return seen


def test_every_request_is_of_the_one_registered_class(app):
    browser = new_browser(app)
    seen = requests_of(app, lambda: (browser.get('/login'), browser.get('/login')))
    assert len(seen) == 2
    cls = app.registry.queryUtility(IRequestFactory)
    assert type(seen[0]) is type(seen[1]) is cls is app.request_factory
    assert issubclass(cls, Request)
    for name in EXTENSIONS:
        assert name in cls.__dict__, name
    assert isinstance(cls.__dict__['tm'], reify)
    assert isinstance(cls.__dict__['clinic'], reify)
    # The router has nothing left to apply per request.
    assert app.request_extensions is None


def test_reified_values_belong_to_each_request(app):
    browser = sign_in(app, 'guardian@demo.test')
    seen = requests_of(app, lambda: (browser.get('/family'), browser.get('/family')))
    first, second = seen
    for name in ('tm', 'clinic'):
        # Computed at first use and kept on the instance, never the class.
        assert name in first.__dict__ and name in second.__dict__, name
        assert isinstance(type(first).__dict__[name], reify)
    assert first.__dict__['tm'] is not second.__dict__['tm']
    assert isinstance(first.__dict__['clinic'], Clinic)


def test_two_requests_at_once_have_their_own_values(app):
    """Two live requests made as the router makes them (pyramid_retry asks
    ``request_context`` for each attempt's request) each reify their own
    transaction manager and their own connection's clinic."""
    environ = {'HTTP_HOST': 'localhost', 'PATH_INFO': '/', 'REQUEST_METHOD': 'GET',
               'wsgi.url_scheme': 'http', 'SERVER_NAME': 'localhost', 'SERVER_PORT': '80'}
    contexts = [app.request_context(dict(environ)) for _ in range(2)]
    first, second = [context.begin() for context in contexts]
    try:
        assert type(first) is type(second) is app.request_factory
        first.tm.begin()
        second.tm.begin()
        assert first.tm is not second.tm
        assert first.clinic is not second.clinic
        assert first.clinic._p_jar is not second.clinic._p_jar
        assert first.clinic._p_oid == second.clinic._p_oid
        first.tm.abort()
        second.tm.abort()
    finally:
        for context, request in zip(reversed(contexts), (second, first)):
            request._process_finished_callbacks()
            context.end()


def test_a_request_method_binds_to_its_request(app):
    browser = new_browser(app)
    seen = requests_of(app, lambda: browser.get('/login'))
    request = seen[0]
    assert request.clinic_url.__self__ is request
    assert request.clinic_url.__func__ is clinic_url


def _script_request_works(request):
    request.tm.begin()
    try:
        assert isinstance(request.clinic, Clinic)
        assert request.clinic is request.clinic          # reified
        assert request.mailer is not None
        assert request.api_grant is None                 # no bearer token
        assert request.clinic_url(request.clinic['clients']) == 'http://localhost/clients/'
    finally:
        request.tm.abort()


def test_a_script_request_has_every_extension(app):
    env = prepare(registry=app.registry)
    try:
        request = env['request']
        assert isinstance(request, app.request_factory)
        _script_request_works(request)
    finally:
        env['closer']()
    # Two script requests never share a reified value.
    first, second = prepare(registry=app.registry), prepare(registry=app.registry)
    try:
        assert first['request'].tm is not second['request'].tm
    finally:
        second['closer']()
        first['closer']()


def test_a_plain_request_handed_to_a_script_gets_the_extensions(app):
    env = prepare(registry=app.registry,
                  request=Request.blank('/', environ={'HTTP_HOST': 'localhost'}))
    try:
        _script_request_works(env['request'])
    finally:
        env['closer']()
