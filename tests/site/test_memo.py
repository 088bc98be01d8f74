"""The per-transaction memo behind a family page's permission checks
(``minorconsent.site.memo``): remembered while nothing is written, never
stale once something is, never carried into the next transaction."""
import transaction
from persistent import Persistent
from pyramid.authorization import ACLHelper
from ZODB import DB
from ZODB.MappingStorage import MappingStorage

from minorconsent.clients import update_guardian_link
from minorconsent.security.policy import principals_for
from minorconsent.site.memo import per_transaction, read_only


class Thing(Persistent):
    value = 0


def _opened():
    db = DB(MappingStorage())
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    conn.root()['thing'] = Thing()
    tm.commit()
    tm.begin()
    return db, tm, conn


def test_remembered_within_a_read_only_transaction_only():
    db, tm, conn = _opened()
    thing = conn.root()['thing']
    calls = []

    def compute():
        calls.append(1)
        return thing.value
    assert read_only(conn)
    assert per_transaction(thing, 'v', (), compute) == 0
    assert per_transaction(thing, 'v', (), compute) == 0
    assert len(calls) == 1                     # remembered
    assert per_transaction(thing, 'v', ('other key',), compute) == 0
    assert len(calls) == 2                     # a different key computes
    thing.value = 5                            # a write in this transaction ...
    assert not read_only(conn)
    assert per_transaction(thing, 'v', (), compute) == 5
    assert per_transaction(thing, 'v', (), compute) == 5
    assert len(calls) == 4                     # ... and nothing is remembered after it
    tm.commit()
    tm.begin()
    assert per_transaction(thing, 'v', (), compute) == 5
    assert len(calls) == 5                     # a new transaction computes afresh
    tm.abort()
    conn.close()
    db.close()


def test_objects_outside_a_database_are_never_remembered():
    thing, calls = Thing(), []
    for _ in range(2):
        per_transaction(thing, 'v', (), lambda: calls.append(1))
    assert len(calls) == 2


def test_a_restriction_in_the_same_transaction_takes_effect_at_once(clinic, demo):
    """The guardian reads a summary; the link is restricted in the same
    transaction; from then on the same objects answer no."""
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        mother = c['users'][demo.user_ids['guardian']]
        published = [s for s in mateo['summaries'].values() if s.state == 'published'][0]
        principals = principals_for(mother)
        acl = ACLHelper()
        assert acl.permits(published, principals, 'view-published')
        assert 'user:' + mother.__name__ in mateo.local_roles(c['users'], c.settings)
        update_guardian_link(c, mateo, mateo['guardians'][mother.__name__], restricted=True)
        assert 'user:' + mother.__name__ not in mateo.local_roles(c['users'], c.settings)
        assert not acl.permits(published, principals, 'view-published')
        assert not acl.permits(mateo, principals, 'view-as-guardian')


def test_a_savepoint_does_not_make_a_written_transaction_read_only():
    """A savepoint empties the connection's lists of changed objects: the
    memo must still see the write (no remembered answer from before it)."""
    db, tm, conn = _opened()
    thing = conn.root()['thing']
    assert per_transaction(thing, 'v', (), lambda: thing.value) == 0
    thing.value = 7
    tm.savepoint()
    assert not read_only(conn)
    assert per_transaction(thing, 'v', (), lambda: thing.value) == 7
    tm.abort()
    conn.close()
    db.close()


def test_a_guardians_restriction_holds_after_a_savepoint(clinic, demo):
    from minorconsent.workflow.engine import permits
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        mother = c['users'][demo.user_ids['guardian']]
        consent = [a for a in mateo['agreements'].values() if a.state == 'active'][0]
        principals = principals_for(mother)
        assert permits(consent, principals, 'view-published')
        update_guardian_link(c, mateo, mateo['guardians'][mother.__name__], restricted=True)
        assert not permits(consent, principals, 'view-published')
        c._p_jar.transaction_manager.savepoint()
        assert not permits(consent, principals, 'view-published')
