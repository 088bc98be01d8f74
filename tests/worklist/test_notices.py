"""Staff notices (issue 17 item 4): each kind recorded once for the right
staff, mailed content-free ("Something in <portal> needs your attention"
and a link to the to-do list), immediately or in the daily digest; the
to-do page counts what is new since the last visit."""
import json
import os
import time
from datetime import date, timedelta

import pytest

from minorconsent.agreements.events import Signed
from minorconsent.agreements.signing import sign
from minorconsent.scripts.demo_families import agree_once
from minorconsent.security.policy import principals_for
from minorconsent.site.mail import queue_path
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire
from minorconsent.worklist.notices import DIGEST, store_of

from support import csrf_of, mail_text, mails_since, sign_in

#: What a staff mail must never say.
SECRETS = ('Mateo', 'Lucia', 'Alvarez', 'Rowan', 'Fairhaven', 'Ava', 'Novak', 'consent',
           'Consent', 'summary', 'Summary', 'disclosure', 'agreement', 'Agreement')


def actor(user):
    return Actor(user.__name__, principals_for(user))


def unseen(clinic, uid):
    """``[(kind, client id), ...]`` not yet seen by ``uid``."""
    with clinic() as c:
        notices = store_of(c).of(uid)
        return [(n.kind, n.client_id) for n in notices.unseen()] if notices else []


@pytest.fixture
def seen(app, clinic, demo):
    """Every staff member starts with nothing new (the seed's signatures
    are notices too), and their mail address on record."""
    with clinic() as c:
        for notices in store_of(c).notices.values():
            notices.mark_seen()
    return demo


def ours(messages):
    """The staff notices among ``messages`` (agreements/subscribers.py
    still sends its own note on a decline)."""
    return [m for m in messages if 'to-do list' in mail_text(m)]


def to(messages, address):
    return [m for m in messages if m['To'] == address]


def assert_content_free(message):
    text = mail_text(message)
    assert 'needs your attention' in text and 'http://localhost/todo' in text
    for word in SECRETS:
        assert word not in text, word


def ava_consent(c, demo):
    ava = c['clients'][demo.ava]
    return [a for a in ava['agreements'].values() if a.kind == 'consent'][0]


def test_a_decline_tells_the_therapist_once_content_free(app, clinic, seen, in_request):
    demo = seen
    before = time.time_ns()

    def decline(c, request):
        parent = c['users'][demo.user_ids['guardian_other']]
        fire(ava_consent(c, demo), 'decline', actor(parent), workflow_guards(app.registry))
    in_request(decline, as_user=demo.user_ids['guardian_other'])
    assert unseen(clinic, demo.user_ids['therapist_other']) == [('declined', demo.ava)]
    assert unseen(clinic, demo.user_ids['therapist']) == []
    mails = ours(mails_since(before))
    assert [m['To'] for m in mails] == ['therapist2@demo.test']
    assert_content_free(mails[0])


def test_a_withdrawal_on_the_family_page_tells_the_therapist(app, clinic, seen):
    """The whole way: the mother's Withdraw button, one notice, one mail."""
    demo = seen
    before = time.time_ns()
    mother = sign_in(app, 'guardian@demo.test')
    form = mother.get('/clients/%s/agreements/%s/family'
                      % (demo.mateo, demo.mateo_consent)).forms['revoke']
    form['comment'] = 'We are moving.'
    form.submit(status=302)
    assert unseen(clinic, demo.user_ids['therapist']) == [('revoked', demo.mateo)]
    mails = ours(mails_since(before))
    assert [m['To'] for m in mails] == ['therapist@demo.test']
    assert_content_free(mails[0])


def test_a_scripts_request_keeps_the_notice_and_mails_nobody(app, clinic, seen, in_request):
    demo = seen
    before = time.time_ns()

    def decline(c, request):
        parent = c['users'][demo.user_ids['guardian_other']]
        fire(ava_consent(c, demo), 'decline', actor(parent), workflow_guards(app.registry))
    in_request(decline)
    assert unseen(clinic, demo.user_ids['therapist_other']) == [('declined', demo.ava)]
    assert ours(mails_since(before)) == []


def test_a_revoke_tells_the_therapist(app, clinic, seen, in_request):
    demo = seen

    def revoke(c, request):
        mother = c['users'][demo.user_ids['guardian']]
        consent = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        fire(consent, 'revoke', actor(mother), workflow_guards(app.registry),
             comment='We changed our minds.')
    in_request(revoke, as_user=demo.user_ids['guardian'])
    assert unseen(clinic, demo.user_ids['therapist']) == [('revoked', demo.mateo)]


