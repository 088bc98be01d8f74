"""A document created straight into a state that waits for the supervisor
(issue 17 item 4): a therapist records a disclosure, it starts "awaiting
supervisor sign-off" without any step, and the supervisor is told at once
(``workflow.events.Started``) -- one content-free notice, immediate or in
the digest, never twice (the daily sweep finds it already told)."""
import time
from datetime import date

import pytest

from minorconsent.disclosures import record_disclosure
from minorconsent.workflow.events import Started
from minorconsent.worklist.model import walked_counts
from minorconsent.worklist.notices import DIGEST, store_of

from support import ROLE_EMAILS, mail_text, mails_since, radio, sign_in

TODAY = date.today()
#: What the supervisor's mail must never say: the child, the family, what
#: was disclosed and that it was a disclosure at all.
SECRETS = ('Mateo', 'Lucia', 'Alvarez', 'Ava', 'Novak', 'crisis', 'weekend', 'disclos',
           'Disclos', 'safety', 'Safety', 'sign-off', 'supervisor')
WORDS = 'We agreed he calls the crisis line this weekend.'


def unseen(clinic, uid):
    with clinic() as c:
        notices = store_of(c).of(uid)
        return [(n.kind, n.client_id) for n in notices.unseen()] if notices else []


def pending(clinic, uid):
    with clinic() as c:
        return [n.mail_pending for n in store_of(c).of(uid).unseen()]


@pytest.fixture
def seen(app, clinic, demo):
    """Every staff member starts with nothing new (the seed's notices)."""
    with clinic() as c:
        for notices in store_of(c).notices.values():
            notices.mark_seen()
    return demo


