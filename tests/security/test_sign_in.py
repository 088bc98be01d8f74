"""Sign-in, sign-out and the end of sessions, over HTTP."""
from datetime import timedelta

from support import ROLE_EMAILS, csrf_of, new_browser, sign_in
from minorconsent.accounts import change_roles, set_active
from minorconsent.clients import unlink_guardian, update_guardian_link
from minorconsent.security.policy import COOKIE_NAME

THERAPIST = ROLE_EMAILS['therapist']


def attempt(app, email, password):
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'] = email
    form['password'] = password
    return browser, form.submit(expect_errors=True)


def test_unknown_address_and_wrong_password_answer_alike(app):
    _, unknown = attempt(app, 'nobody@demo.test', 'demo-password-1')
    _, wrong = attempt(app, THERAPIST, 'wrong-password-1')
    assert unknown.status_int == wrong.status_int == 200
    assert 'Sign-in failed' in unknown.text
    # Bodies differ only in the CSRF token and the echoed address.
    assert (unknown.text.replace('nobody@demo.test', 'X').split('csrf_token')[0]
            == wrong.text.replace(THERAPIST, 'X').split('csrf_token')[0])
    assert COOKIE_NAME not in unknown.headers.get('Set-Cookie', '')


def test_repeated_failures_pause_sign_in_even_with_the_right_password(app):
    for _ in range(5):
        attempt(app, THERAPIST, 'wrong-password-1')
    _, res = attempt(app, THERAPIST, 'demo-password-1')
    assert res.status_int == 200 and 'Sign-in failed' in res.text


def test_pause_ends_and_success_resets_the_count(app, clinic):
    from datetime import datetime, timezone
    from minorconsent.accounts import authenticate
    passwords = app.registry.passwords
    with clinic() as c:
        now = datetime.now(timezone.utc)
        for _ in range(5):
            assert authenticate(c, passwords, THERAPIST, 'nope-nope-1', now) is None
        assert authenticate(c, passwords, THERAPIST, 'demo-password-1', now) is None
        later = now + timedelta(minutes=3)
        assert authenticate(c, passwords, THERAPIST, 'demo-password-1', later) is not None
        assert c.sign_in_throttle.failures(THERAPIST) == 0


def test_unknown_addresses_are_throttled_and_cost_the_same_write(app, clinic):
    from datetime import datetime, timezone
    from minorconsent.accounts import authenticate
    passwords = app.registry.passwords
    with clinic() as c:
        now = datetime.now(timezone.utc)
        for _ in range(6):
            authenticate(c, passwords, 'nobody@demo.test', 'guess-guess-1', now)
        assert c.sign_in_throttle.is_locked('NOBODY@demo.test', now)
        assert c.sign_in_throttle.failures(THERAPIST) == 0
    before = app.db.storage.lastTransaction()
    attempt(app, 'someone-else@demo.test', 'guess-guess-1')
    after_unknown = app.db.storage.lastTransaction()
    attempt(app, THERAPIST, 'guess-guess-1')
    assert before != after_unknown != app.db.storage.lastTransaction()


def test_stale_throttle_records_are_forgotten():
    from datetime import datetime, timedelta, timezone
    from minorconsent.accounts.throttle import AddressThrottle
    throttle = AddressThrottle()
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(5):
        throttle.record_failure('a%d@demo.test' % n, t0)
    throttle.record_failure('late@demo.test', t0 + timedelta(days=2))
    assert len(throttle) == 1


def test_session_cookie_flags_and_no_max_age(app):
    browser, res = attempt(app, THERAPIST, 'demo-password-1')
    cookie = [v for k, v in res.headerlist if k == 'Set-Cookie' and v.startswith(COOKIE_NAME)][0]
    assert 'HttpOnly' in cookie and 'SameSite=Lax' in cookie
    assert 'Max-Age' not in cookie and 'Secure' not in cookie


def test_secure_flag_when_configured():
    from minorconsent.security.policy import ClinicSecurityPolicy
    cookie = ClinicSecurityPolicy(secure_cookies=True)._cookie('t')
    assert 'Secure' in cookie and 'HttpOnly' in cookie


def test_sign_out_ends_the_session_on_the_server(app):
    browser = sign_in(app, THERAPIST)
    token = browser.cookies[COOKIE_NAME]
    page = browser.get('/clients/')
    browser.post('/logout', {'csrf_token': csrf_of(page)})
    # Replaying the old cookie gets nowhere.
    replay = new_browser(app)
    replay.set_cookie(COOKIE_NAME, token)
    assert replay.get('/clients/').location.endswith('/login')


def test_a_get_never_signs_out(app):
    browser = sign_in(app, THERAPIST)
    assert browser.get('/logout').status_int == 200
    assert browser.get('/clients/').status_int == 200


def test_sign_in_replaces_a_planted_session(app):
    """Session fixation: a session token in the browser before sign-in is
    ended by the sign-in, and the new session gets a new token."""
    planted = sign_in(app, ROLE_EMAILS['guardian_other']).cookies[COOKIE_NAME]
    victim = new_browser(app)
    victim.set_cookie(COOKIE_NAME, planted)
    token = csrf_of(victim.get('/password'))
    res = victim.post('/login', {'csrf_token': token, 'email': THERAPIST,
                                 'password': 'demo-password-1'})
    assert res.status_int == 302
    assert victim.cookies[COOKIE_NAME] != planted
    assert victim.get('/clients/').status_int == 200
    replay = new_browser(app)
    replay.set_cookie(COOKIE_NAME, planted)
    assert replay.get('/family').location.endswith('/login')


