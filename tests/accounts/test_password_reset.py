"""Forgot your password: one answer for every address, single-use expiring
links stored as hashes, mail that names only the portal."""
import re
import time
from datetime import timedelta

import pyotp

from support import ROLE_EMAILS, audit_entries, csrf_of, mail_text, mails_since, new_browser, sign_in
from minorconsent.accounts.reset import MAILS_PER_ADDRESS, token_hash
from minorconsent.accounts.twofactor import TwoFactor
from minorconsent.security.policy import COOKIE_NAME

GUARDIAN = ROLE_EMAILS['guardian']
NEW = 'violet kettle under moonlight'


def ask(app, email, lang=None):
    browser = new_browser(app)
    if lang:
        browser.extra_environ['HTTP_ACCEPT_LANGUAGE'] = lang
    form = browser.get('/forgot-password').forms['form']
    form['email'] = email
    return form.submit(expect_errors=True)


def link_from(message):
    return re.search(r'http://localhost(/reset-password/\S+)', mail_text(message)).group(1)


def requested_link(app, email=GUARDIAN):
    since = time.time_ns()
    ask(app, email)
    mails = mails_since(since)
    assert len(mails) == 1 and mails[0]['To'] == email
    return link_from(mails[0])


def set_new_password(app, link, password=NEW, confirm=None):
    form = new_browser(app).get(link).forms['form']
    form['password'], form['confirm'] = password, confirm or password
    return form.submit(expect_errors=True)


def test_the_sign_in_page_links_to_it(app):
    assert '/forgot-password' in new_browser(app).get('/login').text


def test_same_answer_and_same_database_work_with_or_without_an_account(app, demo):
    since = time.time_ns()
    before = app.db.storage.lastTransaction()
    known = ask(app, GUARDIAN)
    after_known = app.db.storage.lastTransaction()
    unknown = ask(app, 'nobody-at-all@demo.test')
    assert before != after_known != app.db.storage.lastTransaction()
    assert known.status_int == unknown.status_int == 302
    assert known.location == unknown.location
    assert known.headers.get('Set-Cookie') == unknown.headers.get('Set-Cookie')
    assert len(mails_since(since)) == 1
    entries = [e for e in audit_entries(app) if e['action'] == 'auth.reset_requested']
    assert [(e['actor'], e['detail']) for e in entries] == [
        (demo.user_ids['guardian'], 'link sent'), ('anonymous', 'no link sent')]
    assert 'nobody-at-all' not in repr(audit_entries(app))


def test_the_mail_names_only_the_portal_and_the_token_is_stored_hashed(app, clinic):
    since = time.time_ns()
    ask(app, GUARDIAN)
    text = mail_text(mails_since(since)[0])
    assert 'Family Portal' in text
    for word in ('therap', 'Mateo', 'Lucia', 'Alvarez', 'child', 'counsel', 'Demo Family'):
        assert word.lower() not in text.lower(), word
    token = link_from(mails_since(since)[0]).rsplit('/', 1)[1]
    with clinic() as c:
        assert token_hash(token) in c.password_resets.by_hash
        assert token not in repr(list(c.password_resets.by_hash.items()))


def test_the_mail_is_in_the_persons_language(app, clinic):
    with clinic() as c:
        c['users'].find_by_email(GUARDIAN).language = 'es'
    since = time.time_ns()
    ask(app, GUARDIAN)
    assert 'contraseña' in mail_text(mails_since(since)[0])


def test_a_link_sets_the_password_once_and_ends_every_session(app, clinic):
    old_browser = sign_in(app, GUARDIAN)
    link = requested_link(app)
    page = new_browser(app).get(link)
    assert GUARDIAN in page.text
    res = set_new_password(app, link)
    assert res.status_int == 302 and res.location.endswith('/login')
    assert COOKIE_NAME not in res.headers.get('Set-Cookie', '')      # not signed in by it
    assert old_browser.get('/family').location.endswith('/login')
    sign_in(app, GUARDIAN, NEW)
    again = new_browser(app).get(link, expect_errors=True)
    assert again.status_int == 410 and 'already been used' in again.text
    actions = [e['action'] for e in audit_entries(app)]
    assert 'auth.reset_used' in actions


def test_weak_password_is_refused_next_to_the_field_and_changes_nothing(app, clinic):
    link = requested_link(app)
    for weak, message in (('short', 'at least 12'),
                          ('password1234', 'too common'),
                          ('guardian-and-more', 'email address')):
        res = set_new_password(app, link, weak)
        assert res.status_int == 400
        field = res.html.find(attrs={'class': re.compile('item-password')})
        assert message in field.text, (weak, field.text)
    res = set_new_password(app, link, NEW, NEW + 'x')
    assert res.status_int == 400 and 'differ' in res.text
    sign_in(app, GUARDIAN)        # the old password still works
    assert set_new_password(app, link).status_int == 302      # the link was not spent


def test_expired_altered_and_superseded_links(app, clinic):
    link = requested_link(app)
    altered = link[:-3] + ('aaa' if not link.endswith('aaa') else 'bbb')
    res = new_browser(app).get(altered, expect_errors=True)
    assert res.status_int == 404 and 'not valid' in res.text
    assert new_browser(app).get('/reset-password', expect_errors=True).status_int == 404
    newer = requested_link(app)
    res = new_browser(app).get(link, expect_errors=True)
    assert res.status_int == 410 and 'no longer valid' in res.text
    with clinic() as c:
        stored = c.password_resets.find(newer.rsplit('/', 1)[1])
        stored.expires = stored.created - timedelta(seconds=1)
    res = new_browser(app).get(newer, expect_errors=True)
    assert res.status_int == 410 and 'expired' in res.text
    browser = new_browser(app)
    token = csrf_of(browser.get('/login'))
    res = browser.post(newer, {'csrf_token': token, 'password': NEW, 'confirm': NEW},
                       expect_errors=True)
    assert res.status_int == 410
    with clinic() as c:
        user = c['users'].find_by_email(GUARDIAN)
        assert not app.registry.passwords.verify(user.password_hash, NEW)


def test_mails_per_address_are_capped(app):
    since = time.time_ns()
    for _ in range(MAILS_PER_ADDRESS + 2):
        assert ask(app, GUARDIAN).status_int == 302
    assert len(mails_since(since)) == MAILS_PER_ADDRESS


def test_bad_address_gets_a_message_next_to_the_field(app):
    res = ask(app, 'not an address')
    assert res.status_int == 400 and 'Enter an email address' in res.text


def test_staff_with_a_second_factor_still_need_it_after_a_reset(app, clinic):
    email = ROLE_EMAILS['therapist']
    with clinic() as c:
        factor = c['users'].find_by_email(email).two_factor = TwoFactor()
        secret = factor.start()
        factor.confirm(pyotp.TOTP(secret).now())
    link = requested_link(app, email)
    assert set_new_password(app, link).status_int == 302
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = email, NEW
    assert form.submit().location.endswith('/login-code')
    assert not browser.cookies.get(COOKIE_NAME)


def test_forgot_and_reset_pages_are_in_spanish(app):
    browser = new_browser(app)
    browser.extra_environ['HTTP_ACCEPT_LANGUAGE'] = 'es'
    assert '¿Olvidó su contraseña?' in browser.get('/forgot-password').text
    assert 'no es válido' in browser.get('/reset-password/nope', expect_errors=True).text
