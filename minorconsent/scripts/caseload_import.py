"""minorconsent-import: bring a clinic's caseload in from a CSV or XLSX file.

Every row is checked before anything is written; a file with a bad row
writes nothing unless ``--valid-rows-only``.  The rows are then written in
committed batches of 2,000 (``caseload.importer``), so a 50,000-row file
stays in bounded memory, and a run cut short is finished by running the
same file again.  The report names rows and counts only (docs/CASELOAD.md).
"""
import argparse
import getpass
import sys

from tqdm import tqdm

from minorconsent.caseload.importer import BATCH, Options, run_import

from .common import clinic_transaction
from .seed import commit_batch


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='minorconsent-import',
        description='Import the caseload (clients, guardian links, therapists) from a CSV '
                    'or XLSX file; the columns are in docs/CASELOAD.md.')
    parser.add_argument('config_uri', help='e.g. development.ini')
    parser.add_argument('file', help='the caseload file (.csv UTF-8, comma or semicolon, '
                                     'or .xlsx)')
    parser.add_argument('--dry-run', action='store_true',
                        help='check the file and report what it would change; write nothing')
    parser.add_argument('--valid-rows-only', action='store_true',
                        help='import the valid rows and leave out (and list) the others')
    parser.add_argument('--create-accounts', action='store_true',
                        help='make staff accounts for unknown therapists and mail set-up '
                             'links to new therapists, guardians and clients')
    parser.add_argument('--invite', nargs='+', default=(), metavar='TEXT',
                        help='send each client of the file the named agreement texts to '
                             'sign (e.g. consent confidentiality)')
    parser.add_argument('--batch', type=int, default=BATCH, metavar='N',
                        help='commit every N rows (default %d; larger: less CPU, more '
                             'memory)' % BATCH)
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def operator():
    """Who ran the script, for the audit entry: the operating-system
    account (the console has no clinic sign-in)."""
    try:
        return 'minorconsent-import run by OS user %s' % getpass.getuser()
    except (KeyError, OSError):
        return 'minorconsent-import'


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    options = Options(dry_run=args.dry_run, valid_rows_only=args.valid_rows_only,
                      create_accounts=args.create_accounts, invite=tuple(args.invite))
    with clinic_transaction(args.config_uri, commit=not args.dry_run) as (clinic, request):
        with tqdm(unit='row', disable=args.quiet, desc='checking, then importing',
                  file=sys.stderr) as bar:
            report = run_import(clinic, args.file, options, actor_id='system',
                                request=request, commit=commit_batch(request),
                                tick=lambda: bar.update(1), batch=max(1, args.batch),
                                origin=operator())
    for line in report.lines():
        print(line)
    return 1 if report.blocked else 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
