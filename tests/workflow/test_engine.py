"""The engine without HTTP: start, who may fire what, fire, history, ACL."""
import pytest
from pyramid.authorization import ACLHelper

from minorconsent.workflow.engine import Actor, WorkflowError, available, fire, start
from minorconsent.workflow.history import History

from test_definitions import shipped
from wfsupport import GUARDS, Doc, family_clinic, principals


@pytest.fixture
def family():
    defs = shipped()
    clinic, client, people = family_clinic(defs.values())
    return clinic, client, people, defs


def new_doc(client, workflow):
    doc = Doc()
    client['docs'].add(doc)
    start(doc, workflow.id, actor_id='system')
    return doc


def actor(user):
    return Actor(user.__name__, principals(user))


def permits(doc, user, perm):
    return bool(ACLHelper().permits(doc, principals(user), perm))


def ids(transitions):
    return sorted(t.id for t in transitions)


def test_summary_walks_draft_review_published_withdrawn(family):
    clinic, client, people, defs = family
    doc = new_doc(client, defs['parent-summary'])
    therapist, teen, mother = actor(people['therapist']), actor(people['teen']), actor(people['mother'])
    assert doc.state == 'draft' and len(doc.history) == 1
    assert ids(available(doc, therapist, GUARDS)) == ['ask_client_review', 'publish']
    assert available(doc, mother, GUARDS) == []
    assert not permits(doc, people['mother'], 'view-published')
    fire(doc, 'ask_client_review', therapist, GUARDS)
    assert permits(doc, people['teen'], 'review')
    assert not permits(doc, people['mother'], 'view-published')
    with pytest.raises(WorkflowError, match='needs a comment'):
        fire(doc, 'return_to_draft', teen, GUARDS)
    fire(doc, 'return_to_draft', teen, GUARDS, comment='Please leave out the party.')
    # Once reviewed, never published over the client's objection.
    assert ids(available(doc, therapist, GUARDS)) == ['ask_client_review']
    doc.review_agreed = True             # they agreed to the text as it is now
    fire(doc, 'publish', therapist, GUARDS)
    assert permits(doc, people['mother'], 'view-published')
    assert not permits(doc, people['father'], 'view-published')   # restricted
    assert not permits(doc, people['stranger'], 'view')
    assert not permits(doc, people['mother'], 'view')
    fire(doc, 'withdraw', actor(people['supervisor']), GUARDS, comment='Correction follows')
    assert not permits(doc, people['mother'], 'view-published')
    steps = [(e.transition, e.from_state, e.to_state, e.actor) for e in doc.history]
    assert steps == [
        ('', '', 'draft', 'system'),
        ('ask_client_review', 'draft', 'minor_review', people['therapist'].__name__),
        ('return_to_draft', 'minor_review', 'draft', people['teen'].__name__),
        ('publish', 'draft', 'published', people['therapist'].__name__),
        ('withdraw', 'published', 'withdrawn', people['supervisor'].__name__)]
    latest = doc.history.latest()
    assert latest.comment == 'Correction follows' and latest.to_title == 'Withdrawn'
    assert latest.version == 1 and latest.workflow_id == 'parent-summary'


def test_guards_block_until_they_hold(family):
    clinic, client, people, defs = family
    doc = new_doc(client, defs['consent-to-treatment'])
    therapist = actor(people['therapist'])
    fire(doc, 'send', therapist, GUARDS)
    assert ids(available(doc, therapist, GUARDS)) == []
    with pytest.raises(WorkflowError, match='may not'):
        fire(doc, 'activate', therapist, GUARDS)
    doc.signed = True
    assert ids(available(doc, Actor.system(), GUARDS)) == []     # assent still missing
    doc.assented = True
    assert ids(available(doc, Actor.system(), GUARDS)) == ['activate']
    fire(doc, 'activate', Actor.system(), GUARDS)
    assert doc.state == 'active' and doc.history.latest().actor == 'system'


def test_consenting_guardian_guard(family):
    clinic, client, people, defs = family
    doc = new_doc(client, defs['consent-to-treatment'])
    fire(doc, 'send', actor(people['therapist']), GUARDS)
    assert ids(available(doc, actor(people['mother']), GUARDS)) == ['decline']
    # The restricted father holds no local role, so nothing at all.
    assert available(doc, actor(people['father']), GUARDS) == []


def test_client_is_minor_guard_uses_the_clinic_setting(family):
    clinic, client, people, defs = family
    doc = new_doc(client, defs['consent-to-treatment'])
    clinic.settings.age_of_majority = 15
    assert available(doc, actor(people['therapist']), GUARDS) == []


def test_wrong_state_unknown_step_and_strangers_are_refused(family):
    clinic, client, people, defs = family
    doc = new_doc(client, defs['parent-summary'])
    with pytest.raises(WorkflowError, match='cannot be done from "Draft"'):
        fire(doc, 'withdraw', actor(people['therapist']), GUARDS, comment='x')
    with pytest.raises(WorkflowError, match='no step "teleport"'):
        fire(doc, 'teleport', actor(people['therapist']), GUARDS)
    with pytest.raises(WorkflowError, match='may not'):
        fire(doc, 'publish', actor(people['stranger']), GUARDS)
    assert doc.state == 'draft' and len(doc.history) == 1


def test_history_is_append_only():
    history = History()
    assert not hasattr(history, '__setitem__') and not hasattr(history, '__delitem__')
    with pytest.raises(TypeError):
        history.append({'forged': True})



def test_history_entries_are_frozen(family):
    import dataclasses
    clinic, client, people, defs = family
    doc = new_doc(client, defs['parent-summary'])
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.history.latest().comment = 'rewritten'


def test_objects_are_indexed_by_version_and_state(family):
    clinic, client, people, defs = family
    record = clinic['workflows']['parent-summary']
    docs = [new_doc(client, defs['parent-summary']) for _ in range(3)]
    assert record.population() == {(1, 'draft'): 3}
    fire(docs[0], 'publish', actor(people['therapist']), GUARDS)
    assert record.population() == {(1, 'draft'): 2, (1, 'published'): 1}
    assert record.keys_in(1, 'published') == [docs[0].workflow_key]
    assert record.members[docs[0].workflow_key] is docs[0]
