"""One "may we email this person" rule (``minorconsent.clients.contact``),
applied to every mail the app sends.

Three rules used to disagree: the password reset counted a "no email" on
any of a guardian's records, while invitations and "something new"
notices read only the record of the child concerned, so a mother who
said "no email" on one child's record was still mailed about his sister.
The table below drives each sender through HTTP, once with every record
allowing email (the control: the mail goes) and once with a "no email" on
one record of the recipient (nothing goes to them).
"""
import ast
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from pyramid.scripting import prepare

from minorconsent.agreements import act, start_agreement
from minorconsent.agreements.invitations import people_to_invite
from minorconsent.security.policy import principals_for
from minorconsent.site.daily import as_of, run_daily
from minorconsent.site.mail import send
from minorconsent.workflow.engine import Actor
from support import ROLE_EMAILS, csrf_of, mails_since, new_browser, sign_in

PACKAGE = Path(__file__).resolve().parents[2] / 'minorconsent'
GUARDIAN = ROLE_EMAILS['guardian']           # Elena: mother of Mateo and Lucia
TEEN = ROLE_EMAILS['adolescent']             # Mateo's own account
THERAPIST = ROLE_EMAILS['therapist']
NEW_ADDRESS = 'elena.new@example.org'


def say_no(clinic, demo, record, who):
    """"No email" on one record: Elena's link to ``record`` ('mateo' or
    'lucia'), or Mateo's own record (``who='self'``)."""
    with clinic() as c:
        client = c['clients'][getattr(demo, record)]
        contact = client.contact if who == 'self' else \
            client['guardians'][demo.user_ids['guardian']].contact
        contact.email_ok = False


# --- the senders -----------------------------------------------------------------

def password_reset(email):
    def trigger(app, clinic, demo):
        form = new_browser(app).get('/forgot-password').forms['form']
        form['email'] = email
        form.submit(status=302)
    return trigger


def address_confirmation(app, clinic, demo):
    form = sign_in(app, GUARDIAN).get('/password').forms['email']
    form['new_email'], form['current'] = NEW_ADDRESS, 'demo-password-1'
    form.submit(expect_errors=True)        # refused (400) when no link can be mailed


def address_change_notice(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/%s/edit' % demo.user_ids['guardian']).forms['form']
    form['email'], form['current'] = NEW_ADDRESS, 'demo-password-1'
    form.submit(status=302)


def send_consent(record):
    def trigger(app, clinic, demo):
        therapist = sign_in(app, THERAPIST)
        client = '/clients/%s/' % getattr(demo, record)
        page = therapist.get(client + 'add-agreement').forms['form'].submit().follow()
        with clinic() as c:
            (ref,) = [a.__name__ for a in c['clients'][getattr(demo, record)]['agreements'].values()
                      if a.state == 'draft']
        therapist.post(client + 'agreements/%s/step' % ref,
                       {'csrf_token': csrf_of(page), 'step': 'send'}, status=302)
    return trigger


def publish_summary(app, clinic, demo):
    therapist = sign_in(app, THERAPIST)
    client = '/clients/%s/' % demo.mateo
    form = therapist.get(client + 'add-summary').forms['form']
    form['period'], form['parent_text'] = 'Spring', 'Practising the plan.'
    page = form.submit().follow()
    with clinic() as c:
        (ref,) = [s.__name__ for s in c['clients'][demo.mateo]['summaries'].values()
                  if s.period == 'Spring']
    therapist.post(client + 'summaries/%s/step' % ref,
                   {'csrf_token': csrf_of(page), 'step': 'publish'}, status=302)


def revoke_consent(app, clinic, demo):
    mother = sign_in(app, GUARDIAN)
    path = '/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent)
    form = mother.get(path).forms['revoke']
    form['comment'] = 'We are moving.'
    form.submit(status=302)


def second_factor_notice(app, clinic, demo):
    """A guardian sets up two-step sign-in: the content-free notice."""
    import re
    import pyotp
    start = sign_in(app, GUARDIAN).get('/two-factor').forms['start']
    start['current'] = 'demo-password-1'
    page = start.submit('start').follow()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text).group(1)
    form = page.forms['confirm']
    form['code'] = pyotp.TOTP(secret.replace(' ', '')).now()
    assert 'Your recovery codes' in form.submit().text