def record_on_the_page(app, demo, client_id):
    """The therapist's form: a safety disclosure to the mother."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-disclosure' % client_id).forms['form']
    form['reason'] = 'harm_self'
    form[radio(form)] = 'guardian'
    form['guardian_id'] = demo.user_ids['guardian']
    form['told_on'] = TODAY.isoformat()
    form['text'] = WORDS
    return form.submit(status=302).follow()


def seed_waiting(clinic):
    """How many of the seed's documents wait for a supervisor (a script
    started them: nobody was told yet)."""
    with clinic() as c:
        return walked_counts(c, TODAY).count('supervisor')


def staff_mails(messages, address):
    return [m for m in messages if m['To'] == address and 'to-do list' in mail_text(m)]


def test_a_recorded_disclosure_tells_the_supervisor_at_once(app, clinic, seen, daily):
    demo = seen
    seeded = seed_waiting(clinic)
    assert seeded >= 1
    before = time.time_ns()
    page = record_on_the_page(app, demo, demo.mateo)
    assert 'Awaiting supervisor sign-off' in page.text
    supervisor = demo.user_ids['supervisor']
    assert unseen(clinic, supervisor) == [('awaiting_supervisor', demo.mateo)]
    # The therapist who recorded it, and the other therapist, are not told.
    assert unseen(clinic, demo.user_ids['therapist']) == []
    assert unseen(clinic, demo.user_ids['therapist_other']) == []
    mails = mails_since(before)
    (mail,) = staff_mails(mails, 'supervisor@demo.test')
    text = mail_text(mail)
    assert 'needs your attention' in text and 'http://localhost/todo' in text
    for word in SECRETS:
        assert word not in text, word
    assert not [m for m in mails if m['To'] in ('therapist@demo.test', 'therapist2@demo.test')
                and 'to-do list' in mail_text(m)]
    # The daily sweep finds it told: only the seed's documents (which a
    # script started, so nobody was told of them) are news to it.
    report = daily(TODAY, 'staff-awaiting')['staff-awaiting'].report
    assert report == {'supervisors told': seeded}
    assert len(unseen(clinic, supervisor)) == seeded + 1
    assert len(staff_mails(mails_since(before), 'supervisor@demo.test')) == seeded + 1


def test_the_supervisor_who_chose_the_digest_gets_it_there(app, clinic, seen, daily):
    demo = seen
    supervisor = demo.user_ids['supervisor']
    with clinic() as c:
        store_of(c).set_preference(supervisor, DIGEST)
    before = time.time_ns()
    record_on_the_page(app, demo, demo.mateo)
    assert unseen(clinic, supervisor) == [('awaiting_supervisor', demo.mateo)]
    assert pending(clinic, supervisor) == [True]
    assert staff_mails(mails_since(before), 'supervisor@demo.test') == []
    assert daily(TODAY, 'staff-digest')['staff-digest'].report == {'digests sent': 1}
    (mail,) = staff_mails(mails_since(before), 'supervisor@demo.test')
    assert '(1 new since the last digest)' in mail_text(mail)
    for word in SECRETS:
        assert word not in mail_text(mail), word


def test_no_supervisor_no_notice(app, clinic, seen, in_request):
    """Ava's therapist has no supervisor: the system records the
    disclosure at once (``record_without_signoff``) and nobody is told."""
    demo = seen
    before = time.time_ns()

    def told_the_father(c, request):
        ava = c['clients'][demo.ava]
        gid = sorted(ava['guardians'].keys())[0]
        return record_disclosure(c, ava, app.registry, demo.user_ids['therapist_other'],
                                 'harm_self', 'guardian', WORDS, TODAY, guardian_id=gid).state
    assert in_request(told_the_father, as_user=demo.user_ids['therapist_other']) == 'recorded'
    with clinic() as c:
        told = {uid: n.unseen() for uid, n in store_of(c).notices.items()}
    assert not any(told.values())
    assert staff_mails(mails_since(before), 'supervisor@demo.test') == []


def test_a_scripts_start_is_left_to_the_daily_sweep(app, clinic, seen, in_request, daily):
    """An import or the seed (nobody signed in) tells nobody at once; the
    sweep tells the supervisor once, with mail."""
    demo = seen
    seeded = seed_waiting(clinic)
    before = time.time_ns()

    def by_script(c, request):
        record_disclosure(c, c['clients'][demo.mateo], app.registry, demo.user_ids['therapist'],
                          'harm_self', 'guardian', WORDS, TODAY,
                          guardian_id=demo.user_ids['guardian'])
    in_request(by_script)
    assert unseen(clinic, demo.user_ids['supervisor']) == []
    assert daily(TODAY, 'staff-awaiting')['staff-awaiting'].report == {
        'supervisors told': seeded + 1}
    assert len(staff_mails(mails_since(before), 'supervisor@demo.test')) == seeded + 1


def test_start_notifies_started_and_a_replay_tells_nobody(app, clinic, demo, in_request):
    """The engine's event, on every start; the subscriber heeds
    ``announce`` (a replayed start, like a replayed step, tells nobody)."""
    heard = []
    app.registry.registerHandler(heard.append, (Started,))
    supervisor = demo.user_ids['supervisor']
    try:
        def record(c, request):
            return record_disclosure(c, c['clients'][demo.mateo], app.registry,
                                     demo.user_ids['therapist'], 'harm_self', 'guardian', WORDS,
                                     TODAY, guardian_id=demo.user_ids['guardian']).__name__
        name = in_request(record, as_user=demo.user_ids['therapist'])
    finally:
        app.registry.unregisterHandler(heard.append, (Started,))
    (event,) = [e for e in heard if e.workflow_id == 'safety-disclosure']
    assert (event.state, event.actor_id, event.announce) == (
        'awaiting_signoff', demo.user_ids['therapist'], True)
    assert event.registry is app.registry and event.object.__name__ == name

    def forget_and_replay(c, request, announce):
        store = store_of(c)
        store.done.clear()
        store.of(supervisor).mark_seen()
        obj = c['clients'][demo.mateo]['disclosures'][name]
        app.registry.notify(Started(obj, event.workflow, obj.state, event.actor_id,
                                    event.now, app.registry, announce))
    in_request(lambda c, r: forget_and_replay(c, r, False), as_user=demo.user_ids['therapist'])
    assert unseen(clinic, supervisor) == []
    in_request(lambda c, r: forget_and_replay(c, r, True), as_user=demo.user_ids['therapist'])
    assert unseen(clinic, supervisor) == [('awaiting_supervisor', demo.mateo)]
