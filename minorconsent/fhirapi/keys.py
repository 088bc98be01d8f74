"""An API client's public key set (JWKS): what the admin may register.

The token endpoint verifies a client's signed assertion against these keys
and nothing else, so what goes in is held to the few shapes SMART Backend
Services names: RS384 (RSA, 2048 bits or more) and ES384 (EC on P-384),
each key with its own ``kid`` (the assertion's header names the key) and
its ``alg``.  A private key is refused outright: the clinic must never
hold the client's secret (a pasted private key is a leaked one; the admin
is told to make a new pair).  Every refusal is one sentence for the form
field or the console, never a stack trace.

The key set is stored as canonical JSON text (immutable, small), and parsed
into a joserfc ``KeySet`` when an assertion is checked.
"""
import json

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

#: The signing algorithms SMART Backend Services requires servers to support.
ALGORITHMS = ('RS384', 'ES384')

#: The most JWKS text the form or the script takes (a few keys fit in 4 KB).
MAX_JWKS_BYTES = 64 * 1024
#: At most this many keys (a client rotating keys publishes two or three).
MAX_KEYS = 10

#: Members that only a private key has (RFC 7518 6.2.2 and 6.3.2).
PRIVATE_MEMBERS = ('d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k')

MIN_RSA_BITS = 2048
#: Larger RSA keys only cost the token endpoint time (a 16384-bit key's
#: every verification is slow, and its import slower): no client needs one.
MAX_RSA_BITS = 8192
#: The one public exponent: what every key generator uses, and a huge
#: exponent makes each verification as slow as the admin lets it.
RSA_EXPONENT = 65537
#: Base64url characters of an 8192-bit modulus (1366), with room for a few
#: leading zero bytes: anything longer is refused before it is parsed.
MAX_MODULUS_CHARS = 1400


class KeySetError(ValueError):
    """A key set the clinic will not register; ``str()`` says why."""


def parse_jwks(text):
    """Canonical JSON of the public key set in ``text`` (str or bytes), or
    ``KeySetError`` with a sentence for the admin."""
    if isinstance(text, bytes):
        if len(text) > MAX_JWKS_BYTES:
            raise KeySetError('The key set is larger than 64 KB.')
        try:
            text = text.decode('utf-8')
        except UnicodeDecodeError:
            raise KeySetError('The key set is not UTF-8 text.') from None
    if len(text.encode('utf-8')) > MAX_JWKS_BYTES:
        raise KeySetError('The key set is larger than 64 KB.')
    try:
        data = json.loads(text)
    except ValueError:
        raise KeySetError('This is not JSON: paste the JWKS, {"keys": [...]}.') from None
    if not isinstance(data, dict) or not isinstance(data.get('keys'), list):
        raise KeySetError('A JWKS is a JSON object with a "keys" list.')
    keys = data['keys']
    if not keys:
        raise KeySetError('The key set has no keys.')
    if len(keys) > MAX_KEYS:
        raise KeySetError('At most %d keys.' % MAX_KEYS)
    kids = set()
    checked = []
    for number, key in enumerate(keys, 1):
        checked.append(_check_key(number, key))
        kid = key['kid']
        if kid in kids:
            raise KeySetError('Key %d: the kid "%s" is used twice.' % (number, kid[:40]))
        kids.add(kid)
    return json.dumps({'keys': checked}, sort_keys=True, separators=(',', ':'))


def _check_key(number, key):
    where = 'Key %d' % number
    if not isinstance(key, dict):
        raise KeySetError('%s is not a JSON object.' % where)
    if any(member in key for member in PRIVATE_MEMBERS):
        raise KeySetError('%s is a private key. Register the public key only, and '
                          'make a new key pair: this one is no longer secret.' % where)
    kid = key.get('kid')
    if not isinstance(kid, str) or not kid.strip() or len(kid) > 200:
        raise KeySetError('%s has no "kid" (the key id the client names).' % where)
    alg = key.get('alg')
    if alg not in ALGORITHMS:
        raise KeySetError('%s: "alg" must be RS384 or ES384.' % where)
    kty = key.get('kty')
    if alg == 'RS384' and kty != 'RSA':
        raise KeySetError('%s: an RS384 key has "kty": "RSA".' % where)
    if alg == 'ES384' and (kty != 'EC' or key.get('crv') != 'P-384'):
        raise KeySetError('%s: an ES384 key has "kty": "EC" and "crv": "P-384".' % where)
    if key.get('use', 'sig') != 'sig':
        raise KeySetError('%s: "use" must be "sig".' % where)
    if kty == 'RSA':
        _check_rsa_size(where, key)
    try:
        imported = KeySet.import_key_set({'keys': [key]}).keys[0]
    except (JoseError, ValueError, TypeError, KeyError):
        raise KeySetError('%s is not a valid %s public key.' % (where, alg)) from None
    if imported.is_private:
        raise KeySetError('%s is a private key.' % where)
    if alg == 'RS384':
        numbers = imported.raw_value.public_numbers()
        if imported.raw_value.key_size < MIN_RSA_BITS:
            raise KeySetError('%s: an RSA key has at least %d bits.' % (where, MIN_RSA_BITS))
        if imported.raw_value.key_size > MAX_RSA_BITS:
            raise KeySetError(_TOO_LARGE % where)
        if numbers.e != RSA_EXPONENT:
            raise KeySetError(_EXPONENT % where)
    public = imported.as_dict(private=False)
    public.update(kid=kid, alg=alg, use='sig')
    return public


_TOO_LARGE = '%%s: an RSA key has at most %d bits.' % MAX_RSA_BITS
_EXPONENT = '%%s: an RSA key\'s public exponent must be %d ("e": "AQAB").' % RSA_EXPONENT


def _check_rsa_size(where, key):
    """Refuse a huge modulus or exponent before parsing it (parsing a
    300,000-bit number is itself the cost to avoid)."""
    n, e = key.get('n'), key.get('e')
    if isinstance(n, str) and len(n) > MAX_MODULUS_CHARS:
        raise KeySetError(_TOO_LARGE % where)
    if isinstance(e, str) and len(e) > 8:
        raise KeySetError(_EXPONENT % where)


def key_set(jwks_json):
    """The joserfc ``KeySet`` of stored (already checked) JWKS text."""
    return KeySet.import_key_set(json.loads(jwks_json))


def key_ids(jwks_json):
    """The kids of stored JWKS text, for the admin's list."""
    return [key['kid'] for key in json.loads(jwks_json)['keys']]


def fingerprints(jwks_json):
    """(kid, RFC 7638 SHA-256 thumbprint) of each stored key: what the
    privacy officer compares with the integration engineer's own before
    approving (a kid is only a label; the thumbprint names the key)."""
    return [(key.kid, key.thumbprint()) for key in key_set(jwks_json).keys]
