"""The structured draft editor: model functions and pages."""
import re

import pytest

from minorconsent.workflow.definition import parse, to_data
from minorconsent.workflow.editor import (EditError, add_state, add_transition, remove_state,
                                          remove_transition, rename_state, set_initial,
                                          update_state)
from minorconsent.workflow.validate import problems
from support import ROLE_EMAILS, csrf_of, sign_in

from test_definitions import shipped
from test_edit_step import tick
from wfsupport import GUARDS

BASE = '/workflows/parent-summary/'


def summary_data():
    return to_data(shipped()['parent-summary'])


def test_add_a_supervisor_review_state_with_functions():
    data = summary_data()
    add_state(data, 'supervisor_review', 'Supervisor review', 'A supervisor reads it first.')
    assert 'cannot be reached' in ' '.join(problems(parse(data), GUARDS))
    update_state(data, 'supervisor_review', 'Supervisor review', 'Read first', False,
                 {'therapist': ['view'], 'supervisor': ['view', 'edit'], 'janitor': ['view']})
    add_transition(data, 'send_to_supervisor', 'Send to supervisor', ['draft'],
                   'supervisor_review', ['therapist'])
    add_transition(data, 'approve', 'Approve and publish', ['supervisor_review'],
                   'published', ['supervisor'])
    # Only the supervisor could move it on, and some clients have none.
    assert 'Only the supervisor can take a step out of "supervisor_review"' in \
        ' '.join(problems(parse(data), GUARDS))
    add_transition(data, 'no_supervisor', 'Publish (no supervisor)', ['supervisor_review'],
                   'published', ['therapist'], ['client_has_no_supervisor'])
    assert problems(parse(data), GUARDS) == []
    assert data['states']['supervisor_review']['permissions'] == {
        'therapist': ['view'], 'supervisor': ['edit', 'view']}


def test_edit_errors_are_sentences():
    data = summary_data()
    with pytest.raises(EditError, match='already a state'):
        add_state(data, 'draft', 'Again')
    with pytest.raises(EditError, match='lower-case'):
        add_state(data, 'Bad Id', 'Bad')
    with pytest.raises(EditError, match='starting state first'):
        remove_state(data, 'draft')
    with pytest.raises(EditError, match='no step'):
        remove_transition(data, 'nope')
    with pytest.raises(EditError, match='already a step'):
        add_transition(data, 'publish', 'Again', ['draft'], 'published', ['therapist'])


def test_removing_a_state_removes_the_steps_into_it():
    data = summary_data()
    remove_state(data, 'minor_review')
    ids = [t['id'] for t in data['transitions']]
    assert 'ask_client_review' not in ids and 'return_to_draft' not in ids
    publish = [t for t in data['transitions'] if t['id'] == 'publish'][0]
    assert publish['from'] == ['draft']
    set_initial(data, 'published')
    assert data['initial_state'] == 'published'


def test_editor_pages_build_a_publishable_draft(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'edit')
    form = page.forms['add_state']
    form['state_id'], form['title'] = 'supervisor_review', 'Supervisor review'
    page = form.submit().follow()
    assert 'cannot be reached' in page.text          # shown, not hidden
    assert 'Review and publish' not in page.text
    state = admin.get(BASE + 'state?id=supervisor_review')
    offered = {role: sorted(i['value'] for i in state.html.select(
        '.item-perm_%s input[type=checkbox]' % role)) for role in ('guardian', 'therapist')}
    # Family roles are not even offered staff permissions.
    assert offered['guardian'] == ['sign', 'view-published']
    assert 'edit' in offered['therapist']
    state.forms['state'].submit()
    page = admin.get(BASE + 'edit')
    form = page.forms['add_step']
    form['step_id'], form['title'] = 'send_to_supervisor', 'Send to supervisor'
    for box in form.fields['checkbox']:
        box.checked = box._value in ('draft', 'therapist')
    form['to_state'] = 'supervisor_review'
    page = form.submit().follow()
    # A state nobody at the clinic can see (the therapist's step would lead
    # to "page not found"): said on the state's card, and publishing waits.
    card = page.html.find('a', href=re.compile(r'state\?id=supervisor_review')).find_parent('li')
    assert 'Nobody at the clinic can see a document in "supervisor_review"' in \
        card.get_text(' ')
    assert 'Review and publish' not in page.text
    state = admin.get(BASE + 'state?id=supervisor_review')
    form = state.forms['state']
    tick(state, form, 'perm_supervisor', {'view', 'edit'})
    page = form.submit().follow()
    assert 'Review and publish' in page.text
    with clinic() as c:
        draft = c['workflows']['parent-summary'].draft
        assert 'supervisor_review' in draft and 'send_to_supervisor' in draft


def test_editor_bad_input_is_explained(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get(BASE + 'edit').forms['add_state']
    form['state_id'], form['title'] = 'Not OK', ''
    res = form.submit(status=400)
    assert 'Use lower-case letters' in res.text and 'Required' in res.text
    form = admin.get(BASE + 'edit').forms['add_step']
    form['step_id'], form['title'] = 'x', 'X'
    form['to_state'].force_value('nowhere')
    res = form.submit(status=400)
    assert 'Choose at least one starting state' in res.text
    assert 'Choose who may do it' in res.text
    res = admin.post(BASE + 'state', {'csrf_token': csrf_of(res), 'id': 'draft', 'op': 'remove'},
                     status=400)
    assert 'make another state the starting state first' in res.text
    form = admin.get(BASE + 'state?id=published').forms['state']
    form['title'] = ''
    assert 'Required' in form.submit(status=400).text
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_forms_on_one_page_have_distinct_field_ids(app):
    page = sign_in(app, ROLE_EMAILS['admin']).get(BASE + 'edit')
    ids = [tag['id'] for tag in page.html.select('[id]')]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_renaming_a_state_renames_every_reference():
    data = summary_data()
    rename_state(data, 'draft', 'writing')
    assert 'draft' not in data['states'] and data['initial_state'] == 'writing'
    assert all('draft' not in t['from'] and t['to'] != 'draft' for t in data['transitions'])
    assert problems(parse(data), GUARDS) == []
    with pytest.raises(EditError, match='already a state'):
        rename_state(data, 'writing', 'published')
    with pytest.raises(EditError, match='no state'):
        rename_state(data, 'draft', 'again')


def test_renaming_a_state_id_in_the_editor(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'state?id=draft')
    res = admin.post(BASE + 'state', {'csrf_token': csrf_of(page), 'id': 'draft',
                                      'op': 'rename', 'new_id': 'Bad Id'}, status=400)
    assert 'lower-case' in res.text
    admin.post(BASE + 'state', {'csrf_token': csrf_of(page), 'id': 'draft', 'op': 'rename',
                                'new_id': 'writing'})
    with clinic() as c:
        draft = c['workflows']['parent-summary'].draft
        assert '[states.writing]' in draft and 'initial_state = "writing"' in draft
