"""The reminders panel on the staff client page: who was reminded, how
often, when next or why not; "Send a reminder now"; pausing a family's
reminders with a reason, and resuming (issue 17 item 2)."""
import time

import pytest

from minorconsent.reminders.model import paused_clients
from minorconsent.site.clock import utcnow
from minorconsent.site.dates import local

from support import ROLE_EMAILS, audit_entries, csrf_of, sign_in
from reminder_support import day, link_in, mails, send_consent

MOTHER = ROLE_EMAILS['guardian']


def pauses(c):
    """``{client id: reason}`` of the paused families."""
    return {cid: pause.reason for cid, pause in paused_clients(c)}


@pytest.fixture
def seed_pauses(clinic, demo):
    """The pauses the seed made (the Fairhavens'), which the tests leave
    as they are."""
    with clinic() as c:
        found = pauses(c)
    assert list(found) == [demo.rowan]
    return found


@pytest.fixture
def waiting(app, clinic, demo, in_request, seed_pauses):
    """A consent for Lucia waits for her mother; quiet hours off, so the
    send-now button works whatever the hour the test runs."""
    with clinic() as c:
        c.settings.quiet_hours_start = c.settings.quiet_hours_end = 0
    ref, tokens = in_request(lambda c, r: send_consent(c, app.registry, demo.lucia,
                                                       demo.user_ids['therapist']))
    return '/clients/%s/' % demo.lucia, ref


def remind_now(browser, path, ref, person, **kw):
    page = browser.get(path)
    return browser.post(path + 'remind-now', {'csrf_token': csrf_of(page), 'agreement': ref,
                                              'person': person}, **kw)


def test_the_therapist_and_supervisor_see_the_panel(app, demo, waiting):
    path, ref = waiting
    therapist = sign_in(app, ROLE_EMAILS['therapist']).get(path)
    assert 'id="reminders-h"' in therapist.text
    assert 'Elena Alvarez' in therapist.text and '0 of 3' in therapist.text
    assert 'Send a reminder now' in therapist.text
    assert 'Pause reminders for this family' in therapist.text
    assert 'autofocus' not in therapist.text       # the page does not jump to the form
    supervisor = sign_in(app, ROLE_EMAILS['supervisor']).get(path)
    assert 'id="reminders-h"' in supervisor.text and '0 of 3' in supervisor.text
    assert 'Send a reminder now' not in supervisor.text
    assert 'Pause reminders' not in supervisor.text


def test_send_now_counts_as_one_and_moves_the_next_due(app, clinic, demo, waiting):
    path, ref = waiting
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    since = time.time_ns()
    res = remind_now(therapist, path, ref, demo.user_ids['guardian'])
    assert res.status_int == 302
    (mail,) = mails(since, MOTHER)
    assert 'waits for you' in mail.body and link_in(mail.body)
    page = therapist.get(path)
    assert '1 of 3' in page.text
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        record = c.reminders.get(agreement, demo.user_ids['guardian'])
        assert record.count == 1 and record.sent[0][1] == demo.user_ids['therapist']
        event = [e for e in agreement.event_list() if e.kind == 'reminded'][-1]
        assert event.actor_id == demo.user_ids['therapist']
        assert record.next_due.isoformat() in page.text


def test_send_now_is_refused_with_the_reason_when_the_person_may_not_be_reminded(
        app, clinic, demo, waiting):
    path, ref = waiting
    with clinic() as c:
        c['clients'][demo.lucia]['guardians'][demo.user_ids['guardian']].contact.email_ok = False
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    assert 'Stopped: does not accept email' in therapist.get(path).text
    since = time.time_ns()
    res = remind_now(therapist, path, ref, demo.user_ids['guardian'], status=400)
    assert 'does not accept email' in res.text
    assert mails(since) == []
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert c.reminders.get(agreement, demo.user_ids['guardian']) is None


def test_send_now_stops_at_the_most_reminders(app, clinic, demo, waiting):
    path, ref = waiting
    with clinic() as c:
        c.settings.reminder_max = 1
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    remind_now(therapist, path, ref, demo.user_ids['guardian'], status=302)
    since = time.time_ns()
    res = remind_now(therapist, path, ref, demo.user_ids['guardian'], status=400)
    assert 'all 1 reminders were sent already' in res.text
    assert mails(since) == []
    assert 'Stopped: every reminder was sent' in therapist.get(path).text


def test_send_now_for_someone_the_agreement_does_not_ask_is_refused(app, demo, waiting):
    path, ref = waiting
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    for person in (demo.user_ids['guardian_restricted'], demo.user_ids['guardian_other'],
                   'nobody', ''):
        res = remind_now(therapist, path, ref, person, status=400)
        assert 'No reminder was sent' in res.text
    res = remind_now(therapist, path, 'no-such-agreement', demo.user_ids['guardian'],
                     status=400)
    assert 'No reminder was sent' in res.text


