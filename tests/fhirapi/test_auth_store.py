"""The token store without HTTP (issue 19 item 1): tokens live five minutes
and are kept as hashes; used jtis are kept until their assertion's exp and
then pruned, so the store stays bounded however long the clinic runs."""
from datetime import datetime, timedelta, timezone

import time_machine
import transaction
from ZODB import DB
from ZODB.FileStorage import FileStorage
from ZODB.POSException import ConflictError

from minorconsent.fhirapi import tokens
from minorconsent.fhirapi.tokens import TOKEN_SECONDS, TokenStore, token_hash

from api_support import api_browser, bearer, register_client, token_for
from support import clinic_of

NOW = datetime(2026, 12, 6, 21, 0, tzinfo=timezone.utc)


def test_a_token_is_found_until_it_expires_and_only_by_its_value():
    store = TokenStore()
    token, expires = store.issue('c1', ('system/Goal.rs',), NOW)
    assert expires == NOW + timedelta(seconds=TOKEN_SECONDS) and TOKEN_SECONDS <= 300
    assert list(store.tokens) == [token_hash(token)]
    assert store.find(token, NOW)[:2] == ('c1', ('system/Goal.rs',))
    assert store.find(token, expires - timedelta(seconds=1)) is not None
    assert store.find(token, expires) is None
    assert store.find(token_hash(token), NOW) is None       # the hash is no token
    assert store.find('', NOW) is None and store.find('x' * 500, NOW) is None


def test_a_jti_is_refused_while_remembered_and_pruned_after_its_exp():
    store = TokenStore()
    exp = NOW + timedelta(seconds=60)
    assert store.use_jti('c1', 'j', exp)
    assert not store.use_jti('c1', 'j', exp)
    assert store.use_jti('c2', 'j', exp)                     # per client
    store.prune(exp - timedelta(seconds=1))
    assert ('c1', 'j') in store.jtis
    store.prune(exp + timedelta(seconds=1))
    assert len(store.jtis) == 0 and len(store.expiry) == 0


def test_pruning_keeps_the_store_bounded():
    store = TokenStore()
    for minute in range(60):
        now = NOW + timedelta(minutes=minute)
        for n in range(10):
            store.use_jti('c', '%d-%d' % (minute, n), now + timedelta(seconds=300))
            store.prune(now)
            store.issue('c', ('system/Goal.rs',), now)
    # Only what the last five minutes made is alive: 6 minutes' worth at most.
    assert len(store.jtis) <= 60 and len(store.tokens) <= 60
    assert store.live() == len(store.tokens)


def test_about_one_issuance_in_eight_prunes_and_the_store_stays_bounded():
    store = TokenStore()
    prunings = 0
    for minute in range(120):
        now = NOW + timedelta(minutes=minute)
        for n in range(10):
            store.use_jti('c', '%d-%d' % (minute, n), now + timedelta(seconds=300))
            prunings += store.maybe_prune(now) > 0
            store.issue('c', ('system/Goal.rs',), now)
    # 1200 issuances: about 150 prune (1 in 8); far fewer than every one.
    assert 60 < prunings < 300
    # What the last six minutes made is alive (120), plus what the last few
    # issuances left behind before their next pruning: never the 2400 made.
    assert len(store.jtis) + len(store.tokens) <= 120 + 300
    assert len(store.expiry) == len(store.jtis) + len(store.tokens)
    assert store.live() == len(store.tokens)


def _database(tmp_path, expired=200):
    db = DB(FileStorage(str(tmp_path / 'Data.fs')))
    manager = transaction.TransactionManager()
    conn = db.open(transaction_manager=manager)
    store = conn.root()['store'] = TokenStore()
    old = NOW - timedelta(minutes=10)
    for n in range(expired):
        store.use_jti('c', 'old-%d' % n, old)
        store.issue('c', ('system/Goal.rs',), old)
    manager.commit()
    conn.close()
    return db


