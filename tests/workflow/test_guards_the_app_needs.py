"""The checks the code relies on stay in every definition the validator
accepts.

A state the code reads as "in force" (an agreement's ``active``) must
activate consent, and every step into it must carry the signature and
assent guards; a disclosure reaches ``recorded`` only by a supervisor's
sign-off or where the client has no supervisor (reported: deleting
``activates_consent`` from consent's ``active`` and the guards of
``activate`` was accepted, and a joint-custody consent then became active
on one of two signatures).  Documents never start in a state a family
member sees (reported: a summary workflow starting in ``published``
published every new summary without a step).  A state only the supervisor
can leave has a way out where the client has no supervisor (reported:
therapist2's summaries stuck in a supervisor review for good).  A removed
state's documents move only to the starting state.
"""
import pytest
import tomli_w

from minorconsent.workflow import workflow_requirements
from minorconsent.workflow.definition import loads, parse, to_data
from minorconsent.workflow.editor import rename_state
from minorconsent.workflow.migrate import mapping_problems
from minorconsent.workflow.validate import problems
from support import MARKER, ROLE_EMAILS, csrf_of, sign_in

from test_admin_views import edit_draft
from test_definitions import shipped
from test_edit_step import tick
from wfsupport import GUARDS

AGREEMENTS = {'consent-to-treatment': 'sent', 'confidentiality-agreement': 'proposed',
              'release-of-information': 'sent'}
ASSENT = 'minor_assented_or_not_required'
SIGNED = 'all_required_guardians_signed'


def data_of(workflow_id):
    return to_data(shipped()[workflow_id])


def step(data, step_id):
    return next(t for t in data['transitions'] if t['id'] == step_id)


def found(data, app):
    return problems(parse(data), GUARDS, workflow_requirements(app.registry))


def words(found):
    return ' '.join(found)


# --- F1: the state in force and the steps into it ---------------------------

@pytest.mark.parametrize('workflow_id', ['confidentiality-agreement', 'consent-to-treatment'])
def test_the_state_in_force_activates_consent(app, workflow_id):
    """(A release is an authorization to share, not consent: its guards
    below are what keeps it from being in force early.)"""
    data = data_of(workflow_id)
    data['states']['active'].pop('activates_consent', None)
    mine = [p for p in found(data, app) if p.state == 'active']
    assert any(p.startswith('State "active" must activate consent') and
               p.field == 'activates_consent' for p in mine), mine


@pytest.mark.parametrize('workflow_id', sorted(AGREEMENTS))
@pytest.mark.parametrize('removed', [(SIGNED,), (ASSENT,), (SIGNED, ASSENT)])
def test_every_step_into_the_state_in_force_keeps_its_guards(app, workflow_id, removed):
    data = data_of(workflow_id)
    data['states']['active'].pop('activates_consent', None)
    activate = step(data, 'activate')
    activate['guards'] = [g for g in activate['guards'] if g not in removed]
    sentences = [p for p in found(data, app) if p.transition == 'activate']
    for guard in removed:
        assert any('"%s"' % guard in p and p.field == 'guards' for p in sentences), \
            (guard, sentences)
    # ... and a new step into it, however named.
    data = data_of(workflow_id)
    data['transitions'].append({'id': 'activate_now', 'title': 'Activate now',
                                'from': [AGREEMENTS[workflow_id]], 'to': 'active',
                                'roles': ['therapist'], 'guards': [SIGNED]})
    assert any(p.transition == 'activate_now' and '"%s"' % ASSENT in p
               for p in found(data, app))


def test_the_reported_edit_is_refused_and_nothing_is_saved(app, clinic):
    """As reported: ``activates_consent`` deleted from ``active`` and the
    ``activate`` step's guards emptied, in the draft as a file."""
    admin = sign_in(app, ROLE_EMAILS['admin'])

    def change(source):
        data = to_data(loads(source))
        data['states']['active'].pop('activates_consent', None)
        step(data, 'activate')['guards'] = []
        return tomli_w.dumps(data)
    res = edit_draft(admin, change, 400, base='/workflows/consent-to-treatment/')
    text = ' '.join(res.html.get_text().split())
    assert 'State "active" must activate consent' in text
    assert 'Transition "activate" goes to "active" without the "%s" guard' % SIGNED in text
    with clinic() as c:
        assert c['workflows']['consent-to-treatment'].draft is None


