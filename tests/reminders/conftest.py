"""Fixtures of the reminders tests: a prepared (script) request whose
transaction the mail joins, as the daily runner has, and the runner
itself as of a day's noon on the clinic's clock."""
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

    def run(fn):
        return committed(request, fn)
    run.request = request
    yield run
    env['closer']()


@pytest.fixture
def daily(app, clinic, in_request):
    """``daily(day, hour=12)``: the reminders task's outcome as of ``hour``
    o'clock on ``day`` (the clinic's clock)."""
    def run(day, hour=12):
        with clinic() as c:
            moment = as_of(day, c.settings, hour)
        (outcome,) = run_daily(in_request.request, moment, only=('reminders',))
        return outcome
    return run
