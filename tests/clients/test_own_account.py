"""The client's own sign-in, given by the therapist (issue 16, item 1):
offered from the clinic's age, refused below it and for addresses that
are not the client's own; the invitation is content-free, single-use and
lands the client on their own page; ending it signs the client out at
once; the admin sees a client account, never whose."""
import re
import time
from datetime import date

import pytest

from support import ROLE_EMAILS, csrf_of, mail_text, mails_since, new_browser, sign_in

THERAPIST = ROLE_EMAILS['therapist']
KID = 'juniper.own@demo.test'
NOT_AVAILABLE = 'This address belongs to another account at the clinic.'


def years_ago(years, today=None):
    today = today or date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def new_client(app, clinic, age, first='Juniper', last='Quill'):
    therapist = sign_in(app, THERAPIST)
    form = therapist.get('/clients/add').forms['form']
    form['first_name'], form['last_name'] = first, last
    form['date_of_birth'] = years_ago(age).isoformat()
    page = form.submit().follow()
    client_id = re.search(r'/clients/([^/]+)/own-account', page.text).group(1)
    return therapist, client_id


def invite(therapist, client_id, email=KID, language='', status=302):
    form = therapist.get('/clients/%s/own-account' % client_id).forms['form']
    form['email'] = email
    form['language'] = language
    return form.submit(status=status)


def link_in(message):
    return re.search(r'http://\S+/welcome/\S+', mail_text(message)).group(0)


def state_of(clinic, client_id, email=KID):
    with clinic() as c:
        client = c['clients'][client_id]
        account = c['users'].find_by_email(email)
        return (client.self_account_id,
                None if account is None else (account.roles, account.client_id,
                                              account.password_hash is not None))


def test_the_client_is_invited_chooses_a_password_and_lands_on_their_own_page(app, clinic):
    therapist, client_id = new_client(app, clinic, 14)
    since = time.time_ns()
    page = invite(therapist, client_id).follow()
    assert 'The invitation is sent.' in page.text
    assert 'invited, has not chosen a password yet' in therapist.get(
        '/clients/%s/' % client_id).text
    (message,) = [m for m in mails_since(since) if m['To'] == KID]
    text = mail_text(message)
    # Content-free: the portal's name, the link, nothing else.
    for private in ('Juniper', 'Quill', 'therap', 'counsel', 'client'):
        assert private.lower() not in text.lower()
    own_id, (roles, linked_to, has_password) = state_of(clinic, client_id)
    assert roles == ('adolescent',) and linked_to == client_id and not has_password

    client = new_browser(app)
    form = client.get(link_in(message)).forms['form']
    form['password'] = form['confirm'] = 'a long new password 7'
    home = form.submit(status=302).follow().follow()
    assert home.request.path == '/clients/%s/mine' % client_id
    assert 'Hi Juniper' in home.text
    # Single use: the link is spent.
    assert client.get(link_in(message), status=410)
    assert state_of(clinic, client_id)[1][2] is True
    assert 'can sign in to their own page' in therapist.get('/clients/%s/' % client_id).text


def test_the_invitation_is_in_the_language_the_therapist_gave(app, clinic):
    therapist, client_id = new_client(app, clinic, 14)
    since = time.time_ns()
    invite(therapist, client_id, language='es')
    (message,) = [m for m in mails_since(since) if m['To'] == KID]
    text = mail_text(message)
    assert 'Hola' in text and '/welcome/' in text
    for private in ('Juniper', 'Quill', 'terap', 'cliente'):
        assert private.lower() not in text.lower()
    with clinic() as c:
        assert c['users'].find_by_email(KID).language == 'es'


def test_below_the_clinics_age_the_offer_is_refused_with_the_reason(app, clinic, demo):
    therapist = sign_in(app, THERAPIST)
    page = therapist.get('/clients/%s/own-account' % demo.lucia)     # Lucia is 9
    assert 'The client is 9. The clinic offers a client their own sign-in from age 12' \
        in page.text
    assert 'form' not in page.forms
    res = therapist.post('/clients/%s/own-account' % demo.lucia,
                         {'csrf_token': csrf_of(page), 'email': KID, 'invite_client': ''},
                         status=400)
    assert 'from age 12' in res.text
    assert state_of(clinic, demo.lucia) == (None, None)
    # The clinic's setting decides.
    with clinic() as c:
        c.settings.own_account_age = 9
    assert 'form' in therapist.get('/clients/%s/own-account' % demo.lucia).forms


