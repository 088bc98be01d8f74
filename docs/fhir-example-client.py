#!/usr/bin/env python3
"""An example FHIR client for the clinic's integration engineer (issue 19).

The whole SMART Backend Services exchange, from a shell, in one file that
needs the standard library and ``pip install joserfc`` only:

1. make a key pair (once), and give the clinic the public half::

       python3 fhir-example-client.py --make-key --key ehr-private.jwk.json > ehr.jwks.json

   The clinic admin registers ``ehr.jwks.json`` (page "API clients", or
   ``minorconsent-api-client CONFIG add``) and hands back a client id.

2. read one minor's active consents and published goals by the clinic's
   own client id::

       python3 fhir-example-client.py --base https://portal.clinic.example \\
           --client-id CLIENT_ID --key ehr-private.jwk.json --identifier MRN-0042

   It finds the token URL in ``/fhir/.well-known/smart-configuration``,
   signs a client assertion (RFC 7523) with the private key, trades it for
   a five-minute bearer token (``system/Patient.rs system/Consent.rs
   system/Goal.rs``), then searches ``Patient?identifier=``,
   ``Consent?patient.identifier=...&status=active`` and
   ``Goal?patient.identifier=...``, following each Bundle's ``next`` links.

3. or get a token alone, for curl::

       TOKEN=$(python3 fhir-example-client.py --base ... --client-id ... --print-token)

An OAuth error (``invalid_client``, ``invalid_scope`` ...) or a FHIR
OperationOutcome is printed on stderr with its code, and the exit status
is 1.  docs/FHIR-API.md, section 4, walks through it on the demo clinic.
"""
import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey, import_key

SCOPES = 'system/Patient.rs system/Consent.rs system/Goal.rs'
ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
FHIR_JSON = 'application/fhir+json'
TIMEOUT = 30


class Failed(Exception):
    """Something the engineer must read: printed on stderr, exit status 1."""


# --- the key pair ------------------------------------------------------------

def make_key(path, kid, alg):
    """Write a new private JWK to ``path`` (never over an existing file,
    readable by its owner only) and return the public JWKS to give the
    clinic."""
    parameters = {'kid': kid, 'alg': alg, 'use': 'sig'}
    if alg == 'RS384':
        key = RSAKey.generate_key(2048, parameters=parameters)
    else:
        key = ECKey.generate_key('P-384', parameters=parameters)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Failed('%s exists already: keep it, or give --key another file name.'
                     % path) from None
    with os.fdopen(fd, 'w') as f:
        json.dump(key.as_dict(private=True), f)
    return {'keys': [key.as_dict(private=False)]}


def thumbprint(jwks):
    """What the clinic's privacy officer compares before approving the
    client: the key's RFC 7638 SHA-256 thumbprint."""
    return import_key(jwks['keys'][0]).thumbprint()


def load_key(path):
    try:
        with open(path) as f:
            data = json.load(f)
        key = import_key(data)
    except OSError as exc:
        raise Failed('cannot read the key %s: %s' % (path, exc.strerror)) from None
    except Exception as exc:   # not JSON, not a JWK: joserfc says why
        raise Failed('%s is not a private JWK: %s' % (path, exc)) from None
    if not key.is_private or key.kid is None or key.alg not in ('ES384', 'RS384'):
        raise Failed('%s must be a private ES384 or RS384 JWK with a kid '
                     '(make one with --make-key).' % path)
    return key


# --- HTTP ----------------------------------------------------------------------

def call(url, data=None, token=None):
    """The JSON answer of a GET (or a form POST when ``data`` is given);
    an OAuth error or an OperationOutcome raises ``Failed`` with its code."""
    headers = {'Accept': FHIR_JSON + ', application/json'}
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode('ascii')
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
    if token is not None:
        headers['Authorization'] = 'Bearer ' + token
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        raise Failed(describe_error(url, exc.code, exc.read())) from None
    except urllib.error.URLError as exc:
        raise Failed('cannot reach %s: %s' % (url, exc.reason)) from None
    except ValueError:
        raise Failed('%s did not answer JSON' % url) from None


