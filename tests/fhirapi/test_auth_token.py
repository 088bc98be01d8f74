"""The token endpoint as a real backend client meets it (issue 19 item 1):
discovery, a signed assertion for RS384 and ES384 keys, the token's grant;
then every way an assertion is wrong, each the OAuth 2.0 error the
specification names (never a 500), nothing written but the audit entry."""
import base64
import json
import time

from datetime import datetime, timezone

import pytest
import time_machine

from minorconsent.fhirapi.clients import SCOPES
from minorconsent.site.clock import utcnow

from api_support import (TOKEN_PATH, TOKEN_URL, api_browser, fresh_key, register_client,
                         request_token, token_for, token_request)
from support import audit_entries, clinic_of


def grant_of(app, token):
    with clinic_of(app.db, app.registry) as clinic:
        return clinic.api_clients.grant_for(token, utcnow())


def test_discovery_names_the_configured_token_url_whatever_the_host(app):
    res = api_browser(app).get('/.well-known/smart-configuration',
                               headers={'Host': 'evil.example'})
    assert res.status_int == 200 and res.content_type == 'application/json'
    doc = res.json
    assert doc['token_endpoint'] == TOKEN_URL
    assert doc['grant_types_supported'] == ['client_credentials']
    assert doc['token_endpoint_auth_methods_supported'] == ['private_key_jwt']
    assert sorted(doc['token_endpoint_auth_signing_alg_values_supported']) == ['ES384',
                                                                               'RS384']
    assert sorted(doc['scopes_supported']) == sorted(SCOPES)
    assert 'client-confidential-asymmetric' in doc['capabilities']
    assert api_browser(app).get('/.well-known/other', expect_errors=True).status_int == 404


@pytest.mark.parametrize('alg', ['RS384', 'ES384'])
def test_a_signed_assertion_gets_a_short_lived_token_stored_only_as_a_hash(app, alg):
    client_id, key = register_client(app, scopes=('system/Consent.rs', 'system/Goal.rs'),
                                     alg=alg)
    res = request_token(app, client_id, key, scopes=('system/Consent.rs',))
    assert res.status_int == 200, res.text
    body = res.json
    assert body['token_type'] == 'bearer'
    assert 0 < body['expires_in'] <= 300
    assert body['scope'] == 'system/Consent.rs'
    assert res.headers['Cache-Control'] == 'no-store'
    token = body['access_token']
    grant = grant_of(app, token)
    assert grant.api_client_id == client_id
    assert grant.scopes == frozenset({'system/Consent.rs'})
    assert grant.allows('Consent', 's') and not grant.allows('Goal', 's')
    with clinic_of(app.db, app.registry) as clinic:
        stored = clinic.api_clients.tokens.tokens
        assert token not in stored and len(stored) == 1
    issued = [e for e in audit_entries(app) if e['action'] == 'api.token_issued']
    assert issued[-1]['actor'] == 'api:' + client_id
    assert issued[-1]['detail'] == 'scopes=system/Consent.rs'


def test_scopes_are_the_intersection_of_asked_and_allowed(app):
    client_id, key = register_client(app, scopes=('system/Consent.rs',))
    res = request_token(app, client_id, key, scopes=('system/Consent.rs', 'system/Goal.rs',
                                                     'user/*.*', 'nonsense'))
    assert res.status_int == 200 and res.json['scope'] == 'system/Consent.rs'
    res = request_token(app, client_id, key, scopes=('system/Goal.rs',))
    assert res.status_int == 400 and res.json == {'error': 'invalid_scope'}


def refused(res, error, status):
    assert res.status_int == status, (res.status, res.text)
    assert res.content_type == 'application/json'
    assert res.json['error'] == error
    assert 'access_token' not in res.json


def refusals(app):
    return [e for e in audit_entries(app) if e['action'] == 'api.token_refused']


def ahead(seconds):
    """A time ``seconds`` from when the test runs (not from collection:
    a slow run would move the edge)."""
    return lambda now: now + seconds


