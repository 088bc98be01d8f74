"""Two-step sign-in: TOTP enrolment, the code step, replay, recovery codes,
the clinic requirement and the admin's reset."""
import re
import time
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from support import (ROLE_EMAILS, audit_entries, csrf_of, mail_text, mails_since, new_browser,
                     sign_in)
from minorconsent.accounts.twofactor import (PENDING_TRIES, PendingSignIns, TwoFactor,
                                             check_second_factor, step_of)
from minorconsent.security.policy import COOKIE_NAME

THERAPIST = ROLE_EMAILS['therapist']
PASSWORD = 'demo-password-1'


def code_for(secret, steps_ahead=0):
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def enrol_in_db(clinic, email):
    """Give ``email`` a confirmed factor; return (secret, recovery codes)."""
    with clinic() as c:
        user = c['users'].find_by_email(email)
        factor = user.two_factor = TwoFactor()
        secret = factor.start()
        codes = factor.confirm(pyotp.TOTP(secret).now())
        return secret, codes


def require_two_factor(clinic, on=True):
    with clinic() as c:
        c.settings.update(staff_two_factor=on)


def password_step(app, email=THERAPIST, password=PASSWORD):
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = email, password
    return browser, form.submit()


def code_step(browser, code, status=None):
    form = browser.get('/login-code').forms['form']
    form['code'] = code
    return form.submit(status=status) if status else form.submit(expect_errors=True)


def has_session(browser):
    return bool(browser.cookies.get(COOKIE_NAME))


# --- the model ------------------------------------------------------------------

def test_a_code_works_once_and_only_within_its_window():
    factor = TwoFactor()
    secret = factor.start()
    now = datetime.now(timezone.utc)
    assert factor.confirm('000000' if pyotp.TOTP(secret).at(now) != '000000' else '111111',
                          now) is None
    assert not factor.enrolled
    codes = factor.confirm(pyotp.TOTP(secret).at(now), now)
    assert factor.enrolled and len(codes) == 10 and len(set(codes)) == 10
    totp = pyotp.TOTP(secret)
    # The enrolment code's step is spent: replaying it is refused.
    assert factor.verify(totp.at(now), now) == 'reused'
    later = now + timedelta(seconds=30)
    assert factor.verify(totp.at(later), later) == 'ok'
    assert factor.verify(totp.at(later), later) == 'reused'
    # One step of drift either side, no more.
    far = later + timedelta(minutes=5)
    assert factor.verify(totp.at(far - timedelta(seconds=30)), far) == 'ok'
    assert factor.verify(totp.at(far + timedelta(seconds=90)), far) == 'wrong'
    assert factor.verify('12345', far) == 'wrong'
    assert factor.verify('abcdef', far) == 'wrong'


def test_recovery_codes_are_single_use_and_stored_only_as_hashes():
    factor = TwoFactor()
    secret = factor.start()
    codes = factor.confirm(pyotp.TOTP(secret).now())
    stored = repr(vars(factor))
    assert not any(code in stored or code.replace('-', '') in stored for code in codes)
    assert factor.use_recovery_code(codes[3].upper().replace('-', ' '))
    assert not factor.use_recovery_code(codes[3])
    assert factor.recovery_left() == 9
    fresh = factor.new_recovery_codes()
    assert not factor.use_recovery_code(codes[4])      # old ones are cancelled
    assert factor.use_recovery_code(fresh[0])


def test_a_new_phone_does_not_replace_the_factor_until_confirmed():
    factor = TwoFactor()
    old = factor.start()
    factor.confirm(pyotp.TOTP(old).now())
    new = factor.start()
    assert factor.secret == old and factor.candidate == new
    assert factor.verify(code_for(old, 1)) == 'ok'


