"""A page view leaves plain values for the sealer (issue 20): the request
no longer formats the time or sorts the roles, yet every entry reads exactly
as before -- the same fields, the time as ``utc_stamp`` writes it, the
roles sorted and joined -- whether it is sealed from the buffer or written
with a transaction."""
import re
from datetime import datetime, timezone

import time_machine

from minorconsent.audit.recorder import (bind, make_entry, note, role_text, utc_stamp,
                                         view_entry, view_item)
from support import ROLE_EMAILS, audit_entries, clinic_of, sign_in

STAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
FIELDS = ['at', 'actor', 'role', 'action', 'record', 'target', 'detail', 'ip', 'outcome']


def test_a_view_item_makes_the_entry_the_request_used_to_make():
    at = datetime(2027, 2, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    item = view_item(at, 'GET Client.family', 'u1', ('therapist', 'admin'), 'c1',
                     'goals/g1', '192.0.2.10', '200')
    entry = view_entry(item)
    assert entry == make_entry('GET Client.family', actor='u1', role='admin therapist',
                               record='c1', target='goals/g1', ip='192.0.2.10',
                               outcome='200', at='2027-02-03T04:05:06.000007Z')
    assert list(entry) == FIELDS
    assert utc_stamp(at) == entry['at']
    assert role_text(('b', 'a', 'c')) == 'a b c' and role_text(()) == ''


def test_a_page_view_is_buffered_as_plain_values_and_sealed_as_before(app, demo):
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    recorder = app.registry.audit_recorder
    recorder.flush()
    with clinic_of(app.db, app.registry) as clinic:
        # An unsorted tuple, as an older record might hold: still sorted.
        user = clinic['users'][demo.user_ids['guardian']]
        user.roles = tuple(reversed(sorted(set(user.roles) | {'zz-extra', 'aa-extra'})))
        roles = user.roles
    frozen = datetime.now(timezone.utc).replace(microsecond=123456)
    with time_machine.travel(frozen, tick=False):
        guardian.get('/clients/%s/family' % demo.mateo)
    [item] = list(recorder.buffer)
    assert type(item) is tuple
    # Nothing the sealer thread reads belongs to a database connection.
    assert all(type(value) in (str, tuple, datetime) for value in item)
    assert all(type(role) is str for role in item[3])
    [entry] = [e for e in audit_entries(app) if e['action'] == 'GET Client.family']
    assert {name: entry[name] for name in FIELDS} == {
        'at': frozen.strftime('%Y-%m-%dT%H:%M:%S.123456Z'), 'actor': demo.user_ids['guardian'],
        'role': ' '.join(sorted(roles)), 'action': 'GET Client.family',
        'record': demo.mateo, 'target': '', 'detail': '', 'ip': entry['ip'],
        'outcome': '200'}
    assert entry['ip'] and STAMP.match(entry['at'])


def test_a_write_names_the_sorted_roles(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    with clinic_of(app.db, app.registry) as clinic:
        user = clinic['users'][demo.user_ids['therapist']]
        user.roles = tuple(reversed(sorted(set(user.roles) | {'aa-extra'})))
        role = ' '.join(sorted(user.roles))
    form = therapist.get('/clients/%s/goals/%s/progress'
                         % (demo.mateo, demo.mateo_goal)).forms['form']
    form['day'], form['rating'] = '2026-11-20', 'improving'
    form.submit(status=302)
    [entry] = [e for e in audit_entries(app) if e['action'] == 'POST Goal.progress']
    assert entry['actor'] == demo.user_ids['therapist']
    assert entry['role'] == role and entry['outcome'] == '302'
    assert entry['ip'] and STAMP.match(entry['at'])


def test_a_note_names_who_the_request_bound(app, demo):
    with clinic_of(app.db, app.registry) as clinic:
        client = clinic['clients'][demo.mateo]
        unbound = note(client, 'test.unbound')
        bind(client._p_jar, 'u1', ('therapist', 'admin'), '192.0.2.9')
        bound = note(client, 'test.bound')
        told = note(client, 'test.told', actor='u2', role='privacy_officer')
    assert (unbound['actor'], unbound['role'], unbound['ip']) == ('system', '', '')
    assert (bound['actor'], bound['role'], bound['ip']) == ('u1', 'admin therapist',
                                                            '192.0.2.9')
    assert (told['actor'], told['role'], told['ip']) == ('u2', 'privacy_officer',
                                                         '192.0.2.9')
    sealed = {e['action']: e for e in audit_entries(app) if e['action'].startswith('test.')}
    assert sealed['test.bound']['role'] == 'admin therapist'
    assert sealed['test.unbound']['actor'] == 'system'