def _ends_sessions(app, clinic, email, change):
    browser = sign_in(app, email)
    landing = browser.get('/').location
    assert browser.get(landing).status_int == 200
    with clinic() as c:
        change(c)
    res = browser.get(landing, expect_errors=True)
    assert res.status_int in (302, 404)
    if res.status_int == 302:
        assert res.location.endswith('/login')


def test_disabling_an_account_ends_its_sessions_at_once(app, clinic):
    _ends_sessions(app, clinic, THERAPIST, lambda c: set_active(
        c, c['users'].find_by_email(THERAPIST), False))
    with clinic() as c:
        # Ended in the store, not merely refused at lookup.
        assert c.sessions.count_for(c['users'].find_by_email(THERAPIST).__name__) == 0


def test_removing_a_role_ends_sessions(app, clinic):
    _ends_sessions(app, clinic, THERAPIST, lambda c: change_roles(
        c, c['users'].find_by_email(THERAPIST), ['supervisor']))
    with clinic() as c:
        assert c.sessions.count_for(c['users'].find_by_email(THERAPIST).__name__) == 0


def test_removing_a_guardian_link_ends_the_guardians_sessions(app, clinic, demo):
    email = ROLE_EMAILS['guardian']
    browser = sign_in(app, email)
    page = '/clients/%s/family' % demo.mateo
    assert browser.get(page).status_int == 200
    with clinic() as c:
        unlink_guardian(c, c['clients'][demo.mateo], demo.user_ids['guardian'])
    assert browser.get(page, expect_errors=True).status_int == 404
    assert browser.get('/family').location.endswith('/login')


def test_restricting_a_guardian_link_ends_sessions(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['guardian'])
    page = '/clients/%s/family' % demo.lucia
    assert browser.get(page).status_int == 200
    with clinic() as c:
        client = c['clients'][demo.lucia]
        update_guardian_link(c, client, client['guardians'][demo.user_ids['guardian']],
                             restricted=True)
    assert browser.get(page, expect_errors=True).status_int == 404
    assert browser.get('/family').location.endswith('/login')


def test_idle_session_is_refused(app, clinic):
    browser = sign_in(app, THERAPIST)
    with clinic() as c:
        uid = c['users'].find_by_email(THERAPIST).__name__
        for key in c.sessions._by_user[uid]:
            s = c.sessions._by_key[key]
            s.last_seen -= timedelta(minutes=16)
    assert browser.get('/clients/').location.endswith('/login')


def test_password_change_keeps_this_session_and_ends_others(app):
    here = sign_in(app, THERAPIST)
    elsewhere = sign_in(app, THERAPIST)
    form = here.get('/password').forms['form']
    form['current'] = 'demo-password-1'
    form['new'] = form['confirm'] = 'a new long passphrase'
    assert form.submit().status_int == 302
    assert here.get('/clients/').status_int == 200
    assert elsewhere.get('/clients/').location.endswith('/login')
    _, res = attempt(app, THERAPIST, 'a new long passphrase')
    assert res.status_int == 302


def test_password_change_rejects_wrong_current_and_mismatch(app):
    browser = sign_in(app, THERAPIST)
    form = browser.get('/password').forms['form']
    form['current'] = 'not-my-password'
    form['new'] = form['confirm'] = 'a new long passphrase'
    res = form.submit(status=400)
    assert 'This is not your current password.' in res.text
    form = browser.get('/password').forms['form']
    form['current'] = 'demo-password-1'
    form['new'], form['confirm'] = 'a new long passphrase', 'another long one'
    res = form.submit(status=400)
    assert 'The two new passwords differ.' in res.text
    _, ok = attempt(app, THERAPIST, 'demo-password-1')
    assert ok.status_int == 302


def test_signing_out_after_the_session_timed_out_still_says_signed_out(app, clinic):
    browser = sign_in(app, THERAPIST)
    page = browser.get('/clients/')
    with clinic() as c:
        uid = c['users'].find_by_email(THERAPIST).__name__
        c.sessions.end_all_for(uid)
    res = browser.post('/logout', {'csrf_token': csrf_of(page)}).follow()
    assert 'You are signed out.' in res.text


def test_signing_out_a_live_session_needs_the_token(app):
    browser = sign_in(app, THERAPIST)
    assert browser.post('/logout', {'csrf_token': 'forged'}, expect_errors=True).status_int == 400
    assert browser.get('/clients/').status_int == 200


def test_unknown_addresses_cost_the_same_password_hashing(app):
    """Timing must not tell which addresses have accounts: an unknown
    address is checked against a dummy hash of the same profile."""
    passwords = app.registry.passwords
    checked = []
    real = passwords.hasher

    class Counting:
        def verify(self, stored, password):
            checked.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)
    passwords.hasher = Counting()
    try:
        attempt(app, 'nobody@demo.test', 'demo-password-1')
        attempt(app, 'guardian@demo.test', 'wrong-password-1')
    finally:
        passwords.hasher = real
    assert len(checked) == 2
    unknown, known = checked
    assert unknown == passwords._dummy
    # Same algorithm and parameters: the same work.
    assert unknown.rsplit('$', 2)[0] == known.rsplit('$', 2)[0]
