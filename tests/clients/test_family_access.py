"""``FamilyAccess``, the one decision of who in a family may see, consent,
sign and be mailed, asserted field by field on a table of families (no
HTTP).  The higher rooms' facts (an active consent's signers, live
releases) are given as a registry of stub facts, as the rooms register
them with ``config.add_family_fact``."""
from datetime import date

import pytest

from minorconsent.accounts import User, Users
from minorconsent.clients import Client, Clients, link_guardian
from minorconsent.clients.family import (CONSENTED, CONSENTS_ALONE, FACTS_KEY, FULL_SCOPE,
                                         RELEASED, family_access)
from minorconsent.security.sessions import SessionStore
from minorconsent.site import Clinic

TODAY = date(2026, 11, 25)


def facts(consented=(), alone=False, released=()):
    return {FACTS_KEY: {CONSENTED: lambda client, today: frozenset(consented),
                        CONSENTS_ALONE: lambda client, today: alone,
                        RELEASED: lambda client, today: tuple(released)}}


def family(born=date(2014, 3, 1), links=(), own_account=False, no_email=()):
    clinic = Clinic()
    clinic.add(Users(), 'users')
    clinic.add(Clients(), 'clients')
    clinic.sessions = SessionStore()
    client = Client('Kim', 'Doe', born, [])
    clinic['clients'].add_client(client)
    ids = {}
    for name, relationship, authority, restricted in links:
        user = User(name + '@demo.test', name, ())
        clinic['users'].add_user(user)
        link_guardian(clinic, client, user, relationship, authority, restricted=restricted)
        ids[name] = user.__name__
        if name in no_email:
            client['guardians'][user.__name__].contact.email_ok = False
    if own_account:
        teen = User('kim@demo.test', 'Kim', ('adolescent',))
        clinic['users'].add_user(teen)
        client.self_account_id = ids['kim'] = teen.__name__
    return clinic, client, ids


MOM = ('mom', 'mother', True, False)
DAD = ('dad', 'father', True, False)


def test_joint_custody_both_parents_entitled_and_asked_to_sign():
    clinic, client, ids = family(links=(MOM, DAD))
    access = family_access(client, TODAY, facts(consented={ids['mom'], ids['dad']}))
    both = {ids['mom'], ids['dad']}
    assert set(access.entitled_guardian_ids) == set(access.signers) == both
    assert access.consenting_ids == access.entitled_guardian_ids
    assert access.custody_policy == 'all'
    assert access.signatures_needed(access.signers) == 2
    assert access.scope_of(ids['mom']) == access.scope_of(ids['dad']) == FULL_SCOPE
    assert access.mailable_ids == {ids['mom'], ids['dad']}
    client.custody_policy = 'one'
    one = family_access(client, TODAY, facts())
    assert one.signatures_needed(one.signers) == 1


def test_a_court_order_restricts_a_parent_out_of_everything_but_the_link():
    clinic, client, ids = family(links=(MOM, ('dad', 'father', True, True)))
    access = family_access(client, TODAY, facts(consented={ids['mom']}))
    assert set(access.linked_guardian_ids) == {ids['mom'], ids['dad']}
    assert access.entitled_guardian_ids == access.signers == (ids['mom'],)
    assert not access.entitled(ids['dad'])
    assert access.scope_of(ids['dad']) == frozenset()


def test_majority_at_18_ends_guardian_entitlement():
    clinic, client, ids = family(born=date(2008, 11, 25), links=(MOM,), own_account=True)
    assert family_access(client, date(2026, 11, 24), facts()).entitled_guardian_ids == (ids['mom'],)
    grown = family_access(client, TODAY, facts())
    assert grown.entitled_guardian_ids == grown.signers == ()
    assert grown.client_may_consent and grown.assent_expected


@pytest.mark.parametrize('released, scope', [
    ((), frozenset()),
    ((('MOM', frozenset({'goals'})),), frozenset({'goals'})),
    ((('MOM', frozenset({'goals', 'summaries'})),), FULL_SCOPE),
])
def test_self_consent_with_and_without_a_release(released, scope):
    clinic, client, ids = family(born=date(2010, 1, 1), links=(MOM, DAD), own_account=True)
    released = [(ids['mom'], items) for _, items in released]
    access = family_access(client, TODAY, facts(alone=True, released=released))
    assert access.consents_alone
    assert access.consenting_ids == (ids['kim'],)
    assert access.scope_of(ids['mom']) == scope
    assert access.scope_of(ids['dad']) == frozenset()
    assert access.released_to(ids['dad']) == frozenset()


def test_a_step_parent_without_legal_authority_is_linked_not_entitled():
    clinic, client, ids = family(links=(MOM, ('step', 'step-parent', False, False)))
    access = family_access(client, TODAY, facts(consented={ids['mom']}))
    assert ids['step'] in access.linked_guardian_ids
    assert access.entitled_guardian_ids == access.signers == (ids['mom'],)
    assert access.scope_of(ids['step']) == frozenset()


def test_a_client_with_only_a_safety_notice_gives_no_guardian_any_scope():
    clinic, client, ids = family(links=(MOM,), no_email=('mom',))
    access = family_access(client, TODAY, facts())
    assert access.entitled_guardian_ids == (ids['mom'],)
    assert access.scope_of(ids['mom']) == frozenset()
    assert not access.consents_alone
    # The one email rule: a "no email" on any record is a no.
    assert not access.may_mail(ids['mom'])


def test_without_the_rooms_facts_the_answer_is_closed():
    clinic, client, ids = family(links=(MOM,))
    access = family_access(client, TODAY, {})
    assert access.scope_of(ids['mom']) == frozenset() and not access.consents_alone


def test_family_access_holds_only_frozen_plain_values():
    clinic, client, ids = family(links=(MOM, DAD), own_account=True)
    access = family_access(client, TODAY, facts(consented={ids['mom']}))
    with pytest.raises(Exception):
        access.custody_policy = 'one'
    for value in vars(access).values():
        assert isinstance(value, (str, bool, tuple, frozenset, type(None))), value
    hash(access)
