"""Server-side sessions, without HTTP."""
from datetime import datetime, timedelta, timezone

import pytest

from minorconsent.security.sessions import Session, SessionStore
from minorconsent.security.tokens import token_hash

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
IDLE = timedelta(minutes=15)
LIFE = timedelta(hours=12)
TOUCH = timedelta(minutes=1)


def lookup(store, token, now):
    return store.lookup(token, IDLE, LIFE, TOUCH, now=now)


def test_only_the_hash_of_the_token_is_stored():
    store = SessionStore()
    token, _ = store.create('u1', now=T0)
    assert token not in store._by_key
    assert token_hash(token) in store._by_key


def test_idle_timeout_ends_the_session():
    store = SessionStore()
    token, _ = store.create('u1', now=T0)
    assert lookup(store, token, T0 + timedelta(minutes=14)) is not None
    # Activity at 14 minutes moved the idle clock.
    assert lookup(store, token, T0 + timedelta(minutes=28)) is not None
    assert lookup(store, token, T0 + timedelta(minutes=44)) is None
    assert len(store) == 0 and store.count_for('u1') == 0


def test_absolute_lifetime_ends_an_active_session():
    store = SessionStore()
    token, _ = store.create('u1', now=T0)
    now = T0
    while now < T0 + LIFE:
        assert lookup(store, token, now) is not None
        now += timedelta(minutes=10)
    assert lookup(store, token, T0 + LIFE + timedelta(seconds=1)) is None


def test_last_seen_is_written_at_most_once_per_touch_interval():
    store = SessionStore()
    token, session = store.create('u1', now=T0)
    lookup(store, token, T0 + timedelta(seconds=30))
    assert session.last_seen == T0
    lookup(store, token, T0 + timedelta(seconds=61))
    assert session.last_seen == T0 + timedelta(seconds=61)


def test_end_all_for_a_user_spares_the_kept_session_and_other_users():
    store = SessionStore()
    a, _ = store.create('u1', now=T0)
    b, _ = store.create('u1', now=T0)
    other, _ = store.create('u2', now=T0)
    assert store.end_all_for('u1', except_token=b) == 1
    assert lookup(store, a, T0) is None
    assert lookup(store, b, T0) is not None
    assert lookup(store, other, T0) is not None


def test_unknown_and_empty_tokens_find_nothing():
    store = SessionStore()
    assert lookup(store, '', T0) is None
    assert lookup(store, 'forged-token', T0) is None


def test_concurrent_touches_resolve_to_the_later_time():
    old = {'user_id': 'u', 'created': T0, 'last_seen': T0, 'csrf_token': 'x'}
    committed = dict(old, last_seen=T0 + timedelta(minutes=2))
    new = dict(old, last_seen=T0 + timedelta(minutes=1))
    merged = Session._p_resolveConflict(None, old, committed, new)
    assert merged['last_seen'] == T0 + timedelta(minutes=2)
    from ZODB.POSException import ConflictError
    with pytest.raises(ConflictError):
        Session._p_resolveConflict(None, old, committed, dict(new, csrf_token='y'))
