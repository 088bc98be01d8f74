"""The token endpoint's rules: a signed client assertion in, a token out.

SMART Backend Services (SMART App Launch 2.x) with RFC 7523 client
authentication: the client posts ``grant_type=client_credentials``, the
assertion type ``urn:ietf:params:oauth:client-assertion-type:jwt-bearer``,
a JWT it signed with one of its registered keys, and the scopes it wants.
Plain Python, no HTTP: ``exchange(store, params, token_url, now)`` returns
an ``Issued`` or raises ``Refused`` carrying the OAuth 2.0 error code, the
HTTP status and a short reason code for the audit trail (never for the
client: the client learns only the error code, so a wrong key, an unknown
client and a disabled one look alike).

The order matters: nothing about a client is looked at before the request
is well formed; the signature is verified before any claim is believed;
the jti is recorded last, only for an assertion that earns a token (a
refused request writes nothing: pyramid_tm vetoes the commit of a 4xx).
"""
import base64
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from joserfc import jwt
from joserfc.errors import JoseError

from .keys import ALGORITHMS

GRANT_TYPE = 'client_credentials'
ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
#: An assertion is a few hundred bytes; anything this long is not one.
MAX_ASSERTION = 8 * 1024
MAX_SCOPE = 2 * 1024
MAX_JTI = 255
#: ``exp`` at most this far ahead (SMART: five minutes).
MAX_ASSERTION_SECONDS = 300
#: Clock skew allowed between the client and the clinic (RFC 7519 4.1.5
#: "some small leeway"): on ``exp`` too far ahead and on ``nbf``, where a
#: client's clock a little ahead of ours would otherwise be refused.  Never
#: on an ``exp`` already past: the jti is remembered only until ``exp``.
LEEWAY_SECONDS = 30
PARAMETERS = ('grant_type', 'client_assertion_type', 'client_assertion', 'scope')


class Refused(Exception):
    """An OAuth 2.0 error answer (RFC 6749 5.2).  ``client_id``: the
    registered client the request names; ``verified``: whether the
    assertion's signature was checked against that client's key.  Only a
    verified refusal is the client's doing: before the signature anyone can
    name any client id, so the audit trail must not make them its actor."""

    def __init__(self, error, reason, client_id='', description='', verified=False):
        super().__init__(reason)
        self.error = error
        self.reason = reason
        self.client_id = client_id
        self.description = description
        self.verified = verified

    @property
    def status(self):
        # RFC 6749 5.2: a failed client authentication may answer 401.
        return 401 if self.error == 'invalid_client' else 400

    def body(self):
        body = {'error': self.error}
        if self.description:
            body['error_description'] = self.description
        return body


@dataclass(frozen=True)
class Issued:
    client_id: str
    access_token: str
    scopes: tuple
    expires_in: int

    def body(self):
        return {'access_token': self.access_token, 'token_type': 'bearer',
                'expires_in': self.expires_in, 'scope': ' '.join(self.scopes)}


def single(params, name):
    """One value of ``name`` (RFC 6749 3.2: no parameter twice), or ''."""
    values = params.getall(name) if hasattr(params, 'getall') else (
        [params[name]] if name in params else [])
    if len(values) > 1:
        raise Refused('invalid_request', 'repeated-' + name,
                      description='%s is given more than once.' % name)
    return values[0] if values else ''


def read_request(params):
    """The four parameters, checked for presence and shape."""
    grant_type, assertion_type, assertion, scope = (single(params, n) for n in PARAMETERS)
    if not grant_type:
        raise Refused('invalid_request', 'no-grant-type', description='grant_type is missing.')
    if grant_type != GRANT_TYPE:
        raise Refused('unsupported_grant_type', 'grant-type',
                      description='Only client_credentials is supported.')
    if assertion_type != ASSERTION_TYPE:
        raise Refused('invalid_request', 'assertion-type',
                      description='client_assertion_type must be ' + ASSERTION_TYPE + '.')
    if not assertion:
        raise Refused('invalid_request', 'no-assertion',
                      description='client_assertion is missing.')
    if not scope:
        raise Refused('invalid_request', 'no-scope', description='scope is missing.')
    if len(scope) > MAX_SCOPE:
        raise Refused('invalid_scope', 'scope-too-long')
    if len(assertion) > MAX_ASSERTION:
        raise Refused('invalid_client', 'assertion-too-large')
    return assertion, scope


