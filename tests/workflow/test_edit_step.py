"""Changing a step of the draft in place: the model function and its page.

An edit that would add a problem to the draft (an invariant broken, a
state cut off) is refused with the step named, and nothing changes.
"""
import copy

import pytest

from minorconsent.workflow.definition import parse, to_data
from minorconsent.workflow.editor import (EditError, add_state, add_transition,
                                          update_transition)
from minorconsent.workflow.validate import SIGNATURE_GUARD, problems
from support import ROLE_EMAILS, csrf_of, sign_in

from test_definitions import shipped
from wfsupport import GUARDS

BASE = '/workflows/parent-summary/'
CONSENT = '/workflows/consent-to-treatment/'


def draft_of(workflow_id):
    return to_data(shipped()[workflow_id])


def step(data, step_id):
    return [t for t in data['transitions'] if t['id'] == step_id][0]


def edit(data, step_id, **change):
    """``update_transition`` with the step's current values but ``change``."""
    raw = step(data, step_id)
    values = {'title': raw['title'], 'from_states': raw['from'], 'to_state': raw['to'],
              'roles': raw['roles'], 'guards': raw.get('guards', ()),
              'comment_required': raw.get('comment_required', False)}
    values.update(change)
    update_transition(data, step_id, known_guards=GUARDS, **values)


# --- the model ---------------------------------------------------------------

def test_a_step_is_changed_in_place():
    data = draft_of('parent-summary')
    order = [t['id'] for t in data['transitions']]
    others = copy.deepcopy([t for t in data['transitions'] if t['id'] != 'publish'])
    update_transition(data, 'publish', '  Publish   now ', ['draft', 'minor_review'], 'published',
                      ['supervisor', 'therapist', 'therapist'], ['client_is_minor'], True,
                      known_guards=GUARDS)
    assert step(data, 'publish') == {
        'id': 'publish', 'title': 'Publish now', 'from': ['draft', 'minor_review'],
        'to': 'published', 'roles': ['supervisor', 'therapist'],
        'guards': ['client_is_minor'], 'comment_required': True}
    assert [t['id'] for t in data['transitions']] == order
    assert [t for t in data['transitions'] if t['id'] != 'publish'] == others
    assert problems(parse(data), GUARDS) == []
    # Taking conditions and the comment away removes the keys, as a file would.
    edit(data, 'publish', guards=(), comment_required=False)
    assert 'guards' not in step(data, 'publish') and 'comment_required' not in step(data, 'publish')


def test_a_permission_named_in_a_file_is_kept():
    data = draft_of('parent-summary')
    step(data, 'withdraw')['permission'] = 'edit'
    edit(data, 'withdraw', title='Take back')
    assert step(data, 'withdraw')['permission'] == 'edit'


@pytest.mark.parametrize('workflow_id,step_id,change,field,words', [
    # A family member may not fire a step from a state where they have no part.
    ('parent-summary', 'publish', {'roles': ['therapist', 'guardian']}, 'roles',
     'Transition "publish" would let a guardian act in "draft", where they have no part.'),
    ('parent-summary', 'ask_client_review', {'roles': ['adolescent']}, 'roles',
     'Transition "ask_client_review" would let a adolescent act in "draft"'),
    # Every way into a consent-activating state carries the signature guard.
    ('consent-to-treatment', 'activate', {'guards': ['minor_assented_or_not_required']},
     'guards', 'Transition "activate" activates consent in "active" without the "%s" guard.'
     % SIGNATURE_GUARD),
    ('consent-to-treatment', 'send', {'to_state': 'active'}, 'guards',
     'Transition "send" activates consent in "active"'),
    # The shape of the graph: no state cut off, a final state left.
    ('parent-summary', 'withdraw', {'to_state': 'draft'}, 'to_state',
     'State "withdrawn" cannot be reached from the initial state "draft".'),
    ('parent-summary', 'ask_client_review', {'from_states': ['minor_review']}, 'from_states',
     'State "minor_review" cannot be reached'),
    ('consent-to-treatment', 'revoke', {'from_states': ['active', 'revoked', 'declined',
                                                         'expired', 'superseded']},
     'roles', 'Transition "revoke" would let a guardian act in "superseded"'),
    ('parent-summary', 'withdraw', {'guards': ['phase_of_moon']}, 'guards',
     'Transition "withdraw" names the unknown guard "phase_of_moon".'),
    ('parent-summary', 'withdraw', {'roles': []}, 'roles',
     'Transition "withdraw" says nobody may fire it'),
    ('parent-summary', 'withdraw', {'from_states': []}, 'from_states',
     'Transition "withdraw" starts from no state.'),
    ('parent-summary', 'withdraw', {'to_state': 'archive'}, 'to_state',
     'Transition "withdraw" goes to "archive", which is not a state of this workflow.'),
    ('parent-summary', 'withdraw', {'title': '   '}, 'title',
     'The step "withdraw" needs a title.'),
])
def test_an_edit_that_adds_a_problem_is_refused_and_changes_nothing(
        workflow_id, step_id, change, field, words):
    data = draft_of(workflow_id)
    before = copy.deepcopy(data)
    with pytest.raises(EditError) as refused:
        edit(data, step_id, **change)
    assert words in str(refused.value)
    assert refused.value.field == field
    assert data == before


