"""The admin's API client pages (issue 19 item 1): register with a pasted
or uploaded JWKS, a clear message next to the field for every key set the
clinic refuses (nothing stored), disable, enable and delete at once, each
on the audit trail by id; every other role gets the made-up-URL answer."""
import base64
import json
import re
import secrets
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey

from minorconsent.site.clock import utcnow

from api_support import (ALL_SCOPES, approve_on_page, fresh_key, new_key, public_jwks,
                         request_token, token_for)
from support import ROLE_EMAILS, audit_entries, clinic_of, csrf_of, sign_in, tick

LIST, ADD = '/api-clients', '/api-client-add'


def register_form(admin, name='Clinic EHR', jwks=None, scopes=ALL_SCOPES):
    form = admin.get(ADD).forms['form']
    form['name'] = name
    if jwks is not None:
        form['jwks'] = jwks
    tick(form, *scopes)
    return form.submit('register', expect_errors=True)


def stored_clients(app):
    with clinic_of(app.db, app.registry) as clinic:
        return {c.client_id: (c.name, c.scopes, c.enabled)
                for c in clinic.api_clients.values()}


def field_error(res, field):
    """The error deform puts next to ``field`` (``error-<its id>``)."""
    error = res.html.find(id='error-' + field_id(res, field))
    return error.get_text(' ', strip=True) if error is not None else ''


def field_id(res, name):
    node = res.html.find(attrs={'name': name})
    return node['id'] if node is not None else ''


@pytest.mark.parametrize('alg', ['RS384', 'ES384'])
def test_register_through_the_page_then_get_a_token(app, alg):
    admin = sign_in(app, 'admin@demo.test')
    key = new_key(alg)
    res = register_form(admin, jwks=public_jwks(key), scopes=('system/Consent.rs',))
    assert res.status_int == 302, res.text
    page = res.follow()
    (client_id, (name, scopes, enabled)), = stored_clients(app).items()
    assert (name, scopes, enabled) == ('Clinic EHR', ('system/Consent.rs',), True)
    assert client_id in page.text and 'Clinic EHR' in page.text
    assert 'http://localhost/auth/token' in page.text
    assert "Awaiting the privacy officer's approval" in page.text
    # Two people: no token before the privacy officer approves it.
    res = request_token(app, client_id, key, scopes=('system/Consent.rs',))
    assert res.status_int == 401 and res.json['error'] == 'invalid_client'
    assert approve_on_page(app, client_id).status_int == 302
    res = request_token(app, client_id, key, scopes=('system/Consent.rs',))
    assert res.status_int == 200 and res.json['scope'] == 'system/Consent.rs'
    entry = [e for e in audit_entries(app) if e['action'] == 'api.client_registered'][-1]
    assert entry['target'] == 'api-clients/' + client_id
    assert 'Clinic EHR' not in json.dumps(entry)          # ids only on the trail


def test_register_by_uploading_the_jwks_file(app):
    admin = sign_in(app, 'admin@demo.test')
    key = new_key('ES384')
    form = admin.get(ADD).forms['form']
    form['name'] = 'Uploaded'
    form['upload'] = ('jwks.json', public_jwks(key).encode())
    tick(form, 'system/Goal.rs')
    res = form.submit('register', expect_errors=True)
    assert res.status_int == 302, res.text
    (client_id, (_, scopes, _)), = stored_clients(app).items()
    assert scopes == ('system/Goal.rs',)
    approve_on_page(app, client_id)
    assert request_token(app, client_id, key, scopes=('system/Goal.rs',)).status_int == 200


def _private(alg):
    return json.dumps({'keys': [new_key(alg).as_dict(private=True)]})


def _with(**changes):
    key = dict(new_key('ES384').as_dict(private=False), kid='k1', alg='ES384')
    key.update(changes)
    key = {k: v for k, v in key.items() if v is not None}
    return json.dumps({'keys': [key]})