def test_wrong_codes_count_on_the_address_throttle(app, clinic):
    secret, _ = enrol_in_db(clinic, THERAPIST)
    from minorconsent.accounts import authenticate
    now = datetime.now(timezone.utc)
    with clinic() as c:
        user = c['users'].find_by_email(THERAPIST)
        for _ in range(5):
            # A right password does not clear the count for an enrolled person.
            assert authenticate(c, app.registry.passwords, THERAPIST, PASSWORD, now) is user
            assert check_second_factor(c, user, '000001', now) == 'wrong'
        assert c.sign_in_throttle.is_locked(THERAPIST, now)
        assert check_second_factor(c, user, pyotp.TOTP(secret).at(now + timedelta(seconds=30)),
                                   now) == 'paused'


def test_pending_sign_ins_expire_and_run_out_of_tries(clinic):
    store = PendingSignIns()
    with clinic() as c:
        user = c['users'].find_by_email(THERAPIST)
        users = c['users']
        now = datetime.now(timezone.utc)
        token = store.start(user, 'code', now)
        assert store.find(token, users, now)[1] is user
        assert store.find(token, users, now + timedelta(minutes=6)) == (None, None)
        assert store.find('forged', users, now) == (None, None)
        for _ in range(PENDING_TRIES):
            store.fail(token)
        assert store.find(token, users, now) == (None, None)
        # A password change voids a half sign-in made with the old password.
        token = store.start(user, 'code', now)
        user.password_changed = now
        assert store.find(token, users, now) == (None, None)


# --- over HTTP -------------------------------------------------------------------

def test_required_enrolment_holds_staff_at_the_door_until_done(app, clinic, demo):
    require_two_factor(clinic)
    browser, res = password_step(app)
    assert res.status_int == 302 and res.location.endswith('/two-factor')
    assert not has_session(browser)
    # The half-signed-in browser can do nothing else.
    for path in ('/clients/', '/clients/%s/' % demo.mateo, '/password', '/login-code'):
        assert browser.get(path, expect_errors=True).status_int in (302, 404)
    page = browser.get('/two-factor')
    assert '<svg' in page.text and 'role="img"' in page.text and '<script' not in page.text
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text).group(1)
    secret = secret.replace(' ', '')
    form = page.forms['confirm']
    form['code'] = '000000' if code_for(secret) != '000000' else '111111'
    bad = form.submit(expect_errors=True)
    assert bad.status_int == 400 and 'This code is not right' in bad.text
    assert not has_session(browser)
    with clinic() as c:
        assert not c['users'].find_by_email(THERAPIST).two_factor.enrolled
    form = browser.get('/two-factor').forms['confirm']
    form['code'] = code_for(secret)
    done = form.submit()
    assert done.status_int == 200 and 'Your recovery codes' in done.text
    assert len(re.findall(r'<li><code>[a-z0-9]{5}-[a-z0-9]{5}</code></li>', done.text)) == 10
    assert has_session(browser)
    assert browser.get('/clients/').status_int == 200
    actions = [e['action'] for e in audit_entries(app) if e['actor'] == demo.user_ids['therapist']]
    assert 'auth.password_ok' in actions and 'auth.two_factor_enrolled' in actions
    assert 'auth.sign_in' in actions


def test_enrolled_staff_sign_in_with_password_then_code(app, clinic, demo):
    secret, _ = enrol_in_db(clinic, THERAPIST)
    browser, res = password_step(app)
    assert res.location.endswith('/login-code')
    assert not has_session(browser)
    assert browser.get('/clients/').location.endswith('/login')
    # Another browser without the half-sign-in cookie gets nowhere.
    assert new_browser(app).get('/login-code').location.endswith('/login')
    wrong = code_step(browser, '000000' if code_for(secret, 1) != '000000' else '111111')
    assert wrong.status_int == 400 and 'This code is not right' in wrong.text
    assert 'X-Tm' not in wrong.headers
    ok = code_step(browser, code_for(secret, 1), status=302)
    assert has_session(browser) and browser.get('/clients/').status_int == 200
    assert 'mc_pending=;' in ok.headers.get('Set-Cookie', '') or \
        not browser.cookies.get('mc_pending')
    # The same code again, from a fresh sign-in within its window: refused.
    again, _ = password_step(app)
    replay = code_step(again, code_for(secret, 1))
    assert replay.status_int == 400 and 'This code was just used' in replay.text
    assert not has_session(again)
    entries = [e for e in audit_entries(app) if e['actor'] == demo.user_ids['therapist']]
    failed = [e['detail'] for e in entries if e['action'] == 'auth.second_factor_failed']
    assert failed == ['wrong', 'reused']