def test_a_step_with_no_final_state_left_is_refused():
    data = draft_of('parent-summary')
    # Withdrawn is the only final state; a way out of it leaves none.
    with pytest.raises(EditError, match='no final state') as refused:
        edit(data, 'withdraw', from_states=['published', 'withdrawn'])
    assert refused.value.field == 'from_states'


def test_unknown_steps_are_named():
    with pytest.raises(EditError, match='There is no step "nope".'):
        update_transition(draft_of('parent-summary'), 'nope', 'X', ['draft'], 'published',
                          ['therapist'], known_guards=GUARDS)


def test_problems_the_draft_already_had_do_not_block_an_edit():
    data = draft_of('parent-summary')
    add_state(data, 'archived', 'Archived')                 # not reachable yet
    data['states']['archived']['permissions'] = {'therapist': ['view']}
    edit(data, 'publish', title='Publish it')               # unrelated: allowed
    assert step(data, 'publish')['title'] == 'Publish it'
    assert 'State "archived" cannot be reached' in ' '.join(problems(parse(data), GUARDS))
    edit(data, 'publish_reviewed', to_state='archived')     # fixes it: allowed
    assert problems(parse(data), GUARDS) == []


def test_an_edit_may_fix_a_problem_and_may_not_hide_a_new_one():
    data = draft_of('parent-summary')
    add_state(data, 'archived', 'Archived')
    data['states']['archived']['permissions'] = {'therapist': ['view']}
    with pytest.raises(EditError, match='State "withdrawn" cannot be reached'):
        edit(data, 'withdraw', to_state='archived')        # would cut "withdrawn" off
    add_transition(data, 'archive', 'Archive', ['withdrawn'], 'archived', ['therapist'])
    assert problems(parse(data), GUARDS) == []
    # An old problem in another step makes the validator skip reachability;
    # a state the edit cuts off is still caught.
    add_transition(data, 'peek', 'Peek', ['draft'], 'published', ['guardian'])
    assert 'would let a guardian act' in ' '.join(problems(parse(data), GUARDS))
    before = copy.deepcopy(data)
    with pytest.raises(EditError, match='State "minor_review" cannot be reached'):
        edit(data, 'ask_client_review', from_states=['minor_review'])
    assert data == before
    edit(data, 'peek', roles=['therapist'])                 # the fix is welcome
    assert problems(parse(data), GUARDS) == []


# --- the page ----------------------------------------------------------------

def checkboxes(page, form, item):
    """The WebTest checkboxes of one deform field (``item``: its name)."""
    ids = {tag['id'] for tag in page.html.select('.item-%s input[type=checkbox]' % item)}
    return [box for box in form.fields['checkbox'] if box.id in ids]


def tick(page, form, item, values):
    for box in checkboxes(page, form, item):
        box.checked = box._value in values


def ticked(page, item):
    return sorted(tag['value'] for tag in
                  page.html.select('.item-%s input[type=checkbox][checked]' % item))


def test_the_draft_editor_links_every_step_to_its_form(app):
    page = sign_in(app, ROLE_EMAILS['admin']).get(BASE + 'edit')
    links = page.html.select('a[href*="step?id="]')
    assert [a['href'].split('id=')[1] for a in links] == [
        'ask_client_review', 'return_to_draft', 'publish', 'withdraw', 'publish_reviewed']
    assert links[2].get_text(' ', strip=True) == 'Change the step Publish to guardians'


def test_the_step_form_is_filled_with_the_current_values(app):
    page = sign_in(app, ROLE_EMAILS['admin']).get(BASE + 'step?id=return_to_draft')
    assert 'Step "Back to draft" in the draft' in page.text
    form = page.forms['step']
    assert form['title'].value == 'Back to draft'
    assert form['to_state'].value == 'draft'
    assert ticked(page, 'from_states') == ['minor_review']
    assert ticked(page, 'roles') == ['adolescent', 'therapist']
    assert ticked(page, 'guards') == []
    assert form['comment_required'].checked
    # Every role and every registered guard is offered.
    assert sorted(b._value for b in checkboxes(page, form, 'roles')) == [
        'adolescent', 'guardian', 'supervisor', 'system', 'therapist']
    assert {b._value for b in checkboxes(page, form, 'guards')} == set(app.registry[
        'minorconsent.workflow_guards'])
    guarded = sign_in(app, ROLE_EMAILS['admin']).get(BASE + 'step?id=publish_reviewed')
    assert ticked(guarded, 'guards') == ['minor_agreed', 'minor_agreed_if_reviewed']


