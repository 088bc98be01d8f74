"""The daily job's hand-over at majority (agreements/majority.py): the
guardians' agreement in force is expired by the system on the first run on
or after the client's birthday, once, with the reason in its history and
on the audit trail (issue 17 item 6)."""
from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace

from minorconsent.agreements.majority import REASON, hand_over

from support import audit_entries


def day_run(clinic, registry, today):
    return SimpleNamespace(clinic=clinic, registry=registry, today=today,
                           now=datetime.combine(today, time(12), tzinfo=timezone.utc),
                           tick=lambda: None)


def birthday(client, settings):
    born = client.date_of_birth
    return born.replace(year=born.year + settings.age_of_majority)


def test_the_guardians_consent_expires_on_the_birthday_once(app, clinic, demo):
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        day = birthday(mateo, c.settings)
        before = hand_over(day_run(c, app.registry, day - timedelta(days=1)))
        assert before == {'agreements expired': 0, 'clients of age': 0}
        assert mateo['agreements'][demo.mateo_consent].state == 'active'
    with clinic() as c:
        report = hand_over(day_run(c, app.registry, day))
        assert report['agreements expired'] >= 1 and report['clients of age'] >= 1
        consent = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        assert consent.state == 'expired'
        assert any(REASON in (getattr(e, 'detail', '') or '') for e in consent.events.values())
    with clinic() as c:
        again = hand_over(day_run(c, app.registry, day + timedelta(days=1)))
        assert again['agreements expired'] == 0
    expired = [e for e in audit_entries(app)
               if e['action'] in ('agreement.expired', 'agreement.expire')
               and e['record'] == demo.mateo]
    assert len(expired) >= 1 and all(e['actor'] == 'system' for e in expired)
    assert not any('Mateo' in e['detail'] for e in expired)


def test_the_clients_own_consent_and_a_minors_agreements_stay(app, clinic, demo):
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        lucia = c['clients'][demo.lucia]
        day = birthday(mateo, c.settings)
        assert lucia.is_minor(c.settings, day)
        lucia_active = {a.__name__ for a in lucia['agreements'].values()
                        if a.state == 'active'}
        own = next(iter(mateo['agreements'].values()))
        own.minor_consents = True       # as if Mateo had consented himself
        own_state = own.state
        hand_over(day_run(c, app.registry, day))
        assert {a.__name__ for a in lucia['agreements'].values()
                if a.state == 'active'} == lucia_active
        assert own.state == own_state


def test_without_the_expire_step_the_agreement_is_left_as_it_is(app, clinic, demo):
    """An admin's definition in which the system may not expire: the job
    leaves the agreement (the staff note says why guardians cannot use it)."""
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        day = birthday(mateo, c.settings)
        consent = mateo['agreements'][demo.mateo_consent]
        record = c['workflows'][consent.workflow_id]
        source = record.versions[consent.workflow_version]
        stripped = source.replace('roles = ["system", "therapist"]', 'roles = ["therapist"]')
        assert stripped != source
        record.versions[consent.workflow_version] = stripped
        record._v_parsed = None
        hand_over(day_run(c, app.registry, day))
        assert consent.state == 'active'
        assert not any(REASON in (e.detail or '') for e in consent.events.values())
