"""Invitations: what the email says, single use, expiry, and the journey
of a guardian without an account."""
import email
import email.header
import os
import re
import time
from datetime import timedelta

import transaction
from pyramid_mailer.mailer import Mailer
from pyramid_mailer.message import Message

from minorconsent.site.mail import FileMailer
from support import MAIL_DIR, ROLE_EMAILS, csrf_of, new_browser, sign_in

THERAPY_WORDS = ('therap', 'counsel', 'treatment', 'mental', 'consent', 'Alvarez',
                 'Lucia', 'Reyes', 'client', 'child')


def mails_to(address, since_ns):
    found = []
    for name in sorted(os.listdir(MAIL_DIR)):
        if int(name.split('-')[0]) < since_ns:
            continue
        with open(os.path.join(MAIL_DIR, name), 'rb') as f:
            message = email.message_from_bytes(f.read())
        if address in message['To']:
            found.append(message)
    return found


def body_of(message):
    part = message.get_payload(decode=True) if not message.is_multipart() else \
        message.get_payload(0).get_payload(decode=True)
    return part.decode('utf-8')


def send_new_consent(app, clinic, demo, client_id):
    """The therapist starts and sends a consent; returns its path."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % client_id
    form = therapist.get(client + 'add-agreement').forms['form']
    page = form.submit().follow()
    with clinic() as c:
        ref = [a.__name__ for a in c['clients'][client_id]['agreements'].values()
               if a.state == 'draft'][0]
    path = client + 'agreements/%s/' % ref
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'send'})
    return therapist, path, ref


def link_in(message):
    return re.search(r'http://localhost(/invite/\S+)', body_of(message)).group(1)


def test_the_email_says_nothing_about_therapy_and_only_a_hash_is_stored(app, clinic, demo):
    since = time.time_ns()
    send_new_consent(app, clinic, demo, demo.lucia)
    (message,) = mails_to(ROLE_EMAILS['guardian'], since)
    subject = str(email.header.make_header(email.header.decode_header(message['Subject'])))
    text = subject + body_of(message)
    assert subject == 'A document to review — Family Portal'
    for word in THERAPY_WORDS:
        assert word.lower() not in text.lower(), word
    token = link_in(message).split('/')[-1]
    with clinic() as c:
        assert token not in repr(dict(c.invitations.by_hash.items()))
        assert c.invitations.find(token).status() == 'valid'


def test_a_new_guardian_creates_an_account_through_the_link_and_signs(app, clinic, demo):
    from minorconsent.accounts import User
    from minorconsent.clients import link_guardian
    with clinic() as c:
        aunt = User('aunt.demo@demo.test', 'Aunt Demo', ['guardian'])
        c['users'].add_user(aunt)
        link_guardian(c, c['clients'][demo.lucia], aunt, 'legal-guardian', True)
    since = time.time_ns()
    therapist, path, ref = send_new_consent(app, clinic, demo, demo.lucia)
    (message,) = mails_to('aunt.demo@demo.test', since)
    link = link_in(message)
    visitor = new_browser(app)
    page = visitor.get(link)
    assert 'Choose a password for aunt.demo@demo.test' in page.text
    form = page.forms['form']
    form['password'] = 'short'
    form['confirm'] = 'short'
    assert 'at least 12' in form.submit(status=400).text.lower()
    form = visitor.get(link).forms['form']
    form['password'] = form['confirm'] = 'my own long passphrase'
    res = form.submit()
    assert res.location.endswith(path + 'family')
    # First the disclosure about electronic documents, once.
    form = res.follow().forms['electronic-records']
    form['agreed'] = True
    form = form.submit().follow().forms['sign']
    form['typed_name'] = 'Aunt Demo'
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    form.submit()
    # Both legal guardians (the mother and the aunt) must sign: one is in,
    # signed in through the single-use link.
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert aunt.__name__ in agreement.signatures and agreement.state == 'sent'
        assert agreement.signatures[aunt.__name__].authenticated_by == 'single-use-link'
    # The link worked once.
    again = new_browser(app).get(link, status=410)
    assert 'already been used' in again.text


def test_altered_expired_and_cancelled_links_explain_and_change_nothing(app, clinic, demo):
    since = time.time_ns()
    therapist, path, ref = send_new_consent(app, clinic, demo, demo.lucia)
    (message,) = mails_to(ROLE_EMAILS['guardian'], since)
    link = link_in(message)
    visitor = new_browser(app)
    assert 'not valid' in visitor.get(link[:-3] + 'abc', status=404).text
    assert 'not valid' in visitor.get('/invite/x/y', status=404).text
    # Resending cancels the first link.
    page = therapist.get(path)
    therapist.post(path + 'invitations', {'csrf_token': csrf_of(page), 'action': 'resend'})
    assert 'no longer valid' in visitor.get(link, status=410).text
    newest = link_in(mails_to(ROLE_EMAILS['guardian'], since)[-1])
    with clinic() as c:
        invitation = c.invitations.find(newest.split('/')[-1])
        invitation.expires = invitation.created - timedelta(seconds=1)
    assert 'expired' in visitor.get(newest, status=410).text
    with clinic() as c:
        assert c.invitations.find(newest.split('/')[-1]).used is None


def test_an_existing_account_is_asked_to_sign_in(app, clinic, demo):
    since = time.time_ns()
    send_new_consent(app, clinic, demo, demo.lucia)
    link = link_in(mails_to(ROLE_EMAILS['guardian'], since)[0])
    page = new_browser(app).get(link)
    assert 'Sign in with guardian@demo.test' in page.text
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    assert mother.get(link).location.endswith('/family')


def test_restricted_guardians_are_never_invited(app, clinic, demo):
    since = time.time_ns()
    send_new_consent(app, clinic, demo, demo.lucia)
    assert mails_to(ROLE_EMAILS['guardian_restricted'], since) == []


def test_mail_is_written_only_when_the_transaction_commits(tmp_path):
    mailer = Mailer(smtp_mailer=FileMailer(str(tmp_path)), default_sender='x@demo.test')
    tm = transaction.TransactionManager(explicit=True)
    bound = mailer.bind(transaction_manager=tm)
    tm.begin()
    bound.send(Message(subject='s', recipients=['a@demo.test'], body='b'))
    tm.abort()
    assert os.listdir(tmp_path) == []
    tm.begin()
    bound.send(Message(subject='s', recipients=['a@demo.test'], body='b'))
    tm.commit()
    assert len(os.listdir(tmp_path)) == 1


def test_the_therapist_cancels_the_invitations(app, clinic, demo):
    from support import audit_entries
    since = time.time_ns()
    therapist, path, ref = send_new_consent(app, clinic, demo, demo.lucia)
    (message,) = mails_to(ROLE_EMAILS['guardian'], since)
    link = link_in(message)
    token = link.split('/')[-1]
    # Only the client's own therapist may cancel: the supervisor is answered
    # as if there were nothing here, and nothing changes.
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    supervisor.post(path + 'invitations', {'csrf_token': csrf_of(supervisor.get(path)),
                                           'action': 'cancel'}, status=404)
    with clinic() as c:
        assert c.invitations.find(token).status() == 'valid'
    res = therapist.post(path + 'invitations', {'csrf_token': csrf_of(therapist.get(path)),
                                                'action': 'cancel'})
    assert res.status_int == 302 and res.location.endswith(path)
    assert 'cancelled' in res.follow().text          # the invitation list says so
    answer = new_browser(app).get(link, status=410)
    assert 'This link is no longer valid' in answer.text
    assert 'the document was withdrawn' in answer.text
    with clinic() as c:
        invitation = c.invitations.find(token)
        assert invitation.status() == 'cancelled' and invitation.used is None
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        # Nothing else changes: still waiting for the same signatures.
        assert agreement.state == 'sent' and len(agreement.signatures) == 0
        events = agreement.event_list()
        assert [e.kind for e in events][-1] == 'invitations cancelled'
        assert events[-1].actor_id == demo.user_ids['therapist']
    assert len(mails_to(ROLE_EMAILS['guardian'], since)) == 1     # nothing new was mailed
    cancelled = [e for e in audit_entries(app)
                 if e['action'] == 'agreement.invitations cancelled']
    assert [(e['actor'], e['record']) for e in cancelled] == [
        (demo.user_ids['therapist'], demo.lucia)]
    # The mother still finds the document waiting in her portal.
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    assert 'sign' in mother.get(path + 'family').forms


def link_new_guardian(therapist, client_id, email_address, name, language):
    form = therapist.get('/clients/%s/add-guardian' % client_id).forms['form']
    form['email'] = email_address
    form['display_name'] = name
    form['relationship'] = 'legal-guardian'
    form['legal_authority'] = True
    form['language'] = language
    assert form.submit().status_int == 302


def test_a_guardian_marked_spanish_gets_a_spanish_invitation(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    link_new_guardian(therapist, demo.lucia, 'rosa.demo@demo.test', 'Rosa Demo', 'es')
    link_new_guardian(therapist, demo.lucia, 'sam.demo@demo.test', 'Sam Demo', '')
    with clinic() as c:
        assert c['users'].find_by_email('rosa.demo@demo.test').language == 'es'
        assert c['users'].find_by_email('sam.demo@demo.test').language is None
    since = time.time_ns()
    send_new_consent(app, clinic, demo, demo.lucia)
    (spanish,) = mails_to('rosa.demo@demo.test', since)
    subject = str(email.header.make_header(email.header.decode_header(spanish['Subject'])))
    assert subject.startswith('Un documento para revisar')
    assert 'Abra este enlace para continuar' in body_of(spanish)
    assert 'You have a document' not in body_of(spanish)
    (english,) = mails_to('sam.demo@demo.test', since)
    assert 'You have a document to review' in body_of(english)


def test_a_language_the_guardian_chose_is_kept(app, clinic, demo):
    with clinic() as c:
        c['users'][demo.user_ids['guardian_other']].language = 'en'
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    link_new_guardian(therapist, demo.lucia, ROLE_EMAILS['guardian_other'], 'Chris Novak', 'es')
    with clinic() as c:
        assert c['users'][demo.user_ids['guardian_other']].language == 'en'
        assert demo.user_ids['guardian_other'] in c['clients'][demo.lucia]['guardians']
