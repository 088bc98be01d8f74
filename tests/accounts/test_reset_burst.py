"""A burst of "forgot your password" requests for one address, all at once.

Eight anonymous requests for one address, released together, answered 500
to some of them: every request rewrote the address's request record (and,
for an account, its newest link) in one BTree, the concurrent transactions
conflicted, and some lost all three of pyramid_retry's attempts.  Requests
and links now live in shards that merge (``accounts/reset.py``), while the
documented rules hold: at most ``MAILS_PER_ADDRESS`` mails an hour per
address, and of the links sent, only the newest works.

Same harness as ``test_sign_in_burst.py``: waitress over a FileStorage,
``retry.attempts = 3``, threads released by a barrier.
"""
import re
import threading
import time
from datetime import datetime, timezone

import pytest

from minorconsent.accounts import reset
from support import audit_entries, clinic_of, mail_text, mails_since
from test_sign_in_burst import new_account, request, served  # noqa: F401 (fixture)

pytestmark = pytest.mark.xdist_group('reliability')

BURST = 8


def forgot_form(port):
    _, page, cookies = request(port, 'GET', '/forgot-password')
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields['send_link'] = 'send_link'
    return fields, cookies


def burst(port, email, count=BURST):
    browsers = [forgot_form(port) for _ in range(count)]
    gate = threading.Barrier(count)
    answers = [None] * count

    def ask(n):
        fields, cookies = browsers[n]
        gate.wait()
        status, page, _ = request(port, 'POST', '/forgot-password',
                                  dict(fields, email=email), cookies)
        answers[n] = (status, page)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def assert_all_answered_alike(answers):
    statuses = [status for status, _ in answers]
    assert 500 not in statuses, statuses
    assert set(statuses) == {302}, statuses
    assert len({page for _, page in answers}) == 1


def valid_links(app, email):
    now = datetime.now(timezone.utc)
    with clinic_of(app.registry._zodb_databases[''], app.registry) as clinic:
        resets = clinic.password_resets
        found = []
        for message in mails_since(0):
            if message['To'] != email:
                continue
            token = re.search(r'/reset-password/(\S+)', mail_text(message)).group(1)
            status, _user = reset.link_status(clinic, resets.find(token), now)
            found.append(status)
        return found


@pytest.mark.parametrize('round_', range(3))
def test_a_burst_of_reset_requests_answers_alike_and_keeps_the_cap(served, round_):
    app, port = served
    email = 'reset-burst%d@demo.test' % round_
    uid = new_account(app, email)
    since = time.time_ns()
    assert_all_answered_alike(burst(port, email))
    mails = [m for m in mails_since(since) if m['To'] == email]
    assert len(mails) == reset.MAILS_PER_ADDRESS
    # Of the links sent, one works: the newest.
    statuses = valid_links(app, email)
    assert sorted(statuses) == ['cancelled'] * (len(statuses) - 1) + ['valid'], statuses
    sent = [e for e in audit_entries(app)
            if e['action'] == 'auth.reset_requested' and e['actor'] == uid]
    assert len(sent) == reset.MAILS_PER_ADDRESS
    # A later burst finds the cap reached: no mail, the same answers.
    since = time.time_ns()
    assert_all_answered_alike(burst(port, email))
    assert [m for m in mails_since(since) if m['To'] == email] == []


def test_an_unknown_address_bursts_alike(served):
    app, port = served
    since = time.time_ns()
    for _ in range(2):
        assert_all_answered_alike(burst(port, 'nobody-reset@demo.test'))
    assert [m for m in mails_since(since) if m['To'] == 'nobody-reset@demo.test'] == []


# --- the merge rules, without a server ----------------------------------------------

def test_concurrent_requests_merge_and_the_cap_refuses_the_extra_mail():
    from datetime import timedelta
    from ZODB.POSException import ConflictError
    from minorconsent.accounts.resetstore import NewestShard, RequestShard
    t0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    t = [t0 + timedelta(seconds=n) for n in range(5)]
    state = {'cap': 3, 'window': timedelta(hours=1), 'oldest': t0}
    old = dict(state, records={'a': ((t[0], 1, True),)})
    committed = dict(state, records={'a': ((t[0], 1, True), (t[1], 2, True)),
                                     'b': ((t[1], 3, False),)})
    new = dict(state, records={'a': ((t[0], 1, True), (t[2], 4, True)),
                               'b': ((t[2], 5, False),)})
    merged = RequestShard(3, timedelta(hours=1))._p_resolveConflict(old, committed, new)
    assert merged['records'] == {'a': ((t[0], 1, True), (t[1], 2, True), (t[2], 4, True)),
                                 'b': ((t[1], 3, False), (t[2], 5, False))}
    # A fourth mail within the hour: the later transaction is refused (retried).
    with pytest.raises(ConflictError):
        RequestShard(3, timedelta(hours=1))._p_resolveConflict(
            merged, dict(merged, records={'a': merged['records']['a'] + ((t[3], 6, True),)}),
            dict(merged, records={'a': merged['records']['a'] + ((t[4], 7, True),)}))
    # Two new links for one person at once: the later is the newest.
    both = NewestShard()._p_resolveConflict(
        {'records': {}, 'oldest': None},
        {'records': {'u': (t[1], 'h1')}, 'oldest': t[1]},
        {'records': {'u': (t[2], 'h2')}, 'oldest': t[2]})
    assert both['records'] == {'u': (t[2], 'h2')}


def test_the_old_store_moves_to_the_shards_with_its_links_and_cap(app, clinic, demo):
    """Evolve step 0026: a live link keeps working, an older one stays
    cancelled, the hour's requests still count against the cap."""
    from minorconsent.accounts.evolve import conflict_free_resets
    from minorconsent.accounts.reset import PasswordResets, Resets
    now = datetime.now(timezone.utc)
    with clinic() as c:
        old = c.password_resets = PasswordResets()
        user = c['users'][demo.user_ids['guardian']]
        first = old.issue(user, now)
        second = old.issue(user, now)
        for _ in range(reset.MAILS_PER_ADDRESS):
            old.note_request(user.email, now)
    with clinic() as c:
        conflict_free_resets(c, app.registry)
    with clinic() as c:
        store = c.password_resets
        assert isinstance(store, Resets)
        assert reset.link_status(c, store.find(second), now)[0] == 'valid'
        assert reset.link_status(c, store.find(first), now)[0] == 'cancelled'
        assert not store.under_cap(user.email, now)
        conflict_free_resets(c, app.registry)          # once only
        assert c.password_resets is store