@pytest.mark.parametrize('jwks,message', [
    ('not json at all', 'This is not JSON'),
    ('[1, 2]', 'A JWKS is a JSON object with a "keys" list.'),
    ('{"keys": []}', 'The key set has no keys.'),
    (_private('RS384'), 'is a private key'),
    (_private('ES384'), 'is a private key'),
    (_with(alg='RS256'), '"alg" must be RS384 or ES384'),
    (_with(alg='HS256'), '"alg" must be RS384 or ES384'),
    (_with(alg=None), '"alg" must be RS384 or ES384'),
    (_with(kid=None), 'has no "kid"'),
    (_with(crv='P-256'), '"crv": "P-384"'),
    (_with(x='AAAA'), 'is not a valid ES384 public key'),
    (json.dumps({'keys': [{'kty': 'oct', 'k': 'c2VjcmV0', 'kid': 'a', 'alg': 'HS384'}]}),
     'is a private key'),
    ('', 'Paste the key set here, or upload it as a file'),
])
def test_a_refused_key_set_is_named_next_to_its_field_and_nothing_is_stored(app, jwks,
                                                                            message):
    admin = sign_in(app, 'admin@demo.test')
    res = register_form(admin, jwks=jwks)
    assert res.status_int == 400
    assert message in field_error(res, 'jwks'), field_error(res, 'jwks')
    assert stored_clients(app) == {}


def test_a_short_rsa_key_or_two_keys_with_one_kid_are_refused(app):
    admin = sign_in(app, 'admin@demo.test')
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    jwk = dict(RSAKey.import_key(small).as_dict(private=False), kid='small', alg='RS384')
    res = register_form(admin, jwks=json.dumps({'keys': [jwk]}))
    assert res.status_int == 400 and 'at least 2048 bits' in field_error(res, 'jwks')
    twins = public_jwks(new_key('ES384'), fresh_key('ES384', kid=new_key('ES384').kid))
    res = register_form(admin, jwks=twins)
    assert res.status_int == 400 and 'is used twice' in field_error(res, 'jwks')
    assert stored_clients(app) == {}