def own_sign_in_link(app, clinic, demo):
    """A new set-up link for Mateo's own account, not yet used."""
    with clinic() as c:
        c['users'][demo.user_ids['adolescent']].password_hash = None
    therapist = sign_in(app, THERAPIST)
    page = therapist.get('/clients/%s/own-account' % demo.mateo)
    therapist.post('/clients/%s/own-account-resend' % demo.mateo,
                   {'csrf_token': csrf_of(page)}, status=(302, 303))


#: (what, sender module, who receives it, the record that says "no",
#:  what triggers it).  A mail about a child and a mail about no child
#:  follow the same rule: any "no email" of the recipient is a "no".
def reminder_due(app, clinic, demo):
    """A consent about Lucia sent today; the daily job three days on."""
    with clinic() as c:
        therapist = c['users'][demo.user_ids['therapist']]
        agreement = start_agreement(c, c['clients'][demo.lucia], 'consent', therapist.__name__)
        act(agreement, app.registry, 'send', Actor(therapist.__name__, principals_for(therapist)))
        sent = as_of(date.today(), c.settings)
        for person in people_to_invite(agreement, c['users']):
            c.invitations.issue(agreement, person, c.settings.invitation_days, sent)
        run_at = as_of(date.today() + timedelta(days=3), c.settings)
    env = prepare(registry=app.registry)
    try:
        run_daily(env['request'], run_at, only=('reminders',))
    finally:
        env['closer']()


SENDERS = [
    ('password reset: guardian, "no" on another child', 'accounts/reset.py',
     GUARDIAN, ('lucia', 'guardian'), password_reset(GUARDIAN)),
    ('password reset: adolescent, "no" on their own record', 'accounts/reset.py',
     TEEN, ('mateo', 'self'), password_reset(TEEN)),
    ('address change: link to the new address', 'accounts/emailchange.py',
     NEW_ADDRESS, ('lucia', 'guardian'), address_confirmation),
    ('address change: notice to the old address', 'accounts/emailchange.py',
     GUARDIAN, ('mateo', 'guardian'), address_change_notice),
    ('invitation to sign about Lucia, "no" on Mateo\'s record', 'agreements/invitations.py',
     GUARDIAN, ('mateo', 'guardian'), send_consent('lucia')),
    ('invitation to assent, "no" on the teen\'s own record', 'agreements/invitations.py',
     TEEN, ('mateo', 'self'), send_consent('mateo')),
    ('reminder to sign about Lucia, "no" on Mateo\'s record', 'reminders/sending.py',
     GUARDIAN, ('mateo', 'guardian'), reminder_due),
    ('"something new" about Mateo, "no" on Lucia\'s record', 'summaries/notify.py',
     GUARDIAN, ('lucia', 'guardian'), publish_summary),
    ('own sign-in set-up link, "no" on the teen\'s own record', 'accounts/setup.py',
     TEEN, ('mateo', 'self'), own_sign_in_link),
    ('second factor changed', 'accounts/factorchange.py',
     GUARDIAN, ('lucia', 'guardian'), second_factor_notice),
]

#: Mail to staff: no contact preferences, so a family's "no" changes nothing.
STAFF_SENDERS = [
    ('a document needs attention (to the therapist)', 'worklist/notices.py',
     THERAPIST, ('mateo', 'guardian'), revoke_consent),
]


def mails_to(address, since):
    return [m for m in mails_since(since) if m['To'] == address]


