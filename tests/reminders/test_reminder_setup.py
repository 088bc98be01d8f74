"""The room's setup: the daily task is registered in its place, a new
database has the store, and a database from before it (the evolve step
not yet run) still shows the client page and reminds (issue 17 item 2)."""
import time

from minorconsent.reminders.daily import remind
from minorconsent.reminders.evolve import add_reminder_store
from minorconsent.reminders.model import ReminderStore, client_standings, paused_clients
from minorconsent.site.daily import daily_tasks

from support import ROLE_EMAILS, sign_in
from reminder_support import day, fake_request, mails, send_consent


def test_the_task_runs_after_the_hand_over_at_majority(app):
    names = [name for name, _fn in daily_tasks(app.registry)]
    assert ('reminders', remind) in daily_tasks(app.registry)
    assert names.index('majority') < names.index('reminders')


def test_a_new_database_has_the_store(app, clinic):
    with clinic() as c:
        assert isinstance(c.reminders, ReminderStore)


def test_before_the_evolve_step_reads_write_nothing_and_the_task_still_works(
        app, clinic, demo, in_request, daily):
    ref, tokens = in_request(lambda c, r: send_consent(c, app.registry, demo.lucia,
                                                       demo.user_ids['therapist']))
    with clinic() as c:
        del c.reminders
    with clinic() as c:
        assert paused_clients(c) == []
        ((agreement, (mother,)),) = client_standings(fake_request(c, app.registry),
                                                     c['clients'][demo.lucia])
        assert mother.reason == '' and mother.next_due == day(3)
    page = sign_in(app, ROLE_EMAILS['therapist']).get('/clients/%s/' % demo.lucia)
    assert '0 of 3' in page.text
    with clinic() as c:
        assert getattr(c, 'reminders', None) is None      # a page view wrote nothing
    since = time.time_ns()
    daily(day(3))
    assert len(mails(since, ROLE_EMAILS['guardian'])) == 1
    with clinic() as c:
        kept = c.reminders
        add_reminder_store(c, app.registry)              # the step keeps what is there
        assert c.reminders is kept and len(kept.records) >= 1
