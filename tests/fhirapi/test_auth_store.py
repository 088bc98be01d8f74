"""The token store without HTTP (issue 19 item 1): tokens live five minutes
and are kept as hashes; used jtis are kept until their assertion's exp and
then pruned, so the store stays bounded however long the clinic runs."""
from datetime import datetime, timedelta, timezone

import time_machine

from minorconsent.fhirapi.tokens import TOKEN_SECONDS, TokenStore, token_hash

from api_support import api_browser, bearer, register_client, token_for

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
