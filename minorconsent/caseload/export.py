"""The clinic's records taken out: ``minorconsent-export CONFIG DIR``.

Why an export at all (issue 18 item 2): a clinic that moves on, an auditor,
a subpoena answered by the privacy officer -- the records must leave ZODB
in files anyone can read.  One directory holds:

* ``caseload.csv``: the import's own columns (``columns.rows_for``), so the
  file goes back in through ``minorconsent-import`` unchanged; every cell
  passed through ``site.csvsafe.cell`` so a spreadsheet runs no formula;
* ``agreements.jsonl`` and ``agreements/<client>-<agreement>.pdf``: each
  agreement's state, period, signers and signatures, and its signed PDF
  (and ``...-paper-<signer>.<ext>``, the scan of a signature on paper);
* ``summaries.jsonl``: the published parent summaries;
* ``consents.fhir.json``: an HL7 FHIR R4 Bundle (collection) of every
  agreement as the app's own Consent resource;
* ``audit.jsonl`` and ``audit-head.json``: every sealed entry of the audit
  trail and the chain's head, the chain recomputed from the written file;
* ``private-notes.jsonl``: only when asked for (``include_private_notes``);
* ``README.txt`` (its first line says whether private notes are in) and
  ``manifest.json`` (counts, the SHA-256 and size of every file), written
  last: a directory without a manifest is an export that did not finish.

Memory stays bounded on a 50,000-client clinic: every file is streamed
record by record, and the connections' object caches are emptied every
``batch`` clients (or audit entries).  The whole export reads one
transaction's snapshot, so its files agree with each other.
"""
import csv
import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field

from minorconsent.audit.chain import log_of
from minorconsent.audit.recorder import note, utc_stamp
from minorconsent.site.csvsafe import cell

from .columns import NAMES, rows_for
from .export_parts import (ChainBroken, HashingWriter, agreement_line, audit_line,
                           consent_entry, copy_blob, is_published, json_line, note_line,
                           open_private, paper_scans, pdf_name, scan_name, summary_line,
                           verify_exported_chain)

FORMAT = 'minorconsent-export/1'
PRIVATE_NOTES_FILE = 'private-notes.jsonl'
WITH_NOTES = ('THIS EXPORT INCLUDES PRIVATE SESSION NOTES (%s): it was asked for with '
              '--include-private-notes. Keep it as you keep the clinical record itself.'
              % PRIVATE_NOTES_FILE)
#: The export directory and its ``agreements/``: the owner's only.
DIRECTORY_MODE = 0o700
WITHOUT_NOTES = 'This export holds no private session notes (--include-private-notes was not given).'


class ExportRefused(ValueError):
    """The export cannot start (the message says why); nothing was written."""


@dataclass
class Counts:
    clients: int = 0
    caseload_rows: int = 0
    agreements: int = 0
    signed_pdfs: int = 0
    paper_scans: int = 0
    consents: int = 0
    published_summaries: int = 0
    private_notes: int = 0
    audit_entries: int = 0

    def as_dict(self):
        return dict(self.__dict__)


@dataclass
class Export:
    """What one export wrote: its counts, files and the chain's head."""
    directory: str
    include_private_notes: bool
    counts: Counts = field(default_factory=Counts)
    files: dict = field(default_factory=dict)     # name -> {'sha256', 'bytes'}
    audit_head: dict = None
    created: str = ''


def check_directory(directory):
    """Refuse, before anything is opened or written, a ``directory`` that
    is a file or holds anything: an export mixed with older files would
    have a manifest that lies.  Returns its absolute path."""
    path = os.path.abspath(directory)
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise ExportRefused('%s is a file, not a directory.' % path)
        if os.listdir(path):
            raise ExportRefused('%s is not empty: give a new or empty directory, so the '
                                'export is not mixed with other files.' % path)
    return path


def make_directory(directory):
    """``check_directory``, then make it if missing and leave it readable
    by its owner only (0700), so that a path that cannot be made is refused
    before any database is opened.  Why the mode is set even on an empty
    directory that was there: ``makedirs``' mode applies only to a new one,
    and a world-readable ``DIR`` would hand the clinic's records to every
    account on the machine.  A directory another account owns is refused:
    its owner could read (or replace) the files whatever their mode."""
    path = check_directory(directory)
    try:
        os.makedirs(path, mode=DIRECTORY_MODE, exist_ok=True)
        if os.stat(path).st_uid != os.getuid():
            raise ExportRefused('%s belongs to another account: give a directory of '
                                'your own.' % path)
        os.chmod(path, DIRECTORY_MODE)
    except OSError as exc:
        raise ExportRefused('%s cannot be made: %s.' % (path, exc.strerror or exc)) from exc
    return path


