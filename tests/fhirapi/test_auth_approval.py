"""Two people for an API client (issue 19 review, finding 1): the clinic
admin, who must never see a client record, registers a client on the page;
it gets no token (``invalid_client``, as an unknown client) until the
privacy officer approves it on their own page.  The one who registered a
client never approves it; refusing is final; disabling and enabling an
approved client needs no new approval; every other role gets the
nonexistent answer on the approvals page; the trail has ids only."""
import json

import pytest

from minorconsent.fhirapi.clients import APPROVED, PENDING, REFUSED
from minorconsent.fhirapi.keys import fingerprints
from minorconsent.site.clock import utcnow

from api_support import (ALL_SCOPES, APPROVALS_PATH, api_browser, approve_on_page, bearer,
                         new_key, public_jwks, request_token, token_for)
from support import ROLE_EMAILS, audit_entries, clinic_of, csrf_of, sign_in, tick

LIST, ADD = '/api-clients', '/api-client-add'


def admin_registers(app, name='Admin key', scopes=ALL_SCOPES, key=None):
    """The admin registers a key of their own on the page; its id."""
    key = key or new_key('ES384')
    admin = sign_in(app, 'admin@demo.test')
    form = admin.get(ADD).forms['form']
    form['name'] = name
    form['jwks'] = public_jwks(key)
    tick(form, *scopes)
    assert form.submit('register').status_int == 302
    with clinic_of(app.db, app.registry) as clinic:
        (client_id,) = [c.client_id for c in clinic.api_clients.values() if c.name == name]
    return client_id, key


def approval_of(app, client_id):
    with clinic_of(app.db, app.registry) as clinic:
        client = clinic.api_clients.get(client_id)
        return client.approval, client.decided_by


def test_the_admins_own_key_with_every_scope_reads_nothing_until_approved(app, demo):
    client_id, key = admin_registers(app)
    assert approval_of(app, client_id) == (PENDING, None)
    res = request_token(app, client_id, key)
    assert res.status_int == 401 and res.json == {'error': 'invalid_client'}
    refused = [e for e in audit_entries(app) if e['action'] == 'api.token_refused'][-1]
    assert 'reason=unapproved-client' in refused['detail']
    assert refused['actor'] == 'anonymous' and refused['target'] == 'api-clients/' + client_id
    # The admin cannot approve it: the page is not there for them.
    admin = sign_in(app, 'admin@demo.test')
    made_up = admin.get('/no-such-page', expect_errors=True)
    page = admin.get(APPROVALS_PATH, expect_errors=True)
    assert page.status_int == 404 and page.body == made_up.body
    assert approval_of(app, client_id) == (PENDING, None)
    # Once the privacy officer approves it, it works.
    approve_on_page(app, client_id)
    assert approval_of(app, client_id) == (APPROVED, demo.user_ids['privacy_officer'])
    token = token_for(app, client_id, key)
    res = api_browser(app).get('/fhir/Consent?_count=1', headers=bearer(token))
    assert res.status_int == 200


def test_the_page_shows_what_the_privacy_officer_must_compare(app):
    client_id, key = admin_registers(app, name='Clinic EHR <test>',
                                     scopes=('system/Consent.rs', 'system/Goal.rs'))
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    page = officer.get(APPROVALS_PATH)
    row = page.html.find(id='client-' + client_id)
    text = row.get_text(' ', strip=True)
    assert 'Clinic EHR <test>' in text and 'Clinic EHR &lt;test&gt;' in page.text
    assert client_id in text and 'system/Consent.rs system/Goal.rs' in text
    assert key.kid in text and key.thumbprint() in text
    assert 'admin@demo.test' in text                   # who registered it
    with clinic_of(app.db, app.registry) as clinic:
        assert fingerprints(clinic.api_clients.get(client_id).jwks) == [
            (key.kid, key.thumbprint())]