@pytest.mark.parametrize('claims,reason', [
    ({'aud': 'http://evil.example/auth/token'}, 'aud'),
    ({'aud': None}, 'aud'),
    ({'exp': ahead(-5)}, 'expired'),
    ({'exp': ahead(300 + 30 + 60)}, 'exp-too-far'),
    ({'exp': None}, 'no-exp'),
    ({'exp': 'soon'}, 'no-exp'),
    ({'exp': float('nan')}, 'no-exp'),
    ({'exp': float('inf')}, 'no-exp'),
    ({'exp': True}, 'no-exp'),
    ({'exp': 10 ** 400}, 'exp-too-far'),
    ({'jti': None}, 'no-jti'),
    ({'jti': 'x' * 300}, 'no-jti'),
    ({'sub': 'someone-else'}, 'iss-sub'),
    ({'sub': None}, 'iss-sub'),
    ({'nbf': ahead(120)}, 'nbf'),
    ({'nbf': 'soon'}, 'nbf'),
])
def test_wrong_claims_are_invalid_client(app, claims, reason):
    client_id, key = register_client(app)
    now = int(time.time())
    claims = {name: value(now) if callable(value) else value
              for name, value in claims.items()}
    refused(request_token(app, client_id, key, **claims), 'invalid_client', 401)
    assert refusals(app)[-1]['detail'] == 'error=invalid_client reason=' + reason
    assert refusals(app)[-1]['actor'] == 'api:' + client_id
    with clinic_of(app.db, app.registry) as clinic:
        assert len(clinic.api_clients.tokens.tokens) == 0
        assert len(clinic.api_clients.tokens.jtis) == 0      # nothing written


@pytest.mark.parametrize('claim,offset,accepted', [
    ('exp', 300 + 30, True), ('exp', 300 + 31, False),
    ('nbf', 30, True), ('nbf', 31, False), ('exp', 0, False),
])
def test_thirty_seconds_of_clock_skew_on_exp_and_nbf(app, claim, offset, accepted):
    """A client whose clock runs up to 30 s ahead of the clinic's still
    gets its token; an exp already past gets none (no leeway there)."""
    client_id, key = register_client(app)
    with time_machine.travel(datetime.now(timezone.utc).replace(microsecond=0), tick=False):
        now = int(time.time())
        res = request_token(app, client_id, key, **{claim: now + offset})
    if accepted:
        assert res.status_int == 200, res.text
    else:
        refused(res, 'invalid_client', 401)
        assert refusals(app)[-1]['detail'].endswith(
            'reason=' + {'exp': 'exp-too-far' if offset else 'expired', 'nbf': 'nbf'}[claim])


def test_a_wrong_key_under_the_right_kid_is_invalid_client(app):
    client_id, key = register_client(app, alg='ES384')
    impostor = fresh_key('ES384', kid=key.kid)
    refused(request_token(app, client_id, impostor), 'invalid_client', 401)
    assert refusals(app)[-1]['detail'].endswith('reason=signature')
    assert_anonymous_naming(refusals(app)[-1], client_id)
    unknown_kid = fresh_key('ES384', kid='not-registered')
    refused(request_token(app, client_id, unknown_kid), 'invalid_client', 401)


def assert_anonymous_naming(entry, client_id):
    """A refusal before the signature is verified: anyone may name any
    client, so the caller is anonymous and the client only the target."""
    assert entry['actor'] == 'anonymous' and entry['role'] != 'api-client', entry
    assert entry['target'] == 'api-clients/' + client_id


def test_only_a_verified_refusal_names_the_client_as_its_actor(app):
    client_id, key = register_client(app, scopes=('system/Consent.rs',))
    # Verified, then refused: the client's own doing.
    refused(request_token(app, client_id, key, scopes=('system/Goal.rs',)),
            'invalid_scope', 400)
    entry = refusals(app)[-1]
    assert entry['detail'] == 'error=invalid_scope reason=scope'
    assert entry['actor'] == 'api:' + client_id and entry['role'] == 'api-client'
    assert entry['target'] == 'api-clients/' + client_id
    # Anyone can claim the id with a key of their own: not the client's doing.
    stranger = fresh_key('ES384', kid=key.kid)
    refused(request_token(app, client_id, stranger, scopes=('system/Consent.rs',)),
            'invalid_client', 401)
    assert refusals(app)[-1]['detail'].endswith('reason=signature')
    assert_anonymous_naming(refusals(app)[-1], client_id)


def test_a_replayed_assertion_is_refused(app):
    client_id, key = register_client(app)
    fields = token_request(client_id, key)
    browser = api_browser(app)
    assert browser.post(TOKEN_PATH, fields).status_int == 200
    refused(browser.post(TOKEN_PATH, fields, expect_errors=True), 'invalid_client', 401)
    assert refusals(app)[-1]['detail'].endswith('reason=replayed-jti')
    # Same jti in a new assertion: still a replay.
    payload = fields['client_assertion'].split('.')[1]
    jti = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))['jti']
    again = token_request(client_id, key, jti=jti)
    refused(browser.post(TOKEN_PATH, again, expect_errors=True), 'invalid_client', 401)


def test_an_unknown_client_is_invalid_client(app):
    _, key = register_client(app)
    refused(request_token(app, 'NoSuchClient', key), 'invalid_client', 401)
    entry = refusals(app)[-1]
    assert entry['detail'].endswith('reason=unknown-client') and entry['actor'] == 'anonymous'


