"""minorconsent-seed --agreements: the generated clients get a year of
agreements through the agreements room's own steps, so the daily job
finds work on them (issue 17: the benchmark of minorconsent-daily on
50,000 clients, bench/daily.py)."""
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from minorconsent.agreements.validity import period_end, validity_months
from minorconsent.scripts import daily, seed

from scripthelpers import make_site, open_db, run

#: The seed's clock (the shares drawn depend on the day: pinned, the same
#: agreements every time).
TODAY = date(2026, 12, 6)
COUNT = 80


@pytest.fixture(scope='module')
def seeded(tmp_path_factory):
    site = make_site(tmp_path_factory.mktemp('agreements'))
    with open(site.ini, 'a') as ini:
        ini.write('minorconsent.mail_debug = %s\n' % (site.dir / 'mail'))
    with time_machine.travel(datetime(2026, 12, 6, 15, tzinfo=timezone.utc)):
        code, out, _ = run(seed, site.ini, '--quiet', '--clients', str(COUNT),
                           '--agreements')
    assert code == 0
    site.out = out
    return site


def generated_clients(clinic):
    """The generated clients (each has a guardian parentNNNNN@demo.test)."""
    users = clinic['users']
    found = []
    for client in clinic['clients'].values():
        emails = [users[g].email for g in client['guardians'].keys()]
        if any(e.startswith('parent') for e in emails):
            found.append(client)
    assert len(found) == COUNT
    return found


def agreements_of(clients):
    return [a for c in clients if 'agreements' in c for a in c['agreements'].values()]


def test_every_generated_client_has_a_consent_in_the_states_of_a_year(seeded):
    with open_db(seeded) as (root, clinic):
        clients = generated_clients(clinic)
        assert all(any(a.kind == 'consent' for a in c['agreements'].values())
                   for c in clients)
        agreements = agreements_of(clients)
        states = {(a.kind, a.state) for a in agreements}
        assert {('consent', 'active'), ('consent', 'sent'), ('consent', 'declined'),
                ('consent', 'superseded'), ('confidentiality', 'active')} <= states
        # The workflow records' index holds each in its state (the daily
        # tasks walk it, not the clients).
        indexed = {a.workflow_key for a in clinic['workflows'].members_in(('active',))}
        assert {a.workflow_key for a in agreements if a.state == 'active'} <= indexed
        waiting = {a.workflow_key for a in clinic['workflows'].members_in(('sent',))}
        assert {a.workflow_key for a in agreements if a.state == 'sent'} <= waiting
    assert 'Agreements of the generated clients:' in seeded.out


def test_agreements_in_force_are_signed_and_end_over_the_coming_year(seeded):
    with open_db(seeded) as (root, clinic):
        active = [a for a in agreements_of(generated_clients(clinic)) if a.state == 'active']
        assert len(active) >= COUNT * 0.8
        for agreement in active:
            assert set(agreement.required_guardians) <= set(agreement.signatures)
            assert TODAY - timedelta(days=365) <= agreement.valid_from < TODAY
            assert agreement.valid_until == period_end(
                agreement.valid_from, validity_months(clinic, agreement.kind))
            assert agreement.valid_until >= TODAY
            signed = [s.time for s in agreement.signatures.values()]
            assert all(s.date() <= agreement.valid_from for s in signed)
        # Spread over the year: the renewals and expiries fall on many days.
        assert len({a.valid_until.month for a in active}) >= 10


def test_waiting_agreements_have_invitations_from_their_day(seeded):
    with open_db(seeded) as (root, clinic):
        waiting = [a for a in agreements_of(generated_clients(clinic)) if a.state == 'sent']
        assert waiting
        for agreement in waiting:
            missing = set(agreement.required_guardians) - set(agreement.signatures)
            invitations = clinic.invitations.for_agreement(agreement)
            assert missing <= {i.person_id for i in invitations}
            assert all(i.created == agreement.created for i in invitations)
            assert agreement.created.date() <= TODAY


def test_a_renewal_due_before_today_was_sent_once_as_the_daily_job_does(seeded):
    with open_db(seeded) as (root, clinic):
        agreements = agreements_of(generated_clients(clinic))
        renewed = [a for a in agreements if a.renewal_handled is not None]
        assert renewed
        for old in renewed:
            assert old.renewal_handled == old.valid_until
            assert [e for e in old.event_list() if e.kind == 'renewal sent']
            client = old.workflow_client()
            successors = [a for a in client['agreements'].values()
                          if a.kind == old.kind and a.created > old.created]
            assert len(successors) == 1
            (new,) = successors
            # Signed: the successor is in force and the old one superseded;
            # else the old one is in force and the new one waits.
            assert (old.state, new.state) in (('superseded', 'active'), ('active', 'sent'))
        assert {a.state for a in renewed} == {'superseded', 'active'}


def test_a_client_comes_of_age_within_sixty_days(seeded):
    with open_db(seeded) as (root, clinic):
        clients = generated_clients(clinic)
        age = clinic.settings.age_of_majority
        soon = [c for c in clients
                if c.is_minor(clinic.settings, TODAY)
                and not c.is_minor(clinic.settings, TODAY + timedelta(days=60))]
        assert soon
        assert all(c.age(TODAY) == age - 1 for c in soon)


def test_the_daily_job_finds_work_on_the_seeded_agreements(seeded):
    with time_machine.travel(datetime(2026, 12, 6, 15, tzinfo=timezone.utc)):
        code, out, _ = run(daily, seeded.ini, '--date', '2026-12-06', '--task', 'reminders',
                           '--task', 'staff-invitations')
    assert code == 0, out
    lines = dict(line.split(': ', 1) for line in out.strip().splitlines())
    assert lines['reminders'].startswith('done (')
    sent = int(lines['reminders'].split(', ')[1].split()[0])
    assert sent >= 1
    told = int(lines['staff-invitations'].split('(')[1].split()[0])
    assert told >= 1


def test_without_the_option_the_generated_clients_have_no_agreements(tmp_path):
    site = make_site(tmp_path / 'plain')
    assert run(seed, site.ini, '--quiet', '--clients', '3')[0] == 0
    with open_db(site) as (root, clinic):
        users = clinic['users']
        generated = [c for c in clinic['clients'].values()
                     if any(users[g].email.startswith('parent')
                            for g in c['guardians'].keys())]
        assert len(generated) == 3
        assert not agreements_of(generated)
