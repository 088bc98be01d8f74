"""The step and state ids the code relies on: the registry the rooms
declare them in, the validator's words, and the editor and publishing.

Removing ``return_to_draft`` from the summary workflow used to validate and
publish, and the client's "ask for changes" then failed; without
``activate`` consents never became active.  Now each room declares the ids
its code fires or reads, and a definition without them is refused.
"""
import re
from pathlib import Path

import pytest
import tomli_w
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

import minorconsent
from minorconsent.workflow import (read_definitions, require_workflow_state,
                                   require_workflow_step, workflow_requirements)
from minorconsent.workflow.definition import DefinitionError, parse, to_data
from minorconsent.workflow.editor import (EditError, remove_state, remove_transition,
                                          rename_state, set_initial, update_transition)
from minorconsent.workflow.requirements import requirement
from minorconsent.workflow.validate import problems
from support import ROLE_EMAILS, csrf_of, sign_in

from test_definitions import SHIPPED, shipped
from wfsupport import GUARDS

BASE = '/workflows/parent-summary/'
PACKAGE = Path(minorconsent.__file__).parent


def registry_with(*declarations):
    """A bare registry holding ``declarations`` (``(directive, args, kwargs)``)."""
    config = Configurator()
    config.add_directive('require_workflow_step', require_workflow_step)
    config.add_directive('require_workflow_state', require_workflow_state)
    for name, args, kwargs in declarations:
        getattr(config, name)(*args, **kwargs)
    config.commit()
    return config.registry


@pytest.fixture(scope='module')
def declared(base_app):
    """What the app's rooms declare."""
    app, _, _ = base_app
    return workflow_requirements(app.registry)


def summary():
    return to_data(shipped()['parent-summary'])


def step(data, step_id):
    return [t for t in data['transitions'] if t['id'] == step_id][0]


# --- the registry --------------------------------------------------------------

def test_rooms_declare_what_their_code_relies_on(declared):
    found = {(r.content_type, r.kind, r.id): r for r in declared}
    back = found[('summary', 'step', 'return_to_draft')]
    assert (back.from_states, back.to_state) == (('minor_review',), 'draft')
    assert 'asks for changes' in back.reason
    for kind, waiting in (('consent', 'sent'), ('confidentiality', 'proposed'),
                          ('release', 'sent')):
        activate = found[(kind, 'step', 'activate')]
        assert (activate.from_states, activate.to_state) == ((waiting,), 'active')
        assert 'last signature arrives' in activate.reason
        assert (kind, 'step', 'supersede') in found
        assert (kind, 'state', 'active') in found and (kind, 'state', waiting) in found
    assert found[('confidentiality', 'step', 'propose')].to_state == 'proposed'
    for kind in ('consent', 'release'):
        assert {'send', 'decline', 'revoke'} <= {i for (k, what, i) in found
                                                 if k == kind and what == 'step'}
    assert found[('disclosure', 'step', 'record_without_signoff')].from_initial
    assert {i for (k, what, i) in found if k == 'summary' and what == 'state'} == {
        'draft', 'minor_review', 'published', 'withdrawn'}
    # Several rooms read a consent's "active": every reason is given.
    assert len(found[('consent', 'state', 'active')].reasons) == 3


def test_the_shipped_definitions_meet_every_requirement(declared):
    for workflow in shipped().values():
        assert problems(workflow, GUARDS, declared) == [], workflow.id
    assert set(read_definitions(SHIPPED, GUARDS, declared)) == set(shipped())


def code_of_the_rooms():
    for path in sorted(PACKAGE.rglob('*.py')):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(('workflow/', 'scripts/')):
            continue         # the engine itself; the seed runs on the shipped files
        yield relative, path.read_text(encoding='utf-8')


#: Ids the code looks for without relying on them (it does nothing where a
#: clinic's definition lacks them): file -> ids.
LOOKED_FOR_ONLY = {
    # Evolve step 0014 adds a guard to the publishing step where there still is one.
    'summaries/evolve.py': {'publish'},
}


