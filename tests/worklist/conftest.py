"""Fixtures of the worklist tests: a prepared (script) request whose
transaction the mail joins, as the daily runner and a page have."""
import pytest
from pyramid.scripting import prepare

from minorconsent.site.daily import as_of, run_daily

from support import committed


@pytest.fixture
def in_request(app):
    """``in_request(fn)``: ``fn(clinic, request)`` in one committed
    transaction of a request that is the current one (mail joins it)."""
    env = prepare(registry=app.registry)
    request = env['request']
    # A script's request has nobody signed in; a page's has.  The tests
    # say who (``as_user``), as the page's session would.
    request.__class__ = type('SignedInRequest', (type(request),),
                             {'authenticated_userid': None})

    def run(fn, as_user=None):
        request.authenticated_userid = as_user
        return committed(request, fn)
    run.request = request
    yield run
    env['closer']()


@pytest.fixture
def daily(app, clinic, in_request):
    """``daily(day, *tasks)``: the runner's outcomes by task name."""
    def run(day, *tasks):
        with clinic() as c:
            moment = as_of(day, c.settings)
        return {o.name: o for o in run_daily(in_request.request, moment, only=tasks or None)}
    return run
