"""A database made before a family could decline the confidentiality
agreement gets the step by an evolve step (issue 16, item 6), published as
a correction like 0012's: its agreements keep their states, and a clinic's
own definition is left alone."""
import tomllib

import tomli_w

from minorconsent.agreements import act, start_agreement
from minorconsent.agreements.evolve import confidentiality_decline, with_decline
from minorconsent.security.policy import principals_for
from minorconsent.site.evolve import all_steps
from minorconsent.workflow.definition import loads
from minorconsent.workflow.engine import Actor, available
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.migrate import publish_with_migration, run_batch

WID = 'confidentiality-agreement'


def without_decline(source):
    data = tomllib.loads(source)
    del data['states']['declined']
    data['transitions'] = [t for t in data['transitions'] if t['id'] != 'decline']
    return tomli_w.dumps(data)


def publish(record, source):
    publish_with_migration(record, source, loads(source), {}, 'system')
    while run_batch(record):
        pass


def step_ids(record):
    return [t.id for t in record.definition().transitions]


def test_an_older_database_gets_decline_by_an_evolve_step(app, clinic, demo):
    with clinic() as c:
        record = c['workflows'][WID]
        # The clinic as it was: no way for the family to decline.
        publish(record, without_decline(record.versions[record.current]))
        assert 'decline' not in step_ids(record)
        old_version = record.current
        confidentiality_decline(c, app.registry)
        assert record.current == old_version + 1 and record.migration.finished
        (decline,) = [t for t in record.definition().transitions if t.id == 'decline']
        assert (decline.from_states, decline.to_state, decline.roles, decline.guards) == (
            ('proposed',), 'declined', ('guardian',), ('consenting_guardian',))
        # Nothing else changed: the shipped definition, step for step.
        shipped = loads(with_decline(without_decline(record.versions[record.current])))
        assert step_ids(record) == [t.id for t in shipped.transitions]
        (seeded,) = [a for a in c['clients'][demo.mateo]['agreements'].values()
                     if a.kind == 'confidentiality']
        assert seeded.state == 'active' and seeded.workflow_version == record.current
        # Run again: nothing left to change.
        confidentiality_decline(c, app.registry)
        assert record.current == old_version + 1
    with clinic() as c:
        # A confidentiality agreement proposed now may be declined.
        lucia = c['clients'][demo.lucia]
        therapist = c['users'][demo.user_ids['therapist']]
        mother = c['users'][demo.user_ids['guardian']]
        agreement = start_agreement(c, lucia, 'confidentiality', therapist.__name__)
        act(agreement, app.registry, 'propose', Actor(therapist.__name__,
                                                      principals_for(therapist)))
        as_mother = Actor(mother.__name__, principals_for(mother))
        steps = [t.id for t in available(agreement, as_mother, workflow_guards(app.registry))]
        assert 'decline' in steps
        act(agreement, app.registry, 'decline', as_mother)
        assert agreement.state == 'declined'


def test_a_clinics_own_decline_is_left_alone(app, clinic):
    with clinic() as c:
        record = c['workflows'][WID]
        data = tomllib.loads(without_decline(record.versions[record.current]))
        data['states']['declined'] = {'title': 'Turned down', 'description': 'Ours.',
                                      'permissions': {'therapist': ['view']}}
        publish(record, tomli_w.dumps(data))
        version = record.current
        confidentiality_decline(c, app.registry)
        assert record.current == version and 'decline' not in step_ids(record)


def test_the_step_is_registered_after_the_others_and_a_new_database_has_decline(app, clinic):
    names = [name for name, _ in all_steps(app.registry)]
    assert '0029-agreements-confidentiality-decline' in names
    with clinic() as c:
        record = c['workflows'][WID]
        assert 'decline' in step_ids(record)
        version = record.current
        confidentiality_decline(c, app.registry)      # nothing to correct
        assert record.current == version