def prepare_directory(directory):
    """Make ``directory`` (only its owner may read it: it holds the clinic's
    records), after ``check_directory``."""
    path = make_directory(directory)
    agreements = os.path.join(path, 'agreements')
    os.makedirs(agreements, mode=DIRECTORY_MODE)
    os.chmod(agreements, DIRECTORY_MODE)
    return path


class _Files:
    """The export's open text files and what they hashed to."""

    def __init__(self, export):
        self.export = export
        self.open = {}

    def __call__(self, name):
        writer = self.open.get(name)
        if writer is None:
            writer = self.open[name] = HashingWriter(os.path.join(self.export.directory, name))
        return writer

    def close(self, name):
        digest, size = self.open.pop(name).close()
        self.export.files[name] = {'sha256': digest, 'bytes': size}

    def close_all(self):
        for name in list(self.open):
            self.close(name)


def export_clinic(clinic, registry, directory, include_private_notes=False,
                  tick=None, batch=500):
    """Write the clinic's export into ``directory`` (new or empty); return
    the ``Export``.  ``tick(n)`` is told of every client and audit entry
    written (the progress bar).  Reads only: the audit entry saying the
    export happened is ``record_export``'s, in a transaction of its own."""
    export = Export(prepare_directory(directory), include_private_notes,
                    created=utc_stamp())
    tick = tick or (lambda n=1: None)
    files = _Files(export)
    try:
        _write_records(clinic, registry, export, files, tick, batch)
        _write_audit(clinic, export, files, tick, batch)
    finally:
        files.close_all()
    _write_readme(export)
    _write_manifest(export)
    return export


def _write_records(clinic, registry, export, files, tick, batch):
    """One walk over the clients writes every per-client file."""
    counts, users = export.counts, clinic['users']
    caseload = csv.writer(files('caseload.csv'))
    caseload.writerow(NAMES)
    bundle = files('consents.fhir.json')
    bundle.write('{"resourceType": "Bundle", "type": "collection", "timestamp": %s'
                 % json.dumps(_fhir_instant(export.created)))
    if export.include_private_notes:
        files(PRIVATE_NOTES_FILE)
    jar = clinic._p_jar
    for client in clinic['clients'].values():
        for row in rows_for(client, users):
            caseload.writerow([cell(row[name]) for name in NAMES])
            counts.caseload_rows += 1
        if 'agreements' in client:
            for agreement in client['agreements'].values():
                _write_agreement(clinic, registry, client, agreement, export, files)
        if 'summaries' in client:
            for summary in client['summaries'].values():
                if is_published(summary):
                    files('summaries.jsonl').write(json_line(summary_line(client, summary)))
                    counts.published_summaries += 1
        if export.include_private_notes:
            for private in client['notes'].values():
                files(PRIVATE_NOTES_FILE).write(json_line(note_line(client, private)))
                counts.private_notes += 1
        counts.clients += 1
        tick(1)
        if counts.clients % batch == 0 and jar is not None:
            jar.cacheMinimize()
    # FHIR JSON has no empty arrays: a clinic without agreements has no ``entry``.
    bundle.write('\n]}\n' if counts.consents else '}\n')
    for name in ('agreements.jsonl', 'summaries.jsonl'):
        files(name)        # present (perhaps empty) even in a clinic without any


def _write_agreement(clinic, registry, client, agreement, export, files):
    counts = export.counts
    files('agreements.jsonl').write(json_line(agreement_line(client, agreement)))
    counts.agreements += 1
    if agreement.pdf is not None:
        name = pdf_name(client, agreement)
        digest, size = copy_blob(agreement.pdf, os.path.join(export.directory, name))
        export.files[name] = {'sha256': digest, 'bytes': size}
        counts.signed_pdfs += 1
    for signer_id, scan in paper_scans(agreement):
        name = scan_name(client, agreement, signer_id, scan)
        digest, size = copy_blob(scan.blob, os.path.join(export.directory, name))
        export.files[name] = {'sha256': digest, 'bytes': size}
        counts.paper_scans += 1
    entry = json.dumps(consent_entry(agreement, clinic, registry), ensure_ascii=False)
    files('consents.fhir.json').write((', "entry": [' if counts.consents == 0 else ',')
                                      + '\n' + entry)
    counts.consents += 1


def _fhir_instant(stamp):
    """An audit stamp (microseconds, ``Z``) as a FHIR instant."""
    return stamp[:19] + 'Z'