def _overlapping_issuances(db, now, label):
    """Two token requests' store work in two overlapping transactions, as
    ``auth.exchange`` does it; whether both commit."""
    managers = [transaction.TransactionManager() for _ in range(2)]
    conns = [db.open(transaction_manager=m) for m in managers]
    for number, conn in enumerate(conns):
        store = conn.root()['store']
        assert store.use_jti('c', '%s-%d' % (label, number), now + timedelta(seconds=60))
        store.maybe_prune(now)
        store.issue('c', ('system/Goal.rs',), now)
    managers[0].commit()
    try:
        managers[1].commit()
        return True
    except ConflictError:
        managers[1].abort()
        return False
    finally:
        for conn in conns:
            conn.close()


def test_overlapping_token_requests_that_do_not_prune_both_commit(tmp_path, monkeypatch):
    db = _database(tmp_path)
    try:
        monkeypatch.setattr(tokens.secrets, 'randbelow', lambda n: 1)       # 7 in 8
        # Not always: both append to the end of the time-ordered index, and
        # whether BTrees can merge the two depends on where the random token
        # hashes fall (about two pairs in three here); the one that cannot
        # is retried (pyramid_retry).  Pruning in both makes it certain.
        both = sum(_overlapping_issuances(db, NOW, 'first-%d' % n) for n in range(20))
        assert both >= 6, both
        # Why not every issuance: two that both prune take the same oldest
        # entries, and one of them fails.
        monkeypatch.setattr(tokens.secrets, 'randbelow', lambda n: 0)
        assert not _overlapping_issuances(db, NOW, 'second')
    finally:
        db.close()


def test_the_token_endpoint_prunes_only_when_drawn(app, monkeypatch):
    client_id, key = register_client(app)
    with clinic_of(app.db, app.registry) as clinic:
        store = clinic.api_clients.tokens
        for n in range(5):
            store.use_jti(client_id, 'old-%d' % n, NOW - timedelta(days=1))
    draws = []

    def draw(n):
        draws.append(n)
        return 1

    monkeypatch.setattr(tokens.secrets, 'randbelow', draw)
    token_for(app, client_id, key)
    assert draws == [tokens.PRUNE_ONE_IN]
    with clinic_of(app.db, app.registry) as clinic:
        assert len(clinic.api_clients.tokens.jtis) == 6           # nothing pruned
    monkeypatch.setattr(tokens.secrets, 'randbelow', lambda n: 0)
    token_for(app, client_id, key)
    with clinic_of(app.db, app.registry) as clinic:
        assert len(clinic.api_clients.tokens.jtis) == 2           # the live two


def test_revoking_a_client_drops_only_its_tokens():
    store = TokenStore()
    mine, _ = store.issue('c1', ('system/Goal.rs',), NOW)
    theirs, _ = store.issue('c2', ('system/Goal.rs',), NOW)
    assert store.revoke_client('c1') == 1
    assert store.find(mine, NOW) is None and store.find(theirs, NOW) is not None
    store.prune(NOW + timedelta(hours=1))
    assert len(store.expiry) == 0 and store.live() == 0


def test_a_token_stops_working_on_fhir_after_five_minutes(app):
    client_id, key = register_client(app)
    with time_machine.travel(datetime.now(timezone.utc), tick=False) as traveller:
        token = token_for(app, client_id, key)
        api = api_browser(app)
        assert api.get('/fhir/Consent', headers=bearer(token)).status_int == 200
        traveller.shift(timedelta(seconds=TOKEN_SECONDS - 1))
        assert api.get('/fhir/Consent', headers=bearer(token)).status_int == 200
        traveller.shift(timedelta(seconds=1))
        assert api.get('/fhir/Consent', headers=bearer(token),
                       expect_errors=True).status_int == 401


def test_the_helper_registers_in_an_open_clinic_too(app, clinic):
    with clinic() as c:
        client_id, key = register_client(c, scopes=('system/Goal.rs',))
    token = token_for(app, client_id, key, scopes=('system/Goal.rs',))
    res = api_browser(app).get('/fhir/Goal?patient=Patient/NoSuchClient', headers=bearer(token))
    assert res.status_int == 200 and res.json['total'] == 0
