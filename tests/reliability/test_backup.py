"""Backups: repozo full + incremental, blobs, the audit database, restored.

docs/OPERATIONS.md tells operators how to back up a FileStorage clinic:
``repozo --backup`` of ``Data.fs``, then a copy of the blob directory
(repozo does not copy blobs), then ``repozo --backup`` of ``Audit.fs`` --
in that order, while the server runs -- and how to restore with ``repozo
--recover`` plus the blob copy.  This test follows the document against a
live server: writes over HTTP, a full backup, more writes, an incremental
backup, more writes, another incremental, then a restore into a fresh
directory, and checks that

* the restored files pass ``fstest`` and hold exactly the source's
  transactions up to the last backup (same transaction ids, in order), and
  a point-in-time restore (``--date``) stops at the full backup;
* every acknowledged write is there, including the signed PDFs (blobs);
* the restored audit chain verifies (``minorconsent-audit verify``), is a
  prefix of the live chain, and holds the entry of every write that the
  restored clinic holds (the audit database is backed up after the clinic);
* the app serves the restored clinic.
"""
import shutil
import subprocess
import time

import pytest
from ZODB.FileStorage import FileStorage

from minorconsent.summaries.model import progress_entries

from relsupport import (BIN, Browser, Server, Site, audit_verify, clinic_read_only,
                        fsrefs, fstest, sealed_chain, set_field, trail)

pytestmark = pytest.mark.xdist_group('reliability')


