"""Witnessed chain heads: a cut, a re-hash or an undo of the audit trail.

Each attack below leaves a chain that verifies on its own (asserted with
``chain.verify``: that is all ``minorconsent-audit verify`` checked
before witnesses), and ``verify`` must now name the first witnessed head
the chain no longer reaches.
"""
import contextlib
import shutil

import pytest
import transaction
from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.audit import note
from minorconsent.audit.chain import FIELDS, entry_hash, log_of, verify
from minorconsent.audit.witness import create_key, load_private_key, witness_line
from minorconsent.scripts import audit, seed

from scripthelpers import run, site  # noqa: F401  (fixture)


@pytest.fixture
def witnessed(site):
    """A seeded site with a witness key, a witness file and one witness."""
    site.witness_file = site.dir / 'witness' / 'audit-witness.log'
    site.witness_file.parent.mkdir()
    site.key = site.dir / 'keys' / 'audit-witness.key'
    site.key.parent.mkdir()
    with open(site.ini, 'a') as ini:
        ini.write('minorconsent.audit.witness_file = %s\n' % site.witness_file)
        ini.write('minorconsent.audit.witness_key = %s\n' % site.key)
    assert run(seed, site.ini, '--quiet', '--clients', '1')[0] == 0
    code, out, _ = run(audit, 'witness-key', site.ini)
    assert code == 0 and site.key.exists() and (site.dir / 'keys/audit-witness.key.pub').exists()
    assert oct(site.key.stat().st_mode & 0o777) == '0o600'
    code, out, _ = run(audit, 'witness', '--start', site.ini)
    assert code == 0 and out.startswith('v1 ')
    return site


@contextlib.contextmanager
def audit_log_of(site, commit=True):
    db = DB(FileStorage(str(site.dir / 'Audit.fs')))
    try:
        tm = transaction.TransactionManager(explicit=True)
        tm.begin()
        conn = db.open(transaction_manager=tm)
        yield log_of(conn.root(), create=False)
        if commit:
            tm.commit()
        else:
            tm.abort()
        conn.close()
    finally:
        db.close()


def more_entries(site, count=3):
    """Entries written offline, then sealed (as a script would)."""
    databases = {}
    db = DB(FileStorage(str(site.dir / 'Data.fs'), blob_dir=str(site.dir / 'blobs')),
            databases=databases, database_name='')
    DB(FileStorage(str(site.dir / 'Audit.fs')), databases=databases, database_name='audit')
    try:
        with transaction.manager:
            conn = db.open()
            for number in range(count):
                note(conn.root()['minorconsent'], 'test.later', detail='later %d' % number)
        conn.close()
    finally:
        for each in list(databases.values()):
            each.close()
    assert run(audit, 'seal', site.ini)[0] == 0


def verify_script(site):
    code, out, _ = run(audit, 'verify', site.ini)
    return code, out


def test_an_untouched_witnessed_trail_verifies(witnessed):
    more_entries(witnessed)
    assert run(audit, 'witness', witnessed.ini)[0] == 0
    code, out = verify_script(witnessed)
    assert code == 0, out
    assert out.startswith('OK: ')
    assert 'Witnessed: 2 heads' in out and 'all on the chain' in out
    lines = witnessed.witness_file.read_text().splitlines()
    assert len(lines) == 2 and all(line.startswith('v1 ') for line in lines)


def test_cutting_the_newest_entries_is_caught(witnessed):
    with audit_log_of(witnessed) as log:
        witnessed_seq = log.head_seq
        keep = witnessed_seq - 3
        for seq in range(keep + 1, witnessed_seq + 1):
            entry = log.get(seq)
            for name, field in log.INDEXES:
                index = getattr(log, name)
                key = log.index_key(field, entry)
                if key:
                    index[key].remove(seq)
                    if not index[key]:
                        del index[key]
            del log.entries[seq]
        log.head_seq, log.head_hash = keep, log.entries[keep][-1]
        assert verify(log) == keep          # the chain alone cannot tell
    code, out = verify_script(witnessed)
    assert code == 1
    assert out.startswith('BROKEN: witness line 1 (entry %d, ' % witnessed_seq)
    assert 'the chain ends at entry %d' % keep in out
    # Nor does the next witness bless the shorter chain.
    before = witnessed.witness_file.read_text()
    code, out, _ = run(audit, 'witness', witnessed.ini)
    assert code == 1 and out.startswith('BROKEN: the chain no longer follows from witness line 1')
    assert witnessed.witness_file.read_text() == before