@pytest.mark.parametrize('preference', ['email allowed', 'no email'])
@pytest.mark.parametrize('what,module,recipient,record,trigger', SENDERS,
                         ids=[row[0] for row in SENDERS])
def test_every_mail_to_a_person_follows_the_one_rule(app, clinic, demo, preference,
                                                     what, module, recipient, record, trigger):
    if preference == 'no email':
        say_no(clinic, demo, *record)
    since = time.time_ns()
    trigger(app, clinic, demo)
    sent = mails_to(recipient, since)
    if preference == 'email allowed':
        assert len(sent) == 1, what          # the control: this row does send it
    else:
        assert sent == [], what


@pytest.mark.parametrize('what,module,recipient,record,trigger', STAFF_SENDERS,
                         ids=[row[0] for row in STAFF_SENDERS])
def test_mail_to_staff_ignores_a_familys_preference(app, clinic, demo, what, module,
                                                   recipient, record, trigger):
    say_no(clinic, demo, *record)
    since = time.time_ns()
    trigger(app, clinic, demo)
    assert len(mails_to(recipient, since)) >= 1
    assert mails_to(GUARDIAN, since) == []


#: The mail machinery itself: the request's side (queueing, the one rule)
#: and the sender's side (delivering the queue to the SMTP server).
MAIL_MODULES = ('site/mail.py', 'site/delivery.py')


def test_the_table_covers_every_module_that_sends_mail():
    """A new sender without a row here fails: add it to the table."""
    senders, direct = set(), set()
    for path in PACKAGE.rglob('*.py'):
        name = path.relative_to(PACKAGE).as_posix()
        if name in MAIL_MODULES:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == 'minorconsent.site.mail' \
                    and any(alias.name == 'send' for alias in node.names):
                senders.add(name)
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) \
                else [node.module or ''] if isinstance(node, ast.ImportFrom) and not node.level \
                else []
            if any(m.split('.')[0] in ('pyramid_mailer', 'repoze', 'smtplib', 'email')
                   for m in modules):
                direct.add(name)
            if isinstance(node, ast.Attribute) and node.attr == 'mailer':
                direct.add(name)
    assert direct == set(), 'mail must leave through site.mail.send: %s' % direct
    assert senders == {row[1] for row in SENDERS + STAFF_SENDERS}


# --- the rule itself, and send() applying it ---------------------------------------

def test_the_rule_is_every_record_of_the_person(app, clinic, demo):
    from minorconsent.clients.contact import accepts_email
    with clinic() as c:
        users = c['users']
        mother, teen = users[demo.user_ids['guardian']], users[demo.user_ids['adolescent']]
        therapist = users[demo.user_ids['therapist']]
        assert accepts_email(c, mother) and accepts_email(c, teen)
        c['clients'][demo.lucia]['guardians'][mother.__name__].contact.email_ok = False
        assert not accepts_email(c, mother)          # for Mateo's mail too
        assert accepts_email(c, teen)                # the teen's own record says yes
        c['clients'][demo.mateo].contact.email_ok = False
        assert not accepts_email(c, teen)
        assert accepts_email(c, therapist)           # staff keep no preferences


def test_send_itself_refuses_a_person_who_said_no(app, clinic, demo):
    say_no(clinic, demo, 'lucia', 'guardian')
    since = time.time_ns()
    env = prepare(registry=app.registry)
    request = env['request']
    try:
        request.tm.begin()
        mother = request.clinic['users'][demo.user_ids['guardian']]
        other = request.clinic['users'][demo.user_ids['guardian_other']]
        assert send(request, mother, 'Subject', 'Body') is False
        assert send(request, GUARDIAN, 'Subject', 'Body') is False         # by address
        assert send(request, 'nobody@demo.test', 'Subject', 'Body') is False
        assert send(request, other, 'Subject', 'Body') is True
        request.tm.commit()
    finally:
        env['closer']()
    assert [m['To'] for m in mails_since(since)] == [other.email]
