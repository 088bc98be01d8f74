"""Renewal and expiry of an agreement with a period (issue 17 item 3):
the daily tasks ``renewals`` and ``expiries`` (agreements/periods.py) run
by the real runner (site/daily.py) day by day: the renewal is sent once,
on its day, from the current text to the signers; the agreement expires
the day after its last day in force, as the system, with its history,
its events and the audit trail saying so."""
import time
from datetime import date, timedelta

import pytest
from pyramid.scripting import prepare

from minorconsent.agreements.periods import EXPIRED_BECAUSE
from minorconsent.agreements.renewal import send_successor
from minorconsent.agreements.validity import set_period
from minorconsent.security.policy import principals_for
from minorconsent.workflow.engine import Actor
from minorconsent.site.daily import as_of, run_daily

from support import audit_entries, mails_since

TASKS = ('renewals', 'expiries')
FROM, UNTIL = date(2026, 7, 1), date(2027, 6, 30)


@pytest.fixture
def day_run(app, clinic):
    """``day_run(day, hour=12)``: the two tasks as the runner does them,
    as of ``hour`` o'clock on ``day`` on the clinic's clock."""
    env = {}

    def run(day, hour=12):
        if not env:
            env.update(prepare(registry=app.registry))
        request = env['request']
        with clinic() as c:
            moment = as_of(day, c.settings, hour)
        return {o.name: o for o in run_daily(request, moment, only=TASKS)}
    yield run
    if env:
        env['closer']()


@pytest.fixture
def consent(clinic, demo):
    """Mateo's consent in force from FROM through UNTIL, nothing else of
    the clinic's due in the days the tests walk."""
    with clinic() as c:
        c.settings.renewal_notice_days = 30
        for client in c['clients'].values():
            for a in (client['agreements'].values() if 'agreements' in client else ()):
                if a.state == 'active':
                    set_period(a, FROM, None)
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        assert agreement.state == 'active'
        set_period(agreement, FROM, UNTIL)
    return demo.mateo_consent


def mateo_consents(clinic, demo):
    with clinic() as c:
        return {a.__name__: (a.state, a.template_version, [e.kind for e in a.event_list()])
                for a in c['clients'][demo.mateo]['agreements'].values() if a.kind == 'consent'}


def test_the_renewal_is_sent_once_on_its_day_from_the_current_text(app, clinic, demo,
                                                                    consent, day_run):
    due = UNTIL - timedelta(days=30)
    with clinic() as c:
        c['agreement-templates']['consent'].add_version(
            'Consent to treatment, the version current at renewal. ' * 3, 'admin')
        current = c['agreement-templates']['consent'].current.number
        guardian_email = c['users'][demo.user_ids['guardian']].email
    before = mateo_consents(clinic, demo)
    day_run(due - timedelta(days=1))
    assert mateo_consents(clinic, demo) == before
    since = time.time_ns()
    outcome = day_run(due)['renewals']
    assert outcome.status == 'done' and outcome.report['renewals sent'] == 1
    after = mateo_consents(clinic, demo)
    new = set(after) - set(before)
    assert len(new) == 1
    state, version, events = after[new.pop()]
    assert state == 'sent' and version == current and 'invited' in events
    assert 'renewal sent' in after[consent][2]
    mails = mails_since(since)
    assert any(guardian_email in m['To'] for m in mails)
    # Content-free: no child's name in what was mailed.
    assert not any('Mateo' in m.as_string() for m in mails)
    # Again the same day (a second run), and on every following day: nothing more.
    assert day_run(due)['renewals'].status == 'done before'
    for n in range(1, 8):
        day_run(due + timedelta(days=n))
    assert set(mateo_consents(clinic, demo)) == set(after)
    assert mateo_consents(clinic, demo)[consent][2].count('renewal sent') == 1


def test_a_waiting_renewal_is_not_doubled_and_the_reason_is_recorded(app, clinic, demo,
                                                                      consent, day_run):
    due = UNTIL - timedelta(days=30)
    with clinic() as c:
        old = c['clients'][demo.mateo]['agreements'][consent]
        therapist = c['users'][demo.user_ids['therapist']]
        send_successor(c, app.registry, old, Actor(therapist.__name__,
                                                    principals_for(therapist)), due,
                       announce=False)
    before = mateo_consents(clinic, demo)
    report = day_run(due)['renewals'].report
    assert report == {'renewals sent': 0, 'renewals not sent': 1}
    after = mateo_consents(clinic, demo)
    assert set(after) == set(before)
    assert after[consent][2].count('renewal not sent') == 1
    day_run(due + timedelta(days=1))
    assert mateo_consents(clinic, demo)[consent][2].count('renewal not sent') == 1


def test_inside_quiet_hours_the_renewal_waits_for_the_next_run(app, clinic, demo, consent,
                                                               day_run):
    due = UNTIL - timedelta(days=30)
    before = mateo_consents(clinic, demo)
    with clinic() as c:
        c.settings.quiet_hours_start, c.settings.quiet_hours_end = 21, 8
    assert day_run(due, hour=23)['renewals'].status == 'postponed'
    assert set(mateo_consents(clinic, demo)) == set(before)
    assert day_run(due + timedelta(days=1), hour=9)['renewals'].report['renewals sent'] == 1


def test_the_agreement_expires_the_day_after_its_last_day_as_the_system(app, clinic, demo,
                                                                        consent, day_run):
    # In force through the whole of its last day ...
    assert day_run(UNTIL)['expiries'].report['agreements expired'] == 0
    assert mateo_consents(clinic, demo)[consent][0] == 'active'
    # ... and expired on the first day after it.
    report = day_run(UNTIL + timedelta(days=1))['expiries'].report
    assert report['agreements expired'] == 1
    with clinic() as c:
        agreement = c['clients'][demo.mateo]['agreements'][consent]
        assert agreement.state == 'expired'
        last = list(agreement.history)[-1]
        assert (last.transition, last.actor, last.comment) == ('expire', 'system',
                                                               EXPIRED_BECAUSE)
        expired = [e for e in agreement.event_list() if e.kind == 'expired']
        assert len(expired) == 1 and expired[0].actor_id == 'system'
        assert expired[0].time.date() == UNTIL + timedelta(days=1)
    day_run(UNTIL + timedelta(days=2))
    entries = [e for e in audit_entries(app) if e['action'] == 'agreement.expired'
               and e['record'] == demo.mateo]
    assert len(entries) == 1 and entries[0]['actor'] == 'system'
    assert 'Mateo' not in entries[0]['detail']


def test_an_agreement_without_an_end_never_expires_nor_renews(app, clinic, demo, consent,
                                                              day_run):
    with clinic() as c:
        set_period(c['clients'][demo.mateo]['agreements'][consent], FROM, None)
    before = mateo_consents(clinic, demo)
    for day in (UNTIL - timedelta(days=30), UNTIL + timedelta(days=1)):
        day_run(day)
    assert mateo_consents(clinic, demo)[consent][0] == 'active'
    assert set(mateo_consents(clinic, demo)) == set(before)
