"""Dates and times as the reader reads them (issue 16, item 6: families saw
ISO dates and UTC): the clinic's zone, the reader's language."""
from datetime import date, datetime, timezone
from types import SimpleNamespace

from minorconsent.site.dates import reader_date, reader_datetime
from support import ROLE_EMAILS, sign_in

LA = SimpleNamespace(time_zone='America/Los_Angeles')
MOMENT = datetime(2026, 12, 7, 3, 30, tzinfo=timezone.utc)   # the 6th in California


def test_a_moment_is_read_on_the_clinics_clock_in_the_readers_language():
    english = reader_datetime(LA, 'en', MOMENT)
    spanish = reader_datetime(LA, 'es', MOMENT)
    assert english.startswith('Dec 6, 2026, 7:30') and english.endswith('PM PST')
    assert spanish.startswith('6 dic 2026, 7:30') and spanish.endswith('PST')
    # The day is the clinic's day, not UTC's.
    assert reader_date(LA, 'es', MOMENT) == '6 de diciembre de 2026'
    assert reader_date(LA, 'en', date(2026, 3, 1)) == 'March 1, 2026'


def test_an_unknown_zone_reads_as_utc_rather_than_failing():
    odd = SimpleNamespace(time_zone='Mars/Olympus_Mons')
    assert reader_datetime(odd, 'en', MOMENT).endswith('UTC')


def test_the_admin_sets_the_zone_and_a_wrong_name_is_refused(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    form['time_zone'] = 'Europe/Atlantis'
    res = form.submit(status=400)
    assert 'Use a time zone name' in res.html.select_one('.item-time_zone').text
    with clinic() as c:
        assert c.settings.time_zone == 'UTC'
    form = res.forms['form']
    form['time_zone'] = 'America/Chicago'
    form.submit(status=302)
    with clinic() as c:
        assert c.settings.time_zone == 'America/Chicago'