def test_every_id_the_code_fires_or_compares_is_declared(declared):
    """A new ``fire(obj, 'step', ...)`` or ``obj.state == 'x'`` in a room
    without a declaration fails here: declare it in the room's includeme."""
    steps = {r.id for r in declared if r.kind == 'step'}
    states = {r.id for r in declared if r.kind == 'state'} | {
        r.to_state for r in declared if r.to_state} | {
        s for r in declared for s in r.from_states}
    fired, compared = set(), set()
    for relative, text in code_of_the_rooms():
        for match in re.finditer(r"\b(?:fire|act)\((?:[^,()]+,){1,2}\s*'([a-z_]+)'", text):
            fired.add((relative, match.group(1)))
        for match in re.finditer(r"\.id\s*==\s*'([a-z_]+)'", text):      # step.id == '...'
            fired.add((relative, match.group(1)))
        for match in re.finditer(r"EVENT_OF = \{([^}]*)\}", text):
            fired |= {(relative, i) for i in re.findall(r"'([a-z_]+)':", match.group(1))}
        for match in re.finditer(r"state\s*(?:==|!=|not in|in)\s*(\([^)]*\)|'[a-z_]+')",
                                 text):        # obj.state, entry.to_state
            compared |= {(relative, i) for i in re.findall(r"'([a-z_]+)'", match.group(1))}
    assert {i for _, i in fired} >= {'activate', 'supersede', 'return_to_draft', 'decline',
                                     'revoke', 'send', 'propose',
                                     'record_without_signoff'}    # the search works
    assert {'active', 'published', 'minor_review', 'withdrawn'} <= {i for _, i in compared}
    assert [(where, i) for where, i in sorted(fired)
            if i not in steps and i not in LOOKED_FOR_ONLY.get(where, ())] == []
    assert [(where, i) for where, i in sorted(compared) if i not in states] == []


def test_declarations_merge_and_are_checked():
    registry = registry_with(
        ('require_workflow_step', ('summary', 'back', 'the first room fires it.'),
         {'from_states': 'review'}),
        ('require_workflow_step', ('summary', 'back', 'the second room fires it'),
         {'from_states': ('other',), 'to_state': 'draft'}),
        ('require_workflow_state', ('summary', 'draft', 'edits happen in it'), {}))
    draft, back = workflow_requirements(registry)     # by content type, kind, id
    assert (back.id, back.from_states, back.to_state) == ('back', ('other', 'review'), 'draft')
    assert back.reason == 'the first room fires it; the second room fires it'
    assert (draft.kind, draft.id, draft.reason) == ('state', 'draft', 'edits happen in it')
    assert workflow_requirements(Configurator().registry) == ()


@pytest.mark.parametrize('args, kwargs, words', [
    (('potion', 'brew', 'why'), {}, 'unknown content type'),
    (('summary', 'Bad Id', 'why'), {}, 'not a valid id'),
    (('summary', 'back', 'why'), {'to_state': 'Nowhere!'}, 'not a valid id'),
    (('summary', 'back', '  '), {}, 'needs a reason'),
])
def test_a_bad_declaration_stops_the_configuration(args, kwargs, words):
    with pytest.raises(ConfigurationError, match=words):
        registry_with(('require_workflow_step', args, kwargs))
    with pytest.raises(ConfigurationError, match='only a step'):
        requirement('summary', 'state', 'draft', 'why', to_state='published')


def test_two_rooms_cannot_send_one_step_to_two_states():
    with pytest.raises(ConfigurationError, match='to "draft" and to "published"'):
        registry_with(
            ('require_workflow_step', ('summary', 'back', 'one'), {'to_state': 'draft'}),
            ('require_workflow_step', ('summary', 'back', 'two'), {'to_state': 'published'}))


# --- the validator's words ---------------------------------------------------------

def test_a_missing_step_is_named_with_the_reason(declared):
    data = summary()
    remove_transition(data, 'return_to_draft')
    found = problems(parse(data), GUARDS, declared)
    assert found == [
        'The step "return_to_draft" (from "minor_review" to "draft") is needed by the app: '
        'when the client asks for changes to a summary they are reviewing, this step sends '
        'it back to the therapist.']
    assert found[0].transition == 'return_to_draft' and found[0].requirement.id == \
        'return_to_draft'
    # Without the declared requirements the definition is otherwise sound.
    assert problems(parse(data), GUARDS) == []


