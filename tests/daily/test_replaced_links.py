"""A reminder's link replaces the one that lapsed at the same hour (found
by the year test, ``test_clinic_year.py``): with the shipped settings a
reminder goes out the day the previous link expires, at the hour the
daily job runs, and the therapists were told "an invitation expired
unused" on every reminder day.  They are told once, when the person's
last link lapses with nothing after it."""
from datetime import date, timedelta

from pyramid.scripting import prepare

from minorconsent.agreements import act, start_agreement
from minorconsent.security.policy import principals_for
from minorconsent.site.daily import as_of, run_daily
from minorconsent.workflow.engine import Actor

from support import committed

TASKS = ('reminders', 'staff-invitations')


def test_the_therapist_hears_of_the_last_lapsed_link_only(app, clinic, demo):
    env = prepare(registry=app.registry)
    request = env['request']
    day0 = date.today()

    def send(c, r):
        therapist = c['users'][demo.user_ids['therapist']]
        consent = start_agreement(c, c['clients'][demo.lucia], 'consent', therapist.__name__)
        act(consent, app.registry, 'send', Actor(therapist.__name__, principals_for(therapist)))
        mother = c['users'][demo.user_ids['guardian']]
        c.invitations.issue(consent, mother, c.settings.invitation_days, as_of(day0, c.settings))
        return consent.__name__, c.settings
    ref, settings = committed(request, send)
    # The shipped settings make each reminder fall on the previous link's last moment.
    assert settings.reminder_every_days == settings.invitation_days
    for n in range(0, 26):
        run_daily(request, as_of(day0 + timedelta(days=n), settings), only=TASKS)
    env['closer']()
    with clinic() as c:
        told = [notice.when.date() for notice in
                c.worklist_store.of(demo.user_ids['therapist']).items
                if notice.kind == 'invitation_expired' and notice.client_id == demo.lucia]
        consent = c['clients'][demo.lucia]['agreements'][ref]
        links = sorted(c.invitations.for_agreement(consent), key=lambda i: i.created)
    last_reminder = (settings.reminder_after_days
                     + settings.reminder_every_days * (settings.reminder_max - 1))
    assert told == [day0 + timedelta(days=last_reminder + settings.invitation_days)]
    assert [link.created.date() for link in links] == [
        day0 + timedelta(days=n) for n in (0, 3, 10, 17)]
    # Each earlier link was replaced (cancelled) by the next, the last one lapsed.
    assert [bool(link.cancelled) for link in links] == [True, True, True, False]