def test_rehashing_the_chain_after_a_rewrite_is_caught(witnessed):
    with audit_log_of(witnessed) as log:
        head = log.head_seq
        prev = log.entries[4][-1]
        for seq in range(5, head + 1):
            values = list(log.entries[seq][:len(FIELDS)])
            if seq == 5:
                values[FIELDS.index('detail')] = 'nothing to see'
            values[-1] = prev
            prev = entry_hash(values)
            log.entries[seq] = tuple(values) + (prev,)
        log.head_hash = prev
        assert verify(log) == head
    code, out = verify_script(witnessed)
    assert code == 1
    assert out.startswith('BROKEN: witness line 1 (entry %d, ' % head)
    assert 'entry %d has another hash (rewritten)' % head in out


def test_undoing_the_last_transactions_of_the_audit_storage_is_caught(witnessed):
    more_entries(witnessed)
    assert run(audit, 'witness', witnessed.ini)[0] == 0
    # ZODB's own undo of the last seal.
    db = DB(FileStorage(str(witnessed.dir / 'Audit.fs')))
    try:
        last = db.undoLog(0, 1)[0]['id']
        with transaction.manager:
            db.undo(last)
    finally:
        db.close()
    with audit_log_of(witnessed, commit=False) as log:
        assert verify(log) == log.head_seq
    code, out = verify_script(witnessed)
    assert code == 1 and out.startswith('BROKEN: witness line 2 (entry ')
    assert 'the chain ends at entry' in out


def test_restoring_an_older_copy_of_the_audit_file_is_caught(witnessed):
    older = witnessed.dir / 'Audit.fs.older'
    shutil.copyfile(witnessed.dir / 'Audit.fs', older)
    more_entries(witnessed)
    assert run(audit, 'witness', witnessed.ini)[0] == 0
    shutil.copyfile(older, witnessed.dir / 'Audit.fs')
    (witnessed.dir / 'Audit.fs.index').unlink(missing_ok=True)
    code, out = verify_script(witnessed)
    assert code == 1 and out.startswith('BROKEN: witness line 2 (entry ')


def test_a_witness_signed_with_another_key_is_refused(witnessed, tmp_path):
    other = tmp_path / 'other.key'
    create_key(str(other), str(other) + '.pub')
    with audit_log_of(witnessed, commit=False) as log:
        seq, head = log.head_seq, log.head_hash
    line = witness_line(load_private_key(str(other)), '2030-01-01T00:00:00.000000Z', seq, head)
    with open(witnessed.witness_file, 'a') as out:
        out.write(line + '\n')
    code, out = verify_script(witnessed)
    assert code == 1
    assert out.startswith('BROKEN: witness line 2 is signed with another key')


def test_an_altered_witness_line_is_refused(witnessed):
    text = witnessed.witness_file.read_text()
    head = text.split('head=')[1][:64]
    witnessed.witness_file.write_text(text.replace(head, '0' * 64))
    code, out = verify_script(witnessed)
    assert code == 1
    assert out.startswith('BROKEN: witness line 1: its signature does not verify')


def test_a_configured_witness_file_that_is_missing_is_reported(witnessed):
    witnessed.witness_file.unlink()
    code, out = verify_script(witnessed)
    assert code == 1 and out.startswith('BROKEN: no witness file at ')
    # The advice it gives is a command that works: plain "witness" refuses
    # a chain with entries and no witness file, "--start" begins one.
    assert '"minorconsent-audit witness --start"' in out
    assert run(audit, 'witness', witnessed.ini)[0] == 1
    assert run(audit, 'witness', '--start', witnessed.ini)[0] == 0
    assert verify_script(witnessed)[0] == 0


def test_witness_key_is_never_replaced(witnessed):
    code, out, _ = run(audit, 'witness-key', witnessed.ini)
    assert code == 2 and 'exists already' in out


def test_verify_and_witness_run_beside_a_live_server(witnessed):
    """A server holds Audit.fs's lock; cron's witness and verify read it
    read-only instead of failing on the lock."""
    live = FileStorage(str(witnessed.dir / 'Audit.fs'))
    try:
        assert run(audit, 'witness', witnessed.ini)[0] == 0
        code, out = verify_script(witnessed)
        assert code == 0 and 'Witnessed: 2 heads' in out
    finally:
        live.close()


# --- an emptied, deleted or stale witness (review after issue 14) -------------

def test_an_emptied_witness_file_is_caught(witnessed):
    """``: > audit-witness.log`` (an attacker's first step before cutting
    the chain) left "Witnessed: no head yet", exit 0."""
    witnessed.witness_file.write_text('')
    code, out = verify_script(witnessed)
    assert code == 1, out
    assert out.startswith('BROKEN: the witness file %s holds no witnessed head, '
                          'but the chain has ' % witnessed.witness_file)
    # Blank lines alone are no witness either.
    witnessed.witness_file.write_text('\n\n')
    code, out = verify_script(witnessed)
    assert code == 1 and 'holds no witnessed head' in out


