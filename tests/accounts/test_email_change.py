"""Changing an email address: the admin re-authenticates in the account
form; a person's own change waits for a single-use, expiring link mailed to
the new address.  Either way the old address is told, reset links die,
the person's other sessions end and the trail names the change, masked."""
import re
import time
from datetime import timedelta

import pyotp
import pytest

from support import (ROLE_EMAILS, audit_entries, mail_text, mails_since, new_browser,
                     sign_in)
from minorconsent.accounts.emailchange import LINKS_PER_USER, masked
from minorconsent.accounts.reset import token_hash
from minorconsent.accounts.twofactor import TwoFactor

PASSWORD = 'demo-password-1'
ADMIN = ROLE_EMAILS['admin']
THERAPIST = ROLE_EMAILS['therapist']
GUARDIAN = ROLE_EMAILS['guardian']
NEW = 'elena.new@example.org'

#: Words no account mail may carry: names, therapy, the clinic's kind.
FORBIDDEN = ('therap', 'Mateo', 'Lucia', 'Alvarez', 'Elena', 'child', 'counsel', 'session',
             'Demo Family')


def field_text(res, name, form=None):
    """The text of deform's item for field ``name`` (label, input, error),
    in the form with id ``form`` (the account page has two)."""
    scope = res.html.find('form', id=form) if form else res.html
    item = scope.find(attrs={'class': re.compile(r'\bitem-%s\b' % name)})
    assert item is not None, name
    return item.text


def enrol(clinic, email):
    with clinic() as c:
        factor = c['users'].find_by_email(email).two_factor = TwoFactor()
        secret = factor.start()
        factor.confirm(pyotp.TOTP(secret).now())
        return secret