def test_a_recovery_code_signs_in_once(app, clinic, demo):
    _, codes = enrol_in_db(clinic, THERAPIST)
    browser, _ = password_step(app)
    code_step(browser, codes[0], status=302)
    assert has_session(browser)
    browser2, _ = password_step(app)
    assert code_step(browser2, codes[0]).status_int == 400
    details = [e['detail'] for e in audit_entries(app) if e['action'] == 'auth.recovery_code_used']
    assert details == ['9 left']


def test_five_wrong_codes_end_the_half_sign_in(app, clinic):
    enrol_in_db(clinic, THERAPIST)
    browser, _ = password_step(app)
    for n in range(PENDING_TRIES):
        res = code_step(browser, '00000%d' % n)
    assert res.status_int == 302 and res.location.endswith('/login')
    assert browser.get('/login-code').location.endswith('/login')


def test_families_are_not_asked_but_may_enrol(app, clinic):
    require_two_factor(clinic)
    guardian = sign_in(app, ROLE_EMAILS['guardian'])      # password only
    form = guardian.get('/two-factor').forms['start']
    assert 'code' not in form.fields            # no factor yet: the password only
    form['current'] = PASSWORD
    start = form.submit('start').follow()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', start.text).group(1)
    form = start.forms['confirm']
    form['code'] = code_for(secret.replace(' ', ''))
    assert 'Your recovery codes' in form.submit().text
    browser, res = password_step(app, ROLE_EMAILS['guardian'])
    assert res.location.endswith('/login-code')


def test_code_pages_are_in_spanish(app, clinic):
    enrol_in_db(clinic, THERAPIST)
    browser = new_browser(app)
    browser.extra_environ['HTTP_ACCEPT_LANGUAGE'] = 'es'
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = THERAPIST, PASSWORD
    form.submit()
    page = browser.get('/login-code')
    assert 'Introduzca su código' in page.text


def test_admin_resets_a_lost_factor(app, clinic, demo):
    enrol_in_db(clinic, THERAPIST)
    browser, _ = password_step(app)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    require_two_factor(clinic)
    with clinic() as c:
        c['users'].find_by_email(THERAPIST).language = 'es'
    page = admin.get('/users/%s/edit' % demo.user_ids['therapist'])
    assert 'Remove second factor' in page.text
    form = page.forms['reset-factor']
    form['current'] = PASSWORD
    since = time.time_ns()
    res = form.submit()
    assert res.status_int == 302
    with clinic() as c:
        assert c['users'].find_by_email(THERAPIST).two_factor is None
        assert c.sessions.count_for(demo.user_ids['therapist']) == 0
    # The person is told, in their language, with nothing in the mail.
    mails = mails_since(since)
    assert [m['To'] for m in mails] == [THERAPIST]
    text = mail_text(mails[0])
    assert in_spanish(app, 'removed') in text
    for word in FORBIDDEN_IN_MAIL:
        assert word.lower() not in text.lower(), word
    # Required by the clinic: the therapist enrols again at the next sign-in.
    _, res = password_step(app)
    assert res.location.endswith('/two-factor')
    entry = [e for e in audit_entries(app) if e['action'] == 'admin.two_factor_reset'][0]
    assert entry['actor'] == demo.user_ids['admin']
    assert entry['detail'] == 'second factor removed; person told'


