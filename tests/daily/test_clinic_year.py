"""A clinic moved through a year day by day (issue 17): every reminder,
renewal, expiry and hand-over at majority happens exactly once, on its
day, and nothing happens on any other day.

The clock is stopped at noon of each clinic day (``time_machine``,
``tick=False``) and the real runner (``site.daily.run_daily``) does the
day's tasks; on the days something is due it runs again (the runner's
record makes it a no-op), on some of them again after the record of the
day is lost (each task's own idempotence), and on two of them first in
the quiet hours (postponed, then done at noon).  What each day changed is
read back (``year_journal.Journal``): the mail written, the agreements'
states and events, the reminder records, the staff notices and the audit
trail.  The expected days are computed from the clinic's settings and the
situations' dates, and checked against concrete offsets as well.

Day 0 sets up five families on the demo clinic (its own families keep
their agreements, with their clocks stopped: see ``quiet_seed``):

* W: a consent waiting for a guardian who never signs;
* S: a consent its guardian signs on day 5;
* A: a consent signed on day 0, in force for the clinic's 12 months;
* M: a consent in force for a client who turns 18 on day 100;
* P: a consent waiting for a family whose reminders are paused on day 8
  and resumed on day 30.
"""
from datetime import date

import time_machine
from pyramid.scripting import prepare

from minorconsent.accounts import User
from minorconsent.agreements import act, esign, sign, start_agreement
from minorconsent.agreements.invitations import invite_signers
from minorconsent.agreements.majority import REASON as OF_AGE
from minorconsent.agreements.periods import EXPIRED_BECAUSE
from minorconsent.agreements.validity import add_months, set_period
from minorconsent.clients import Client, link_guardian
from minorconsent.reminders.model import (pause, resume, signer_ids, store_of,
                                         waiting_agreements)
from minorconsent.security.policy import principals_for
from minorconsent.site.daily import as_of, run_daily
from minorconsent.site.settings import ClinicSettings
from minorconsent.workflow.engine import Actor

from support import audit_entries, clinic_of, committed
from year_expected import Expected, day, differences, observed
from year_journal import Journal

#: The settings the expectations follow: the shipped defaults, written
#: on day 0 whatever the demo seed chose.
TIMED = ('reminder_after_days', 'reminder_every_days', 'reminder_max', 'quiet_hours_start',
         'quiet_hours_end', 'agreement_validity_months', 'renewal_notice_days',
         'invitation_days', 'age_of_majority', 'time_zone')
#: The day M turns 18.
MAJORITY_DAY = 100
PAUSED_ON, RESUMED_ON = 8, 30
S_SIGNS_ON = 5


# --- day 0 ---------------------------------------------------------------------

def quiet_seed(c):
    """Stop the demo families' own clocks, so that what the year does is
    the five families' alone: agreements in force get no end (as those
    activated before periods existed), every reminder of a waiting one
    counts as sent and its links are cancelled, and a client the year
    would bring to 18 is two years younger."""
    horizon = day(400)
    store = store_of(c, create=True)
    for client in c['clients'].values():
        born = client.date_of_birth
        if born is not None and add_months(born, 12 * 18) <= horizon:
            client.date_of_birth = add_months(born, 24)
            c['clients'].reindex(client)     # the index keeps birthdays
        for agreement in (client['agreements'].values() if 'agreements' in client else ()):
            if agreement.state == 'active':
                set_period(agreement, agreement.valid_from, None)
    for agreement in list(waiting_agreements(c)):
        c.invitations.cancel(agreement)
        for uid in signer_ids(agreement):
            store.record_for(agreement, uid).count = c.settings.reminder_max


def family(c, letter, first, last, born, therapist):
    client = Client(first, last, born, [therapist.__name__])
    c['clients'].add_client(client)
    parent = User('%s.%s@demo.test' % (letter.lower(), last.lower()), 'Robin ' + last,
                  ['guardian'])
    c['users'].add_user(parent)
    link_guardian(c, client, parent, 'parent', True)
    return client, parent


def consent_for(c, registry, client, therapist):
    agreement = start_agreement(c, client, 'consent', therapist.__name__)
    act(agreement, registry, 'send', Actor(therapist.__name__, principals_for(therapist)))
    return agreement


