"""minorconsent-audit verify: the whole chain, and the first broken entry named."""
import transaction
from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.audit.chain import FIELDS, log_of
from minorconsent.scripts import audit, seed

from scripthelpers import run, site  # noqa: F401  (fixture)


def tamper(site, seq, field, value):
    db = DB(FileStorage(str(site.dir / 'Audit.fs')))
    try:
        tm = transaction.TransactionManager(explicit=True)
        tm.begin()
        conn = db.open(transaction_manager=tm)
        log = log_of(conn.root(), create=False)
        stored = list(log.entries[seq])
        stored[FIELDS.index(field)] = value
        log.entries[seq] = tuple(stored)
        count = len(log)
        tm.commit()
        conn.close()
        return count
    finally:
        db.close()


def test_verify_passes_then_names_the_tampered_entry(site):
    assert run(seed, site.ini, '--quiet', '--clients', '2')[0] == 0
    code, out, _ = run(audit, 'verify', site.ini)
    assert code == 0 and out.startswith('OK: ')
    count = int(out.split()[1])
    assert count > 30      # the seed's signatures and workflow steps
    assert 'waiting' not in out   # the seed sealed what it wrote
    tamper(site, 17, 'actor', 'someone-else')
    code, out, _ = run(audit, 'verify', site.ini)
    assert code == 1
    assert out.strip() == 'BROKEN: entry 17: altered (its hash does not match its content)'


def test_seal_moves_waiting_entries_onto_the_chain(site):
    assert run(seed, site.ini, '--quiet', '--clients', '1')[0] == 0
    db = DB(FileStorage(str(site.dir / 'Data.fs'), blob_dir=str(site.dir / 'blobs')),
            databases={}, database_name='')
    DB(FileStorage(str(site.dir / 'Audit.fs')), databases=db.databases, database_name='audit')
    try:
        from minorconsent.audit import note
        with transaction.manager as txn:
            conn = db.open()
            note(conn.root()['minorconsent'], 'test.offline')
        conn.close()
    finally:
        for each in list(db.databases.values()):
            each.close()
    code, out, _ = run(audit, 'verify', site.ini)
    assert code == 0 and '1 entries are waiting to be sealed' in out
    assert run(audit, 'seal', site.ini)[1] == 'Sealed 1 entries.\n'
    code, out, _ = run(audit, 'verify', site.ini)
    assert code == 0 and 'waiting' not in out
