"""minorconsent-evolve: bring an existing database to the current schema."""
import argparse
import sys

from minorconsent.site.evolve import all_steps, done_steps, evolve, pending_steps

from .common import clinic_transaction


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='minorconsent-evolve',
        description='Run the pending schema-evolution steps, in order, in one '
                    'transaction, and record them in the database.')
    parser.add_argument('config_uri', help='e.g. production.ini')
    parser.add_argument('--list', action='store_true',
                        help='show every step and whether it has run; change nothing')
    parser.add_argument('--dry-run', action='store_true',
                        help='run the pending steps, then abort the transaction')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    commit = not (args.list or args.dry_run)
    with clinic_transaction(args.config_uri, commit=commit) as (clinic, request):
        registry = request.registry
        if args.list:
            done = done_steps(clinic)
            for name, _ in all_steps(registry):
                print('%s %s' % ('done   ' if name in done else 'pending', name))
            return 0
        pending = pending_steps(clinic, registry)
        if not pending:
            print('The database is up to date.')
            return 0
        ran = evolve(clinic, registry, progress=lambda name: print('ran', name))
    verb = 'Would run' if args.dry_run else 'Ran'
    print('%s %d step(s).' % (verb, len(ran)))
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
