"""Assertions whose JOSE header tries to choose the key (issue 19 review,
finding 9), signed by hand so the header is exactly the attacker's:

* algorithm confusion: HS384 keyed with the bytes of the client's RSA
  public key (its PEM, with or without line breaks, or its JWK JSON), which
  anyone has; a library that takes the algorithm from the header and the
  key from the registry would accept it;
* ``jwk``: the attacker's own public key embedded in the header;
* ``jku`` / ``x5u``: a URL to fetch keys from (never fetched; the clinic
  registers no URL, so such an assertion is refused even when it is signed
  with the registered key);
* ``crit``: an extension the server does not understand must be refused
  (RFC 7515 4.1.11), ``b64: false`` among them;
* ``alg: none``.

Each is ``invalid_client`` (401), issues no token and records no jti."""
import base64
import hashlib
import hmac
import json
import secrets
import time

import pytest
from joserfc.jws import JWSRegistry

from api_support import (TOKEN_PATH, TOKEN_URL, api_browser, fresh_key, register_client)
from minorconsent.fhirapi.auth import ASSERTION_TYPE
from support import audit_entries, clinic_of


def b64(data):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode()


def claims(client_id):
    return {'iss': client_id, 'sub': client_id, 'aud': TOKEN_URL,
            'exp': int(time.time()) + 60, 'jti': secrets.token_hex(8)}


def sign(header, payload, key):
    """A compact JWS of exactly ``header``, signed with ``key`` by the
    header's algorithm (joserfc's own algorithm objects, no checks)."""
    signing_input = (b64(header) + '.' + b64(payload)).encode()
    signature = JWSRegistry.algorithms[header['alg']].sign(signing_input, key)
    return signing_input.decode() + '.' + b64(signature)


def hs384(header, payload, secret):
    signing_input = (b64(header) + '.' + b64(payload)).encode()
    return signing_input.decode() + '.' + b64(
        hmac.new(secret, signing_input, hashlib.sha384).digest())


def post(app, assertion):
    return api_browser(app).post(TOKEN_PATH, {
        'grant_type': 'client_credentials', 'client_assertion_type': ASSERTION_TYPE,
        'client_assertion': assertion, 'scope': 'system/Consent.rs'}, expect_errors=True)


def assert_refused(app, res, reason=None):
    assert res.status_int == 401 and res.json == {'error': 'invalid_client'}, res.text
    with clinic_of(app.db, app.registry) as clinic:
        assert len(clinic.api_clients.tokens.tokens) == 0
        assert len(clinic.api_clients.tokens.jtis) == 0
    if reason:
        refusal = [e for e in audit_entries(app) if e['action'] == 'api.token_refused'][-1]
        assert refusal['detail'] == 'error=invalid_client reason=' + reason


@pytest.fixture
def rsa_client(app):
    return register_client(app, alg='RS384', name='RSA EHR')


def test_the_signing_control_works(app, rsa_client):
    """The hand-made signature is a real one: the header cases below are
    refused for their header, not for a broken signer."""
    client_id, key = rsa_client
    res = post(app, sign({'alg': 'RS384', 'kid': key.kid, 'typ': 'JWT'}, claims(client_id),
                         key))
    assert res.status_int == 200, res.text


@pytest.mark.parametrize('secret_of', [
    lambda key: key.as_pem(private=False),
    lambda key: key.as_pem(private=False).replace(b'\n', b''),
    lambda key: key.as_pem(private=False).strip(),
    lambda key: json.dumps(key.as_dict(private=False)).encode(),
], ids=['pem', 'pem-one-line', 'pem-stripped', 'jwk-json'])
def test_hs384_keyed_with_the_rsa_public_key_is_refused(app, rsa_client, secret_of):
    client_id, key = rsa_client
    secret = secret_of(key)
    assert b'PRIVATE' not in secret                       # what anyone has
    for header in ({'alg': 'HS384', 'kid': key.kid}, {'alg': 'HS384'},
                   {'alg': 'HS384', 'kid': key.kid, 'typ': 'JWT'}):
        assert_refused(app, post(app, hs384(header, claims(client_id), secret)), 'signature')


def test_an_embedded_jwk_is_never_used(app):
    client_id, key = register_client(app, alg='ES384')
    attacker = fresh_key('ES384', kid=key.kid)
    public = attacker.as_dict(private=False)
    for header in ({'alg': 'ES384', 'kid': key.kid, 'jwk': public},
                   {'alg': 'ES384', 'jwk': public}):
        assert_refused(app, post(app, sign(header, claims(client_id), attacker)), 'signature')


@pytest.mark.parametrize('member', ['jku', 'x5u'])
def test_a_key_url_is_refused_whoever_signed(app, member):
    client_id, key = register_client(app, alg='ES384')
    attacker = fresh_key('ES384', kid=key.kid)
    header = {'alg': 'ES384', 'kid': key.kid, member: 'https://evil.example/jwks.json'}
    assert_refused(app, post(app, sign(header, claims(client_id), attacker)), 'signature')
    # Even with the registered key: no URL was registered for it to match.
    assert_refused(app, post(app, sign(header, claims(client_id), key)), 'key-url')


@pytest.mark.parametrize('extra', [
    {'crit': ['exp-ext'], 'exp-ext': 1},
    {'crit': ['b64'], 'b64': False},
    {'crit': []},
    {'crit': 'b64'},
    {'crit': ['kid']},
], ids=['unknown', 'b64', 'empty', 'not-a-list', 'registered-name'])
def test_crit_the_server_does_not_understand_is_refused(app, extra):
    client_id, key = register_client(app, alg='ES384')
    header = dict({'alg': 'ES384', 'kid': key.kid}, **extra)
    assert_refused(app, post(app, sign(header, claims(client_id), key)))


def test_alg_none_is_refused(app):
    client_id, key = register_client(app, alg='ES384')
    for alg in ('none', 'None', 'NONE'):
        assertion = b64({'alg': alg, 'kid': key.kid}) + '.' + b64(claims(client_id)) + '.'
        assert_refused(app, post(app, assertion))