def describe_error(url, status, raw):
    """One line: the HTTP status and what the server said (the OAuth
    ``error`` code, or the OperationOutcome's code and diagnostics)."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and 'error' in body:
        text = 'OAuth error %s' % body['error']
        if body.get('error_description'):
            text += ': ' + body['error_description']
    elif isinstance(body, dict) and body.get('resourceType') == 'OperationOutcome':
        text = 'FHIR OperationOutcome ' + '; '.join(
            '%s: %s' % (issue.get('code'), issue.get('diagnostics', ''))
            for issue in body.get('issue', ()))
    else:
        text = 'no error body'
    return '%s answered %d (%s)' % (url.split('?')[0], status, text)


# --- SMART Backend Services ------------------------------------------------------

def get_token(fhir_base, client_id, key):
    """Discover the token URL, sign an assertion for it, and trade it for
    an access token: ``(token, granted scopes)``."""
    config = call(fhir_base + '/.well-known/smart-configuration')
    token_url = config['token_endpoint']
    now = int(time.time())
    assertion = jwt.encode(
        {'alg': key.alg, 'kid': key.kid, 'typ': 'JWT'},
        {'iss': client_id, 'sub': client_id, 'aud': token_url,
         'exp': now + 240, 'jti': secrets.token_urlsafe(24)},   # a new jti each time
        key, algorithms=[key.alg])
    answer = call(token_url, data={
        'grant_type': 'client_credentials',
        'client_assertion_type': ASSERTION_TYPE,
        'client_assertion': assertion,
        'scope': SCOPES})
    return answer['access_token'], answer.get('scope', '').split()


def search(fhir_base, resource_type, params, token):
    """Every matching resource of a search, page after page by the
    Bundle's ``next`` link (followed as given: it carries a cursor).  The
    token goes only to the server ``--base`` names."""
    url = '%s/%s?%s' % (fhir_base, resource_type, urllib.parse.urlencode(params))
    origin = urllib.parse.urlsplit(fhir_base)[:2]
    found = []
    while url:
        if urllib.parse.urlsplit(url)[:2] != origin:
            raise Failed('the server sent a next link to another address (%s): is --base the '
                         "clinic's public address?" % url.split('?')[0])
        bundle = call(url, token=token)
        found += [entry['resource'] for entry in bundle.get('entry', ())
                  if entry.get('search', {}).get('mode', 'match') == 'match']
        url = next((link['url'] for link in bundle.get('link', ())
                    if link.get('relation') == 'next'), None)
    return found


# --- what is printed ---------------------------------------------------------------

def codes(concept):
    return ','.join(c.get('code', '') for c in (concept or {}).get('coding', ()))


def show_patient(patient):
    name = (patient.get('name') or [{}])[0]
    print('Patient/%s  %s, %s  born %s' % (patient['id'], name.get('family', ''),
                                           ' '.join(name.get('given', ())),
                                           patient.get('birthDate', '?')))


def show_consent(consent):
    period = consent.get('provision', {}).get('period', {})
    print('Consent/%s  status=%s  scope=%s  category=%s  period=%s..%s' % (
        consent['id'], consent.get('status'), codes(consent.get('scope')),
        '|'.join(codes(c) for c in consent.get('category', ())),
        period.get('start', ''), period.get('end', '')))


def show_goal(goal):
    print('Goal/%s  lifecycle=%s  achievement=%s' % (
        goal['id'], goal.get('lifecycleStatus'), codes(goal.get('achievementStatus')) or '-'))
    print('    title: %s' % goal.get('description', {}).get('text', ''))
    for note in goal.get('note', ()):
        print('    description: %s' % note.get('text', ''))


def read_minor(args):
    key = load_key(args.key)
    fhir_base = args.base.rstrip('/')
    if not fhir_base.endswith('/fhir'):
        fhir_base += '/fhir'
    token, granted = get_token(fhir_base, args.client_id, key)
    if args.print_token:
        print(token)         # TOKEN=$(... --print-token) for curl
        return
    print('Token granted for: %s' % ' '.join(granted))
    identifier = '%s|%s' % (args.system, args.identifier) if args.system else args.identifier
    page = {'_count': str(args.count)}
    if 'system/Patient.rs' in granted:
        patients = search(fhir_base, 'Patient', dict(page, identifier=identifier), token)
        if not patients:
            raise Failed('no patient has the identifier %s (or this client may not see it)'
                         % identifier)
        for patient in patients:
            show_patient(patient)
    consents = search(fhir_base, 'Consent', dict(
        page, **{'patient.identifier': identifier, 'status': 'active'}), token)
    print('Active consents: %d' % len(consents))
    for consent in consents:
        show_consent(consent)
    goals = search(fhir_base, 'Goal', dict(page, **{'patient.identifier': identifier}), token)
    print('Published goals: %d' % len(goals))
    for goal in goals:
        show_goal(goal)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Read one minor's active consents and published goals through the "
                    "clinic's FHIR API, by the clinic's own client id.")
    parser.add_argument('--make-key', action='store_true',
                        help='write a new private key to --key and print the public JWKS '
                             'to give the clinic, then stop')
    parser.add_argument('--kid', default='ehr-1', help='with --make-key: the key id')
    parser.add_argument('--alg', default='ES384', choices=('ES384', 'RS384'),
                        help='with --make-key: the algorithm (default ES384)')
    parser.add_argument('--key', default='ehr-private.jwk.json',
                        help='the private JWK file (default ehr-private.jwk.json)')
    parser.add_argument('--base', help="the clinic's public address, e.g. "
                                       'https://portal.clinic.example')
    parser.add_argument('--client-id', help='the client id the clinic admin gave you')
    parser.add_argument('--identifier', help="the clinic's own client id (the MRN)")
    parser.add_argument('--system', help="the identifier's system URI "
                                         '(default: the value alone matches)')
    parser.add_argument('--print-token', action='store_true',
                        help='print a new access token alone (for curl), then stop')
    parser.add_argument('--count', type=int, default=50, help='entries per page (default 50)')
    args = parser.parse_args(argv)
    if not args.make_key:
        needed = ('base', 'client_id') + (() if args.print_token else ('identifier',))
        missing = [name for name in needed if not getattr(args, name)]
        if args.count < 1:
            parser.error('--count: at least 1')
        if missing:
            parser.error('needed: ' + ', '.join('--' + m.replace('_', '-') for m in missing))
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.make_key:
            jwks = make_key(args.key, args.kid, args.alg)
            print(json.dumps(jwks, indent=1))
            print('Private key written to %s: keep it secret. Give the clinic the key set '
                  'above, and tell its privacy officer the key thumbprint (RFC 7638, '
                  'SHA-256): %s: %s' % (args.key, args.kid, thumbprint(jwks)),
                  file=sys.stderr)
        else:
            read_minor(args)
    except Failed as exc:
        print('fhir-example-client: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