def signs(c, registry, agreement, person):
    if not esign.has_agreed(person):
        esign.agree(person, 'en', '192.0.2.9', 'year test')
    sign(c, registry, agreement, person, principals_for(person), person.display_name, True,
         True, agreement.text_sha256, '192.0.2.9', 'year test')


def set_up(registry, therapist_id):
    """The five families (module docstring); returns ``fn(c, request)``."""
    def run(c, request):
        c.settings.update(**{name: getattr(ClinicSettings, name) for name in TIMED})
        therapist = c['users'][therapist_id]
        ids = {}
        for letter, first, last, born, invite, signed in (
                ('W', 'Wren', 'Hollowell', date(2017, 6, 15), True, False),
                ('S', 'Sol', 'Brightmoor', date(2018, 2, 3), True, False),
                ('A', 'Ada', 'Fenwick', date(2019, 9, 9), False, True),
                ('M', 'Tobin', 'Ashgrove', day(MAJORITY_DAY).replace(
                    year=day(MAJORITY_DAY).year - 18), False, True),
                ('P', 'Pia', 'Quillfeather', date(2019, 1, 20), True, False)):
            client, parent = family(c, letter, first, last, born, therapist)
            agreement = consent_for(c, registry, client, therapist)
            if invite:
                assert invite_signers(request, agreement) == 1
            if signed:
                signs(c, registry, agreement, parent)
                assert agreement.state == 'active'
            ids[letter] = (client.__name__, agreement.__name__, parent.__name__, parent.email)
        return ids
    return run


# --- the year --------------------------------------------------------------------

