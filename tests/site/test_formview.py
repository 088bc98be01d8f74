"""The shared form view: initial values, one success method per button,
errors next to their field with a 400, nothing changed on a failure."""
import colander
import pytest
from pyramid import testing
from pyramid.csrf import get_csrf_token
from pyramid.httpexceptions import HTTPFound

from minorconsent.site.forms import FormView


class NameSchema(colander.MappingSchema):
    name = colander.SchemaNode(colander.String(), validator=colander.Length(1, 20))


class Rename(FormView):
    schema = NameSchema()
    buttons = ('save', 'save copy')

    def appstruct(self):
        return {'name': self.context['name']}

    def page(self):
        return {'heading': 'Rename'}

    def save_success(self, values):
        if values['name'] == 'taken':
            return self.fail('name', 'That name is taken.')
        self.context['name'] = values['name']
        return HTTPFound(location='/done')

    def save_copy_success(self, values):
        self.context['copy'] = values['name']
        return HTTPFound(location='/copied')


@pytest.fixture
def config():
    yield testing.setUp()
    testing.tearDown()


def run(config, post=None, context=None):
    request = testing.DummyRequest(post=post)
    if post is not None:
        request.method = 'POST'
        post.setdefault('csrf_token', get_csrf_token(request))
    context = context if context is not None else {'name': 'Ada'}
    return Rename(context, request)(), request, context


def test_a_get_shows_the_initial_values_and_the_page(config):
    result, request, _ = run(config)
    assert result['heading'] == 'Rename'
    assert 'value="Ada"' in result['form']
    assert 'name="csrf_token"' in result['form']


def test_each_button_calls_its_own_success(config):
    result, _, context = run(config, {'name': 'Bea', 'save': 'save'})
    assert result.location == '/done' and context['name'] == 'Bea'
    result, _, context = run(config, {'name': 'Cy', 'save_copy': 'save_copy'})
    assert result.location == '/copied' and context == {'name': 'Ada', 'copy': 'Cy'}


def test_no_button_named_means_the_first(config):
    result, _, context = run(config, {'name': 'Bea'})
    assert result.location == '/done' and context['name'] == 'Bea'


def test_an_invalid_submission_is_a_400_and_changes_nothing(config):
    result, request, context = run(config, {'name': '', 'save': 'save'})
    assert request.response.status_int == 400
    assert context == {'name': 'Ada'}
    assert 'error' in result['form'] and result['heading'] == 'Rename'


def test_fail_puts_the_message_next_to_the_field(config):
    result, request, context = run(config, {'name': 'taken', 'save': 'save'})
    assert request.response.status_int == 400
    assert context == {'name': 'Ada'}
    assert 'That name is taken.' in result['form']


def test_two_forms_on_one_request_share_the_id_counter(config):
    request = testing.DummyRequest()
    first = Rename({'name': 'A'}, request)()['form']
    second = Rename({'name': 'B'}, request)()['form']
    assert 'deformField1' in first and 'deformField1' not in second


class Gated(Rename):
    """``before`` answers for a closed page; ``on_submit`` for a POST past
    its budget; what ``before`` found is there for the schema's binding."""

    def before(self):
        if self.context.get('closed'):
            self.request.response.status = 410
            return {'heading': 'Gone', 'form': None}
        self.found = self.context['name'].upper()

    def on_submit(self):
        if self.context.get('limited'):
            return HTTPFound(location='/wait')

    def page(self):
        return {'heading': 'Rename ' + self.found}


def run_gated(config, context, post=None):
    request = testing.DummyRequest(post=post)
    if post is not None:
        request.method = 'POST'
        post.setdefault('csrf_token', get_csrf_token(request))
    return Gated(context, request)(), request


def test_before_answers_first_and_builds_no_form(config):
    result, request = run_gated(config, {'name': 'Ada', 'closed': True},
                                {'name': 'Bea', 'save': 'save'})
    assert result == {'heading': 'Gone', 'form': None}
    assert request.response.status_int == 410


def test_before_keeps_what_it_found_for_the_page(config):
    result, _ = run_gated(config, {'name': 'Ada'})
    assert result['heading'] == 'Rename ADA' and 'value="Ada"' in result['form']


def test_on_submit_answers_a_post_before_validation(config):
    context = {'name': 'Ada', 'limited': True}
    result, request = run_gated(config, context, {'name': '', 'save': 'save'})
    assert result.location == '/wait' and request.response.status_int == 200
    assert context['name'] == 'Ada'
    # A GET is not a submission: the page as usual.
    result, _ = run_gated(config, context)
    assert result['heading'] == 'Rename ADA'


def test_on_submit_is_asked_only_for_a_post_of_this_form(config):
    context = {'name': 'Ada', 'limited': True}
    result, request = run_gated(config, context, {'name': 'Bea', '__formid__': 'other'})
    assert result['heading'] == 'Rename ADA' and request.response.status_int == 200