def test_the_step_form_says_it_next_to_the_guards(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    base = '/workflows/release-of-information/'
    page = admin.get(base + 'step?id=activate')
    form = page.forms['step']
    tick(page, form, 'guards', {SIGNED})
    res = form.submit(status=400)
    field = ' '.join(res.html.select_one('.item-guards .invalid-feedback')
                     .get_text(' ', strip=True).split())
    assert 'Transition "activate" goes to "active" without the "%s" guard' % ASSENT in field
    # The state form: "activates consent" cannot be unticked on "active".
    base = '/workflows/consent-to-treatment/'
    page = admin.get(base + 'state?id=active')
    form = page.forms['state']
    form['activates_consent'] = False
    res = form.submit(status=400)
    field = ' '.join(res.html.select_one('.item-activates_consent .invalid-feedback')
                     .get_text(' ', strip=True).split())
    assert 'State "active" must activate consent' in field
    with clinic() as c:
        assert c['workflows']['release-of-information'].draft is None
        assert c['workflows']['consent-to-treatment'].draft is None


def test_a_disclosure_reaches_recorded_only_by_sign_off_or_without_a_supervisor(app):
    data = data_of('safety-disclosure')
    assert found(data, app) == []
    step(data, 'record_without_signoff')['guards'] = []
    assert any(p.transition == 'record_without_signoff' and '"client_has_no_supervisor"' in p
               and p.field == 'guards' for p in found(data, app))
    data = data_of('safety-disclosure')
    step(data, 'sign_off')['roles'] = ['supervisor', 'therapist']
    assert any(p.transition == 'sign_off' and '"client_has_no_supervisor"' in p
               for p in found(data, app))
    data = data_of('safety-disclosure')
    data['transitions'].append({'id': 'record_now', 'title': 'Record now',
                                'from': ['awaiting_signoff'], 'to': 'recorded',
                                'roles': ['therapist']})
    assert any(p.transition == 'record_now' for p in found(data, app))


# --- F2: documents never start where a family member sees them ---------------

def test_the_reported_published_start_is_refused(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])

    def change(source):
        data = to_data(loads(source))
        data['initial_state'] = 'published'
        for sid in ('publish', 'publish_reviewed'):
            step(data, sid).pop('guards', None)
        data['transitions'].append({'id': 'reopen', 'title': 'Reopen', 'from': ['published'],
                                    'to': 'draft', 'roles': ['therapist']})
        return tomli_w.dumps(data)
    res = edit_draft(admin, change, 400)
    text = ' '.join(res.html.get_text().split())
    assert 'The initial state "published" is a state a family member sees or acts in' in text
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


@pytest.mark.parametrize('workflow_id,state', [
    ('consent-to-treatment', 'sent'), ('consent-to-treatment', 'declined'),
    ('confidentiality-agreement', 'proposed'), ('release-of-information', 'revoked'),
    ('parent-summary', 'minor_review'), ('safety-disclosure', 'recorded')])
def test_no_workflow_starts_in_a_family_state(app, workflow_id, state):
    data = data_of(workflow_id)
    old = data['initial_state']
    data['initial_state'] = state
    for t in data['transitions']:
        if t['to'] == state:
            t.pop('guards', None)
    data['transitions'].append({'id': 'back', 'title': 'Back', 'from': [state], 'to': old,
                                'roles': ['therapist']})
    mine = [p for p in found(data, app) if p.state == state]
    assert any(p.startswith('The initial state "%s" is a state a family member sees or acts '
                            'in' % state) for p in mine), mine
    # ... also with no family grant there (the room declares it theirs).
    data['states'][state]['permissions'] = {
        r: p for r, p in data['states'][state]['permissions'].items()
        if r in ('therapist', 'supervisor')}
    assert any(p.startswith('The initial state "%s"' % state) for p in found(data, app))


