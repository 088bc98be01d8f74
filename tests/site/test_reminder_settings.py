"""The reminder, quiet-hour and validity settings (issue 17, "Bad input"):
a value out of range is named next to its field, and nothing is saved."""
import pytest

from support import ROLE_EMAILS, sign_in

BAD = [
    ({'reminder_after_days': '0'}, 'reminder_after_days', 'At least 1 day.'),
    ({'reminder_every_days': '0'}, 'reminder_every_days', 'At least 1 day.'),
    ({'reminder_max': '10000'}, 'reminder_max', 'At most 10 reminders.'),
    ({'reminder_max': '-1'}, 'reminder_max', '0 or more.'),
    ({'quiet_hours_start': '24'}, 'quiet_hours_start', 'An hour from 0 to 23.'),
    # 1:00 to 0:00 is quiet: 23 hours, no time left to remind anyone.
    ({'quiet_hours_start': '1', 'quiet_hours_end': '0'}, 'quiet_hours_end',
     'Quiet hours must leave at least 4 hours a day for reminders.'),
    ({'quiet_hours_start': '8', 'quiet_hours_end': '6'}, 'quiet_hours_end',
     'Quiet hours must leave at least 4 hours a day for reminders.'),
    ({'agreement_validity_months': '1000'}, 'agreement_validity_months', 'At most 120 months.'),
    ({'renewal_notice_days': '0'}, 'renewal_notice_days', 'At least 1 day.'),
    ({'lapsed_access_days': '400'}, 'lapsed_access_days', 'At most 365 days.'),
    ({'reminder_every_days': 'weekly'}, 'reminder_every_days', 'is not a number'),
]


@pytest.mark.parametrize('values,field,message', BAD, ids=[b[1] + '=' + '/'.join(b[0].values())
                                                            for b in BAD])
def test_a_value_out_of_range_is_named_next_to_its_field(app, clinic, values, field, message):
    with clinic() as c:
        before = c.settings.as_dict()
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    for key, value in values.items():
        form[key] = value
    res = form.submit(status=400)
    assert message in res.html.select_one('.item-' + field).text
    with clinic() as c:
        assert c.settings.as_dict() == before


def test_the_reminder_settings_are_saved(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    values = {'reminder_after_days': '2', 'reminder_every_days': '5', 'reminder_max': '4',
              'quiet_hours_start': '20', 'quiet_hours_end': '9',
              'agreement_validity_months': '24', 'renewal_notice_days': '45',
              'lapsed_access_days': '0'}
    for key, value in values.items():
        form[key] = value
    form.submit(status=302)
    with clinic() as c:
        assert {key: getattr(c.settings, key) for key in values} == {
            key: int(value) for key, value in values.items()}
        assert c.settings.in_quiet_hours(20) and c.settings.in_quiet_hours(8)
        assert not c.settings.in_quiet_hours(9) and not c.settings.in_quiet_hours(19)


def test_equal_quiet_hours_mean_none():
    from minorconsent.site.settings import ClinicSettings
    settings = ClinicSettings()
    settings.quiet_hours_start = settings.quiet_hours_end = 7
    assert not any(settings.in_quiet_hours(hour) for hour in range(24))
    settings.quiet_hours_start, settings.quiet_hours_end = 13, 14
    assert [h for h in range(24) if settings.in_quiet_hours(h)] == [13]