def test_a_year_of_daily_runs_does_everything_once_on_its_day(year_app):
    app, demo = year_app, year_app.demo
    registry = app.registry
    env = prepare(registry=registry)
    request = env['request']

    def clinic():
        return clinic_of(app.db, registry)

    def at(n, hour=12):
        # The clinic's clock: the shipped time zone (set on day 0).
        return as_of(day(n), ClinicSettings(), hour)

    with time_machine.travel(at(-1, 10), tick=False):
        with clinic() as c:
            quiet_seed(c)
    # The seed's own first run (it tells the supervisor what the seed left
    # waiting for them): before the year, not part of it.
    with time_machine.travel(at(-1), tick=False):
        run_daily(request, at(-1))
    with time_machine.travel(at(0, 10), tick=False):
        ids = committed(request, set_up(registry, demo.user_ids['therapist']))
    with clinic() as c:
        s = {name: getattr(c.settings, name) for name in TIMED}
        therapist_email = c['users'][demo.user_ids['therapist']].email
    labels = {}
    for letter, (cid, aid, person, _email) in ids.items():
        labels[cid] = labels[aid] = letter
        labels[person] = letter + ' parent'

    # What the year must do, from the settings and the families' dates.
    expected = Expected(s)

    def reminded(letter, first=0, **kw):
        cid, aid, person, email = ids[letter]
        return expected.reminders(letter, letter, letter + ' parent', email, therapist_email,
                                  first, **kw)

    def renewed(letter, start):
        return expected.renewal(letter, letter, letter + ' parent', ids[letter][3],
                                therapist_email, start)
    w_days = reminded('W')
    s_days = reminded('S', stops=S_SIGNS_ON)
    p_days = reminded('P', paused=(PAUSED_ON, RESUMED_ON))
    a_renewal, a_expiry = renewed('A', 0)
    s_renewal, s_expiry = renewed('S', S_SIGNS_ON)
    expected.add(S_SIGNS_ON, 'state', 'S', 'sent', 'active')
    expected.add(S_SIGNS_ON, 'event', 'S', 'signed', None)
    expected.add(S_SIGNS_ON, 'event', 'S', 'activated', 'system')
    expected.add(S_SIGNS_ON, 'audit', 'agreement.signed', None)
    expected.add(S_SIGNS_ON, 'audit', 'agreement.activated', 'system')
    expected.add(S_SIGNS_ON, 'notice', 'signed', 'S')
    expected.expiry('M', MAJORITY_DAY)
    expected.add(PAUSED_ON, 'audit', 'reminders.paused', None)
    expected.add(RESUMED_ON, 'audit', 'reminders.resumed', None)
    # The same, as concrete days of this calendar (DAY0 = 1 April 2027;
    # 29 February 2028 makes the period from day 0 366 days long).
    assert w_days == [3, 10, 17] and s_days == [3] and p_days == [3, 30, 37]
    assert (a_renewal, a_expiry) == (335, 366)
    assert (s_renewal, s_expiry) == (340, 371)
    assert expected.link_expiries([0] + w_days) == [24]
    last = max(expected.days) + 2
    assert last >= 366

    journal = Journal(app, clinic)
    twice = set(expected.days)
    lost_record = {w_days[1], a_renewal, a_expiry, MAJORITY_DAY, p_days[1]}
    quiet_first = {3: 'reminders', a_renewal: 'renewals'}
    for n in range(0, last + 1):
        if n in (S_SIGNS_ON, PAUSED_ON, RESUMED_ON):
            with time_machine.travel(at(n, 10), tick=False), clinic() as c:
                cid, aid, person, _email = ids['S' if n == S_SIGNS_ON else 'P']
                client = c['clients'][cid]
                if n == S_SIGNS_ON:
                    signs(c, registry, client['agreements'][aid], c['users'][person])
                elif n == PAUSED_ON:
                    pause(c, client, 'The family asked for a quiet month.',
                          demo.user_ids['therapist'])
                else:
                    resume(c, client, demo.user_ids['therapist'])
        if n in quiet_first:
            with time_machine.travel(at(n, 7), tick=False):
                early = {o.name: o.status for o in run_daily(request, at(n, 7))}
            assert early[quiet_first[n]] == 'postponed', (n, early)
        with time_machine.travel(at(n), tick=False):
            first = run_daily(request, at(n))
            assert all(o.status in ('done', 'done before') for o in first), (n, first)
            if n in twice:
                again = run_daily(request, at(n))
                assert {o.status for o in again} == {'done before'}, (n, again)
            if n in lost_record:
                with clinic() as c:
                    for key in list(c.daily_done.keys(min=(day(n).isoformat(), ''),
                                                      max=(day(n).isoformat(), '\uffff'))):
                        del c.daily_done[key]
                rerun = run_daily(request, at(n))
                assert {o.status for o in rerun} == {'done'}, (n, rerun)
        journal.day(n)
    env['closer']()

    seen = observed(journal, labels)
    wrong = differences(expected.days, seen)
    assert wrong == [], '\n'.join('day %d: %r expected %d, happened %d' % w for w in wrong)
    # Nothing at all happened on the other days: no mail, no change, no
    # audit entry.
    assert journal.busy_days() == sorted(expected.days)

    with clinic() as c:
        def agreement(letter, successor=False):
            cid, aid = ids[letter][:2]
            found = c['clients'][cid]['agreements']
            if not successor:
                return found[aid]
            (new,) = [a for a in found.values() if a.__name__ != aid]
            return new
        store = c.reminders
        w = store.get(agreement('W'), ids['W'][2])
        assert w.count == 3 and w.next_due is None
        assert [t.date() for t, actor in w.sent] == [day(n) for n in w_days]
        assert {actor for _t, actor in w.sent} == {'system'}
        assert store.get(agreement('S'), ids['S'][2]).stopped == 'signed'
        assert [e.kind for e in c.reminders.log(ids['P'][0])] == ['paused', 'resumed']
        for letter, why in (('A', EXPIRED_BECAUSE), ('S', EXPIRED_BECAUSE), ('M', OF_AGE)):
            ended = agreement(letter)
            last_step = list(ended.history)[-1]
            assert (ended.state, last_step.transition, last_step.actor,
                    last_step.comment) == ('expired', 'expire', 'system', why)
        # Of age before its renewal: no successor, no renewal.
        assert len(c['clients'][ids['M'][0]]['agreements']) == 1
        assert agreement('M').renewal_handled is None
        for letter in ('A', 'S'):
            successor = agreement(letter, successor=True)
            assert successor.state == 'sent'
            assert successor.template_version == c['agreement-templates']['consent'].current.number
            assert list(successor.required_guardians) == [ids[letter][2]]
    # The trail says who expired what, by ids: the system, no names.
    expired = [e for e in audit_entries(app) if e['action'] == 'agreement.expired']
    assert sorted(e['record'] for e in expired) == sorted(ids[k][0] for k in 'ASM')
    assert {e['actor'] for e in expired} == {'system'}
    assert not any(name in e['detail'] for e in expired
                   for name in ('Ada', 'Sol', 'Tobin', 'Fenwick', 'Brightmoor', 'Ashgrove'))
