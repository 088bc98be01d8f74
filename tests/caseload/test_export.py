"""minorconsent-export (issue 18 item 2): the seeded demo clinic taken out.

Every file present, parseable and as the manifest hashes it; the caseload
in the import's columns with formula cells neutralised; the agreements
with their signed PDFs; the published summaries only; a FHIR R4 Bundle
that validates; the audit trail whose chain holds from the file itself;
one audit entry per export; and no private note anywhere unless asked for
(a planted secret searched in every byte, PDF streams and the Bundle's
base64 attachments included).
"""
import base64
import csv
import hashlib
import io
import json
import os
import re
import stat
import sys
import zlib
from datetime import date

import pytest
from fhir.resources.R4B.bundle import Bundle
from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.agreements.paper import record_paper_signature
from minorconsent.audit.chain import FIELDS, entry_hash, log_of, verify
from minorconsent.caseload.columns import NAMES
from minorconsent.caseload.export import ExportRefused, export_clinic, make_directory
from minorconsent.clients import Note
from minorconsent.scripts import caseload_export, init, seed
from minorconsent.scripts.common import clinic_transaction
from minorconsent.scripts.demo_families import marker_code
from support import MARKER

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'scripts'))
from scripthelpers import make_site, open_db, run  # noqa: E402

SECRET = 'PRIVATE-NOTE-SECRET-7Qz'
PNG = b'\x89PNG\r\n\x1a\n' + b'\x00' * 200
FORMULA = '=HYPERLINK("http://evil.demo.test","x")'


@pytest.fixture(scope='module')
def seeded(tmp_path_factory):
    """The demo clinic (named families and 4 generated clients) seeded with
    ``--private-marker`` (the marker in every private field: step comments,
    invitation notes, review comments, disclosure justifications,
    restriction notes, contact instructions, clinical goals), a secret
    private note planted on every client, and one client whose given name
    a spreadsheet would run as a formula."""
    site = make_site(tmp_path_factory.mktemp('export-site'))
    code, _, _ = run(seed, site.ini, '--quiet', '--clients', '4', '--private-marker', MARKER)
    assert code == 0
    with open_db(site, commit=True) as (root, clinic):
        clients = list(clinic['clients'].values())
        for client in clients:
            client['notes'].add(Note('%s for %s' % (SECRET, client.__name__), 'therapist-x',
                                     date(2026, 11, 2)))
        parent = clinic['users'].find_by_email('parent00000@demo.test').__name__
        generated = next(c for c in clients if parent in c['guardians'])
        generated.first_name = FORMULA
        site.client_count = len(clients)
    with clinic_transaction(site.ini) as (clinic, request):
        # coparent2's consent waits for them: staff record it on paper.
        coparent = clinic['users'].find_by_email('coparent2@demo.test')
        client, waiting = next(
            (c, a) for c in clinic['clients'].values() if coparent.__name__ in c['guardians']
            for a in c['agreements'].values()
            if a.state == 'sent' and coparent.__name__ in a.required_guardians)
        record_paper_signature(waiting, request.registry, coparent, client.therapist_ids[0],
                               io.BytesIO(PNG), 'Pat Witness', date.today())
        site.paper_agreement = waiting.__name__
    return site


@pytest.fixture(scope='module')
def exported(seeded, tmp_path_factory):
    out = tmp_path_factory.mktemp('export') / 'out'
    code, stdout, stderr = run(caseload_export, seeded.ini, out, '--quiet')
    assert code == 0, stderr
    seeded.stdout = stdout
    return out


def files_under(directory):
    for base, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(base, name)
            yield os.path.relpath(path, directory), path


def jsonl(path):
    with open(path, encoding='utf-8') as lines:
        return [json.loads(line) for line in lines]