def repozo(*args):
    done = subprocess.run([str(BIN / 'repozo')] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, 'repozo %s: %s%s' % (args, done.stdout, done.stderr)
    return done.stdout


def copy_blobs(source, target):
    """The blob step of OPERATIONS.md: ``rsync -a`` where it is installed,
    else ``cp -a`` (both add new blob files and never delete)."""
    target.mkdir(parents=True, exist_ok=True)
    if shutil.which('rsync'):
        command = ['rsync', '-a', '%s/' % source, '%s/' % target]
    else:
        command = ['cp', '-a', '%s/.' % source, '%s/' % target]
    subprocess.run(command, check=True, timeout=120)


def back_up(site, repository, full=False):
    """One backup in the documented order: clinic, blobs, audit trail."""
    flag = ['--full'] if full else []
    before = {name: last_tid(path) for name, path in
              (('data', site.data_fs), ('audit', site.audit_fs))}
    repozo('--backup', '--repository', repository / 'data', '--file', site.data_fs, *flag)
    copy_blobs(site.blobs, repository / 'blobs')
    repozo('--backup', '--repository', repository / 'audit', '--file', site.audit_fs, *flag)
    time.sleep(1.1)        # repozo names its files by the second
    return before


def tids(path):
    storage = FileStorage(str(path), read_only=True)
    try:
        return [t.tid for t in storage.iterator()]
    finally:
        storage.close()


def last_tid(path):
    storage = FileStorage(str(path), read_only=True)
    try:
        return storage.lastTransaction()
    finally:
        storage.close()


class Writer:
    """Sequential writes over HTTP, each remembered once acknowledged."""

    def __init__(self, base, ids):
        self.ids = ids
        self.therapist, self.guardian = Browser(base), Browser(base)
        self.therapist.sign_in('therapist@demo.test')
        self.guardian.sign_in('guardian@demo.test')
        self.notes, self.published, self.signed = [], [], []

    def progress(self, note):
        path = '/clients/%s/goals/%s/progress' % (self.ids['mateo'], self.ids['mateo_goal'])
        status, _, _ = self.therapist.request(path, {
            'csrf_token': self.therapist.csrf(path), 'day': '2026-11-21',
            'rating': 'improving', 'parent_note': note, 'save': 'save'})
        assert status == 302
        self.notes.append(note)

    def summary(self, period):
        add = '/clients/%s/add-summary' % self.ids['mateo']
        token = self.therapist.csrf(add)
        status, _, location = self.therapist.request(add, {
            'csrf_token': token, 'period': period, 'parent_text': 'Going well.',
            'write_draft': 'write_draft'})
        assert status == 302
        status, _, _ = self.therapist.request(location.rstrip('/') + '/step',
                                              {'csrf_token': token, 'step': 'publish'})
        assert status == 302
        self.published.append(period)

    def agreement(self):
        """Start, send and sign a consent: the signature stores a PDF blob."""
        add = '/clients/%s/add-agreement' % self.ids['lucia']
        fields = self.therapist.form(add)
        status, _, location = self.therapist.request(add, fields + [['start', 'start']])
        assert status == 302
        token = next(v for k, v in fields if k == 'csrf_token')
        status, _, _ = self.therapist.request(location.rstrip('/') + '/step',
                                              {'csrf_token': token, 'step': 'send'})
        assert status == 302
        page = location.rstrip('/') + '/family'
        form = self.guardian.form(page, formid='sign')
        for name, value in (('typed_name', 'Elena Alvarez'),
                            ('consented_to_electronic', 'true'), ('intent_to_sign', 'true')):
            set_field(form, name, value)
        status, _, _ = self.guardian.request(page, form + [['sign', 'sign']])
        assert status == 302
        self.signed.append(location.rstrip('/').split('/')[-1])

    def round(self, tag):
        for n in range(3):
            self.progress('%s-%d' % (tag, n))
        self.summary('backup %s' % tag)
        self.agreement()


def demo_ids(site):
    with clinic_read_only(site) as clinic:
        clients = {c.first_name: c for c in clinic['clients'].values()}
        return {'mateo': clients['Mateo'].__name__, 'lucia': clients['Lucia'].__name__,
                'mateo_goal': sorted(clients['Mateo']['goals'].keys())[0],
                'guardian': clinic['users'].find_by_email('guardian@demo.test').__name__}


def assert_writes_present(site, ids, notes, published, signed):
    with clinic_read_only(site) as clinic:
        mateo = clinic['clients'][ids['mateo']]
        lucia = clinic['clients'][ids['lucia']]
        recorded = {e.parent_note for g in mateo['goals'].values() for e in progress_entries(g)}
        assert set(notes) <= recorded
        states = {s.period: s.state for s in mateo['summaries'].values()}
        assert all(states.get(period) == 'published' for period in published), states
        for ref in signed:
            agreement = lucia['agreements'][ref]
            assert ids['guardian'] in agreement.signatures
            with agreement.pdf.open('r') as pdf:       # the blob came back
                assert pdf.read(5) == b'%PDF-'


def test_repozo_full_and_incremental_backups_restore_every_committed_transaction(tmp_path):
    site = Site(tmp_path / 'live', flush_seconds=0.3)
    site.seed()
    ids = demo_ids(site)
    repository = tmp_path / 'backups'
    for name in ('data', 'audit'):
        (repository / name).mkdir(parents=True)
    with Server(site) as server:
        writer = Writer(server.base, ids)
        writer.round('one')
        at_full = back_up(site, repository, full=True)
        full_tids = tids(site.data_fs)
        writer.round('two')
        back_up(site, repository)
        writer.round('three')
        # The last backup covers every write acknowledged before it started.
        acknowledged = (list(writer.notes), list(writer.published), list(writer.signed))
        at_last = back_up(site, repository)
        writer.round('four')            # after the last backup: not in it
        server.stop()
    assert len(list((repository / 'data').glob('*.deltafs'))) == 2
    assert len(list((repository / 'audit').glob('*.deltafs'))) == 2
    repozo('--verify', '--repository', repository / 'data')
    repozo('--verify', '--repository', repository / 'audit')

    restored = Site(tmp_path / 'restored')
    repozo('--recover', '--repository', repository / 'data', '--output', restored.data_fs)
    repozo('--recover', '--repository', repository / 'audit', '--output', restored.audit_fs)
    copy_blobs(repository / 'blobs', restored.blobs)

    for path in (restored.data_fs, restored.audit_fs):
        ok, message = fstest(path)
        assert ok, message
    assert fsrefs(restored.data_fs) == ''
    for name, live, back in (('data', site.data_fs, restored.data_fs),
                             ('audit', site.audit_fs, restored.audit_fs)):
        restored_tids, live_tids = tids(back), tids(live)
        assert restored_tids == live_tids[:len(restored_tids)], name
        assert restored_tids[-1] >= at_last[name], name       # nothing before the backup lost
        assert len(restored_tids) < len(live_tids), name       # round four is not in it
    assert_writes_present(restored, ids, *acknowledged)

    # The restored audit trail verifies, is the live chain up to its head,
    # and has the entry of every write the restored clinic holds.
    code, out = audit_verify(restored)
    assert code == 0 and out.startswith('OK: '), out
    entries, _ = trail(restored.audit_fs)
    chain = sealed_chain(restored.audit_fs)
    assert chain and chain == sealed_chain(site.audit_fs)[:len(chain)]
    progress = [e for e in entries if e['action'] == 'POST Goal.progress'
                and e['outcome'] == '302']
    assert len(progress) >= len(acknowledged[0])
    signatures = {e['target'].split('/')[-1] for e in entries
                  if e['action'] == 'POST Agreement.family' and e['outcome'] == '302'}
    assert set(acknowledged[2]) <= signatures

    # A point-in-time restore to the full backup's moment stops there.
    early = Site(tmp_path / 'early')
    (full,) = (repository / 'data').glob('*.fs')
    stamp = full.name[:len('YYYY-MM-DD-HH-MM-SS')]
    repozo('--recover', '--repository', repository / 'data', '--date', stamp,
           '--output', early.data_fs)
    early_tids = tids(early.data_fs)
    assert early_tids[-1] >= at_full['data'] and early_tids == full_tids[:len(early_tids)]

    # The app runs on the restored clinic.
    with Server(restored) as server:
        mother = Browser(server.base)
        mother.sign_in('guardian@demo.test')
        status, page, _ = mother.request('/clients/%s/family' % ids['mateo'])
        assert status == 200 and 'backup three' in page and 'backup four' not in page
        server.stop()

