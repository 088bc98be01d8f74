"""Test helpers for the FHIR API: a client as an EHR would be one.

Stable, small API (the resource tests import it):

* ``new_key(alg='ES384', kid=None)``: a private joserfc key (ES384 on
  P-384, or RS384 with 2048 bits); ``public_jwks(*keys)``: their JWKS text.
* ``register_client(app_or_clinic, scopes=ALL_SCOPES, alg='ES384', name=...)``
  -> ``(client_id, private_key)``: registered straight in the test's
  clinic (``app``: its own transaction; an open clinic: the caller's),
  approved at once (as the console script registers).  The admin page's
  own tests register through the page and then approve as the privacy
  officer: ``approve_on_page(app, client_id)``.
* ``assertion(client_id, private_key, aud=TOKEN_URL, **claims)``: a signed
  client assertion (``exp`` 60 s ahead, a fresh ``jti``; any claim may be
  overridden, ``None`` drops it).
* ``request_token(app, client_id, private_key, scopes, **assertion_kw)``:
  the WebTest response of ``POST /auth/token`` (errors not raised).
* ``token_for(app, client_id, private_key, scopes=ALL_SCOPES)`` -> the
  access token string (asserts 200).
* ``bearer(token)`` -> the request headers that carry it.
* ``api_browser(app)``: a WebTest browser with no cookies.
"""
import json
import secrets
import time

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from webtest import TestApp

from minorconsent.fhirapi.auth import ASSERTION_TYPE
from minorconsent.fhirapi.clients import SCOPES
from minorconsent.site.clock import utcnow

from support import ROLE_EMAILS, clinic_of, sign_in

ALL_SCOPES = SCOPES
#: ``minorconsent.public_url`` of the test app (tests/support.py) + /auth/token.
TOKEN_URL = 'http://localhost/auth/token'
TOKEN_PATH = '/auth/token'
APPROVALS_PATH = '/api-client-approvals'
ALGS = ['RS384', 'ES384']

_KEYS = {}


def new_key(alg='ES384', kid=None):
    """A private key for ``alg``; made once per (alg, kid) per test run
    (RSA generation is slow), so two calls with one kid share a key."""
    kid = kid or 'test-' + alg.lower()
    key = _KEYS.get((alg, kid))
    if key is None:
        params = {'kid': kid, 'alg': alg, 'use': 'sig'}
        if alg == 'RS384':
            key = RSAKey.generate_key(2048, parameters=params)
        else:
            key = ECKey.generate_key('P-384', parameters=params)
        _KEYS[(alg, kid)] = key
    return key


def fresh_key(alg='ES384', kid='other'):
    """A key made now (never cached): another key under a known kid."""
    params = {'kid': kid, 'alg': alg, 'use': 'sig'}
    if alg == 'RS384':
        return RSAKey.generate_key(2048, parameters=params)
    return ECKey.generate_key('P-384', parameters=params)


def public_jwks(*keys):
    return json.dumps({'keys': [key.as_dict(private=False) for key in keys]})


def register_client(app_or_clinic, scopes=ALL_SCOPES, alg='ES384', name='Demo EHR',
                    key=None):
    """``(client_id, private_key)`` of a new enabled client: of the test's
    clinic in a transaction of its own (``app``: the ``app`` fixture), or
    in the caller's transaction (an open clinic, ``with clinic() as c``)."""
    key = key or new_key(alg)
    if hasattr(app_or_clinic, 'api_clients'):
        return _register(app_or_clinic, name, key, scopes), key
    with clinic_of(app_or_clinic.db, app_or_clinic.registry) as clinic:
        return _register(clinic, name, key, scopes), key


def _register(clinic, name, key, scopes):
    return clinic.api_clients.register(name, public_jwks(key), tuple(scopes), now=utcnow(),
                                       by='test', approved=True)


def approve_on_page(app, client_id, action='approve'):
    """The privacy officer approves (or refuses) ``client_id`` on the
    approvals page, as a second person after the admin registered it;
    the response to the form's POST."""
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    page = officer.get(APPROVALS_PATH)
    forms = [f for f in page.forms.values()
             if f.fields.get('client_id') and f['client_id'].value == client_id]
    assert forms, 'client %s is not awaiting approval' % client_id
    return forms[0].submit('action', value=action)


def assertion(client_id, private_key, aud=TOKEN_URL, **claims):
    now = int(time.time())
    payload = {'iss': client_id, 'sub': client_id, 'aud': aud, 'exp': now + 60,
               'jti': secrets.token_hex(16)}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    header = {'alg': private_key.alg, 'kid': private_key.kid, 'typ': 'JWT'}
    return jwt.encode(header, payload, private_key, algorithms=ALGS)


def api_browser(app):
    return TestApp(app, extra_environ={'HTTP_HOST': 'localhost', 'REMOTE_ADDR': '192.0.2.20'})


def token_request(client_id, private_key, scopes=ALL_SCOPES, **assertion_kw):
    """The form fields of a token request."""
    return {'grant_type': 'client_credentials', 'client_assertion_type': ASSERTION_TYPE,
            'client_assertion': assertion(client_id, private_key, **assertion_kw),
            'scope': ' '.join(scopes)}


def request_token(app, client_id, private_key, scopes=ALL_SCOPES, browser=None,
                  **assertion_kw):
    browser = browser or api_browser(app)
    return browser.post(TOKEN_PATH, token_request(client_id, private_key, scopes,
                                                  **assertion_kw), expect_errors=True)


def token_for(app, client_id, private_key, scopes=ALL_SCOPES):
    res = request_token(app, client_id, private_key, scopes)
    assert res.status_int == 200, res.text
    return res.json['access_token']


def bearer(token):
    return {'Authorization': 'Bearer ' + token}