def test_making_a_family_state_the_start_is_refused_on_the_state_page(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get('/workflows/parent-summary/state?id=published')
    res = admin.post('/workflows/parent-summary/state',
                     {'csrf_token': csrf_of(page), 'id': 'published', 'op': 'make-initial'},
                     status=400)
    text = ' '.join(res.html.get_text().split())
    assert 'The initial state "published" is a state a family member sees or acts in' in text
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_a_summary_created_in_published_is_not_shown_to_the_family(app, clinic, demo):
    """Belt and braces: under a stored definition that starts in
    "published" (stored before the rule), a new summary is in
    "published" with no step, and the family does not see it."""
    from minorconsent.portal.parentview import summary_views
    from minorconsent.summaries import write_summary
    with clinic() as c:
        record = c['workflows']['parent-summary']
        data = to_data(record.definition())
        data['initial_state'] = 'published'
        for sid in ('publish', 'publish_reviewed'):
            step(data, sid).pop('guards', None)
        data['transitions'].append({'id': 'reopen', 'title': 'Reopen', 'from': ['published'],
                                    'to': 'draft', 'roles': ['therapist']})
        record.publish(tomli_w.dumps(data))
        mateo = c['clients'][demo.mateo]
        summary = write_summary(c, mateo, 'Spring', MARKER + ' started published',
                                mateo.therapist_ids[0])
        assert summary.state == 'published'
        ref = summary.__name__
        everyone = ('system.Everyone', 'system.Authenticated',
                    'user:' + demo.user_ids['guardian'])
        assert ref not in {s.ref for s in summary_views(mateo, everyone)}
    family = sign_in(app, ROLE_EMAILS['guardian']).get('/clients/%s/family' % demo.mateo)
    assert MARKER not in family.text
    assert 'Mateo keeps working on his goals' in family.html.get_text()


# --- F4: a state only the supervisor can leave ---------------------------------

def with_sup_review(extra=()):
    data = data_of('parent-summary')
    data['states']['sup_review'] = {'title': 'Supervisor review', 'permissions': {
        'therapist': ['view'], 'supervisor': ['view']}}
    data['transitions'] += [
        {'id': 'to_sup', 'title': 'To supervisor', 'from': ['draft'], 'to': 'sup_review',
         'roles': ['therapist']},
        {'id': 'sup_ok', 'title': 'Supervisor agrees', 'from': ['sup_review'],
         'to': 'draft', 'roles': ['supervisor']}] + list(extra)
    return data


def test_a_state_only_the_supervisor_can_leave_is_named(app):
    mine = [p for p in found(with_sup_review(), app) if p.state == 'sup_review']
    assert any(p.startswith('Only the supervisor can take a step out of "sup_review"') and
               '"client_has_no_supervisor"' in p for p in mine), mine
    # A way out for the therapist where the client has no supervisor: fine.
    way_out = {'id': 'no_sup', 'title': 'No supervisor', 'from': ['sup_review'], 'to': 'draft',
               'roles': ['therapist'], 'guards': ['client_has_no_supervisor']}
    assert found(with_sup_review([way_out]), app) == []
    # ... but not one for the supervisor again, nor a family member's
    # where they have no part.
    for wrong in (dict(way_out, roles=['supervisor']), dict(way_out, roles=['guardian'])):
        assert any(p.startswith('Only the supervisor can take a step out of "sup_review"')
                   for p in found(with_sup_review([wrong]), app))


# --- state maps: only into the starting state ---------------------------------

def test_a_removed_state_moves_only_into_the_starting_state():
    summary = shipped()['parent-summary']
    data = to_data(summary)
    rename_state(data, 'draft', 'writing')
    new = loads(tomli_w.dumps(data), version=2)
    family = {'guardian': frozenset({'published'}),
              'adolescent': frozenset({'minor_review', 'published'})}
    refused = mapping_problems(summary, new, {'draft': 'withdrawn'}, family)
    assert 'only into the starting state "writing"' in refused['draft']
    assert mapping_problems(summary, new, {'draft': 'writing'}, family) == {}