def test_send_now_waits_out_the_quiet_hours(app, clinic, demo, waiting):
    path, ref = waiting
    with clinic() as c:        # every hour but one quiet: the one now is not it
        hour = local(c.settings, utcnow()).hour
        c.settings.quiet_hours_start, c.settings.quiet_hours_end = hour, (hour + 2) % 24
    since = time.time_ns()
    res = remind_now(sign_in(app, ROLE_EMAILS['therapist']), path, ref,
                     demo.user_ids['guardian'], status=400)
    assert 'quiet hours' in res.text and mails(since) == []


def test_pause_needs_a_reason_and_changes_nothing_without_one(app, clinic, demo, waiting,
                                                             seed_pauses):
    path, ref = waiting
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get(path).forms['pause-reminders']
    form['reason'] = '   '
    field_id = form['reason'].id
    res = form.submit('pause', status=400)
    assert 'Required' in res.html.find(id='error-' + field_id).get_text()
    with clinic() as c:
        assert pauses(c) == seed_pauses
        assert c.reminders.log(demo.lucia) == []


def test_pause_and_resume_with_reasons_on_the_record(app, clinic, demo, waiting, daily,
                                                     seed_pauses):
    path, ref = waiting
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get(path).forms['pause-reminders']
    form['reason'] = 'Custody dispute: wait for the court'
    form.submit('pause', status=302)
    with clinic() as c:
        ((client_id, pause),) = [(cid, p) for cid, p in paused_clients(c)
                                 if cid not in seed_pauses]
        assert client_id == demo.lucia and pause.reason == 'Custody dispute: wait for the court'
        assert pause.by == demo.user_ids['therapist'] and pause.since.tzinfo is not None
    page = therapist.get(path)
    assert 'Reminders are paused for this family' in page.text
    assert 'Custody dispute: wait for the court' in page.text
    assert 'Stopped: reminders are paused for this family' in page.text
    since = time.time_ns()
    daily(day(3))
    assert mails(since, MOTHER) == []
    # Pausing twice is refused next to the field.
    res = therapist.get(path + 'pause-reminders')
    res.forms['pause-reminders']['reason'] = 'again'
    assert 'already paused' in res.forms['pause-reminders'].submit('pause', status=400).text
    therapist.post(path + 'resume-reminders', {'csrf_token': csrf_of(page),
                                               'reason': 'Court decided'}, status=302)
    with clinic() as c:
        assert pauses(c) == seed_pauses
        assert [(e.kind, e.reason) for e in c.reminders.log(demo.lucia)] == [
            ('paused', 'Custody dispute: wait for the court'), ('resumed', 'Court decided')]
    page = therapist.get(path)
    assert 'Pauses and resumes' in page.text and 'Court decided' in page.text
    daily(day(4))
    assert len(mails(since, MOTHER)) == 1
    entries = [e for e in audit_entries(app) if e['record'] == demo.lucia
               and e['action'] in ('reminders.paused', 'reminders.resumed')]
    assert [e['action'] for e in entries] == ['reminders.paused', 'reminders.resumed']
    assert all(e['actor'] == demo.user_ids['therapist'] for e in entries)
    assert not any('Custody' in e['detail'] or 'Court' in e['detail'] for e in entries)


@pytest.mark.parametrize('role', ['supervisor', 'therapist_other', 'guardian', 'adolescent',
                                  'guardian_restricted', 'admin'])
def test_others_get_the_nonexistent_answer(app, clinic, demo, waiting, browser_as, role,
                                           seed_pauses):
    path, ref = waiting
    browser = browser_as(role)
    token = csrf_of(browser.get('/password'))
    since = time.time_ns()
    for name, data in (('remind-now', {'agreement': ref, 'person': demo.user_ids['guardian']}),
                       ('pause-reminders', {'reason': 'x'}),
                       ('resume-reminders', {})):
        res = browser.post(path + name, dict(data, csrf_token=token), expect_errors=True)
        nowhere = browser.post('/clients/doesnotexist/' + name, dict(data, csrf_token=token),
                               expect_errors=True)
        assert res.status_int == 404 and res.body == nowhere.body, (role, name)
    assert mails(since) == []
    with clinic() as c:
        assert pauses(c) == seed_pauses


def test_without_a_csrf_token_nothing_happens(app, clinic, demo, waiting, seed_pauses):
    path, ref = waiting
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    since = time.time_ns()
    res = therapist.post(path + 'remind-now', {'agreement': ref,
                                               'person': demo.user_ids['guardian']},
                         expect_errors=True)
    assert res.status_int in (400, 403)
    res = therapist.post(path + 'pause-reminders', {'reason': 'x'}, expect_errors=True)
    assert res.status_int in (400, 403)
    assert mails(since) == []
    with clinic() as c:
        assert pauses(c) == seed_pauses
