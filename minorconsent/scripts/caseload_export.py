"""minorconsent-export: take the clinic's records out into a directory.

``minorconsent-export CONFIG DIR [--include-private-notes]`` writes the
caseload (the import's columns), the agreements and their signed PDFs, the
published summaries, a FHIR R4 Bundle of the Consents and the audit trail
with its head into DIR (new or empty), then notes the export on the audit
trail.  What each file holds: ``minorconsent.caseload.export`` and
docs/EXPORT.md.

Why ``caseload.export.started`` is committed and sealed first: an export
that stops half way has still copied records out, and the trail must say
so (the final ``caseload.export`` entry, with the manifest's hash, comes
only when every file is written).  Sealing then also puts what a stopped
server or script left in the inbox on the chain, so the exported trail
ends with everything acknowledged before the export began, this start
included.
"""
import argparse
import sys

from tqdm import tqdm

from minorconsent.audit.chain import log_of
from minorconsent.caseload.export import (ExportRefused, export_clinic, make_directory,
                                          operator_name, record_export,
                                          record_export_started)

from .common import clinic_transaction


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='minorconsent-export',
        description="Export the clinic's caseload, agreements with their signed PDFs, "
                    'published summaries, a FHIR R4 Bundle of the consents and the audit '
                    'trail into DIR (a new or empty directory).  The export itself is '
                    'noted on the audit trail.')
    parser.add_argument('config_uri', help='e.g. production.ini')
    parser.add_argument('directory', metavar='DIR', help='a new or empty directory')
    parser.add_argument('--include-private-notes', action='store_true',
                        help="also export the therapists' private session notes (said in "
                             "the export's first line and on the audit trail)")
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def _renew(request):
    """A fresh snapshot: what was sealed or committed just now is seen."""
    request.tm.abort()
    request.tm.begin()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        # Refused or made before the database is opened: a typo in DIR
        # costs nothing.
        make_directory(args.directory)
    except ExportRefused as exc:
        print('minorconsent-export: %s Nothing was written.' % exc, file=sys.stderr)
        return 2
    operator = operator_name()
    with clinic_transaction(args.config_uri, commit=False) as (clinic, request):
        # On the trail (committed and sealed) before any record is written.
        _renew(request)
        record_export_started(clinic, args.include_private_notes, operator)
        request.tm.commit()
        request.tm.begin()
        recorder = getattr(request.registry, 'audit_recorder', None)
        if recorder is not None:
            recorder.flush()
        _renew(request)
        audit_log = log_of(clinic._p_jar.get_connection('audit').root(), create=False)
        total = len(clinic['clients']) + (audit_log.head_seq if audit_log is not None else 0)
        try:
            with tqdm(total=total, unit='record', disable=args.quiet,
                      desc='exporting') as bar:
                done = export_clinic(clinic, request.registry, args.directory,
                                     args.include_private_notes, tick=bar.update)
        except OSError as exc:
            print('minorconsent-export: the export stopped: %s. %s holds an unfinished '
                  'export (no manifest.json); the audit trail says it started.'
                  % (exc.strerror or exc, args.directory), file=sys.stderr)
            return 1
        _renew(request)
        record_export(clinic, done, operator)
        request.tm.commit()
        request.tm.begin()
    counts, head = done.counts, done.audit_head
    if args.include_private_notes:
        print('PRIVATE NOTES INCLUDED: %d private session notes are in this export.'
              % counts.private_notes)
    print('Exported %d clients (%d caseload rows), %d agreements (%d signed PDFs), '
          '%d published summaries, %d audit entries to %s.' % (
              counts.clients, counts.caseload_rows, counts.agreements, counts.signed_pdfs,
              counts.published_summaries, counts.audit_entries, done.directory))
    if not head['verified_from_file']:
        print('BROKEN: the exported audit chain does not hold: %s' % head['problem'],
              file=sys.stderr)
        return 1
    print('Audit chain verified from the exported file: %d entries, head %s.'
          % (head['entries_exported'], head['hash']))
    return 0


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
