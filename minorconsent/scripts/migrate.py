"""minorconsent-migrate: move objects in flight to their workflow's newest
published version, in batches, each committed on its own (resumable)."""
import argparse
import sys

from pyramid.paster import bootstrap, setup_logging
from tqdm import tqdm

from minorconsent.workflow.migrate import run_batch

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
        for wid in list(store.keys()):
            record = store[wid]
            migration = getattr(record, 'migration', None)
            if migration is None or migration.finished:
                continue
            with tqdm(total=migration.total, initial=migration.moved(), unit='object',
                      desc=wid, disable=args.quiet) as bar:
                while True:
                    moved = run_batch(record, args.batch)
                    request.tm.commit()
                    request.tm.begin()
                    bar.update(moved)
                    if moved < args.batch:
                        break
            print('%s: moved to version %d.' % (wid, migration.to_version))
        request.tm.abort()
    close_databases(registry)
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
