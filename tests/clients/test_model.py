"""Client rules without HTTP."""
from datetime import date

import pytest
from hypothesis import given, strategies as st
from pyramid.authorization import ACLHelper

from minorconsent.accounts import User, Users
from minorconsent.clients import Client, Clients, age_on, link_guardian, unlink_guardian
from minorconsent.security.sessions import SessionStore
from minorconsent.site import Clinic

TODAY = date(2026, 11, 25)


def make_clinic():
    clinic = Clinic()
    clinic.add(Users(), 'users')
    clinic.add(Clients(), 'clients')
    clinic.sessions = SessionStore()
    return clinic


def person(clinic, email, *roles):
    user = User(email, email.split('@')[0], roles)
    clinic['users'].add_user(user)
    return user


def permits(client, user, permission):
    principals = ['system.Everyone', 'system.Authenticated', 'user:' + user.__name__]
    principals += ['role:' + r for r in user.roles]
    return bool(ACLHelper().permits(client, principals, permission))


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
       st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)))
def test_age_on_counts_whole_years(born, day):
    age = age_on(born, day)
    if day >= born:
        # The age is the number of birthdays passed.
        assert age >= 0
        anniversary_passed = (day.month, day.day) >= (born.month, born.day)
        assert age == day.year - born.year - (0 if anniversary_passed else 1)


def test_leap_day_birthday():
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18


def test_acl_follows_links_and_ends_in_deny_all():
    clinic = make_clinic()
    t = person(clinic, 't@demo.test', 'therapist')
    other = person(clinic, 't2@demo.test', 'therapist')
    sup = person(clinic, 's@demo.test', 'supervisor')
    admin = person(clinic, 'a@demo.test', 'admin')
    mom = person(clinic, 'm@demo.test', 'guardian')
    clinic['users'].set_supervisor(t, sup.__name__)
    client = Client('Kim', 'Doe', date(2014, 5, 1), [t.__name__])
    clinic['clients'].add_client(client)
    link_guardian(clinic, client, mom, 'mother', True)
    assert permits(client, t, 'edit-clinical') and permits(client, t, 'view-notes')
    assert permits(client, sup, 'view-notes') and not permits(client, sup, 'edit-clinical')
    assert permits(client, mom, 'view-as-guardian')
    assert not permits(client, mom, 'view-clinical')
    assert not permits(client, other, 'view-clinical')
    assert not permits(client, admin, 'view-clinical')
    assert not permits(client, admin, 'administer')   # DENY_ALL stops the root grant
    # The supervisor follows the therapist, not a copy on the client.
    clinic['users'].set_supervisor(t, None)
    assert not permits(client, sup, 'view-notes')


def test_guardian_entitlement_rules():
    clinic = make_clinic()
    settings = clinic.settings
    client = Client('Kim', 'Doe', date(2010, 1, 1), [])
    clinic['clients'].add_client(client)
    mom = person(clinic, 'm@demo.test')
    dad = person(clinic, 'd@demo.test')
    step = person(clinic, 'st@demo.test')
    link_guardian(clinic, client, mom, 'mother', True)
    link_guardian(clinic, client, dad, 'father', True, restricted=True)
    link_guardian(clinic, client, step, 'step-parent', False)
    assert 'guardian' in mom.roles
    assert client.entitled_guardian_ids(settings, date(2026, 1, 1)) == [mom.__name__]
    # At majority (16 here), guardian access ends.
    settings.age_of_majority = 16
    assert client.entitled_guardian_ids(settings, date(2026, 1, 1)) == []


def test_linking_twice_is_refused_and_unlinking_updates_the_index():
    clinic = make_clinic()
    client = Client('Kim', 'Doe', date(2014, 5, 1), [])
    clinic['clients'].add_client(client)
    mom = person(clinic, 'm@demo.test')
    link_guardian(clinic, client, mom, 'mother', True)
    with pytest.raises(ValueError):
        link_guardian(clinic, client, mom, 'mother', True)
    assert clinic['clients'].children_of(mom.__name__) == [client]
    unlink_guardian(clinic, client, mom.__name__)
    assert clinic['clients'].children_of(mom.__name__) == []


def test_users_index_by_email_role_and_supervisor():
    users = Users()
    a = User(' Ann@Demo.TEST ', 'Ann', ['therapist'])
    users.add_user(a)
    assert users.find_by_email('ann@demo.test') is a
    with pytest.raises(ValueError):
        users.add_user(User('ann@demo.test', 'Dup', []))
    users.set_roles(a, ['supervisor'])
    assert list(users.ids_with_role('therapist')) == []
    assert list(users.ids_with_role('supervisor')) == [a.__name__]
    users.set_email(a, 'ann2@demo.test')
    assert users.find_by_email('ann@demo.test') is None
    assert users.find_by_email('ann2@demo.test') is a


def test_links_count_only_with_the_matching_active_role():
    """Taking a role away (or disabling) ends client access even though
    the id is still recorded on the client."""
    clinic = make_clinic()
    t = person(clinic, 't@demo.test', 'therapist')
    sup = person(clinic, 's@demo.test', 'supervisor')
    mom = person(clinic, 'm@demo.test', 'guardian')
    clinic['users'].set_supervisor(t, sup.__name__)
    client = Client('Kim', 'Doe', date(2014, 5, 1), [t.__name__])
    clinic['clients'].add_client(client)
    link_guardian(clinic, client, mom, 'mother', True)
    clinic['users'].set_roles(t, ['supervisor'])
    clinic['users'].set_roles(sup, ['therapist'])
    clinic['users'].set_roles(mom, ['adolescent'])
    for user, perm in ((t, 'view-clinical'), (sup, 'view-notes'), (mom, 'view-as-guardian')):
        assert not permits(client, user, perm)
    clinic['users'].set_roles(t, ['therapist'])
    assert permits(client, t, 'view-clinical')
    t.active = False
    assert not permits(client, t, 'view-clinical')
