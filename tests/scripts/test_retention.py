"""minorconsent-retention: a closed case past retention is listed by a dry
run and erased by a real one, bytes and all, leaving one audit entry
(issue 16, item 4).  The date is moved forward with ``--today``."""
from datetime import date

from minorconsent.audit.chain import FIELDS, log_of
from minorconsent.clients.closing import close_case
from minorconsent.scripts import audit, retention, seed

from scripthelpers import open_db, run, site  # noqa: F401  (fixture)

SECRET = 'ZZ-ERASE-ME-7qv'
FAR = '2080-01-01'


def close_avas_case(site):
    """Ava Novak: guardian2's only child, therapist2's client.  Opened with
    the audit database beside it, as the app does, so the closure's entry
    waits on the trail."""
    import transaction
    from ZODB import DB
    from ZODB.FileStorage import FileStorage
    from minorconsent.clients import Note
    db = DB(FileStorage(str(site.dir / 'Data.fs'), blob_dir=str(site.dir / 'blobs')),
            databases={}, database_name='')
    DB(FileStorage(str(site.dir / 'Audit.fs')), databases=db.databases, database_name='audit')
    try:
        with transaction.manager:
            clinic = db.open().root()['minorconsent']
            parent = clinic['users'].find_by_email('guardian2@demo.test')
            (ava_id,) = clinic['clients'].index.children_of(parent.__name__)
            ava = clinic['clients'][ava_id]
            ava['notes'].add(Note(SECRET, ava.therapist_ids[0]))
            close_case(clinic, ava, date.today(), 'Goals met', ava.therapist_ids[0])
        return ava_id, parent.__name__
    finally:
        for each in list(db.databases.values()):
            each.close()


def audit_actions(site, record):
    from ZODB import DB
    from ZODB.FileStorage import FileStorage
    db = DB(FileStorage(str(site.dir / 'Audit.fs'), read_only=True))
    try:
        log = log_of(db.open().root(), create=False)
        entries = [dict(zip(FIELDS, entry)) for entry in log.entries.values()]
        return [(e['action'], e) for e in entries if e['record'] == record]
    finally:
        db.close()


def test_dry_run_lists_then_erasure_removes_the_case_and_its_bytes(site):
    assert run(seed, site.ini, '--quiet', '--clients', '1')[0] == 0
    ava_id, parent_id = close_avas_case(site)

    # Not yet past retention: nothing listed.
    code, out, _ = run(retention, site.ini, '--dry-run')
    assert code == 0 and out.strip().endswith('0 case(s) past retention; nothing erased (dry run).')

    code, out, _ = run(retention, site.ini, '--dry-run', '--today', FAR)
    assert code == 0 and ava_id in out and 'Novak' not in out and 'Ava' not in out
    with open_db(site) as (root, clinic):
        assert ava_id in clinic['clients']
    assert SECRET.encode() in (site.dir / 'Data.fs').read_bytes()

    code, out, _ = run(retention, site.ini, '--today', FAR)
    assert code == 0, out
    assert '1 case(s) erased; database packed.' in out
    with open_db(site) as (root, clinic):
        assert ava_id not in clinic['clients']
        assert ava_id not in {key[2] for key in clinic['clients'].index.closed}
        assert parent_id not in clinic['users']                     # nothing left
        assert clinic['users'].find_by_email('guardian2@demo.test') is None
        assert clinic['users'].find_by_email('therapist2@demo.test') is not None   # staff
        mother = clinic['users'].find_by_email('guardian@demo.test')
        assert clinic['clients'].index.children_of(mother.__name__)   # others untouched
    # The bytes are gone from the database and from any copy the pack kept.
    for path in site.dir.rglob('*'):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    # The trail keeps that it happened, by which rule, and stays whole.
    code, out, _ = run(audit, 'verify', site.ini)
    assert code == 0, out
    erased = [e for action, e in audit_actions(site, ava_id) if action == 'retention.erased']
    assert len(erased) == 1 and '7 years after the last service' in erased[0]['detail']
    assert erased[0]['actor'] == 'system'

    # Run again: nothing left to do.
    code, out, _ = run(retention, site.ini, '--today', FAR)
    assert code == 0 and '0 case(s) erased.' in out