def test_a_deleted_audit_database_is_caught(witnessed):
    """The witnesses vouch for entries: a chain that is gone altogether
    is not "empty"."""
    for name in ('Audit.fs', 'Audit.fs.index', 'Audit.fs.tmp', 'Audit.fs.lock'):
        (witnessed.dir / name).unlink(missing_ok=True)
    code, out = verify_script(witnessed)
    assert code == 1, out
    assert out.startswith('BROKEN: witness line 1 (entry ')
    assert 'the chain ends at entry 0' in out


def test_blank_lines_are_tolerated_and_a_line_that_is_no_witness_is_not(witnessed):
    with open(witnessed.witness_file, 'a') as out:
        out.write('\n')
    more_entries(witnessed)
    assert run(audit, 'witness', witnessed.ini)[0] == 0
    code, out = verify_script(witnessed)
    assert code == 0 and 'Witnessed: 2 heads' in out, out
    with open(witnessed.witness_file, 'a') as out:
        out.write('v1 yesterday seq=1 head=%s\n' % ('0' * 64))
    code, out = verify_script(witnessed)
    assert code == 1 and out.startswith('BROKEN: witness line 4 is not a witness line'), out


def later(monkeypatch, minutes):
    """``verify`` run ``minutes`` from now."""
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    monkeypatch.setattr(audit, 'now', lambda: now)


def test_a_witness_that_stopped_is_caught(witnessed, monkeypatch):
    """Entries older than the maximum age (60 minutes by default) that no
    witness covers: the schedule stopped (or was stopped), and everything
    since could be cut unnoticed."""
    more_entries(witnessed)
    later(monkeypatch, 61)
    code, out = verify_script(witnessed)
    assert code == 1, out
    assert out.startswith('BROKEN: no witness for more than 60 minutes: ')
    assert 'witness line 1 (entry ' in out and 'minorconsent.audit.witness_max_age_minutes' in out
    # A shorter maximum age, from the settings.
    monkeypatch.undo()
    later(monkeypatch, 11)
    with open(witnessed.ini, 'a') as ini:
        ini.write('minorconsent.audit.witness_max_age_minutes = 10\n')
    code, out = verify_script(witnessed)
    assert code == 1 and out.startswith('BROKEN: no witness for more than 10 minutes: '), out
    # A new witness covers them again.
    monkeypatch.undo()
    assert run(audit, 'witness', witnessed.ini)[0] == 0
    later(monkeypatch, 11)
    code, out = verify_script(witnessed)
    assert code == 0, out


def test_a_quiet_trail_needs_no_new_witness(witnessed, monkeypatch):
    """An old witness with nothing after it, or with entries younger than
    the maximum age after it, is fine (a quiet weekend; the window)."""
    later(monkeypatch, 24 * 60)
    code, out = verify_script(witnessed)
    assert code == 0 and out.startswith('OK: '), out
    monkeypatch.undo()
    more_entries(witnessed)
    code, out = verify_script(witnessed)
    assert code == 0, out
    assert 'entries after the newest witness' in out


def test_a_bad_maximum_age_is_a_configuration_error(witnessed):
    with open(witnessed.ini, 'a') as ini:
        ini.write('minorconsent.audit.witness_max_age_minutes = soon\n')
    code, out, _ = run(audit, 'verify', witnessed.ini)
    assert code == 2 and out.startswith('ERROR: minorconsent.audit.witness_max_age_minutes')


@pytest.mark.parametrize('how', ['deleted', 'emptied'])
def test_witness_does_not_silently_start_again_after_its_file_is_lost(witnessed, how):
    """Deleting (or emptying) the witness file and letting cron's next
    ``witness`` start a new one would bless whatever the chain holds by
    then: ``witness`` refuses, and only ``witness --start`` (the operator,
    on purpose: the first witness, or after a restore) begins a new file."""
    if how == 'deleted':
        witnessed.witness_file.unlink()
    else:
        witnessed.witness_file.write_text('')
    code, out, _ = run(audit, 'witness', witnessed.ini)
    assert code == 1, out
    assert out.startswith('BROKEN: the witness file %s holds no witnessed head, but the chain '
                          'has ' % witnessed.witness_file)
    assert '--start' in out
    assert not witnessed.witness_file.exists() or witnessed.witness_file.read_text() == ''
    code, out, _ = run(audit, 'witness', '--start', witnessed.ini)
    assert code == 0 and out.startswith('v1 ')
    assert verify_script(witnessed)[0] == 0