def _write_audit(clinic, export, files, tick, batch):
    """Every sealed entry, then the head; the chain recomputed from the
    file written, so a broken trail is reported, never handed over as if
    whole."""
    audit_jar = clinic._p_jar.get_connection('audit')
    audit_log = log_of(audit_jar.root(), create=False)
    out = files('audit.jsonl')
    head_seq, head_hash = 0, None
    if audit_log is not None:
        head_seq, head_hash = audit_log.head_seq, audit_log.head_hash
        for seq, stored in audit_log.entries.items(max=head_seq):
            out.write(audit_line(stored))
            export.counts.audit_entries += 1
            tick(1)
            if seq % (batch * 20) == 0:
                audit_jar.cacheMinimize()
    files.close('audit.jsonl')
    try:
        count, head = verify_exported_chain(os.path.join(export.directory, 'audit.jsonl'))
        intact, problem = (count == head_seq and (head_hash is None or head == head_hash)), ''
        if not intact:
            problem = 'the exported chain ends at %d, the trail at %d' % (count, head_seq)
    except ChainBroken as exc:
        count, head, intact, problem = 0, None, False, str(exc)
    export.audit_head = {'seq': head_seq, 'hash': head_hash, 'entries_exported': count,
                         'verified_from_file': intact, 'problem': problem}
    files('audit-head.json').write(json.dumps(export.audit_head, indent=2) + '\n')


def _write_readme(export):
    first = WITH_NOTES if export.include_private_notes else WITHOUT_NOTES
    counts = export.counts
    text = '\n'.join([
        first,
        '',
        'minorconsent export (%s), made %s.' % (FORMAT, export.created),
        'manifest.json lists every file with its SHA-256; it is written last, so a '
        'directory without it is an export that did not finish.',
        '',
        'caseload.csv        %d rows for %d clients: the columns minorconsent-import reads '
        '(a cell beginning with = + - @ is prefixed with an apostrophe).'
        % (counts.caseload_rows, counts.clients),
        'agreements.jsonl    %d agreements (state, period, signers, signatures, events); '
        '%d signed PDFs and %d scans of paper signatures in agreements/.'
        % (counts.agreements, counts.signed_pdfs, counts.paper_scans),
        'consents.fhir.json  an HL7 FHIR R4 Bundle (collection) of %d Consent resources.'
        % counts.consents,
        'summaries.jsonl     %d published parent summaries.' % counts.published_summaries,
        'audit.jsonl         %d audit trail entries; audit-head.json: the chain head and '
        'whether the chain recomputed from this file holds.' % counts.audit_entries,
    ] + (['%s %d private session notes.' % (PRIVATE_NOTES_FILE.ljust(19),
                                            counts.private_notes)]
         if export.include_private_notes else []) + [''])
    path = os.path.join(export.directory, 'README.txt')
    writer = HashingWriter(path)
    writer.write(text)
    digest, size = writer.close()
    export.files['README.txt'] = {'sha256': digest, 'bytes': size}


def manifest_of(export):
    """The manifest: its first key says whether private notes are in."""
    return {
        'private_notes_included': export.include_private_notes,
        'notice': WITH_NOTES if export.include_private_notes else WITHOUT_NOTES,
        'format': FORMAT,
        'created': export.created,
        'counts': export.counts.as_dict(),
        'audit_head': export.audit_head,
        'files': dict(sorted(export.files.items())),
    }


def _write_manifest(export):
    with open_private(os.path.join(export.directory, 'manifest.json'), 'w',
                      encoding='utf-8') as out:
        json.dump(manifest_of(export), out, indent=2, ensure_ascii=False)
        out.write('\n')


def manifest_sha256(export):
    """The manifest's SHA-256: the audit entry names it, tying the entry
    to these exact files."""
    with open(os.path.join(export.directory, 'manifest.json'), 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def operator_name():
    """Who ran the console script: the operating-system account (a script
    has no signed-in person); 'unknown' where the system cannot say."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return 'unknown'


def record_export_started(clinic, include_private_notes, operator=None):
    """The audit entry saying an export begins: who, and whether private
    notes were asked for.  Why before anything is written (the caller
    commits it first): the final ``caseload.export`` entry comes only when
    every file is written, so an export that stops half way (a full disk,
    a killed process) would otherwise have copied records out with no
    trace on the trail."""
    detail = 'operator %s; private notes %s' % (
        operator or operator_name(), 'INCLUDED' if include_private_notes else 'not included')
    return note(clinic, 'caseload.export.started', detail=detail, record='', target='',
                actor='system', role='operator')


def record_export(clinic, export, operator=None):
    """The export's one audit entry (who, when, what: counts and the
    manifest's hash; ids only, no path, no name).  Call it in a write
    transaction; the caller commits."""
    operator = operator or operator_name()
    counts = export.counts
    detail = ('operator %s; private notes %s; manifest sha256 %s; clients %d, rows %d, '
              'agreements %d, signed pdfs %d, paper scans %d, consents %d, '
              'published summaries %d, private notes %d, audit entries %d (head %s)' % (
                  operator, 'INCLUDED' if export.include_private_notes else 'not included',
                  manifest_sha256(export), counts.clients, counts.caseload_rows,
                  counts.agreements, counts.signed_pdfs, counts.paper_scans, counts.consents,
                  counts.published_summaries, counts.private_notes, counts.audit_entries,
                  (export.audit_head or {}).get('seq')))
    return note(clinic, 'caseload.export', detail=detail, record='', target='',
                actor='system', role='operator')
