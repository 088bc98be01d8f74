"""Contact preferences, enforced for what the app sends and shown to staff.

A guardian who told the clinic "no email" may share or have a watched
inbox: a password-reset link sent there would let whoever reads it take
the account.  So the reset honours the preference like invitations and
notifications do, and the page answers exactly as for any address.
"""
import time

from support import ROLE_EMAILS, mails_since, new_browser, sign_in


def forgot(app, email):
    browser = new_browser(app)
    page = browser.get('/forgot-password')
    form = page.forms['form']
    form['email'] = email
    return page, form.submit()


def set_contact(clinic, demo, client_id, **values):
    with clinic() as c:
        contact = c['clients'][client_id]['guardians'][demo.user_ids['guardian']].contact
        for key, value in values.items():
            setattr(contact, key, value)


def test_a_guardian_who_refuses_email_gets_no_reset_link_and_the_same_answer(
        app, clinic, demo):
    since = time.time_ns()
    _, sent = forgot(app, ROLE_EMAILS['guardian'])
    assert [m['To'] for m in mails_since(since)] == [ROLE_EMAILS['guardian']]  # the control

    # "No email" on one child's record is enough: it is the same inbox.
    set_contact(clinic, demo, demo.lucia, email_ok=False)
    since = time.time_ns()
    page, refused = forgot(app, ROLE_EMAILS['guardian'])
    _, unknown = forgot(app, 'nobody-here@demo.test')
    assert mails_since(since) == []
    for res in (refused, unknown):
        assert (res.status_int, res.location) == (sent.status_int, sent.location)
        assert res.headers.getall('Set-Cookie') == sent.headers.getall('Set-Cookie')
        assert res.body == sent.body
    # Where to turn instead is on the page itself, for everyone.
    with clinic() as c:
        phone = c.settings.contact_phone
    assert 'If you asked the clinic not to email you, no link is sent' in page.text
    assert phone in page.text
    with clinic() as c:
        assert c.password_resets.by_user.get(demo.user_ids['guardian']) is not None
        mother_links = len(c.password_resets.by_hash)
    forgot(app, ROLE_EMAILS['guardian'])
    with clinic() as c:                      # no new link was even issued
        assert len(c.password_resets.by_hash) == mother_links


def test_an_adolescent_who_refuses_email_gets_no_reset_link(app, clinic, demo):
    with clinic() as c:
        c['clients'][demo.mateo].contact.email_ok = False
    since = time.time_ns()
    forgot(app, ROLE_EMAILS['adolescent'])
    assert mails_since(since) == []


def card_of(page, name):
    (card,) = [li for li in page.html.select('ul.cards > li.card') if name in li.text]
    return [li.get_text(' ', strip=True) for li in card.select('ul.channels li')]


def test_the_client_page_shows_every_channel_of_each_guardian(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    set_contact(clinic, demo, demo.mateo, email_ok=False, sms_ok=True, phone_ok=False,
                voicemail_ok=False)
    channels = card_of(therapist.get('/clients/%s/' % demo.mateo), 'Elena Alvarez')
    assert channels[0].startswith('No email')
    assert channels[1:] == ['Texts allowed', 'No calls', 'Do not leave voicemail']
    set_contact(clinic, demo, demo.mateo, email_ok=True, sms_ok=False, phone_ok=True,
                voicemail_ok=True)
    channels = card_of(therapist.get('/clients/%s/' % demo.mateo), 'Elena Alvarez')
    assert channels == ['Email allowed', 'No texts', 'Calls allowed', 'Voicemail allowed']