@pytest.mark.parametrize('owner', ['therapist', 'guardian', 'adolescent', 'admin'])
def test_an_address_that_is_not_the_clients_own_is_refused_alike(app, clinic, demo, owner):
    """A colleague's, a parent's, another client's: one sentence that
    does not say which, and nothing changes."""
    with clinic() as c:
        c.settings.own_account_age = 9
        before = c['users'].find_by_email(ROLE_EMAILS[owner]).roles
    res = invite(sign_in(app, THERAPIST), demo.lucia, ROLE_EMAILS[owner], status=400)
    error = res.html.select_one('.item-email').text
    assert NOT_AVAILABLE in error
    assert state_of(clinic, demo.lucia)[0] is None
    with clinic() as c:
        account = c['users'].find_by_email(ROLE_EMAILS[owner])
        assert account.roles == before
        assert account.client_id in (None, demo.mateo)


def test_an_unlinked_client_account_is_linked_without_mail(app, clinic, demo):
    """The admin made an 'Adolescent client' account that has a password:
    the therapist links it by its address."""
    from minorconsent.accounts import User
    with clinic() as c:
        account = User(KID, 'Juniper Quill', ['adolescent'])
        account.password_hash = c['users'][demo.user_ids['adolescent']].password_hash
        c['users'].add_user(account)
    therapist, client_id = new_client(app, clinic, 13)
    since = time.time_ns()
    page = invite(therapist, client_id).follow()
    assert 'The account is linked.' in page.text
    assert [m for m in mails_since(since) if m['To'] == KID] == []
    teen = sign_in(app, KID)
    assert teen.get('/').follow().request.path == '/clients/%s/mine' % client_id


def test_no_invitation_where_the_clients_preferences_say_no_email(app, clinic):
    therapist, client_id = new_client(app, clinic, 14)
    with clinic() as c:
        c['clients'][client_id].contact.email_ok = False
    res = invite(therapist, client_id, status=400)
    assert "contact preferences say no email" in res.html.select_one('.item-email').text
    assert state_of(clinic, client_id) == (None, None)


def test_ending_the_own_sign_in_signs_the_client_out_at_once(app, clinic, demo):
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    mine = '/clients/%s/mine' % demo.mateo
    assert teen.get(mine).status_int == 200
    assert teen.get('/password').status_int == 200
    therapist = sign_in(app, THERAPIST)
    page = therapist.get('/clients/%s/own-account' % demo.mateo)
    assert ROLE_EMAILS['adolescent'] in page.text
    done = therapist.post('/clients/%s/own-account-end' % demo.mateo,
                          {'csrf_token': csrf_of(page)}).follow()
    assert "The client's own sign-in is ended." in done.text
    # The session is gone: even a page every signed-in person may open
    # sends the old browser to sign in.
    res = teen.get('/password', expect_errors=True)
    assert res.status_int == 302 and '/login' in res.location
    with clinic() as c:
        assert c['clients'][demo.mateo].self_account_id is None
        account = c['users'][demo.user_ids['adolescent']]
        assert account.client_id is None and account.roles == ('adolescent',)
    # Signed in again, the page is not theirs any more: as if it did not exist.
    again = sign_in(app, ROLE_EMAILS['adolescent'])
    assert again.get(mine, expect_errors=True).status_int == 404
    # Linked again by the same address, it works again.
    invite(therapist, demo.mateo, ROLE_EMAILS['adolescent']).follow()
    assert again.get(mine).status_int == 200


def test_a_link_sent_before_the_sign_in_ended_no_longer_works(app, clinic):
    therapist, client_id = new_client(app, clinic, 15)
    since = time.time_ns()
    page = invite(therapist, client_id).follow()
    (message,) = [m for m in mails_since(since) if m['To'] == KID]
    therapist.post('/clients/%s/own-account-end' % client_id, {'csrf_token': csrf_of(page)})
    assert 'no longer valid' in new_browser(app).get(link_in(message), status=410).text


def test_a_new_link_replaces_the_old_one(app, clinic):
    therapist, client_id = new_client(app, clinic, 15)
    since = time.time_ns()
    page = invite(therapist, client_id).follow()
    therapist.post('/clients/%s/own-account-resend' % client_id,
                   {'csrf_token': csrf_of(page)}).follow()
    first, second = [m for m in mails_since(since) if m['To'] == KID]
    from support import audit_entries
    assert [e for e in audit_entries(app) if e['action'] == 'client.own_account_link_sent'
            and e['record'] == client_id]
    browser = new_browser(app)
    assert browser.get(link_in(first), status=410)
    assert 'form' in browser.get(link_in(second)).forms