def test_removing_someones_factor_asks_for_the_admins_password_and_code(app, clinic, demo):
    """A signed-in admin browser alone (a copied cookie, an unlocked
    computer) cannot take a person's second factor away."""
    enrol_in_db(clinic, THERAPIST)
    admin_secret, _codes = enrol_in_db(clinic, ROLE_EMAILS['admin'])
    admin = new_browser(app)
    form = admin.get('/login').forms['form']
    form['email'], form['password'] = ROLE_EMAILS['admin'], PASSWORD
    form.submit()
    code_step(admin, code_for(admin_secret, 1), status=302)
    forget_used_steps(clinic, ROLE_EMAILS['admin'])
    url = '/users/%s/reset-two-factor' % demo.user_ids['therapist']
    page = admin.get('/users/%s/edit' % demo.user_ids['therapist'])
    since = time.time_ns()
    # Only the CSRF token, as the edit page used to send.
    res = admin.post(url, {'csrf_token': csrf_of(page)}, expect_errors=True)
    assert res.status_int == 400 and 'Required' in res.text
    for password, code, message in (
            ('wrong-password-1', code_for(admin_secret, 1), 'This is not your current password'),
            (PASSWORD, '000000', 'This code is not right'),
            (PASSWORD, '', 'Required')):
        form = page.forms['reset-factor']
        form['current'], form['code'] = password, code
        res = form.submit(expect_errors=True)
        assert res.status_int == 400
        assert message in res.text
    with clinic() as c:
        assert c['users'].find_by_email(THERAPIST).two_factor is not None
    assert mails_since(since) == []
    refused = [e for e in audit_entries(app) if e['action'] == 'auth.reauth_failed']
    assert [e['detail'] for e in refused] == [
        'second factor removal: password', 'second factor removal: code']
    assert {e['target'] for e in refused} == {'users/' + demo.user_ids['therapist']}
    assert not [e for e in audit_entries(app) if e['action'] == 'admin.two_factor_reset']
    # The admin's own password and current code: removed.
    forget_used_steps(clinic, ROLE_EMAILS['admin'])
    form = page.forms['reset-factor']
    form['current'], form['code'] = PASSWORD, code_for(admin_secret, 1)
    assert form.submit().status_int == 302
    with clinic() as c:
        assert c['users'].find_by_email(THERAPIST).two_factor is None


def test_turning_the_requirement_on_signs_out_unenrolled_staff(app, clinic, demo):
    therapist = sign_in(app, THERAPIST)
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    admin = sign_in(app, ROLE_EMAILS['admin'])
    with clinic() as c:
        c.settings.update(staff_two_factor=False)
    form = admin.get('/settings').forms['form']
    form['staff_two_factor'] = True
    assert form.submit().status_int == 302
    assert therapist.get('/clients/').location.endswith('/login')
    assert guardian.get('/family').status_int == 200
    assert admin.get('/settings').status_int == 200       # the admin who saved


def test_changing_the_password_asks_for_a_code_when_enrolled(app, clinic):
    secret, _ = enrol_in_db(clinic, THERAPIST)
    browser, _ = password_step(app)
    code_step(browser, code_for(secret, 1), status=302)
    form = browser.get('/password').forms['form']
    form['current'] = PASSWORD
    form['new'] = form['confirm'] = 'a brand new long passphrase'
    form['code'] = '000000' if code_for(secret) != '000000' else '111111'
    res = form.submit(expect_errors=True)
    assert res.status_int == 400 and 'This code is not right' in res.text
    with clinic() as c:
        user = c['users'].find_by_email(THERAPIST)
        assert app.registry.passwords.verify(user.password_hash, PASSWORD)
    form = res.forms['form']
    form['current'] = PASSWORD
    form['new'] = form['confirm'] = 'a brand new long passphrase'
    # The code the sign-in used is spent: refused as reused.
    form['code'] = code_for(secret, 1)
    assert form.submit(expect_errors=True).status_int == 400
    # A later step's code (the clock moved on: pretend by moving the guard back).
    with clinic() as c:
        c['users'].find_by_email(THERAPIST).two_factor.last_step -= 2
    form['current'] = PASSWORD
    form['new'] = form['confirm'] = 'a brand new long passphrase'
    form['code'] = code_for(secret, 1)
    assert form.submit().status_int == 302
    with clinic() as c:
        user = c['users'].find_by_email(THERAPIST)
        assert app.registry.passwords.verify(user.password_hash, 'a brand new long passphrase')