def test_a_disabled_client_gets_nothing_and_its_live_tokens_die_at_once(app):
    client_id, key = register_client(app)
    token = token_for(app, client_id, key)
    assert grant_of(app, token) is not None
    with clinic_of(app.db, app.registry) as clinic:
        clinic.api_clients.set_enabled(client_id, False)
    assert grant_of(app, token) is None
    refused(request_token(app, client_id, key), 'invalid_client', 401)
    assert refusals(app)[-1]['detail'].endswith('reason=disabled-client')
    assert_anonymous_naming(refusals(app)[-1], client_id)
    with clinic_of(app.db, app.registry) as clinic:
        clinic.api_clients.set_enabled(client_id, True)
    assert grant_of(app, token) is None                 # revoked, not paused
    assert grant_of(app, token_for(app, client_id, key)) is not None


def test_a_token_ends_when_it_expires(app):
    client_id, key = register_client(app)
    token = token_for(app, client_id, key)
    with clinic_of(app.db, app.registry) as clinic:
        later = clinic.api_clients.tokens.find(token, utcnow())[2]
        assert clinic.api_clients.grant_for(token, later) is None


def test_tokens_of_a_deleted_client_die_at_once(app):
    client_id, key = register_client(app)
    token = token_for(app, client_id, key)
    with clinic_of(app.db, app.registry) as clinic:
        clinic.api_clients.delete(client_id)
    assert grant_of(app, token) is None
    refused(request_token(app, client_id, key), 'invalid_client', 401)


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode()


NESTED = _b64(b'[' * 2500 + b']' * 2500)
BAD_ASSERTIONS = ['', 'abc', 'a.b.c', 'a.b', '....', 'eyJ.eyJ.x', 'x' * 9000,
                  'eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.', '\u00e9t\u00e9.\u00e9.\u00e9',
                  _b64(b'{}') + '.' + NESTED + '.x', NESTED + '.' + _b64(b'{"iss": 1}') + '.x',
                  _b64(b'{}') + '.' + _b64(b'{"iss": "x", "exp": NaN}') + '.x']


@pytest.mark.parametrize('value', BAD_ASSERTIONS)
def test_malformed_or_huge_assertions_are_refused_never_500(app, value):
    client_id, key = register_client(app)
    fields = token_request(client_id, key)
    fields['client_assertion'] = value
    res = api_browser(app).post(TOKEN_PATH, fields, expect_errors=True)
    refused(res, 'invalid_request' if not value else 'invalid_client',
            400 if not value else 401)


def test_an_unsigned_assertion_naming_a_real_client_is_refused(app):
    client_id, key = register_client(app)

    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b'=').decode()
    claims = {'iss': client_id, 'sub': client_id, 'aud': TOKEN_URL,
              'exp': int(time.time()) + 60, 'jti': 'j1'}
    for header in ({'alg': 'none'}, {'alg': 'HS384', 'kid': key.kid}):
        fields = token_request(client_id, key)
        fields['client_assertion'] = b64(header) + '.' + b64(claims) + '.'
        refused(api_browser(app).post(TOKEN_PATH, fields, expect_errors=True),
                'invalid_client', 401)


@pytest.mark.parametrize('drop,error', [
    ('grant_type', 'invalid_request'), ('client_assertion_type', 'invalid_request'),
    ('client_assertion', 'invalid_request'), ('scope', 'invalid_request')])
def test_missing_fields_are_invalid_request(app, drop, error):
    client_id, key = register_client(app)
    fields = token_request(client_id, key)
    del fields[drop]
    refused(api_browser(app).post(TOKEN_PATH, fields, expect_errors=True), error, 400)


def test_other_grant_types_and_shapes(app):
    client_id, key = register_client(app)
    browser = api_browser(app)
    fields = dict(token_request(client_id, key), grant_type='password')
    refused(browser.post(TOKEN_PATH, fields, expect_errors=True), 'unsupported_grant_type', 400)
    fields = dict(token_request(client_id, key), client_assertion_type='urn:other')
    refused(browser.post(TOKEN_PATH, fields, expect_errors=True), 'invalid_request', 400)
    fields = list(token_request(client_id, key).items()) + [('scope', 'system/Goal.rs')]
    refused(browser.post(TOKEN_PATH, fields, expect_errors=True), 'invalid_request', 400)
    res = browser.post_json(TOKEN_PATH, token_request(client_id, key), expect_errors=True)
    refused(res, 'invalid_request', 400)
    res = browser.post(TOKEN_PATH, b'\xff\xfe=\x00', expect_errors=True,
                       content_type='application/x-www-form-urlencoded')
    assert res.status_int in (400, 401)
    assert browser.get(TOKEN_PATH, expect_errors=True).status_int == 404
    assert browser.post('/auth/other', {}, expect_errors=True).status_int == 404
