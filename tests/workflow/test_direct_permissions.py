"""The policy asks a workflowed document from the roles a person holds on
it (``engine.permissions_for``) instead of walking the ACL the engine
builds (``engine.acl_for``).  The two must give the same answer on every
document, in every state, for every person and permission, however the
family around the client changes: this holds them together.
"""
from itertools import chain

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyramid.authorization import ACLHelper, Everyone
from pyramid.interfaces import ISecurityPolicy

from minorconsent.security.policy import principals_for
from minorconsent.site.hidden import placeholder
from minorconsent.summaries.model import Summary
from minorconsent.workflow.definition import loads, to_data
from minorconsent.workflow.engine import acl_for, definition_of, permissions_for

CONTAINERS = ('agreements', 'summaries', 'disclosures')


def documents(client):
    return list(chain.from_iterable(
        client[name].values() for name in CONTAINERS if name in client))


def everyone(clinic):
    """The principals of every account, and of nobody signed in."""
    return [(Everyone,)] + [principals_for(user) for user in clinic['users'].values()]


def permissions(document):
    workflow = definition_of(document)
    return sorted({perm for state in workflow.states for _, perms in state.permissions
                   for perm in perms} | set(EVERY_PERMISSION))


def disagreements(clinic, clients):
    """Every (document, state, principals, permission) the two paths answer
    differently, each document tried in every state of its definition."""
    acl = ACLHelper()
    found = []
    people = everyone(clinic)
    for client in clients:
        for document in documents(client):
            kept = document.state
            try:
                for state in definition_of(document).states:
                    document.state = state.id
                    # A change in this transaction: no memo, both computed afresh.
                    for principals in people:
                        direct = permissions_for(document, principals)
                        for perm in permissions(document):
                            walked = bool(acl.permits(document, principals, perm))
                            if walked != (perm in direct):
                                found.append((document.__name__, state.id, principals, perm,
                                              walked))
            finally:
                document.state = kept
    return found


#: Everything any state of any shipped definition grants, and more.
EVERY_PERMISSION = ('edit', 'review', 'sign', 'view', 'view-published')


def widen(c):
    """Plant, past the validator, definitions that grant every role every
    permission in every state (an old or hand-written stored version): the
    engine's own limits on family roles must then decide, on both paths."""
    for record in c['workflows'].values():
        data = to_data(loads(record.versions[record.current]))
        for state in data['states'].values():
            state['permissions'] = {role: list(EVERY_PERMISSION) for role in (
                'adolescent', 'guardian', 'supervisor', 'therapist')}
        record.versions[record.current] = tomli_w.dumps(data)
        record.__dict__.pop('_v_parsed', None)


class Discard(Exception):
    """Leave the test's clinic as it was."""


@pytest.mark.parametrize('widened', [False, True])
def test_the_two_paths_agree_on_every_demo_document(clinic, widened):
    with pytest.raises(Discard):
        with clinic() as c:
            if widened:
                widen(c)
            clients = list(c['clients'].values())
            assert sum(len(documents(client)) for client in clients) >= 15
            assert disagreements(c, clients) == []
            raise Discard


def test_the_policy_answers_from_the_roles_and_keeps_the_answer_of_the_acl(app, clinic, demo,
                                                                           principals_of):
    """Unchanged documents (the per-transaction memo at work): the policy
    itself, as a view asks it, against the ACL walk."""
    policy = app.registry.getUtility(ISecurityPolicy)
    acl = ACLHelper()
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        for document in documents(mateo):
            for principals in everyone(c):
                request = _Request(principals)
                for perm in permissions(document):
                    assert bool(policy.permits(request, document, perm)) == \
                        bool(acl.permits(document, principals, perm)), (document, perm)
        # A placeholder keeps its DENY_ALL: nobody, not even the mother.
        mother = principals_for(c['users'][demo.user_ids['guardian']])
        stand_in = placeholder(Summary, 'x' * 12, mateo['summaries'])
        assert not policy.permits(_Request(mother), stand_in, 'view-published')


class _Request:
    """What the policy reads of a request, for given principals."""

    def __init__(self, principals):
        self.__dict__['_mc_identity'] = None
        self._principals = list(principals)


@pytest.fixture
def principals_of(monkeypatch):
    from minorconsent.security import policy
    monkeypatch.setattr(policy.ClinicSecurityPolicy, 'effective_principals',
                        lambda self, request: request._principals)


#: What may change around a client between two requests.
CHANGES = st.lists(st.tuples(
    st.sampled_from(['legal_authority', 'restricted', 'inactive', 'no_therapist',
                     'no_self_account', 'agreement_state', 'drop_guardian']),
    st.integers(min_value=0, max_value=50)), min_size=1, max_size=4)


def change(c, client, what, n):
    links = list(client['guardians'].values())
    users = c['users']
    if what in ('legal_authority', 'restricted', 'drop_guardian') and links:
        link = links[n % len(links)]
        if what == 'drop_guardian':
            client['guardians'].remove(link.guardian_id)
        else:
            setattr(link, what, not getattr(link, what))
    elif what == 'inactive':
        people = sorted(users.keys())
        users[people[n % len(people)]].active = False
    elif what == 'no_therapist' and client.therapist_ids:
        client.therapist_ids = tuple(client.therapist_ids)[1:]
    elif what == 'no_self_account':
        client.self_account_id = None
    elif what == 'agreement_state' and 'agreements' in client and len(client['agreements']):
        agreements = list(client['agreements'].values())
        agreement = agreements[n % len(agreements)]
        states = [s.id for s in definition_of(agreement).states]
        agreement.state = states[n % len(states)]


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES, which=st.integers(min_value=0, max_value=10), widened=st.booleans())
def test_the_two_paths_agree_however_the_family_changes(clinic, changes, which, widened):
    # Not saved: the next example starts from the demo clinic again.
    with pytest.raises(Discard):
        with clinic() as c:
            clients = sorted(c['clients'].values(), key=lambda client: client.__name__)
            client = clients[which % len(clients)]
            if widened:
                widen(c)
            for what, n in changes:
                change(c, client, what, n)
            assert disagreements(c, [client]) == []
            raise Discard


def test_acl_for_still_ends_in_deny_all(clinic, demo):
    with clinic() as c:
        for document in documents(c['clients'][demo.mateo]):
            assert acl_for(document)[-1][0] == 'Deny'