def claimed_client(assertion):
    """The ``iss`` an assertion claims, read before it is verified: only to
    find which keys to verify it with (nothing else is believed yet)."""
    parts = assertion.split('.')
    if len(parts) != 3:
        raise Refused('invalid_client', 'malformed')
    try:
        padded = parts[1] + '=' * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded.encode('ascii')))
    except (ValueError, UnicodeError, RecursionError):
        # RecursionError: a payload of thousands of nested brackets.
        raise Refused('invalid_client', 'malformed') from None
    if not isinstance(claims, dict) or not isinstance(claims.get('iss'), str):
        raise Refused('invalid_client', 'malformed')
    return claims['iss']


#: Header members that point at keys elsewhere.  SMART Backend Services:
#: a ``jku`` SHALL match the JWKS URL the client registered; the clinic
#: registers key sets, never URLs, so no such header can match (and none is
#: ever fetched).  Keys embedded in the header (``jwk``) are never used.
KEY_URL_HEADERS = ('jku', 'x5u')


def verified_claims(assertion, client):
    """The assertion's claims once its signature checks out against one of
    the client's registered keys (by ``kid``), with RS384 or ES384 only."""
    try:
        token = jwt.decode(assertion, client.key_set(), algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError, KeyError, RecursionError):
        raise Refused('invalid_client', 'signature', client.client_id) from None
    if any(name in token.header for name in KEY_URL_HEADERS):
        raise Refused('invalid_client', 'key-url', client.client_id, verified=True)
    if 'crit' in token.header:
        # The clinic understands no JWS extension (RFC 7515 4.1.11); joserfc
        # refuses unknown ones, but lets an empty list or registered names by.
        raise Refused('invalid_client', 'crit', client.client_id, verified=True)
    return token.claims


def _number(value):
    """A JSON number that is a time: not a bool, not NaN or Infinity
    (Python's json reads both, and NaN compares false to everything).  An
    int of any size compares exactly (``math.isfinite`` would overflow)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def check_claims(claims, client_id, token_url, now):
    """SMART's rules for the assertion's claims; the jti and its expiry."""
    def refuse(reason):
        raise Refused('invalid_client', reason, client_id, verified=True)
    if claims.get('iss') != client_id or claims.get('sub') != client_id:
        refuse('iss-sub')
    aud = claims.get('aud')
    if not (aud == token_url or (isinstance(aud, list) and aud == [token_url])):
        refuse('aud')
    exp = claims.get('exp')
    if not _number(exp):
        refuse('no-exp')
    stamp = now.timestamp()
    if exp <= stamp:
        refuse('expired')
    if exp > stamp + MAX_ASSERTION_SECONDS + LEEWAY_SECONDS:
        refuse('exp-too-far')
    nbf = claims.get('nbf')
    if nbf is not None and (not _number(nbf) or nbf > stamp + LEEWAY_SECONDS):
        refuse('nbf')
    jti = claims.get('jti')
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
        refuse('no-jti')
    return jti, datetime.fromtimestamp(exp, timezone.utc)


def granted_scopes(requested, allowed, client_id=''):
    """The requested scopes the client may have (RFC 6749 3.3: the server
    may grant fewer, and says which); ``invalid_scope`` if none (asked
    after the signature: the client's own doing)."""
    asked = set(requested.split())
    granted = tuple(sorted(asked & set(allowed)))
    if not granted:
        raise Refused('invalid_scope', 'scope', client_id, verified=True)
    return granted


def exchange(store, params, token_url, now):
    """Check a token request against the registry ``store``
    (``clients.ApiClients``, or None before the evolve step) and issue a
    token: ``Issued``, or ``Refused``."""
    assertion, scope = read_request(params)
    client_id = claimed_client(assertion)
    client = store.get(client_id) if store is not None else None
    if client is None:
        raise Refused('invalid_client', 'unknown-client')
    if not client.enabled:
        raise Refused('invalid_client', 'disabled-client', client_id)
    if not client.approved:
        # Two people: the privacy officer has not approved it (yet).
        raise Refused('invalid_client', 'unapproved-client', client_id)
    claims = verified_claims(assertion, client)
    jti, jti_expires = check_claims(claims, client_id, token_url, now)
    scopes = granted_scopes(scope, client.scopes, client_id)
    if not store.tokens.use_jti(client_id, jti, jti_expires):
        raise Refused('invalid_client', 'replayed-jti', client_id, verified=True)
    store.tokens.maybe_prune(now)
    token, expires = store.tokens.issue(client_id, scopes, now)
    seconds = int((expires - now) / timedelta(seconds=1))
    return Issued(client_id, token, scopes, seconds)