def test_a_required_step_must_still_lead_where_the_code_expects(declared):
    data = to_data(shipped()['consent-to-treatment'])
    step(data, 'activate')['to'] = 'expired'
    step(data, 'revoke')['from'] = ['sent']
    step(data, 'revoke')['roles'] = ['guardian']
    found = problems(parse(data), GUARDS, declared)
    assert ('The step "activate" must go to "active": the system activates the agreement '
            'with this step when the last signature arrives.') in found
    assert any(p.startswith('The step "revoke" must start from "active": the family') and
               p.field == 'from_states' for p in found)


def test_removing_a_required_state_names_the_state_and_the_steps(declared):
    data = to_data(shipped()['consent-to-treatment'])
    remove_state(data, 'active')
    found = ' '.join(problems(parse(data), GUARDS, declared))
    assert 'The state "active" is needed by the app: an agreement is in force only in ' \
        'this state' in found
    assert 'guardians read summaries only under a consent in this state' in found
    assert 'The step "activate" (from "sent" to "active") is needed by the app' in found


def test_renaming_a_required_state_is_a_problem(declared):
    data = summary()
    rename_state(data, 'minor_review', 'client_review')
    found = problems(parse(data), GUARDS, declared)
    assert ('The state "minor_review" is needed by the app: the client\'s review of a '
            'summary happens in this state, and publishing checks for it.') in found
    assert any(p.startswith('The step "return_to_draft" must start from "minor_review"')
               for p in found)


def test_a_step_from_the_starting_state_is_needed_only_where_objects_leave_it(declared):
    disclosure = to_data(shipped()['safety-disclosure'])
    data = to_data(shipped()['safety-disclosure'])
    remove_transition(data, 'record_without_signoff')
    found = problems(parse(data), GUARDS, declared)
    assert 'The step "record_without_signoff" (from the starting state "awaiting_signoff") is ' \
        'needed by the app: where the client has no supervisor to sign a disclosure off, the ' \
        'system records it at once with this step.' in found
    # (and without it only the supervisor could take a disclosure on)
    assert [p.state for p in found if p.startswith('Only the supervisor')] == [
        'awaiting_signoff']
    # A clinic without sign-off can no longer start disclosures in
    # "recorded": a guardian reads them there, and the room declares it
    # theirs even where the definition grants them nothing.
    set_initial(data, 'recorded')
    remove_state(data, 'awaiting_signoff')
    assert [p.state for p in problems(parse(data), GUARDS, declared)] == ['recorded']
    data['states']['recorded']['permissions'].pop('guardian')
    assert problems(parse(data), GUARDS, declared) == [
        'The initial state "recorded" is a state a family member sees or acts in: every new '
        'document would start there and reach the family without a step or a check; start '
        'in a state only the clinic sees.']
    # The step exists but no longer starts where new disclosures wait.
    data = disclosure
    data['states']['queued'] = {'title': 'Queued', 'permissions': {'therapist': ['view']}}
    data['transitions'].append({'id': 'queue', 'title': 'Queue', 'from': ['queued'],
                                'to': 'awaiting_signoff', 'roles': ['therapist']})
    set_initial(data, 'queued')
    assert problems(parse(data), GUARDS, declared) == [
        'The step "record_without_signoff" must start from the starting state "queued": '
        'where the client has no supervisor to sign a disclosure off, the system records it '
        'at once with this step.']


def test_requirements_of_other_content_types_do_not_apply():
    required = [requirement('consent', 'step', 'activate', 'consents activate')]
    assert problems(shipped()['parent-summary'], GUARDS, required) == []
    assert problems(shipped()['consent-to-treatment'], GUARDS, required) == []


def test_the_app_refuses_to_start_without_a_required_step(tmp_path):
    data = summary()
    remove_transition(data, 'return_to_draft')
    (tmp_path / 'summary.toml').write_text(tomli_w.dumps(data))
    settings = {'zodbconn.uri': 'memory://', 'zodbconn.uri.audit': 'memory://',
                'minorconsent.workflows_dir': str(tmp_path)}
    with pytest.raises(ConfigurationError) as err:
        with Configurator(settings=settings) as config:
            config.include('minorconsent')
        config.make_wsgi_app()
    assert 'workflows/summary.toml' in str(err.value)
    assert 'The step "return_to_draft" (from "minor_review" to "draft") is needed' \
        in str(err.value)
    with pytest.raises(DefinitionError, match='return_to_draft'):
        read_definitions(tmp_path, GUARDS, workflow_requirements(config.registry))