def _b64_int(number):
    raw = number.to_bytes((number.bit_length() + 7) // 8, 'big')
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode()


def _rsa_jwk(bits=None, e=65537):
    """An RSA public JWK with a made-up odd modulus of ``bits`` (a real
    2048-bit key's when None) and public exponent ``e``."""
    real = new_key('RS384').as_dict(private=False)
    n = real['n'] if bits is None else _b64_int(secrets.randbits(bits) | 1 | 1 << (bits - 1))
    return json.dumps({'keys': [{'kty': 'RSA', 'n': n, 'e': _b64_int(e), 'kid': 'big',
                                 'alg': 'RS384'}]})


@pytest.mark.parametrize('jwks,message', [
    (_rsa_jwk(bits=8193), 'Key 1: an RSA key has at most 8192 bits.'),
    (_rsa_jwk(bits=16384), 'Key 1: an RSA key has at most 8192 bits.'),
    (_rsa_jwk(bits=300000), 'Key 1: an RSA key has at most 8192 bits.'),
    (_rsa_jwk(e=3), 'Key 1: an RSA key\'s public exponent must be 65537 ("e": "AQAB").'),
    (_rsa_jwk(e=65539), 'Key 1: an RSA key\'s public exponent must be 65537'),
    (_rsa_jwk(e=(1 << 4000) + 1), 'Key 1: an RSA key\'s public exponent must be 65537'),
])
def test_an_oversized_rsa_key_or_odd_exponent_is_refused_next_to_the_field(app, jwks,
                                                                           message):
    admin = sign_in(app, 'admin@demo.test')
    started = time.monotonic()
    res = register_form(admin, jwks=jwks)
    assert time.monotonic() - started < 10
    assert res.status_int == 400
    assert message in field_error(res, 'jwks'), field_error(res, 'jwks')
    assert stored_clients(app) == {}


def test_the_largest_rsa_key_is_taken(app):
    admin = sign_in(app, 'admin@demo.test')
    assert register_form(admin, jwks=_rsa_jwk(bits=8192)).status_int == 302


def test_no_scope_or_no_name_is_refused_next_to_the_field(app):
    admin = sign_in(app, 'admin@demo.test')
    res = register_form(admin, jwks=public_jwks(new_key('ES384')), scopes=())
    assert res.status_int == 400 and 'Choose at least one.' in res.text
    res = register_form(admin, name='', jwks=public_jwks(new_key('ES384')))
    assert res.status_int == 400 and 'Required' in field_error(res, 'name')
    assert stored_clients(app) == {}


def test_disable_enable_delete_take_effect_at_once_and_are_audited(app):
    admin = sign_in(app, 'admin@demo.test')
    key = new_key('ES384')
    register_form(admin, jwks=public_jwks(key))
    (client_id, _), = stored_clients(app).items()
    approve_on_page(app, client_id)
    token = token_for(app, client_id, key)

    def act(action):
        page = admin.get(LIST)
        form = [f for f in page.forms.values()
                if f.fields.get('client_id') and f['client_id'].value == client_id][0]
        return form.submit('action', value=action)

    def live(token):
        with clinic_of(app.db, app.registry) as clinic:
            return clinic.api_clients.grant_for(token, utcnow()) is not None

    assert live(token)
    act('disable')
    assert stored_clients(app)[client_id][2] is False and not live(token)
    assert request_token(app, client_id, key).json['error'] == 'invalid_client'
    act('enable')
    token = token_for(app, client_id, key)     # approved once: no new approval
    act('delete')
    assert stored_clients(app) == {} and not live(token)
    actions = [(e['action'], e['target']) for e in audit_entries(app)
               if e['action'].startswith('api.client_')]
    target = 'api-clients/' + client_id
    assert actions == [('api.client_registered', target), ('api.client_approved', target),
                       ('api.client_disabled', target), ('api.client_enabled', target),
                       ('api.client_deleted', target)]
    # An action on a client that is gone: a clear 400, nothing changed.
    res = admin.post(LIST, {'csrf_token': csrf_of(admin.get(ADD)), 'client_id': client_id,
                            'action': 'enable'}, expect_errors=True)
    assert res.status_int == 400 and 'There is no such API client' in res.text


def test_an_action_without_the_csrf_token_changes_nothing(app):
    admin = sign_in(app, 'admin@demo.test')
    key = new_key('ES384')
    register_form(admin, jwks=public_jwks(key))
    (client_id, _), = stored_clients(app).items()
    res = admin.post(LIST, {'client_id': client_id, 'action': 'delete'}, expect_errors=True)
    assert res.status_int == 400
    assert client_id in stored_clients(app)


@pytest.mark.parametrize('name', ['Clinic\nEHR', 'EHR\u202eRHE', 'E\u200bHR', 'EHR\x00',
                                  'E\u0085HR', 'EHR\ue000'])
def test_a_name_with_control_or_format_characters_is_refused(app, name):
    admin = sign_in(app, 'admin@demo.test')
    res = register_form(admin, name=name, jwks=public_jwks(new_key('ES384')))
    assert res.status_int == 400
    assert 'without control or invisible formatting characters' in field_error(res, 'name')
    assert stored_clients(app) == {}


def test_names_are_escaped(app):
    admin = sign_in(app, 'admin@demo.test')
    register_form(admin, name='<script>alert(1)</script>', jwks=public_jwks(new_key('ES384')))
    page = admin.get(LIST)
    assert '<script>alert(1)' not in page.text and '&lt;script&gt;' in page.text


@pytest.mark.parametrize('role', ['therapist', 'supervisor', 'guardian', 'adolescent',
                                  'privacy_officer'])
def test_other_roles_get_the_nonexistent_answer(app, role):
    admin = sign_in(app, 'admin@demo.test')
    register_form(admin, jwks=public_jwks(new_key('ES384')))
    (client_id, _), = stored_clients(app).items()
    browser = sign_in(app, ROLE_EMAILS[role])
    made_up = browser.get('/no-such-page', expect_errors=True)
    for url in (LIST, ADD):
        page = browser.get(url, expect_errors=True)
        assert page.status_int == made_up.status_int == 404
        assert page.body == made_up.body
    data = {'csrf_token': csrf_of(browser.get('/password')), 'client_id': client_id,
            'action': 'delete'}
    posted = browser.post(LIST, data, expect_errors=True)
    posted_made_up = browser.post('/no-such-page', data, expect_errors=True)
    assert posted.status_int == posted_made_up.status_int == 404
    assert posted.body == posted_made_up.body
    assert client_id in stored_clients(app)
    assert not re.search(client_id, made_up.text)