def test_the_admin_sees_a_client_account_never_whose(app, clinic):
    therapist, client_id = new_client(app, clinic, 14)
    invite(therapist, client_id)
    users = sign_in(app, ROLE_EMAILS['admin']).get('/users/')
    assert 'Client account' in users.text
    assert 'Juniper' not in users.text and 'Quill' not in users.text
    assert KID not in users.text


def test_the_page_says_what_changes_at_majority(app, clinic, demo):
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    mine = '/clients/%s/mine' % demo.mateo
    page = teen.get(mine)
    assert 'You are an adult now' not in page.text
    assert 'Your parents or\n      guardians only see broad goals' in page.text or \
        'only see broad goals' in page.text
    with clinic() as c:
        c.settings.age_of_majority = c['clients'][demo.mateo].age()
    page = teen.get(mine)
    assert 'You are an adult now' in page.text
    assert 'no longer see anything about you' in page.text
    assert 'only see broad goals' not in page.text


def test_a_real_client_signs_their_own_consent_at_majority(app, clinic):
    """The hand-over steps, reachable for a client made through the forms
    (before, only the seeded demo teen had an own account)."""
    from support import radio
    therapist, client_id = new_client(app, clinic, 17)
    since = time.time_ns()
    invite(therapist, client_id)
    (message,) = [m for m in mails_since(since) if m['To'] == KID]
    client = new_browser(app)
    form = client.get(link_in(message)).forms['form']
    form['password'] = form['confirm'] = 'a long new password 7'
    form.submit(status=302)
    with clinic() as c:
        c.settings.age_of_majority = 17          # the client turns of age
    assert 'You are an adult now' in client.get('/clients/%s/mine' % client_id).text
    form = therapist.get('/clients/%s/add-agreement' % client_id).forms['form']
    form[radio(form)] = 'consent'
    form['minor_consents'] = True
    page = form.submit().follow()
    with clinic() as c:
        (ref,) = c['clients'][client_id]['agreements'].keys()
    therapist.post('/clients/%s/agreements/%s/step' % (client_id, ref),
                   {'csrf_token': csrf_of(page), 'step': 'send'}, status=302)
    mine = client.get('/clients/%s/mine' % client_id)
    assert 'Waiting for your signature' in mine.text
    page = client.get('/clients/%s/agreements/%s/family' % (client_id, ref))
    records = page.forms['electronic-records']      # first: the E-SIGN disclosure
    records['agreed'] = True
    form = records.submit().follow().forms['sign']
    form['typed_name'] = 'Juniper Quill'
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    form.submit(status=302)
    with clinic() as c:
        agreement = c['clients'][client_id]['agreements'][ref]
        assert agreement.state == 'active' and agreement.minor_consents


def test_a_former_clients_account_is_never_handed_to_another_client(app, clinic, demo):
    """Found in review: after Mateo's sign-in ended, a therapist of
    another family who typed his address linked it silently, and Mateo's
    password then opened the other child's page.  Refused alike, and only
    Mateo's own record may take the account back."""
    therapist = sign_in(app, THERAPIST)
    page = therapist.get('/clients/%s/own-account' % demo.mateo)
    therapist.post('/clients/%s/own-account-end' % demo.mateo, {'csrf_token': csrf_of(page)})
    other, client_id = new_client(app, clinic, 14)
    res = invite(other, client_id, ROLE_EMAILS['adolescent'], status=400)
    assert NOT_AVAILABLE in res.html.select_one('.item-email').text
    assert state_of(clinic, client_id, ROLE_EMAILS['adolescent'])[0] is None
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    assert teen.get('/clients/%s/mine' % client_id, expect_errors=True).status_int == 404
    invite(therapist, demo.mateo, ROLE_EMAILS['adolescent']).follow()     # his own: yes
    assert teen.get('/clients/%s/mine' % demo.mateo).status_int == 200


def test_a_no_email_guardian_is_not_told_apart_from_any_other_account(app, clinic, demo):
    """Found in review: the no-email answer came before the address check,
    so it told a therapist that this address is a guardian whose records
    say no email (often a safety flag)."""
    with clinic() as c:
        c.settings.own_account_age = 9
        step = c['users'][demo.stepparent]
        step.password_hash = None
        for child in c['clients'].children_of(demo.stepparent):
            child['guardians'][demo.stepparent].contact.email_ok = False
    therapist = sign_in(app, THERAPIST)
    for address in ('stepparent@demo.test', ROLE_EMAILS['supervisor']):
        res = invite(therapist, demo.lucia, address, status=400)
        error = res.html.select_one('.item-email').text
        assert NOT_AVAILABLE in error and 'no email' not in error, address
