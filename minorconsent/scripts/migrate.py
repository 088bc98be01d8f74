"""minorconsent-migrate: move objects in flight to their workflow's newest
published version, in batches, each committed on its own (resumable).

A stored migration that would move documents past a guard (into a state
that activates consent, that a family can see, or that a guarded step
leads to; see ``workflow.migrate.target_problem``) is refused: nothing of
it moves, the reason goes to stderr and the exit code is 1."""
import argparse
import sys

from pyramid.paster import bootstrap, setup_logging
from tqdm import tqdm

from minorconsent.workflow.migrate import MigrationError, run_batch

from .common import close_databases


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='minorconsent-migrate',
        description='Finish the migrations started by publishing workflow '
                    'versions.  Safe to interrupt and run again.')
    parser.add_argument('config_uri', help='e.g. production.ini')
    parser.add_argument('--batch', type=int, default=1000,
                        help='objects per transaction (default 1000)')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.batch < 1:
        parser.error('--batch must be at least 1')
    setup_logging(args.config_uri)
    with bootstrap(args.config_uri) as env:
        request, registry = env['request'], env['registry']
        request.tm.begin()
        store = request.clinic['workflows']
        code = 0
        for wid in list(store.keys()):
            record = store[wid]
            migration = getattr(record, 'migration', None)
            if migration is None or migration.finished:
                continue
            with tqdm(total=migration.total, initial=migration.moved(), unit='object',
                      desc=wid, disable=args.quiet) as bar:
                while True:
                    try:
                        moved = run_batch(record, args.batch)
                    except MigrationError as exc:
                        # A move past a guard (stored before the rules):
                        # nothing of it happens; the documents keep working
                        # under their old version.
                        request.tm.abort()
                        request.tm.begin()
                        print('Refused: %s' % exc, file=sys.stderr)
                        code = 1
                        break
                    request.tm.commit()
                    request.tm.begin()
                    bar.update(moved)
                    if moved < args.batch:
                        print('%s: moved to version %d.' % (wid, migration.to_version))
                        break
        request.tm.abort()
    close_databases(registry)
    return code


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