def test_a_good_edit_changes_the_draft(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'step?id=withdraw')
    form = page.forms['step']
    form['title'] = 'Take back'
    tick(page, form, 'roles', {'therapist'})
    tick(page, form, 'guards', {'client_is_minor'})
    form['comment_required'] = False
    res = form.submit()
    assert res.status_int == 302 and res.location.endswith(BASE + 'edit')
    assert 'Your changes are saved.' in res.follow().text
    with clinic() as c:
        record = c['workflows']['parent-summary']
        withdraw = step(parse_draft(record.draft), 'withdraw')
        assert record.current == 1
    assert withdraw == {'id': 'withdraw', 'title': 'Take back', 'from': ['published'],
                        'to': 'withdrawn', 'roles': ['therapist'],
                        'guards': ['client_is_minor']}
    # The form now shows the draft's values.
    assert admin.get(BASE + 'step?id=withdraw').forms['step']['title'].value == 'Take back'


def parse_draft(source):
    import tomllib
    return tomllib.loads(source)


def test_an_edit_breaking_an_invariant_answers_400_and_changes_nothing(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(CONSENT + 'step?id=activate')
    form = page.forms['step']
    tick(page, form, 'guards', {'minor_assented_or_not_required'})
    res = form.submit(status=400)
    alert = res.html.select_one('[role=alert]').get_text(' ', strip=True)
    assert alert.startswith('Nothing was changed:')
    sentence = ('Transition "activate" activates consent in "active" without the '
                '"all_required_guardians_signed" guard.')
    assert sentence in alert
    field = res.html.select_one('.item-guards .invalid-feedback').get_text(' ', strip=True)
    assert sentence in field
    # The admin's choice is shown back, not the stored one.
    assert ticked(res, 'guards') == ['minor_assented_or_not_required']
    page = admin.get(BASE + 'step?id=publish')
    form = page.forms['step']
    tick(page, form, 'roles', {'therapist', 'guardian'})
    res = form.submit(status=400)
    assert 'would let a guardian act in "draft", where they have no part.' in \
        res.html.select_one('.item-roles .invalid-feedback').get_text(' ', strip=True)
    with clinic() as c:
        assert c['workflows']['consent-to-treatment'].draft is None
        assert c['workflows']['parent-summary'].draft is None


def test_cutting_a_state_off_is_explained_at_the_target(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'step?id=withdraw')
    form = page.forms['step']
    form['to_state'] = 'draft'
    res = form.submit(status=400)
    assert 'State "withdrawn" cannot be reached from the initial state "draft".' in \
        res.html.select_one('.item-to_state .invalid-feedback').get_text(' ', strip=True)
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_bad_form_input_is_a_field_error(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'step?id=withdraw')
    form = page.forms['step']
    form['title'] = ''
    tick(page, form, 'roles', set())
    tick(page, form, 'from_states', set())
    form['to_state'].force_value('nowhere')
    res = form.submit(status=400)
    assert 'Required' in res.text
    assert 'Choose who may do it.' in res.text
    assert 'Choose at least one starting state.' in res.text
    token = csrf_of(page)
    res = admin.post(BASE + 'step?id=withdraw', [
        ('csrf_token', token), ('__formid__', 'step'), ('title', 'X'),
        ('__start__', 'from_states:sequence'), ('checkbox', 'published'),
        ('__end__', 'from_states:sequence'), ('to_state', 'withdrawn'),
        ('__start__', 'roles:sequence'), ('checkbox', 'janitor'),
        ('__end__', 'roles:sequence'),
        ('__start__', 'guards:sequence'), ('checkbox', 'phase_of_moon'),
        ('__end__', 'guards:sequence')], status=400)
    assert res.html.select_one('.item-roles .invalid-feedback') is not None
    assert res.html.select_one('.item-guards .invalid-feedback') is not None
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_unknown_steps_are_not_found(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    admin.get(BASE + 'step?id=nope', status=404)
    admin.get(BASE + 'step', status=404)
    page = admin.get(BASE + 'step?id=publish')
    admin.post(BASE + 'step?id=nope', {'csrf_token': csrf_of(page), 'title': 'X'}, status=404)


def test_a_step_edit_needs_the_csrf_token(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get(BASE + 'step?id=withdraw')
    form = page.forms['step']
    form['title'] = 'Forged'
    form['csrf_token'].force_value('forged')
    assert form.submit(expect_errors=True).status_int == 400
    fields = [(k, v) for k, v in form.submit_fields() if k != 'csrf_token']
    assert admin.post(BASE + 'step?id=withdraw', fields, expect_errors=True).status_int == 400
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_other_people_cannot_reach_the_step_form(app):
    for role in ('therapist', 'supervisor', 'guardian', 'adolescent'):
        sign_in(app, ROLE_EMAILS[role]).get(BASE + 'step?id=publish', status=404)