@pytest.mark.parametrize('path', ['/two-factor', '/login-code'])
def test_anonymous_without_a_half_sign_in_is_sent_to_sign_in(app, path):
    assert new_browser(app).get(path).location.endswith('/login')


# --- changing the factor asks who it is ------------------------------------------

FORBIDDEN_IN_MAIL = ('therap', 'Mateo', 'Lucia', 'Alvarez', 'Elena', 'child', 'counsel',
                     'session', 'Demo Family', 'http')


def signed_in_with_code(app, clinic, secret, steps_ahead=1):
    """A browser through both steps (moving the replay guard back so that
    several sign-ins within one test can use codes of the same steps)."""
    with clinic() as c:
        c['users'].find_by_email(THERAPIST).two_factor.last_step = -1
    browser, _ = password_step(app)
    code_step(browser, code_for(secret, steps_ahead), status=302)
    return browser


def forget_used_steps(clinic, email=THERAPIST):
    with clinic() as c:
        c['users'].find_by_email(email).two_factor.last_step = -1


def secret_on(page):
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text)
    return found.group(1).replace(' ', '') if found else None


def factor_state(clinic, email=THERAPIST):
    with clinic() as c:
        factor = c['users'].find_by_email(email).two_factor
        return (factor.secret, factor.candidate, factor.recovery_left()) if factor else None


def in_spanish(app, what):
    """The notice of ``what`` as the app's Spanish catalog has it."""
    from types import SimpleNamespace
    from minorconsent.accounts.factorchange import NOTICES
    from minorconsent.site.i18n import _, localizer_for
    return localizer_for(SimpleNamespace(registry=app.registry), 'es').translate(
        _(NOTICES[what], mapping={'portal': 'Family Portal'}))


def test_a_signed_in_session_alone_cannot_replace_the_factor(app, clinic):
    """The attack: whoever holds a signed-in browser (a stolen cookie, an
    unlocked computer) moved the factor to their own phone and took the
    recovery codes.  Now the button asks for the password and a current
    code first; without them nothing changes and no new secret is shown."""
    secret, _ = enrol_in_db(clinic, THERAPIST)
    browser = signed_in_with_code(app, clinic, secret)
    before = factor_state(clinic)
    page = browser.get('/two-factor')
    # The attacker presses the button, scans the new secret with their own
    # phone and confirms it, without the password.
    res = browser.post('/two-factor', {'__formid__': 'start', 'start': 'start',
                                       'csrf_token': csrf_of(page)}, expect_errors=True)
    attacker_secret = secret_on(browser.get('/two-factor'))
    if attacker_secret:
        form = browser.get('/two-factor').forms['confirm']
        form['code'] = code_for(attacker_secret)
        form.submit(expect_errors=True)
    assert factor_state(clinic) == before
    assert res.status_int == 400 and attacker_secret is None
    assert 'current' in page.forms['start'].fields and 'code' in page.forms['start'].fields
    # Wrong password, or a right password with a wrong code: refused too.
    for password, code in ((('not my password', code_for(secret, 2))),
                           (PASSWORD, '000000' if code_for(secret, 2) != '000000' else '111111')):
        form = browser.get('/two-factor').forms['start']
        form['current'], form['code'] = password, code
        res = form.submit('start', expect_errors=True)
        assert res.status_int == 400 and secret_on(res) is None
    assert factor_state(clinic) == before
    refused = [e['detail'] for e in audit_entries(app) if e['action'] == 'auth.reauth_failed']
    assert refused[-2:] == ['second factor: password', 'second factor: code']