def test_a_signature_tells_the_therapist_not_another(app, clinic, seen, in_request):
    demo = seen
    before = time.time_ns()

    def sign_ava(c, request):
        parent = c['users'][demo.user_ids['guardian_other']]
        consent = ava_consent(c, demo)
        agree_once(parent)
        sign(c, app.registry, consent, parent, principals_for(parent), parent.display_name,
             True, True, consent.text_sha256, '192.0.2.9', 'test')
    in_request(sign_ava, as_user=demo.user_ids['guardian_other'])
    assert unseen(clinic, demo.user_ids['therapist_other']) == [('signed', demo.ava)]
    assert unseen(clinic, demo.user_ids['therapist']) == []
    mails = to(mails_since(before), 'therapist2@demo.test')
    assert len(mails) == 1
    assert_content_free(mails[0])


def test_a_signature_recorded_from_paper_is_not_news(app, clinic, seen, in_request):
    demo = seen

    def on_paper(c, request):
        registry = app.registry
        consent = ava_consent(c, demo)
        registry.notify(Signed(consent, demo.user_ids['guardian_other'], consent.created,
                               on_paper=True))
    in_request(on_paper, as_user=demo.user_ids['therapist_other'])
    assert unseen(clinic, demo.user_ids['therapist_other']) == []


def test_the_teen_asking_for_changes_tells_the_therapist(app, clinic, seen, in_request):
    demo = seen

    def ask(c, request):
        teen = c['users'][demo.user_ids['adolescent']]
        summary = c['clients'][demo.mateo]['summaries'][demo.mateo_review_summary]
        fire(summary, 'return_to_draft', actor(teen), workflow_guards(app.registry),
             comment='Please leave out the part about school.')
    in_request(ask, as_user=demo.user_ids['adolescent'])
    assert unseen(clinic, demo.user_ids['therapist']) == [('changes_asked', demo.mateo)]


def test_the_therapist_taking_it_back_to_draft_is_not_news(app, clinic, seen, in_request):
    demo = seen

    def back(c, request):
        therapist = c['users'][demo.user_ids['therapist']]
        summary = c['clients'][demo.mateo]['summaries'][demo.mateo_review_summary]
        fire(summary, 'return_to_draft', actor(therapist), workflow_guards(app.registry),
             comment='A typo.')
    in_request(back)
    assert unseen(clinic, demo.user_ids['therapist']) == []


def test_a_replayed_step_tells_nobody(app, clinic, seen, in_request):
    demo = seen

    def replay(c, request):
        parent = c['users'][demo.user_ids['guardian_other']]
        fire(ava_consent(c, demo), 'decline', actor(parent), workflow_guards(app.registry),
             announce=False)
    in_request(replay)
    assert unseen(clinic, demo.user_ids['therapist_other']) == []


def test_documents_waiting_for_the_supervisor_tell_the_supervisor_once(app, clinic, seen,
                                                                        daily):
    demo = seen
    before = time.time_ns()
    today = date.today()
    outcome = daily(today, 'staff-awaiting')['staff-awaiting']
    assert outcome.status == 'done' and outcome.report == {'supervisors told': 2}
    assert unseen(clinic, demo.user_ids['supervisor']) == [
        ('awaiting_supervisor', demo.mateo)] * 2
    assert unseen(clinic, demo.user_ids['therapist']) == []
    mails = mails_since(before)
    assert [m['To'] for m in mails] == ['supervisor@demo.test'] * 2
    for mail in mails:
        assert_content_free(mail)
    # The next day: the same documents, already told.
    assert daily(today + timedelta(days=1), 'staff-awaiting')['staff-awaiting'].report == {
        'supervisors told': 0}


