"""minorconsent-api-client: register, list and disable FHIR API clients.

For operators who script their set-up (the admin's page ``/api-clients``
does the same):

* ``minorconsent-api-client CONFIG add --name NAME --jwks FILE --scope SCOPE
  [--scope ...]`` registers a client and prints its new client id alone on
  the last line (so ``$(... | tail -n 1)`` captures it).  The client is
  approved at once: the operator who runs this on the server holds the
  database anyway, so a privacy officer's approval (which a client the
  admin registers on the page awaits) would add no second person;
* ``list``: one line per client: id, enabled/disabled, scopes, name;
* ``disable CLIENT_ID``: at once, its live tokens revoked.

The same checks as the page (``fhirapi.clients``, ``fhirapi.keys``): a
refused key set, scope or name is one line on stderr, exit status 2, and
nothing is written.  Every change is on the audit trail (ids only).
"""
import argparse
import sys

from minorconsent.fhirapi.clients import SCOPES, api_clients
from minorconsent.fhirapi.keys import MAX_JWKS_BYTES, KeySetError
from minorconsent.site.clock import utcnow

from .common import clinic_transaction

PROG = 'minorconsent-api-client'


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog=PROG, description='Register, list or disable the systems that may read '
                               'through the FHIR API (SMART Backend Services).')
    parser.add_argument('config_uri', help='e.g. production.ini')
    commands = parser.add_subparsers(dest='command', required=True)
    add = commands.add_parser(
        'add', help='register a client, approved at once (no privacy officer approval: '
                    'run on the server by its operator); prints its id last',
        description='Register an API client, approved at once: unlike a client the admin '
                    'registers on the page, it does not await the privacy officer\'s '
                    'approval (whoever runs this on the server holds the database anyway).')
    add.add_argument('--name', required=True, help="the admin's label for the system")
    add.add_argument('--jwks', required=True, metavar='FILE',
                     help='its public key set (JWKS, RS384 or ES384; "-" reads stdin)')
    add.add_argument('--scope', required=True, action='append', choices=SCOPES,
                     help='a SMART scope it may be granted (repeat for more)')
    commands.add_parser('list', help='every client: id, status, scopes, name')
    disable = commands.add_parser('disable', help='disable a client at once')
    disable.add_argument('client_id', metavar='CLIENT_ID')
    return parser.parse_args(argv)


def read_jwks(path):
    """The file's bytes (at most one byte over the limit, which the check
    then refuses), or SystemExit with the reason."""
    try:
        if path == '-':
            return sys.stdin.buffer.read(MAX_JWKS_BYTES + 1)
        with open(path, 'rb') as f:
            return f.read(MAX_JWKS_BYTES + 1)
    except OSError as exc:
        raise SystemExit('%s: cannot read %s: %s' % (PROG, path, exc.strerror)) from None


def fail(message):
    print('%s: %s Nothing was written.' % (PROG, message), file=sys.stderr)
    return 2


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    jwks = read_jwks(args.jwks) if args.command == 'add' else None
    with clinic_transaction(args.config_uri, commit=False) as (clinic, request):
        store = api_clients(clinic)
        if store is None:
            return fail('The database needs updating: run minorconsent-evolve first.')
        if args.command == 'list':
            for client in store.values():
                print('%s  %s  %-8s  %s  %s' % (
                    client.client_id, 'enabled ' if client.enabled else 'disabled',
                    client.approval, ' '.join(client.scopes), client.name))
            return 0
        if args.command == 'add':
            try:
                client_id = store.register(args.name, jwks, tuple(sorted(set(args.scope))),
                                           now=utcnow(), by='script', approved=True)
            except (KeySetError, ValueError) as exc:
                return fail(str(exc))
            request.tm.commit()
            request.tm.begin()
            print('Registered. Client id:')
            print(client_id)
            return 0
        if store.get(args.client_id) is None:
            return fail('There is no API client %s.' % args.client_id[:64])
        changed = store.set_enabled(args.client_id, False)
        request.tm.commit()
        request.tm.begin()
        print('Disabled %s.' % args.client_id if changed else
              '%s was already disabled.' % args.client_id)
        return 0
