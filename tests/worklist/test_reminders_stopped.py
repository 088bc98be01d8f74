"""The to-do list says why reminders stopped for a family (issue 17, bad
input: "a guardian with no email, a bounced address, a link restricted
mid-sequence: reminders stop, the therapist's list says why"), for
agreements still waiting only, in the same words for the admin's count."""
from datetime import date

import pytest

from minorconsent.reminders.model import pause, store_of
from minorconsent.security.policy import principals_for
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire
from minorconsent.worklist.model import clinic_counts, walked_counts, worklist_for

from support import sign_in

TODAY = date.today()


def ava_consent(c, demo):
    ava = c['clients'][demo.ava]
    return [a for a in ava['agreements'].values() if a.kind == 'consent'][0]


def stopped_of(clinic, demo, role='therapist_other'):
    with clinic() as c:
        worklist = worklist_for(c, c['users'][demo.user_ids[role]], TODAY)
        return [(i.client_id, i.what, i.detail) for i in worklist.items('stopped')]


def no_address(c, demo):
    c['users'][demo.user_ids['guardian_other']].email = ''


def bounced(c, demo):
    c['users'][demo.user_ids['guardian_other']].mail_undeliverable = TODAY


def restricted(c, demo):
    c['clients'][demo.ava]['guardians'][demo.user_ids['guardian_other']].restricted = True


def no_email_wanted(c, demo):
    """The family's record says "no email" (the clinic's one email rule,
    which the list asks through the registry as the mail does)."""
    c['clients'][demo.ava]['guardians'][demo.user_ids['guardian_other']].contact.email_ok = False


def all_sent(c, demo):
    record = store_of(c, create=True).record_for(ava_consent(c, demo),
                                                 demo.user_ids['guardian_other'])
    record.count = c.settings.reminder_max


def paused(c, demo):
    pause(c, c['clients'][demo.ava], 'Custody dispute, wait for the court',
          demo.user_ids['therapist_other'])


STOPS = [
    (no_address, 'no email address on file'),
    (bounced, 'the email address bounced'),
    (restricted, 'the link to the client was restricted'),
    (no_email_wanted, 'does not accept email'),
    (all_sent, 'all 3 reminders were sent and it is still unsigned'),
    (paused, 'paused: Custody dispute, wait for the court'),
]


def test_nothing_is_stopped_while_the_family_is_reminded(clinic, demo):
    assert stopped_of(clinic, demo) == []


@pytest.mark.parametrize('change, words', STOPS, ids=[f.__name__ for f, _ in STOPS])
def test_each_stop_says_why_in_plain_words(clinic, demo, change, words):
    with clinic() as c:
        change(c, demo)
        consent = ava_consent(c, demo)
        title = consent.title
        name = c['users'][demo.user_ids['guardian_other']].display_name
    assert stopped_of(clinic, demo) == [(demo.ava, title, '%s: %s' % (name, words))]
    # Never on another therapist's list; the supervisor of neither sees nothing.
    assert demo.ava not in {cid for cid, _w, _d in stopped_of(clinic, demo, 'therapist')}
    # The admin's number counts it, the indexed way and the slow way alike.
    with clinic() as c:
        assert clinic_counts(c, TODAY).count('stopped') == walked_counts(
            c, TODAY).count('stopped') == 1 + _others(c, demo)


def _others(c, demo):
    """Stops on the other therapist's caseload (a seed may make some)."""
    return len(worklist_for(c, c['users'][demo.user_ids['therapist']], TODAY).items('stopped'))


def test_only_while_the_agreement_waits(app, clinic, demo):
    """A declined agreement is done, not stuck: no line, whatever the
    address."""
    with clinic() as c:
        bounced(c, demo)
        parent = c['users'][demo.user_ids['guardian_other']]
        fire(ava_consent(c, demo), 'decline', Actor(parent.__name__, principals_for(parent)),
             workflow_guards(app.registry), announce=False)
    assert stopped_of(clinic, demo) == []


def test_the_page_says_why(app, clinic, demo):
    with clinic() as c:
        bounced(c, demo)
    page = sign_in(app, 'therapist2@demo.test').get('/todo')
    main = page.text[page.text.index('<main'):]
    assert 'Reminders stopped while an agreement waits (1)' in main
    assert 'the email address bounced' in main
    assert 'href="http://localhost/clients/%s"' % demo.ava in main