def next_code(secret):
    """A code of the next step (the current one was spent confirming)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def email_of(clinic, uid):
    with clinic() as c:
        return c['users'][uid].email


def entries(app, action):
    return [e for e in audit_entries(app) if e['action'] == action]


def no_address_in_clear(app, *addresses):
    trail = repr(audit_entries(app))
    for address in addresses:
        assert address not in trail, address


# --- the model ---------------------------------------------------------------------

def test_masked_addresses_keep_a_checkable_hash_and_little_else():
    from minorconsent.accounts.throttle import address_key
    shown = masked(' Elena.Alvarez@Example.ORG ')
    assert shown.startswith('e***@e***.org #')
    assert shown.endswith(address_key('elena.alvarez@example.org')[:16])
    assert 'alvarez' not in shown and 'example' not in shown
    assert masked('x@localhost').startswith('x***@l***')


def test_links_are_capped_per_person_and_pruned():
    from types import SimpleNamespace
    from minorconsent.accounts import utcnow
    from minorconsent.accounts.emailchange import EmailChanges, LINK_MINUTES
    changes = EmailChanges()
    person = SimpleNamespace(__name__='u1', email='old@example.org')
    now = utcnow()
    tokens = [changes.issue(person, 'n%d@example.org' % n, now) for n in range(LINKS_PER_USER)]
    assert not changes.under_cap('u1', now)
    assert changes.under_cap('u1', now + timedelta(hours=1))
    assert [changes.find(t).status(now) for t in tokens] == ['cancelled'] * (LINKS_PER_USER - 1) + ['valid']
    assert changes.pending_for(person, now).new_email == 'n%d@example.org' % (LINKS_PER_USER - 1)
    later = now + timedelta(minutes=LINK_MINUTES, days=1, seconds=1)
    changes.prune(later)
    assert all(changes.find(t) is None for t in tokens) and not changes.requests
    assert changes.find('') is None and changes.find('x' * 101) is None


# --- the admin's change ------------------------------------------------------------

def admin_edit(admin, uid, **fields):
    form = admin.get('/users/%s/edit' % uid).forms['form']
    for key, value in fields.items():
        form[key] = value
    return form.submit(expect_errors=True)


def test_other_edits_of_the_account_form_need_no_password(app, clinic, demo):
    admin = sign_in(app, ADMIN)
    res = admin_edit(admin, demo.user_ids['therapist'], display_name='Renamed Therapist')
    assert res.status_int == 302
    with clinic() as c:
        assert c['users'][demo.user_ids['therapist']].display_name == 'Renamed Therapist'


@pytest.mark.parametrize('password,message', [
    ('', 'Enter your current password to change the email address'),
    ('not the admin password', 'This is not your current password'),
])
def test_admin_email_change_without_the_admins_password_is_refused(app, clinic, demo,
                                                                    password, message):
    therapist = sign_in(app, THERAPIST)
    admin = sign_in(app, ADMIN)
    since = time.time_ns()
    uid = demo.user_ids['therapist']
    res = admin_edit(admin, uid, email='taken.over@example.org', current=password,
                     display_name='Also Renamed')
    assert res.status_int == 400
    assert message in field_text(res, 'current')
    with clinic() as c:
        user = c['users'][uid]
        assert user.email == THERAPIST and user.display_name != 'Also Renamed'
    assert mails_since(since) == []
    assert therapist.get('/clients/').status_int == 200        # still signed in
    refused = entries(app, 'auth.reauth_failed')
    assert refused and refused[-1]['actor'] == demo.user_ids['admin']
    assert refused[-1]['target'] == 'users/' + uid


def test_admin_email_change_with_the_password_tells_the_old_address_and_ends_sessions(
        app, clinic, demo):
    uid = demo.user_ids['therapist']
    therapist = sign_in(app, THERAPIST)
    new_browser(app).get('/forgot-password')
    reset_form = new_browser(app).get('/forgot-password').forms['form']
    reset_form['email'] = THERAPIST
    reset_form.submit()
    reset_link = re.search(r'http://localhost(/reset-password/\S+)',
                           mail_text(mails_since(0)[-1])).group(1)
    admin = sign_in(app, ADMIN)
    since = time.time_ns()
    res = admin_edit(admin, uid, email='New.Address@Example.org', current=PASSWORD)
    assert res.status_int == 302
    assert email_of(clinic, uid) == 'new.address@example.org'
    # The old address is told, in a message that says nothing else.
    mails = mails_since(since)
    assert [m['To'] for m in mails] == [THERAPIST]
    text = mail_text(mails[0])
    assert 'Family Portal' in text and 'was changed' in text and 'contact the clinic' in text
    assert 'new.address' not in text
    for word in FORBIDDEN:
        assert word.lower() not in text.lower(), word
    # Every session of the person ends; the admin stays signed in.
    assert therapist.get('/clients/').location.endswith('/login')
    assert admin.get('/users/').status_int == 200
    # The reset link mailed to the old address is dead.
    res = new_browser(app).get(reset_link, expect_errors=True)
    assert res.status_int == 410 and 'no longer valid' in res.text
    # The trail names the change, both addresses masked.
    changed = entries(app, 'admin.email_changed')
    assert len(changed) == 1 and changed[0]['actor'] == demo.user_ids['admin']
    assert changed[0]['target'] == 'users/' + uid
    detail = changed[0]['detail']
    assert masked(THERAPIST) in detail and masked('new.address@example.org') in detail
    assert 'reset link cancelled' in detail and '1 session(s) ended' in detail
    assert 'email changed' in entries(app, 'admin.account')[-1]['detail']
    no_address_in_clear(app, THERAPIST, 'new.address@example.org')
    # The person signs in with the new address only.
    sign_in(app, 'new.address@example.org')


def test_an_admin_with_a_second_factor_also_gives_a_code(app, clinic, demo):
    admin = sign_in(app, ADMIN)
    secret = enrol(clinic, ADMIN)
    uid = demo.user_ids['guardian']
    res = admin_edit(admin, uid, email=NEW, current=PASSWORD)
    assert res.status_int == 400 and 'Enter the code' in field_text(res, 'code')
    res = admin_edit(admin, uid, email=NEW, current=PASSWORD, code='000000'
                     if next_code(secret) != '000000' else '111111')
    assert res.status_int == 400 and 'not right' in field_text(res, 'code')
    assert email_of(clinic, uid) == GUARDIAN
    assert admin_edit(admin, uid, email=NEW, current=PASSWORD,
                      code=next_code(secret)).status_int == 302
    assert email_of(clinic, uid) == NEW


def test_admin_editing_their_own_address_keeps_their_session(app, clinic, demo):
    admin = sign_in(app, ADMIN)
    elsewhere = sign_in(app, ADMIN)
    res = admin_edit(admin, demo.user_ids['admin'], email='admin2@example.org',
                     current=PASSWORD)
    assert res.status_int == 302
    assert admin.get('/users/').status_int == 200
    assert elsewhere.get('/users/').location.endswith('/login')


# --- the person's own change -----------------------------------------------------

def ask_change(browser, new=NEW, password=PASSWORD, code=None):
    form = browser.get('/password').forms['email']
    form['new_email'] = new
    form['current'] = password
    if code is not None:
        form['code'] = code
    return form.submit(expect_errors=True)


def link_in(message):
    return re.search(r'http://localhost(/confirm-email/\S+)', mail_text(message)).group(1)


def requested_link(app, browser, new=NEW):
    since = time.time_ns()
    res = ask_change(browser, new)
    assert res.status_int == 302 and res.location.endswith('/password'), res.status
    mails = mails_since(since)
    assert [m['To'] for m in mails] == [new]
    return link_in(mails[0])


def confirm(browser, link):
    return browser.get(link).forms['form'].submit(expect_errors=True)


def test_the_account_page_offers_it_to_everyone_signed_in(app):
    for role in ('guardian', 'adolescent', 'therapist', 'supervisor', 'admin'):
        page = sign_in(app, ROLE_EMAILS[role]).get('/password')
        assert 'email' in page.forms and 'form' in page.forms, role
        assert ROLE_EMAILS[role] in page.text
        assert page.text.count('autofocus="autofocus"') == 1, role    # one per page


def test_a_person_changes_their_address_from_a_link_sent_to_the_new_one(app, clinic, demo):
    uid = demo.user_ids['guardian']
    here = sign_in(app, GUARDIAN)
    other_device = sign_in(app, GUARDIAN)
    link = requested_link(app, here)
    # Nothing changes until the link is opened; the page says it waits.
    assert email_of(clinic, uid) == GUARDIAN
    page = here.get('/password')
    assert 'We sent a link' in page.text and NEW in page.text
    # The link's token is stored only as its hash.
    token = link.rsplit('/', 1)[1]
    with clinic() as c:
        assert token_hash(token) in c.email_changes.by_hash
        assert token not in repr(list(c.email_changes.by_hash.items()))
    # Opening the link (a mail scanner would too) changes nothing.
    page = new_browser(app).get(link)
    assert page.status_int == 200 and NEW in page.text
    assert email_of(clinic, uid) == GUARDIAN
    since = time.time_ns()
    res = confirm(here, link)
    assert res.status_int == 200 and 'Your email address is changed' in res.text
    assert email_of(clinic, uid) == NEW
    # The old address is told; the browser that confirmed stays signed in,
    # every other session ends.
    assert [m['To'] for m in mails_since(since)] == [GUARDIAN]
    assert here.get('/family').status_int == 200
    assert other_device.get('/family').location.endswith('/login')
    # Single use.
    again = new_browser(app).get(link, expect_errors=True)
    assert again.status_int == 410 and 'already been used' in again.text
    # Sign in with the new address; the old one no longer works.
    sign_in(app, NEW)
    form = new_browser(app).get('/login').forms['form']
    form['email'], form['password'] = GUARDIAN, PASSWORD
    assert 'Sign-in failed' in form.submit().text
    # The trail: asked, then changed by the person, addresses masked.
    asked = entries(app, 'auth.email_change_requested')
    assert len(asked) == 1 and asked[0]['actor'] == uid and masked(NEW) in asked[0]['detail']
    changed = entries(app, 'auth.email_changed')
    assert len(changed) == 1 and changed[0]['actor'] == uid
    assert masked(GUARDIAN) in changed[0]['detail'] and masked(NEW) in changed[0]['detail']
    assert '1 session(s) ended' in changed[0]['detail']
    no_address_in_clear(app, GUARDIAN, NEW)


def test_a_link_opened_without_a_session_ends_every_session(app, clinic, demo):
    here = sign_in(app, ROLE_EMAILS['adolescent'])
    link = requested_link(app, here, 'teen.new@example.org')
    res = confirm(new_browser(app), link)
    assert res.status_int == 200 and '/login' in res.text
    assert here.get('/password').location.endswith('/login')
    assert email_of(clinic, demo.user_ids['adolescent']) == 'teen.new@example.org'


def test_the_mails_name_only_the_portal(app, clinic):
    here = sign_in(app, GUARDIAN)
    since = time.time_ns()
    link = requested_link(app, here)
    confirm(here, link)
    mails = mails_since(since)
    assert [m['To'] for m in mails] == [NEW, GUARDIAN]
    for message in mails:
        text = mail_text(message)
        assert 'Family Portal' in text
        for word in FORBIDDEN:
            assert word.lower() not in text.lower(), word
    notice = mail_text(mails[1])
    assert 'contact the clinic' in notice and NEW not in notice and GUARDIAN not in notice


def test_the_mails_are_in_the_persons_language(app, clinic):
    with clinic() as c:
        c['users'].find_by_email(GUARDIAN).language = 'es'
    here = sign_in(app, GUARDIAN)
    since = time.time_ns()
    link = requested_link(app, here)
    assert 'correo' in mail_text(mails_since(since)[0]).lower()
    confirm(here, link)
    notice = mail_text(mails_since(since)[-1])
    assert 'Family Portal' in notice and 'clínica' in notice


@pytest.mark.parametrize('new,password,field,message', [
    (NEW, '', 'current', 'Enter your current password'),
    (NEW, 'wrong password entirely', 'current', 'This is not your current password'),
    ('not an address', PASSWORD, 'new_email', 'Enter an email address'),
    (GUARDIAN, PASSWORD, 'new_email', 'This is already your email address'),
    # Another account's address, not saying whose.
    (ROLE_EMAILS['guardian_other'], PASSWORD, 'new_email',
     'This address cannot be used for your account'),
    (ROLE_EMAILS['therapist'].upper(), PASSWORD, 'new_email',
     'This address cannot be used for your account'),
])
def test_bad_input_is_refused_next_to_the_field_and_changes_nothing(
        app, clinic, demo, new, password, field, message):
    here = sign_in(app, GUARDIAN)
    since = time.time_ns()
    before = app.db.storage.lastTransaction()
    res = ask_change(here, new, password)
    assert res.status_int == 400
    assert message in field_text(res, field, 'email')
    for word in ('Chris', 'Novak', 'therapist', 'guardian2'):
        assert word not in field_text(res, field, 'email')
    assert app.db.storage.lastTransaction() == before      # nothing written
    assert mails_since(since) == []
    assert email_of(clinic, demo.user_ids['guardian']) == GUARDIAN


def test_a_person_with_a_second_factor_gives_a_code_too(app, clinic, demo):
    here = sign_in(app, ROLE_EMAILS['supervisor'])
    secret = enrol(clinic, ROLE_EMAILS['supervisor'])
    res = ask_change(here, 'sup.new@example.org')
    assert res.status_int == 400 and 'Enter the code' in field_text(res, 'code', 'email')
    res = ask_change(here, 'sup.new@example.org', code='12')
    assert res.status_int == 400 and 'not right' in field_text(res, 'code', 'email')
    res = ask_change(here, 'sup.new@example.org', code=next_code(secret))
    assert res.status_int == 302


def test_expired_altered_and_superseded_links(app, clinic, demo):
    here = sign_in(app, GUARDIAN)
    first = requested_link(app, here)
    altered = first[:-3] + ('aaa' if not first.endswith('aaa') else 'bbb')
    res = new_browser(app).get(altered, expect_errors=True)
    assert res.status_int == 404 and 'This link is not valid' in res.text
    # A newer request voids the older link.
    newer = requested_link(app, here, 'elena.other@example.org')
    res = new_browser(app).get(first, expect_errors=True)
    assert res.status_int == 410 and 'no longer valid' in res.text
    # An expired one says so, and a POST to it changes nothing.
    with clinic() as c:
        stored = c.email_changes.find(newer.rsplit('/', 1)[1])
        stored.expires = stored.created - timedelta(seconds=1)
    res = new_browser(app).get(newer, expect_errors=True)
    assert res.status_int == 410 and 'expired' in res.text
    token = here.get('/password').forms['form']['csrf_token'].value
    res = here.post(newer, {'csrf_token': token}, expect_errors=True)
    assert res.status_int == 410
    assert email_of(clinic, demo.user_ids['guardian']) == GUARDIAN


def test_an_admin_change_in_between_voids_the_persons_link(app, clinic, demo):
    here = sign_in(app, GUARDIAN)
    link = requested_link(app, here)
    admin = sign_in(app, ADMIN)
    assert admin_edit(admin, demo.user_ids['guardian'], email='by.admin@example.org',
                      current=PASSWORD).status_int == 302
    res = new_browser(app).get(link, expect_errors=True)
    assert res.status_int == 410 and 'no longer valid' in res.text
    assert email_of(clinic, demo.user_ids['guardian']) == 'by.admin@example.org'


def test_an_address_taken_in_the_meantime_is_refused_at_the_link(app, clinic, demo):
    here = sign_in(app, GUARDIAN)
    link = requested_link(app, here)
    page = new_browser(app).get(link)
    with clinic() as c:
        from minorconsent.accounts import User
        c['users'].add_user(User(NEW, 'Someone Else', ['guardian']))
    res = page.forms['form'].submit(expect_errors=True)
    assert res.status_int == 409 and 'cannot be used' in res.text and 'Someone' not in res.text
    assert email_of(clinic, demo.user_ids['guardian']) == GUARDIAN
    assert here.get('/family').status_int == 200


def test_a_pending_reset_link_dies_with_the_change(app, clinic):
    here = sign_in(app, GUARDIAN)
    form = new_browser(app).get('/forgot-password').forms['form']
    form['email'] = GUARDIAN
    since = time.time_ns()
    form.submit()
    reset_link = re.search(r'http://localhost(/reset-password/\S+)',
                           mail_text(mails_since(since)[0])).group(1)
    confirm(here, requested_link(app, here))
    res = new_browser(app).get(reset_link, expect_errors=True)
    assert res.status_int == 410 and 'no longer valid' in res.text
    assert 'reset link cancelled' in entries(app, 'auth.email_changed')[0]['detail']


def test_links_per_person_are_capped(app, clinic):
    here = sign_in(app, GUARDIAN)
    for n in range(LINKS_PER_USER):
        requested_link(app, here, 'try%d@example.org' % n)
    since = time.time_ns()
    res = ask_change(here, 'one.more@example.org')
    assert res.status_int == 400 and 'several changes' in field_text(res, 'new_email', 'email')
    assert mails_since(since) == []


def test_the_pages_are_in_spanish(app, clinic):
    browser = new_browser(app)
    browser.extra_environ['HTTP_ACCEPT_LANGUAGE'] = 'es'
    assert 'no es válido' in browser.get('/confirm-email/nope', expect_errors=True).text
    with clinic() as c:
        c['users'].find_by_email(GUARDIAN).language = 'es'
    page = sign_in(app, GUARDIAN).get('/password')
    assert 'Cambiar su correo electrónico' in page.text or 'correo electrónico' in page.text


def test_a_database_not_yet_evolved_hides_the_form_instead_of_failing(app, clinic):
    """Until ``minorconsent-evolve`` adds the store of pending changes, the
    account page shows only the password form and links are unknown."""
    with clinic() as c:
        del c.email_changes
    page = sign_in(app, GUARDIAN).get('/password')
    assert page.status_int == 200 and 'email' not in page.forms and 'form' in page.forms
    res = new_browser(app).get('/confirm-email/anything', expect_errors=True)
    assert res.status_int == 404 and 'This link is not valid' in res.text


def test_a_paused_address_cannot_re_authenticate(app, clinic):
    """Failed sign-ins pause the address; its sessions cannot change the
    password or the address meanwhile (the form says to wait)."""
    from minorconsent.accounts import utcnow
    here = sign_in(app, GUARDIAN)
    with clinic() as c:
        throttle = c.sign_in_throttle
        for _ in range(6):
            throttle.record_failure(GUARDIAN, utcnow())
    res = ask_change(here)
    assert res.status_int == 400 and 'Too many wrong attempts' in field_text(res, 'current', 'email')
    form = here.get('/password').forms['form']
    form['current'] = PASSWORD
    form['new'] = form['confirm'] = 'violet kettle under moonlight'
    res = form.submit(expect_errors=True)
    assert res.status_int == 400 and 'Too many wrong attempts' in field_text(res, 'current', 'form')


def no_email_on_lucias_record(clinic, demo):
    """The mother told the clinic "no email" (one child's record is enough)."""
    with clinic() as c:
        c['clients'][demo.lucia]['guardians'][demo.user_ids['guardian']].contact.email_ok = False


def test_no_email_in_the_contact_preferences_means_no_link_and_a_phone_number(
        app, clinic, demo):
    no_email_on_lucias_record(clinic, demo)
    here = sign_in(app, GUARDIAN)
    since = time.time_ns()
    before = app.db.storage.lastTransaction()
    res = ask_change(here)
    assert res.status_int == 400
    text = field_text(res, 'new_email', 'email')
    assert 'not to email you' in text and '555-0100' in text
    assert mails_since(since) == [] and app.db.storage.lastTransaction() == before
    refused = entries(app, 'auth.email_change_refused')
    assert refused[-1]['detail'] == 'no email in contact preferences'


def test_the_admins_change_for_a_no_email_person_sends_no_notice(app, clinic, demo):
    no_email_on_lucias_record(clinic, demo)
    guardian = sign_in(app, GUARDIAN)
    admin = sign_in(app, ADMIN)
    since = time.time_ns()
    res = admin_edit(admin, demo.user_ids['guardian'], email=NEW, current=PASSWORD)
    assert res.status_int == 302 and email_of(clinic, demo.user_ids['guardian']) == NEW
    assert mails_since(since) == []
    assert guardian.get('/family').location.endswith('/login')
    assert 'old address not told (no email)' in entries(app, 'admin.email_changed')[0]['detail']
