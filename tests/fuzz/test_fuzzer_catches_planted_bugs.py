"""The fuzzer would notice: bugs planted in the form code are caught.

A fuzz suite that passes because it never reaches the form code, or
because its checks cannot fail, is worse than none.  Each test here plants
one kind of bug into ``FormHandler.validate`` (every deform form goes
through it) and runs the same fuzz the suite runs on one therapist form;
the fuzz must fail, for the right reason.
"""
import pytest

from minorconsent.site.forms import FormHandler
from test_forms import fuzz_form

pytestmark = pytest.mark.xdist_group('fuzz')


def goal_form(world):
    return next(f for f in world.forms if f.action.endswith('/add-goal'))


def test_a_500_on_odd_input_is_caught(world_of, monkeypatch):
    world = world_of('therapist')
    validate = FormHandler.validate

    def planted(self):
        if any(len(v) > 5000 for v in self.request.POST.values() if isinstance(v, str)):
            raise ValueError('planted: long values crash')
        return validate(self)
    monkeypatch.setattr(FormHandler, 'validate', planted)
    with pytest.raises(AssertionError, match='answered 500'):
        fuzz_form(world, goal_form(world), examples=40, shrink=False)


def test_a_write_on_a_rejected_request_is_caught(world_of, monkeypatch):
    """A rejected form that still writes (here: a re-shown form with 200,
    as a view that forgets to set the status would answer)."""
    world = world_of('therapist')
    validate = FormHandler.validate

    def planted(self):
        values = validate(self)
        if values is None:
            self.request.clinic['clients'][world.demo.mateo].diagnosis = 'planted'
            self.request.response.status = 200
        return values
    monkeypatch.setattr(FormHandler, 'validate', planted)
    with pytest.raises(AssertionError, match='but wrote'):
        fuzz_form(world, goal_form(world), examples=40, shrink=False)


def test_an_accepted_value_that_breaks_its_page_is_caught(world_of, monkeypatch):
    """Accepted input that makes the record's page fail afterwards."""
    world = world_of('therapist')
    validate = FormHandler.validate

    def planted(self):
        values = validate(self)
        if values is not None:
            # Accept, but store a status the client page cannot look up.
            values['status'] = []
        return values
    monkeypatch.setattr(FormHandler, 'validate', planted)
    with pytest.raises(AssertionError, match='then GET'):
        fuzz_form(world, goal_form(world), examples=40, shrink=False)
