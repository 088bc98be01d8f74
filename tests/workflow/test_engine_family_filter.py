"""The engine's second filter: ``engine._acl_for`` intersects a family
role's grants with ``ROLE_FAMILY_PERMISSIONS`` again, and drops them in a
state the owning room does not declare family-visible, so even a definition
that never went through the validator (a record edited in the database, a
bug in the editor, a file restored from an old backup) cannot hand a
guardian or the teen a staff permission.

Every other engine test feeds it definitions the validator accepted, so
these store an unsound one directly in the workflow store."""
import pytest
import tomli_w
from pyramid.authorization import ACLHelper, Allow, DENY_ALL

from minorconsent.workflow import WorkflowRecord
from minorconsent.workflow.definition import parse, to_data
from minorconsent.workflow.engine import acl_for, start
from minorconsent.workflow.validate import PERMISSIONS, ROLE_FAMILY_PERMISSIONS, problems

from test_definitions import shipped
from wfsupport import GUARDS, Doc, family_clinic, principals

EVERYTHING = sorted(PERMISSIONS)          # view, edit, view-published, sign, review


def unsound_summary():
    """parent-summary with every permission handed to the family in every state."""
    data = to_data(shipped()['parent-summary'])
    for state in data['states'].values():
        state['permissions']['guardian'] = list(EVERYTHING)
        state['permissions']['adolescent'] = list(EVERYTHING)
    return data


@pytest.fixture
def family():
    defs = shipped()
    clinic, client, people = family_clinic(
        [wf for wid, wf in defs.items() if wid != 'parent-summary'])
    data = unsound_summary()
    # The validator would refuse it: that is the point of storing it directly.
    assert any('would let a guardian "view"' in p for p in problems(parse(data), GUARDS))
    clinic['workflows'].add(WorkflowRecord(tomli_w.dumps(data)), 'parent-summary')
    return clinic, client, people, data


def grants(acl, user):
    return {perm for action, principal, perms in acl
            if action == Allow and principal == 'user:' + user.__name__
            for perm in perms}


def test_a_stored_unsound_definition_gives_the_family_only_family_permissions(family):
    clinic, client, people, data = family
    doc = Doc()
    client['docs'].add(doc)
    start(doc, 'parent-summary', actor_id='system')
    for state in data['states']:
        doc.state = state
        acl = acl_for(doc)
        assert acl[-1] == DENY_ALL
        # The definition says everything; the guardian gets view-published
        # and sign, the teen those and review, and nothing of staff's --
        # and only in the states the summaries room declares theirs: a
        # guardian only once published, the teen also in their review.
        assert grants(acl, people['mother']) == (
            ROLE_FAMILY_PERMISSIONS['guardian'] if state == 'published' else set()), state
        assert grants(acl, people['teen']) == (
            ROLE_FAMILY_PERMISSIONS['adolescent'] if state in ('minor_review', 'published')
            else set()), state
        for user, perm in ((people['mother'], 'view'), (people['mother'], 'edit'),
                           (people['mother'], 'review'),
                           (people['teen'], 'view'), (people['teen'], 'edit')):
            assert not ACLHelper().permits(doc, principals(user), perm), (state, perm)
        # The restricted father is not linked at all: still nothing.
        assert grants(acl, people['father']) == set()
        # Staff keep what the definition gives them: the filter is for the family only.
        staff = set(dict(parse(data).state(state).permissions).get('therapist', ()))
        assert grants(acl, people['therapist']) == staff


def test_without_the_rooms_declarations_the_family_gets_nothing(family):
    """Fail closed: an engine that cannot read which states are
    family-visible (no app configured) gives a family member nothing."""
    from pyramid.registry import Registry
    from pyramid.threadlocal import manager
    clinic, client, people, data = family
    doc = Doc()
    client['docs'].add(doc)
    start(doc, 'parent-summary', actor_id='system')
    doc.state = 'published'
    assert grants(acl_for(doc), people['mother']) == ROLE_FAMILY_PERMISSIONS['guardian']
    manager.push({'registry': Registry('bare'), 'request': None})
    try:
        assert grants(acl_for(doc), people['mother']) == set()
        assert grants(acl_for(doc), people['therapist'])      # staff unaffected
    finally:
        manager.pop()