# --- the editor ----------------------------------------------------------------------

def test_a_step_edit_that_breaks_a_requirement_is_refused(declared):
    data = summary()
    before = tomli_w.dumps(data)
    raw = step(data, 'return_to_draft')
    with pytest.raises(EditError) as refused:
        update_transition(data, 'return_to_draft', raw['title'], raw['from'], 'withdrawn',
                          raw['roles'], (), True, known_guards=GUARDS, required=declared)
    assert refused.value.field == 'to_state'
    assert str(refused.value) == (
        'The step "return_to_draft" must go to "draft": when the client asks for changes to '
        'a summary they are reviewing, this step sends it back to the therapist.')
    assert tomli_w.dumps(data) == before
    # Without the requirements it would have been a sound edit.
    update_transition(data, 'return_to_draft', raw['title'], raw['from'], 'published',
                      raw['roles'], (), True, known_guards=GUARDS)


def test_removing_return_to_draft_in_the_editor_blocks_publishing(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'edit')
    card = page.html.find('a', href=re.compile(r'step\?id=return_to_draft')).find_parent('li')
    assert 'Needed by the app: when the client asks for changes' in card.get_text(' ')
    page = admin.post(BASE + 'remove-step', {'csrf_token': csrf_of(page),
                                             'step': 'return_to_draft'}).follow()
    assert 'The step is removed from the draft.' in page.text
    shown = page.html.find('div', class_='alert-danger').get_text(' ', strip=True)
    assert 'Before it can be published' in shown
    assert ('The step "return_to_draft" (from "minor_review" to "draft") is needed by the '
            'app: when the client asks for changes to a summary they are reviewing, this '
            'step sends it back to the therapist.') in shown
    assert 'Review and publish' not in page.text
    publish = admin.get(BASE + 'publish')
    assert 'The draft cannot be published' in publish.text
    assert 'return_to_draft' in publish.html.find('div', class_='alert-danger').get_text()
    assert 'Objects in flight' not in publish.text          # no publishing form
    admin.post(BASE + 'publish', {'csrf_token': csrf_of(page), 'comment': 'anyway'},
               status=400)
    with clinic() as c:
        record = c['workflows']['parent-summary']
        assert record.current == 1 and 'return_to_draft' not in record.draft
        assert record.definition().transition('return_to_draft').to_state == 'draft'


def test_removing_or_renaming_a_required_state_in_the_editor_shows_why(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    state = admin.get(BASE + 'state?id=published')
    hints = [p.get_text(' ') for p in state.html.find_all('p', class_='hint')]
    assert any('Needed by the app' in h and 'guardians are told' in h for h in hints), hints
    admin.post(BASE + 'state', {'csrf_token': csrf_of(state), 'id': 'minor_review',
                                'op': 'rename', 'new_id': 'client_review'})
    page = admin.get(BASE + 'edit')
    shown = page.html.find('div', class_='alert-danger').get_text(' ', strip=True)
    assert 'The state "minor_review" is needed by the app' in shown
    assert 'The step "return_to_draft" must start from "minor_review"' in shown
    admin.post(BASE + 'state', {'csrf_token': csrf_of(page), 'id': 'withdrawn',
                                'op': 'remove'})
    shown = admin.get(BASE + 'edit').html.find('div', class_='alert-danger').get_text(' ')
    assert 'The state "withdrawn" is needed by the app: only a summary in this state can ' \
        'be corrected.' in ' '.join(shown.split())
    admin.post(BASE + 'publish', {'csrf_token': csrf_of(page)}, status=400)
    with clinic() as c:
        assert c['workflows']['parent-summary'].current == 1


def test_a_refused_step_edit_in_the_editor_names_the_requirement(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'step?id=return_to_draft')
    assert 'Needed by the app: when the client asks for changes' in page.text
    form = page.forms['step']
    form['to_state'] = 'withdrawn'
    res = form.submit(status=400)
    alert = res.html.find('div', class_='alert-danger').get_text(' ', strip=True)
    assert 'Nothing was changed' in alert and 'must go to "draft"' in alert
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None
