"""A definition already in the database cannot skip a check the code relies on.

The validator refuses a definition whose step into an agreement's ``active``
lacks the signature and assent guards, or whose ``publish_reviewed`` lacks
the teen's agreement.  But a version published before a rule existed (or
written into the database by hand, or by a restored backup) never meets
the validator again.  The engine therefore checks the rooms' declared
guards each time a step fires, whatever the stored definition names; a
guard it does not know fails closed.

Each test plants such a definition in place of the current version, then
walks the attack: one of two joint-custody signatures, a summary published
before the teen agreed.
"""
from datetime import date

import pytest
import tomli_w

from minorconsent.accounts import User
from minorconsent.agreements import act, esign, sign, start_agreement
from minorconsent.clients import link_guardian
from minorconsent.security.policy import principals_for
from minorconsent.summaries import add_progress, write_summary
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.definition import loads, to_data
from minorconsent.workflow.engine import Actor, WorkflowError, available, fire


def plant(c, workflow_id, change):
    """Replace the current stored version's source with ``change(data)``,
    bypassing the validator, as an old or hand-written version would."""
    record = c['workflows'][workflow_id]
    data = to_data(loads(record.versions[record.current]))
    change(data)
    record.versions[record.current] = tomli_w.dumps(data)
    record.__dict__.pop('_v_parsed', None)
    return record.definition()


def steps(data, step_id):
    return next(t for t in data['transitions'] if t['id'] == step_id)


def strip_activation(data):
    """The reported edit: no guards on ``activate``, and ``active`` no
    longer marked as the state in force."""
    steps(data, 'activate')['guards'] = []
    data['states']['active'].pop('activates_consent', None)


def actor(user):
    return Actor(user.__name__, principals_for(user))


def do_sign(c, registry, agreement, user):
    if not esign.has_agreed(user):
        esign.agree(user)
    return sign(c, registry, agreement, user, principals_for(user),
                typed_name=user.display_name, consented_to_electronic=True,
                intent_to_sign=True, shown_sha256=agreement.text_sha256,
                ip='192.0.2.7', user_agent='test-agent')


def test_one_of_two_signatures_does_not_activate_under_a_stripped_definition(app, clinic,
                                                                              demo):
    with clinic() as c:
        planted = plant(c, 'consent-to-treatment', strip_activation)
        assert planted.transition('activate').guards == ()        # the plant took
        users = c['users']
        therapist, mother = users[demo.user_ids['therapist']], users[demo.user_ids['guardian']]
        lucia = c['clients'][demo.lucia]
        dad = User('second.parent@demo.test', 'Second Parent', ['guardian'])
        users.add_user(dad)
        link_guardian(c, lucia, dad, 'father', True)
        joint = start_agreement(c, lucia, 'consent', therapist.__name__)
        assert set(joint.required_guardians) == {mother.__name__, dad.__name__}
        act(joint, app.registry, 'send', actor(therapist))
        do_sign(c, app.registry, joint, mother)
        assert joint.state == 'sent'                      # still waiting for the father
        guards = workflow_guards(app.registry)
        assert 'activate' not in [t.id for t in available(joint, Actor.system(), guards)]
        with pytest.raises(WorkflowError, match='may not'):
            fire(joint, 'activate', Actor.system(), guards)
        do_sign(c, app.registry, joint, dad)
        assert joint.state == 'active'                    # the whole signature still works


def test_a_reviewed_summary_is_not_published_before_the_teen_agrees(app, clinic, demo):
    def strip(data):
        steps(data, 'publish_reviewed')['guards'] = []
    guards = workflow_guards(app.registry)
    with clinic() as c:
        planted = plant(c, 'parent-summary', strip)
        assert planted.transition('publish_reviewed').guards == ()
        therapist = c['users'][demo.user_ids['therapist']]
        mateo = c['clients'][demo.mateo]
        goal = next(iter(mateo['goals'].values()))
        add_progress(goal, date(2026, 11, 1), 'improving', 'Calmer mornings.', therapist.__name__)
        summary = write_summary(c, mateo, 'November', 'A good month.', therapist.__name__)
        author = actor(therapist)
        fire(summary, 'ask_client_review', author, guards)
        with pytest.raises(WorkflowError, match='may not'):
            fire(summary, 'publish_reviewed', author, guards)   # the teen has not agreed
        summary.review_agreed = True
        summary.review_agreed_revision = summary.revision - 1   # ... to an older text
        with pytest.raises(WorkflowError, match='may not'):
            fire(summary, 'publish_reviewed', author, guards)
        summary.review_agreed_revision = summary.revision
        fire(summary, 'publish_reviewed', author, guards)
        assert summary.state == 'published'


def test_a_guard_the_engine_does_not_know_fails_closed(app, clinic, demo):
    """A stored step naming a guard no room registers is never available."""
    def unknown(data):
        steps(data, 'ask_client_review')['guards'] = ['a_guard_nobody_registered']
    guards = workflow_guards(app.registry)
    with clinic() as c:
        plant(c, 'parent-summary', unknown)
        therapist = c['users'][demo.user_ids['therapist']]
        mateo = c['clients'][demo.mateo]
        summary = write_summary(c, mateo, 'December', 'Text.', therapist.__name__)
        assert 'ask_client_review' not in [t.id for t in available(summary, actor(therapist),
                                                                     guards)]
        with pytest.raises(WorkflowError, match='may not'):
            fire(summary, 'ask_client_review', actor(therapist), guards)