def test_moving_to_a_new_phone_ends_other_sessions_and_tells_the_person(app, clinic, demo):
    secret, old_codes = enrol_in_db(clinic, THERAPIST)
    other = signed_in_with_code(app, clinic, secret)
    browser = signed_in_with_code(app, clinic, secret)
    forget_used_steps(clinic)
    with clinic() as c:
        c['users'].find_by_email(THERAPIST).language = 'es'
    form = browser.get('/two-factor').forms['start']
    form['current'], form['code'] = PASSWORD, code_for(secret, 1)
    page = form.submit('start').follow()
    new = secret_on(page)
    assert new and new != secret
    # The other browser of the same person does not see the new secret,
    # and cannot confirm it.
    assert secret_on(other.get('/two-factor')) is None
    since = time.time_ns()
    form = page.forms['confirm']
    form['code'] = code_for(new)
    done = form.submit()
    assert 'class="recovery-codes"' in done.text
    assert factor_state(clinic)[0] == new
    assert browser.get('/clients/').status_int == 200            # this browser stays
    assert other.get('/clients/').location.endswith('/login')     # the other is out
    mails = mails_since(since)
    assert [m['To'] for m in mails] == [THERAPIST]
    text = mail_text(mails[0])
    assert 'Family Portal' in text
    assert in_spanish(app, 'replaced') in text                         # the saved language
    for word in FORBIDDEN_IN_MAIL:
        assert word.lower() not in text.lower(), word
    entry = [e for e in audit_entries(app) if e['action'] == 'auth.two_factor_enrolled'][-1]
    assert entry['detail'] == 'replaced; 1 other sign-in ended; person told'
    # The old recovery codes died with the old factor.
    with clinic() as c:
        assert not c['users'].find_by_email(THERAPIST).two_factor.use_recovery_code(old_codes[0])


def test_a_recovery_code_stands_in_for_a_lost_phone(app, clinic):
    """Lost phone: sign in with one recovery code, move to the new phone
    with the password and another."""
    secret, codes = enrol_in_db(clinic, THERAPIST)
    browser, _ = password_step(app)
    code_step(browser, codes[0], status=302)
    form = browser.get('/two-factor').forms['start']
    form['current'], form['code'] = PASSWORD, codes[1]
    page = form.submit('start').follow()
    new = secret_on(page)
    form = page.forms['confirm']
    form['code'] = code_for(new)
    assert 'Your recovery codes' in form.submit().text
    assert factor_state(clinic)[0] == new
    used = [e['detail'] for e in audit_entries(app) if e['action'] == 'auth.recovery_code_used']
    assert used == ['9 left', '8 left']


def test_new_recovery_codes_need_the_password_end_other_sessions_and_mail(app, clinic):
    secret, old_codes = enrol_in_db(clinic, THERAPIST)
    other = signed_in_with_code(app, clinic, secret)
    browser = signed_in_with_code(app, clinic, secret)
    forget_used_steps(clinic)
    form = browser.get('/two-factor').forms['recovery']
    form['current'], form['code'] = 'not my password', code_for(secret, 1)
    assert form.submit('new codes', expect_errors=True).status_int == 400
    since = time.time_ns()
    form = browser.get('/two-factor').forms['recovery']
    form['current'], form['code'] = PASSWORD, old_codes[5]     # a recovery code will do
    res = form.submit('new codes')
    assert len(re.findall(r'<li><code>[a-z0-9]{5}-[a-z0-9]{5}</code></li>', res.text)) == 10
    assert other.get('/clients/').location.endswith('/login')
    assert browser.get('/clients/').status_int == 200
    mails = mails_since(since)
    assert [m['To'] for m in mails] == [THERAPIST]
    text = mail_text(mails[0])
    assert 'recovery codes' in text and 'contact your clinic' in text
    for word in FORBIDDEN_IN_MAIL:
        assert word.lower() not in text.lower(), word


def test_required_enrolment_counts_the_password_just_given_and_tells_the_person(app, clinic):
    """At the first required sign-in the password was just given: no
    second password is asked, and the person gets the notice."""
    require_two_factor(clinic)
    browser, _ = password_step(app)
    page = browser.get('/two-factor')
    assert 'current' not in page.forms['confirm'].fields
    since = time.time_ns()
    form = page.forms['confirm']
    form['code'] = code_for(secret_on(page))
    assert 'Your recovery codes' in form.submit().text
    text = mail_text(mails_since(since)[0])
    assert 'Two-step sign-in was turned on' in text
    # Another browser that only has the password is held at the code step.
    other, res = password_step(app)
    assert res.location.endswith('/login-code')
