"""The placeholder road (``site/hidden.py``) spends a budget the security
room sets (``config.set_probe_budget``); the site imports no rate limiter."""
import pytest
from pyramid import testing

from minorconsent.site.hidden import NoProbeBudget, TooManyProbes, spend_probe_budget


class Spent:
    def spend(self, request, limit):
        return 7

    def refuse(self, request, limit, wait):
        return 'refused %s after %d' % (limit, wait)


def test_without_a_budget_every_probe_goes_on():
    request = testing.DummyRequest()
    request.registry.probe_budget = NoProbeBudget()
    assert spend_probe_budget(request, 'client-probe') is None


def test_a_spent_budget_raises_with_its_limit_and_wait():
    request = testing.DummyRequest()
    request.registry.probe_budget = Spent()
    with pytest.raises(TooManyProbes) as raised:
        spend_probe_budget(request, 'account-probe')
    assert (raised.value.limit, raised.value.wait) == ('account-probe', 7)


def test_the_clinic_spends_the_security_rooms_budget(app):
    from minorconsent.security.ratelimit import ProbeBudget
    assert isinstance(app.registry.probe_budget, ProbeBudget)