def test_approval_and_refusal_are_on_the_trail_by_id_only(app, demo):
    approved_id, _ = admin_registers(app, name='Approved EHR')
    refused_id, refused_key = admin_registers(app, name='Refused EHR',
                                              key=new_key('ES384', kid='other-kid'))
    assert approve_on_page(app, approved_id).status_int == 302
    assert approve_on_page(app, refused_id, 'refuse').status_int == 302
    assert approval_of(app, refused_id)[0] == REFUSED
    assert request_token(app, refused_id, refused_key).json['error'] == 'invalid_client'
    entries = {e['action']: e for e in audit_entries(app)
               if e['action'] in ('api.client_approved', 'api.client_refused')}
    assert entries['api.client_approved']['target'] == 'api-clients/' + approved_id
    assert entries['api.client_refused']['target'] == 'api-clients/' + refused_id
    officer_id = demo.user_ids['privacy_officer']
    assert all(e['actor'] == officer_id for e in entries.values()), entries
    assert not any(word in json.dumps(list(entries.values()))
                   for word in ('Approved EHR', 'Refused EHR'))
    # Decided: off the page, and no second decision.
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    page = officer.get(APPROVALS_PATH)
    assert approved_id not in page.text and refused_id not in page.text
    res = officer.post(APPROVALS_PATH, {'csrf_token': csrf_of(page), 'client_id': refused_id,
                                        'action': 'approve'}, expect_errors=True)
    assert res.status_int == 400 and 'not awaiting approval' in res.text
    assert approval_of(app, refused_id)[0] == REFUSED
    admin_list = sign_in(app, 'admin@demo.test').get(LIST).text
    assert 'Refused by the privacy officer' in admin_list


def test_the_person_who_registered_a_client_never_approves_it(app, clinic):
    with clinic() as c:
        users = c['users']
        officer = users.find_by_email(ROLE_EMAILS['privacy_officer'])
        store = c.api_clients
        client_id = store.register('Mine', public_jwks(new_key('ES384')), ALL_SCOPES,
                                   now=utcnow(), by=officer.__name__)
        with pytest.raises(ValueError, match='cannot approve it'):
            store.decide(client_id, True, by=officer.__name__, now=utcnow())
        with pytest.raises(ValueError, match='cannot approve it'):
            store.decide(client_id, True, by=None, now=utcnow())
        assert store.get(client_id).approval == PENDING
        store.decide(client_id, True, by='someone-else', now=utcnow())
        assert store.get(client_id).usable


def test_disable_and_enable_keep_the_approval_and_never_give_one(app):
    client_id, key = admin_registers(app)
    admin = sign_in(app, 'admin@demo.test')

    def act(action):
        form = [f for f in admin.get(LIST).forms.values()
                if f.fields.get('client_id') and f['client_id'].value == client_id][0]
        return form.submit('action', value=action)

    act('disable')
    act('enable')                          # enabling a pending client approves nothing
    assert approval_of(app, client_id)[0] == PENDING
    assert request_token(app, client_id, key).status_int == 401
    approve_on_page(app, client_id)
    act('disable')
    assert request_token(app, client_id, key).status_int == 401
    act('enable')                          # approved before: no new approval
    assert request_token(app, client_id, key).status_int == 200


def test_a_decision_without_the_csrf_token_changes_nothing(app):
    client_id, _ = admin_registers(app)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    res = officer.post(APPROVALS_PATH, {'client_id': client_id, 'action': 'approve'},
                       expect_errors=True)
    assert res.status_int == 400
    assert approval_of(app, client_id)[0] == PENDING


def test_an_odd_decision_is_a_clear_400(app):
    client_id, _ = admin_registers(app)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    csrf = csrf_of(officer.get(APPROVALS_PATH))
    for data in ({'client_id': client_id, 'action': 'delete'},
                 {'client_id': 'NoSuchClient', 'action': 'approve'},
                 {'client_id': 'x' * 5000, 'action': 'refuse'}):
        data['csrf_token'] = csrf
        res = officer.post(APPROVALS_PATH, data, expect_errors=True)
        assert res.status_int == 400 and 'id="problem"' in res.text
    assert approval_of(app, client_id)[0] == PENDING


@pytest.mark.parametrize('role', ['admin', 'therapist', 'supervisor', 'guardian',
                                  'adolescent'])
def test_every_other_role_gets_the_nonexistent_answer(app, role):
    client_id, _ = admin_registers(app)
    browser = sign_in(app, ROLE_EMAILS[role])
    made_up = browser.get('/no-such-page', expect_errors=True)
    page = browser.get(APPROVALS_PATH, expect_errors=True)
    assert page.status_int == made_up.status_int == 404 and page.body == made_up.body
    data = {'csrf_token': csrf_of(browser.get('/password')), 'client_id': client_id,
            'action': 'approve'}
    posted = browser.post(APPROVALS_PATH, data, expect_errors=True)
    posted_made_up = browser.post('/no-such-page', data, expect_errors=True)
    assert posted.status_int == posted_made_up.status_int == 404
    assert posted.body == posted_made_up.body
    assert approval_of(app, client_id)[0] == PENDING