def every_byte(directory):
    """Every file's bytes, and what hides inside: the Bundle's base64
    attachments and each PDF's deflated streams."""
    for _, path in files_under(directory):
        with open(path, 'rb') as f:
            data = f.read()
        yield data
        if path.endswith('.json'):
            for encoded in re.findall(rb'"data": "([A-Za-z0-9+/=]+)"', data):
                pdf = base64.b64decode(encoded)
                yield pdf
                yield from pdf_streams(pdf)
        if path.endswith('.pdf'):
            yield from pdf_streams(data)


def pdf_streams(pdf):
    for stream in re.findall(rb'stream\r?\n(.*?)\r?\nendstream', pdf, re.S):
        try:
            yield zlib.decompress(stream)
        except zlib.error:
            yield stream


# --- every file -----------------------------------------------------------------

def test_every_file_is_present_and_the_manifest_hashes_each(exported):
    manifest = json.loads((exported / 'manifest.json').read_text())
    assert list(manifest)[0] == 'private_notes_included'
    assert manifest['private_notes_included'] is False
    on_disk = {name for name, _ in files_under(exported)} - {'manifest.json'}
    assert on_disk == set(manifest['files'])
    for name in ('README.txt', 'caseload.csv', 'agreements.jsonl', 'summaries.jsonl',
                 'consents.fhir.json', 'audit.jsonl', 'audit-head.json'):
        assert name in on_disk, name
    assert 'private-notes.jsonl' not in on_disk
    for name, facts in manifest['files'].items():
        data = (exported / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == facts['sha256'], name
        assert len(data) == facts['bytes'], name


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_only_the_owner_may_read_the_export(exported):
    """The directory and agreements/ are 0700 and every file 0600 (PDFs,
    scans and the manifest included), whatever the umask (0022 here)."""
    assert mode(exported) == mode(exported / 'agreements') == 0o700
    names = [name for name, _ in files_under(exported)]
    assert 'manifest.json' in names and any(n.endswith('.png') for n in names)
    for name, path in files_under(exported):
        assert mode(path) == 0o600, name


def test_an_empty_directory_given_is_made_the_owners_only(seeded, tmp_path):
    out = tmp_path / 'shared'
    out.mkdir()
    out.chmod(0o777)
    with clinic_transaction(seeded.ini, commit=False) as (clinic, request):
        export_clinic(clinic, request.registry, out)
    assert mode(out) == 0o700 and mode(out / 'caseload.csv') == 0o600


def test_a_directory_of_another_account_is_refused(tmp_path, monkeypatch):
    out = tmp_path / 'theirs'
    out.mkdir()
    out.chmod(0o755)
    mine = os.getuid()
    monkeypatch.setattr(os, 'getuid', lambda: mine + 1)
    with pytest.raises(ExportRefused) as refused:
        make_directory(out)
    assert 'belongs to another account' in str(refused.value)
    assert mode(out) == 0o755 and os.listdir(out) == []


def test_readme_first_line_says_no_private_notes(exported):
    first = (exported / 'README.txt').read_text().splitlines()[0]
    assert 'no private session notes' in first


def test_caseload_has_the_import_columns_and_a_row_per_guardian_link(seeded, exported):
    with open(exported / 'caseload.csv', encoding='utf-8', newline='') as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == NAMES
    with open_db(seeded) as (root, clinic):
        expected = sum(max(1, len(c['guardians'])) for c in clinic['clients'].values())
        elena = clinic['users'].find_by_email('guardian@demo.test').email
    body = [dict(zip(NAMES, row)) for row in rows[1:]]
    assert len(body) == expected
    assert all(len(row) == len(NAMES) for row in rows)
    elena_rows = [row for row in body if row['guardian_email'] == elena]
    assert {row['client_given_name'] for row in elena_rows} == {'Mateo', 'Lucia'}
    assert all(row['legal_authority'] == 'yes' for row in elena_rows)
    victor = [row for row in body if row['guardian_email'] == 'restricted@demo.test']
    assert victor and all(row['restricted'] == 'yes' for row in victor)


def test_a_formula_cell_is_neutralised(exported):
    text = (exported / 'caseload.csv').read_text(encoding='utf-8')
    rows = list(csv.DictReader(io.StringIO(text)))
    names = [row['client_given_name'] for row in rows]
    assert "'" + FORMULA in names
    assert FORMULA not in names


def test_agreements_with_state_period_signers_and_their_signed_pdfs(seeded, exported):
    lines = jsonl(exported / 'agreements.jsonl')
    with open_db(seeded) as (root, clinic):
        stored = {(c.__name__, a.__name__): (a.state, a.pdf_sha256, len(a.signatures))
                  for c in clinic['clients'].values() if 'agreements' in c
                  for a in c['agreements'].values()}
    assert len(lines) == len(stored) > 0
    active_with_pdf = 0
    for line in lines:
        state, pdf_sha, signed = stored[(line['client_ref'], line['agreement_id'])]
        assert line['state'] == state
        assert len(line['signatures']) == signed
        assert set(line['signers']) >= {'guardians', 'guardian_signatures_needed'}
        if line['pdf']:
            data = (exported / line['pdf']).read_bytes()
            assert data.startswith(b'%PDF')
            assert hashlib.sha256(data).hexdigest() == line['pdf_sha256'] == pdf_sha
            active_with_pdf += 1
        else:
            assert pdf_sha is None
    assert active_with_pdf >= 2
    paper = next(line for line in lines if line['agreement_id'] == seeded.paper_agreement)
    assert paper['state'] == 'active' and paper['pdf']
    [scan] = paper['paper_scans']
    assert (exported / scan['file']).read_bytes() == PNG
    assert scan['sha256'] == hashlib.sha256(PNG).hexdigest() and scan['file'].endswith('.png')
    assert any(s['on_paper'] and s['witness'] == 'Pat Witness' for s in paper['signatures'])
    assert any(line['state'] == 'active' and line['valid_from'] for line in lines)


def test_only_published_summaries(seeded, exported):
    lines = jsonl(exported / 'summaries.jsonl')
    with open_db(seeded) as (root, clinic):
        states = {s.__name__: s.state for c in clinic['clients'].values()
                  if 'summaries' in c for s in c['summaries'].values()}
    assert set(states.values()) - {'published'}, 'the demo has unpublished summaries'
    published = {sid for sid, state in states.items() if state == 'published'}
    assert published and {line['summary_id'] for line in lines} == published
    assert all(line['published'] for line in lines)


def test_the_fhir_bundle_validates_and_holds_every_consent(exported):
    raw = json.loads((exported / 'consents.fhir.json').read_text())
    bundle = Bundle.model_validate(raw)
    assert bundle.type == 'collection'
    agreements = jsonl(exported / 'agreements.jsonl')
    ids = [entry.resource.id for entry in bundle.entry]
    assert sorted(ids) == sorted(line['agreement_id'] for line in agreements)
    assert all(entry.resource.get_resource_type() == 'Consent' for entry in bundle.entry)
    attached = [e.resource for e in bundle.entry if e.resource.sourceAttachment]
    # fhir.resources decodes base64Binary: the attachment is the PDF itself.
    assert attached and all(r.sourceAttachment.data.startswith(b'%PDF') for r in attached)


def test_the_audit_trail_and_its_head_verify_from_the_file(seeded, exported):
    entries = jsonl(exported / 'audit.jsonl')
    head = json.loads((exported / 'audit-head.json').read_text())
    assert head['verified_from_file'] is True
    assert head['seq'] == head['entries_exported'] == len(entries) > 0
    prev = '0' * 64
    for number, entry in enumerate(entries, 1):
        assert entry['seq'] == number and entry['prev'] == prev
        assert entry_hash([entry[name] for name in FIELDS]) == entry['hash']
        prev = entry['hash']
    assert prev == head['hash']


def test_the_export_is_one_audit_entry_with_counts_and_no_names(seeded, exported):
    db = DB(FileStorage(str(seeded.dir / 'Audit.fs'), read_only=True))
    try:
        conn = db.open()
        audit_log = log_of(conn.root(), create=False)
        verify(audit_log)
        exports = [audit_log.get(seq) for seq in audit_log.select(action='caseload.export')]
        conn.close()
    finally:
        db.close()
    assert len(exports) == 1
    entry = exports[0]
    head = json.loads((exported / 'audit-head.json').read_text())
    assert entry['seq'] > head['seq']
    manifest = (exported / 'manifest.json').read_bytes()
    assert hashlib.sha256(manifest).hexdigest() in entry['detail']
    assert 'private notes not included' in entry['detail']
    assert 'clients %d' % seeded.client_count in entry['detail']
    for word in ('Mateo', 'Alvarez', '@demo.test', str(exported)):
        assert word not in entry['detail']


def audit_of(site, *actions):
    """The sealed entries of ``actions`` on ``site``'s trail, oldest first."""
    db = DB(FileStorage(str(site.dir / 'Audit.fs'), read_only=True))
    try:
        conn = db.open()
        audit_log = log_of(conn.root(), create=False)
        found = sorted(seq for action in actions for seq in audit_log.select(action=action))
        entries = [audit_log.get(seq) for seq in found]
        conn.close()
        return entries
    finally:
        db.close()


def test_the_start_is_on_the_trail_before_any_record_is_written(seeded, exported):
    """``caseload.export.started`` (operator, private-notes flag) is sealed
    before the export reads the trail, so the exported trail ends with it;
    the final entry follows."""
    start, final = audit_of(seeded, 'caseload.export.started', 'caseload.export')[:2]
    assert start['action'] == 'caseload.export.started' and final['action'] == 'caseload.export'
    assert start['seq'] < final['seq']
    assert start['detail'].startswith('operator ')
    assert 'private notes not included' in start['detail']
    assert (start['actor'], start['role'], start['record']) == ('system', 'operator', '')
    last = jsonl(exported / 'audit.jsonl')[-1]
    assert (last['action'], last['seq']) == ('caseload.export.started', start['seq'])


def test_an_export_that_stops_half_way_is_on_the_trail(tmp_path, monkeypatch):
    site = make_site(tmp_path / 'site')
    assert run(init, site.ini, '--email', 'boss@demo.test', '--password',
               'stopping-clinic-pass-9')[0] == 0
    wrote = []

    def disk_full(clinic, registry, directory, include_private_notes, tick):
        (tmp_path / 'out' / 'caseload.csv').write_text('client_id\n')
        wrote.append(directory)
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(caseload_export, 'export_clinic', disk_full)
    code, _, stderr = run(caseload_export, site.ini, tmp_path / 'out', '--quiet',
                          '--include-private-notes')
    assert wrote and code == 1
    assert 'No space left on device' in stderr and 'unfinished' in stderr
    [start] = audit_of(site, 'caseload.export.started', 'caseload.export')
    assert start['action'] == 'caseload.export.started'
    assert 'private notes INCLUDED' in start['detail']


# --- private notes --------------------------------------------------------------

def test_no_private_note_in_any_exported_byte(exported):
    """Neither the planted note nor the seed's marker (written into every
    free-text field a therapist or staff typed: agreement step comments,
    invitation notes, summary history and review comments, disclosure
    justifications, restriction notes, contact instructions, clinical
    goals, diagnoses) nor the marker's diagnosis code is in any file,
    PDFs and the Bundle's attachments included."""
    secrets = (SECRET.encode(), MARKER.encode(), marker_code(MARKER).encode())
    names = [name for name, _ in files_under(exported)]
    assert any(name.endswith('.pdf') for name in names)
    for data in every_byte(exported):
        for secret in secrets:
            assert secret not in data, secret


def test_private_notes_only_when_asked_and_then_said_first(seeded, tmp_path):
    out = tmp_path / 'with-notes'
    code, stdout, _ = run(caseload_export, seeded.ini, out, '--quiet',
                          '--include-private-notes')
    assert code == 0
    assert stdout.startswith('PRIVATE NOTES INCLUDED')
    assert (out / 'README.txt').read_text().splitlines()[0].startswith(
        'THIS EXPORT INCLUDES PRIVATE SESSION NOTES')
    manifest = json.loads((out / 'manifest.json').read_text())
    assert list(manifest)[0] == 'private_notes_included' and manifest['private_notes_included']
    notes = jsonl(out / 'private-notes.jsonl')
    assert len(notes) >= seeded.client_count
    assert sum(SECRET in note['text'] for note in notes) == seeded.client_count
    assert any(MARKER in note['text'] for note in notes)
    # The flag lets the notes out, no other free text: the marker (in step
    # comments, invitation notes, justifications...) is in no other file.
    for name, path in files_under(out):
        if name != 'private-notes.jsonl':
            with open(path, 'rb') as f:
                assert MARKER.encode() not in f.read(), name
    assert manifest['counts']['private_notes'] == len(notes)
    db = DB(FileStorage(str(seeded.dir / 'Audit.fs'), read_only=True))
    try:
        conn = db.open()
        audit_log = log_of(conn.root(), create=False)
        details = [audit_log.get(seq)['detail']
                   for seq in audit_log.select(action='caseload.export')]
        conn.close()
    finally:
        db.close()
    assert any('private notes INCLUDED' in d and 'private notes %d' % len(notes) in d
               for d in details)
    assert all(SECRET not in d for d in details)


# --- refusals -------------------------------------------------------------------

def test_a_non_empty_directory_is_refused_and_nothing_is_written(seeded, tmp_path):
    out = tmp_path / 'busy'
    out.mkdir()
    (out / 'keep.txt').write_text('mine')
    code, _, stderr = run(caseload_export, seeded.ini, out, '--quiet')
    assert code == 2
    assert 'not empty' in stderr and str(out) in stderr
    assert sorted(os.listdir(out)) == ['keep.txt']


def test_an_empty_clinic_exports_a_valid_empty_bundle(tmp_path):
    site = make_site(tmp_path / 'empty')
    assert run(init, site.ini, '--email', 'boss@demo.test', '--password',
               'empty-clinic-pass-9')[0] == 0
    out = tmp_path / 'out'
    code, _, stderr = run(caseload_export, site.ini, out, '--quiet')
    assert code == 0, stderr
    raw = json.loads((out / 'consents.fhir.json').read_text())
    assert 'entry' not in raw and Bundle.model_validate(raw).type == 'collection'
    assert (out / 'caseload.csv').read_text().splitlines() == [','.join(NAMES)]
    assert (out / 'agreements.jsonl').read_text() == ''
    assert json.loads((out / 'audit-head.json').read_text())['verified_from_file'] is True


# --- bounded memory -------------------------------------------------------------

def test_the_object_cache_is_emptied_every_batch(seeded, tmp_path):
    """What keeps a 50,000-client export flat: the clinic connection's cache
    is emptied every ``batch`` clients.  Without it the cache holds every
    client walked so far."""
    def largest(batch, out):
        seen = []
        with clinic_transaction(seeded.ini, commit=False) as (clinic, request):
            jar = clinic._p_jar

            def tick(n=1):
                seen.append(jar._cache.cache_non_ghost_count)
            export_clinic(clinic, request.registry, out, tick=tick, batch=batch)
        return max(seen[:seeded.client_count])
    unbounded = largest(10 ** 9, tmp_path / 'one')
    bounded = largest(2, tmp_path / 'two')
    assert bounded < unbounded / 2


def test_a_file_or_an_unmakeable_directory_is_refused_with_the_reason(seeded, tmp_path):
    plain = tmp_path / 'plain.txt'
    plain.write_text('not a directory')
    code, _, stderr = run(caseload_export, seeded.ini, plain, '--quiet')
    assert code == 2 and 'is a file' in stderr and 'Nothing was written' in stderr
    code, _, stderr = run(caseload_export, seeded.ini, plain / 'below', '--quiet')
    assert code == 2 and 'cannot be made' in stderr
    assert plain.read_text() == 'not a directory'