def test_the_daily_digest_instead_of_immediate_mail(app, clinic, seen, in_request, daily):
    demo = seen
    tid = demo.user_ids['therapist_other']
    with clinic() as c:
        store_of(c).set_preference(tid, DIGEST)
    before = time.time_ns()

    def decline(c, request):
        parent = c['users'][demo.user_ids['guardian_other']]
        consent = ava_consent(c, demo)
        agree_once(parent)
        sign(c, app.registry, consent, parent, principals_for(parent), parent.display_name,
             True, True, consent.text_sha256, '192.0.2.9', 'test')
    in_request(decline, as_user=demo.user_ids['guardian_other'])
    assert to(mails_since(before), 'therapist2@demo.test') == []
    today = date.today()
    assert daily(today, 'staff-digest')['staff-digest'].report == {'digests sent': 1}
    mails = to(mails_since(before), 'therapist2@demo.test')
    assert len(mails) == 1
    assert_content_free(mails[0])
    assert '(1 new since the last digest)' in mail_text(mails[0])
    # Once a day, and nothing when nothing new happened.
    assert daily(today, 'staff-digest')['staff-digest'].status == 'done before'
    assert daily(today + timedelta(days=1), 'staff-digest')['staff-digest'].report == {
        'digests sent': 0}
    assert len(to(mails_since(before), 'therapist2@demo.test')) == 1


def test_an_expired_invitation_tells_the_therapist_once(app, clinic, seen, daily):
    demo = seen
    with clinic() as c:
        days = c.settings.invitation_days
    later = date.today() + timedelta(days=days + 1)
    report = daily(later, 'staff-invitations')['staff-invitations'].report
    assert report == {'expired invitations told': 2, 'staff told': 2}
    kinds = unseen(clinic, demo.user_ids['therapist_other'])
    assert kinds == [('invitation_expired', demo.ava)]
    assert [k for k, _ in unseen(clinic, demo.user_ids['therapist'])] == ['invitation_expired']
    report = daily(later + timedelta(days=1), 'staff-invitations')['staff-invitations'].report
    assert report == {'expired invitations told': 0, 'staff told': 0}


def test_a_bounce_marks_the_address_and_tells_the_therapist_once(app, clinic, seen, daily):
    demo = seen
    failed = os.path.join(queue_path(app.registry.settings), 'failed')
    os.makedirs(failed, exist_ok=True)
    name = 'bounce-test-%d' % time.time_ns()
    with open(os.path.join(failed, name), 'w') as f:
        f.write('Subject: x\n\nbody\n')
    with open(os.path.join(failed, name + '.json'), 'w') as f:
        json.dump({'to': 'guardian2@demo.test', 'attempts': 9, 'last_error': '550'}, f)
    today = date.today()
    try:
        report = daily(today, 'bounces')['bounces'].report
        again = daily(today + timedelta(days=1), 'bounces')['bounces'].report
    finally:
        os.remove(os.path.join(failed, name))
        os.remove(os.path.join(failed, name + '.json'))
    assert report['addresses marked'] == 1 and report['staff told'] == 1
    assert again['staff told'] == 0 and again['addresses marked'] == 0
    with clinic() as c:
        assert c['users'][demo.user_ids['guardian_other']].mail_undeliverable == today
    assert unseen(clinic, demo.user_ids['therapist_other']) == [('bounced', demo.ava)]


def test_the_to_do_page_counts_what_is_new_since_the_last_visit(app, clinic, seen, in_request):
    demo = seen

    def decline(c, request):
        parent = c['users'][demo.user_ids['guardian_other']]
        fire(ava_consent(c, demo), 'decline', actor(parent), workflow_guards(app.registry))
    in_request(decline, as_user=demo.user_ids['guardian_other'])
    browser = sign_in(app, 'therapist2@demo.test')
    first = browser.get('/todo')
    assert '1 new since your last visit' in first.text
    assert 'A family member declined an agreement' in first.text
    assert 'href="http://localhost/clients/%s"' % demo.ava in first.text
    assert '0 new since your last visit' in browser.get('/todo').text


def test_the_preference_page(app, clinic, seen):
    demo = seen
    browser = sign_in(app, 'therapist@demo.test')
    page = browser.get('/notice-preferences')
    token = csrf_of(page)
    bad = browser.post('/notice-preferences', {'csrf_token': token, 'delivery': 'weekly',
                                               'save': 'save'}, status=400)
    assert 'is not one of' in bad.text or 'Choose' in bad.text
    with clinic() as c:
        assert store_of(c).preference(demo.user_ids['therapist']) == 'immediate'
    done = browser.post('/notice-preferences', {'csrf_token': token, 'delivery': DIGEST,
                                                'save': 'save'}, status=302)
    assert done.location.endswith('/todo')
    with clinic() as c:
        assert store_of(c).preference(demo.user_ids['therapist']) == DIGEST
