"""The daily task ``reminders`` (issue 17 item 2): after 3 days, then every
7, at most 3; once a day whatever happens; never in the quiet hours; each
reminder with a fresh single-use link, content-free."""
import time
from datetime import timedelta

from minorconsent.reminders import sending
from minorconsent.reminders.daily import remind
from minorconsent.site.clock import utcnow
from minorconsent.site.daily import DailyRun, as_of
from minorconsent.site.i18n import localizer_for

from support import MARKER, ROLE_EMAILS, audit_entries, new_browser
from reminder_support import day, link_in, mails, send_consent

MOTHER = ROLE_EMAILS['guardian']


def lucia_consent(app, in_request, demo, **kw):
    return in_request(lambda c, r: send_consent(c, app.registry, demo.lucia,
                                                demo.user_ids['therapist'], **kw))


def test_after_three_days_then_every_seven_at_most_three(app, clinic, demo, in_request, daily):
    ref, tokens = lucia_consent(app, in_request, demo)
    since = time.time_ns()
    sent_on = []
    for n in range(0, 40):
        before = len(mails(since, MOTHER))
        outcome = daily(day(n))
        assert outcome.status == 'done'
        if len(mails(since, MOTHER)) > before:
            sent_on.append(n)
    assert sent_on == [3, 10, 17]
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        record = c.reminders.get(agreement, demo.user_ids['guardian'])
        assert record.count == 3 and record.next_due is None
        assert [t.date() for t, _actor in record.sent] == [day(3), day(10), day(17)]
        reminded = [e for e in agreement.event_list() if e.kind == 'reminded']
        assert len(reminded) == 3 and all(e.actor_id == 'system' for e in reminded)
    entries = [e for e in audit_entries(app) if e['action'] == 'reminders.sent'
               and e['record'] == demo.lucia]
    assert len(entries) == 3
    assert all(demo.user_ids['guardian'] in e['detail'] and 'Elena' not in e['detail']
               for e in entries)


def test_a_second_run_the_same_day_sends_nothing_without_the_runners_record(
        app, clinic, demo, in_request, daily):
    lucia_consent(app, in_request, demo)
    since = time.time_ns()
    assert daily(day(3)).report['sent'] >= 1
    assert len(mails(since, MOTHER)) == 1
    with clinic() as c:
        c.daily_done.clear()                  # as if the day's record were lost
    again = daily(day(3))
    assert again.status == 'done' and again.report['sent'] == 0
    # A --date run of a past day after it: nothing either.
    with clinic() as c:
        c.daily_done.clear()
    assert daily(day(2)).report['sent'] == 0
    assert len(mails(since, MOTHER)) == 1


def test_the_task_itself_is_idempotent_within_a_day(app, clinic, demo, in_request):
    lucia_consent(app, in_request, demo)
    since = time.time_ns()

    def run_once(c, request):
        return remind(DailyRun(c, request, as_of(day(4), c.settings), app.registry))
    first = in_request(run_once)
    second = in_request(run_once)
    assert first['sent'] >= 1 and second['sent'] == 0
    assert len(mails(since, MOTHER)) == 1


def test_quiet_hours_postpone_until_they_end(app, clinic, demo, in_request, daily):
    ref, tokens = lucia_consent(app, in_request, demo)
    since = time.time_ns()
    night = daily(day(3), hour=22)
    assert night.status == 'postponed'
    assert mails(since, MOTHER) == []
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert c.reminders.get(agreement, demo.user_ids['guardian']) is None
    assert daily(day(3), hour=12).status == 'done'
    assert len(mails(since, MOTHER)) == 1


def test_the_reminder_renews_the_link_and_the_old_one_dies(app, clinic, demo, in_request, daily):
    ref, tokens = lucia_consent(app, in_request, demo)
    old = '/invite/' + tokens[demo.user_ids['guardian']]
    since = time.time_ns()
    daily(day(3))
    (mail,) = mails(since, MOTHER)
    new = link_in(mail.body)
    assert new != old
    assert 'no longer valid' in new_browser(app).get(old, status=410).text
    assert new_browser(app).get(new).status_int == 200


def test_an_expired_link_is_renewed(app, clinic, demo, in_request, daily):
    ref, tokens = lucia_consent(app, in_request, demo)
    with clinic() as c:
        invitation = c.invitations.find(tokens[demo.user_ids['guardian']])
        # Expired already: not "at its creation", which is DAY0's noon in
        # the clinic's zone and still ahead before then (the test failed
        # every night from 00:00 UTC until that noon).
        invitation.expires = utcnow() - timedelta(minutes=1)
    old = '/invite/' + tokens[demo.user_ids['guardian']]
    assert new_browser(app).get(old, expect_errors=True).status_int == 410
    since = time.time_ns()
    daily(day(3))
    (mail,) = mails(since, MOTHER)
    assert new_browser(app).get(link_in(mail.body)).status_int == 200


def test_the_mail_names_no_child_therapist_or_document(app, clinic, demo, in_request, daily):
    with clinic() as c:
        lucia = c['clients'][demo.lucia]
        lucia.first_name, lucia.last_name = MARKER + 'Child', MARKER + 'Family'
        c['users'][demo.user_ids['therapist']].display_name = MARKER + 'Therapist'
        c.settings.portal_name = 'Family Portal'
    lucia_consent(app, in_request, demo)
    since = time.time_ns()
    daily(day(3))
    (mail,) = mails(since, MOTHER)
    text = mail.subject + '\n' + mail.body
    assert 'Something in Family Portal waits for you' in mail.body
    for word in (MARKER, 'Lucia', 'Alvarez', 'Elena', 'Consent', 'consent', 'treatment',
                 'therap', 'child', 'Reyes', demo.lucia):
        assert word not in text, word


def test_each_person_is_reminded_in_their_saved_language(app, clinic, demo, in_request, daily,
                                                         monkeypatch):
    """The mail is translated with the recipient's saved language (the
    Spanish words themselves are the catalog's: tests/site/test_catalogs.py)."""
    asked = []

    def recording(request, language):
        asked.append(language)
        return localizer_for(request, language)
    monkeypatch.setattr(sending, 'localizer_for', recording)
    with clinic() as c:
        for user in c['users'].values():
            user.language = 'en'            # everyone else the task reminds today
        c['users'][demo.user_ids['guardian']].language = 'es'
    lucia_consent(app, in_request, demo)
    since = time.time_ns()
    daily(day(3))
    assert len(mails(since, MOTHER)) == 1
    assert asked.count('es') == 1
