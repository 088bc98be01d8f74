"""The shipped definitions, parsing, export and the validator's words."""
from importlib.resources import files

import pytest
import tomli_w
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from minorconsent.workflow import read_definitions
from minorconsent.workflow.definition import DefinitionError, loads, parse, to_data
from minorconsent.workflow.validate import problems, visibility

from wfsupport import GUARDS

SHIPPED = files('minorconsent') / 'workflows'


def shipped():
    return {wid: wf for wid, (src, wf) in read_definitions(SHIPPED, GUARDS).items()}


def test_the_defaults_ship_and_are_sound():
    defs = shipped()
    assert set(defs) == {'consent-to-treatment', 'confidentiality-agreement', 'parent-summary',
                         'release-of-information', 'safety-disclosure'}
    for workflow in defs.values():
        assert problems(workflow, GUARDS) == []
    consent = defs['consent-to-treatment']
    assert {s.id for s in consent.states} == {
        'draft', 'sent', 'active', 'declined', 'revoked', 'expired', 'superseded'}
    summary = defs['parent-summary']
    assert summary.state('published').granted('guardian') == ('view-published',)
    assert summary.state('draft').granted('guardian') == ()
    # A guardian reads a disclosure's words only once it is signed off.
    disclosure = defs['safety-disclosure']
    assert disclosure.state('awaiting_signoff').granted('guardian') == ()
    assert disclosure.state('recorded').granted('guardian') == ('view-published',)
    # A release never counts as consent to treatment.
    assert not any(s.activates_consent for s in defs['release-of-information'].states)


def test_export_and_reimport_is_lossless():
    for workflow in shipped().values():
        again = loads(tomli_w.dumps(to_data(workflow)))
        assert again == workflow


def base():
    return to_data(shipped()['parent-summary'])


def check(data):
    return problems(parse(data), GUARDS)


def test_unreachable_state_is_named():
    data = base()
    data['states']['limbo'] = {'title': 'Limbo', 'permissions': {}}
    assert 'State "limbo" cannot be reached from the initial state "draft".' in check(data)


def test_transition_to_a_missing_state_is_named():
    data = base()
    data['transitions'][2]['to'] = 'publishd'
    assert any('Transition "publish" goes to "publishd", which is not a state' in p
               for p in check(data))


def test_family_may_never_get_staff_permissions():
    data = base()
    data['states']['published']['permissions']['guardian'] = ['view-published', 'view']
    found = check(data)
    assert any('State "published" would let a guardian "view"' in p for p in found)


def test_consent_activation_needs_the_signature_guard():
    data = to_data(shipped()['consent-to-treatment'])
    for t in data['transitions']:
        if t['id'] == 'activate':
            t['guards'] = []
    assert ('Transition "activate" activates consent in "active" without the '
            '"all_required_guardians_signed" guard.') in check(data)


def test_unknown_guard_role_permission_and_duplicates():
    data = base()
    data['transitions'][0]['guards'] = ['phase_of_moon']
    data['transitions'][1]['roles'] = ['janitor']
    data['transitions'].append(dict(data['transitions'][0]))
    data['states']['draft']['permissions']['therapist'] = ['view', 'teleport']
    found = ' '.join(check(data))
    assert 'unknown guard "phase_of_moon"' in found
    assert 'unknown role "janitor"' in found
    assert 'two transitions called "ask_client_review"' in found
    assert 'unknown permission "teleport"' in found


def test_no_final_state_is_refused():
    data = base()
    data['transitions'].append({'id': 'reopen', 'title': 'Reopen', 'from': ['withdrawn'],
                                'to': 'draft', 'roles': ['therapist']})
    assert 'The workflow has no final state: every state has a way out.' in check(data)


def test_shape_errors_are_plain():
    with pytest.raises(DefinitionError) as err:
        loads('id = "x"\ntitle = 3\n[states]\n')
    text = str(err.value)
    assert '"title" must be text' in text and 'no states' in text
    with pytest.raises(DefinitionError) as err:
        loads('this is = = not toml')
    assert 'not valid TOML' in str(err.value)


def test_visibility_matrix_answers_who_sees_what():
    rows = dict((state.id, cells) for state, cells in visibility(shipped()['parent-summary']))
    assert rows['published']['guardian'] == ('view-published',)
    assert rows['draft']['guardian'] == ()
    assert rows['minor_review']['adolescent'] == ('review',)
    assert rows['minor_review']['guardian'] == ()


def test_app_refuses_to_start_with_an_invalid_file(tmp_path):
    data = base()
    data['transitions'][2]['to'] = 'nowhere'
    (tmp_path / 'summary.toml').write_text(tomli_w.dumps(data))
    settings = {'zodbconn.uri': 'memory://', 'zodbconn.uri.audit': 'memory://', 'minorconsent.workflows_dir': str(tmp_path)}
    with pytest.raises(ConfigurationError) as err:
        with Configurator(settings=settings) as config:
            config.include('minorconsent')
        config.make_wsgi_app()
    assert 'workflows/summary.toml' in str(err.value)
    assert 'goes to "nowhere"' in str(err.value)


def test_family_members_act_only_where_they_have_a_part():
    data = base()
    data['transitions'].append({'id': 'skip_ahead', 'title': 'Skip ahead', 'from': ['draft'],
                                'to': 'published', 'roles': ['guardian']})
    assert ('Transition "skip_ahead" would let a guardian act in "draft", where they '
            'have no part.') in check(data)


def test_only_the_adolescent_reviews():
    data = base()
    data['states']['minor_review']['permissions']['guardian'] = ['review']
    assert any('would let a guardian "review"' in p for p in check(data))
