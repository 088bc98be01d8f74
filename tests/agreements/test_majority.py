"""The hand-over to the client: at the self-consent age or at majority the
therapist runs the client's own agreement, sends it, and the client signs
it; a guardians' agreement can no longer be sent, and staff are told that
guardian access has ended."""
from datetime import date
from types import SimpleNamespace

import pytest

from minorconsent.agreements import consenting_party_may_consent
from minorconsent.workflow.guards import GuardContext
from support import ROLE_EMAILS, csrf_of, radio, sign_in

OWN_AGREEMENT = 'The client is an adult: they must sign their own agreement.'
ACCESS_ENDED = 'Guardian access has ended: the client has reached the age of majority.'


def agreements_of(clinic, client_id):
    with clinic() as c:
        return {a.__name__: (a.kind, a.state, a.minor_consents)
                for a in c['clients'][client_id]['agreements'].values()}


def make_adult(clinic, client_id):
    """Lower the age of majority to the client's age (so also the
    effective self-consent age)."""
    with clinic() as c:
        c.settings.age_of_majority = c['clients'][client_id].age()


def start_own_and_send(app, clinic, client_id, kind='consent', step='send'):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % client_id
    before = set(agreements_of(clinic, client_id))
    form = therapist.get(client + 'add-agreement').forms['form']
    form[radio(form)] = kind
    form['minor_consents'] = True
    page = form.submit().follow()
    (ref,) = set(agreements_of(clinic, client_id)) - before
    res = therapist.post(client + 'agreements/%s/step' % ref,
                         {'csrf_token': csrf_of(page), 'step': step})
    assert res.status_int == 302
    return client + 'agreements/%s/' % ref, ref


def teen_signs(app, agreement_path):
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    form = teen.get(agreement_path + 'family').forms['sign']
    form['typed_name'] = 'Mateo Alvarez'
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    return form.submit().follow()


def test_at_majority_the_client_signs_their_own_consent(app, clinic, demo):
    make_adult(clinic, demo.mateo)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page = therapist.get('/clients/%s/' % demo.mateo)
    assert OWN_AGREEMENT in page.text
    # The guardians' consent is still "Active" in its workflow; staff are
    # told it no longer gives any guardian access.
    assert ACCESS_ENDED in page.text
    old = therapist.get('/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent))
    assert ACCESS_ENDED in old.text

    path, ref = start_own_and_send(app, clinic, demo.mateo)
    assert agreements_of(clinic, demo.mateo)[ref] == ('consent', 'sent', True)
    res = teen_signs(app, path)
    assert 'You have signed' in res.text
    states = agreements_of(clinic, demo.mateo)
    assert states[ref] == ('consent', 'active', True)
    # The client's own consent supersedes the guardians'.
    assert states[demo.mateo_consent][1] == 'superseded'
    # Superseded says enough; the note stays only on guardians' agreements
    # still marked active (the seeded confidentiality agreement).
    assert ACCESS_ENDED not in therapist.get(
        '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)).text


def test_at_the_self_consent_age_a_minor_signs_their_own_confidentiality_agreement(
        app, clinic, demo):
    with clinic() as c:
        c.settings.self_consent_ages = {c.settings.jurisdiction: c['clients'][demo.mateo].age()}
        assert c['clients'][demo.mateo].is_minor(c.settings)
    path, ref = start_own_and_send(app, clinic, demo.mateo, 'confidentiality', 'propose')
    teen_signs(app, path)
    assert agreements_of(clinic, demo.mateo)[ref] == ('confidentiality', 'active', True)
    # A minor: guardian access has not ended, and nobody says it has.
    page = sign_in(app, ROLE_EMAILS['therapist']).get('/clients/%s/' % demo.mateo)
    assert OWN_AGREEMENT not in page.text and ACCESS_ENDED not in page.text


def test_a_guardians_agreement_sent_before_majority_tells_staff_guardians_cannot_sign(
        app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % demo.mateo
    before = set(agreements_of(clinic, demo.mateo))
    page = therapist.get(client + 'add-agreement').forms['form'].submit().follow()
    (ref,) = set(agreements_of(clinic, demo.mateo)) - before
    therapist.post(client + 'agreements/%s/step' % ref,
                   {'csrf_token': csrf_of(page), 'step': 'send'})
    make_adult(clinic, demo.mateo)
    assert ('Guardians can no longer sign: the client has reached the age of majority.'
            in therapist.get(client + 'agreements/%s/' % ref).text)


def _ctx(minor_consents, age, majority=18, self_consent=14):
    client = SimpleNamespace(
        is_minor=lambda settings, today: age < majority,
        may_self_consent=lambda settings, today: age >= min(self_consent, majority))
    return GuardContext(SimpleNamespace(minor_consents=minor_consents), client, None,
                        'therapist', date.today())


@pytest.mark.parametrize('minor_consents, age, expected', [
    (False, 12, True),    # guardians sign for a minor
    (False, 18, False),   # ... never for an adult
    (True, 12, False),    # the client alone: not below the self-consent age
    (True, 14, True),     # ... from it
    (True, 30, True),     # ... and as an adult
])
def test_consenting_party_may_consent(minor_consents, age, expected):
    assert consenting_party_may_consent(_ctx(minor_consents, age)) is expected


def test_the_guard_fails_closed_for_other_objects():
    ctx = _ctx(False, 12)
    assert not consenting_party_may_consent(GuardContext(object(), ctx.client, None, 'x',
                                                         date.today()))
    assert not consenting_party_may_consent(GuardContext(ctx.obj, None, None, 'x',
                                                         date.today()))


def test_the_send_steps_name_the_guard_and_activation_keeps_the_signature_guard(app, clinic):
    with clinic() as c:
        for wid, step in (('consent-to-treatment', 'send'), ('release-of-information', 'send'),
                          ('confidentiality-agreement', 'propose')):
            workflow = c['workflows'][wid].definition()
            (send,) = [t for t in workflow.transitions if t.id == step]
            assert 'consenting_party_may_consent' in send.guards
            assert 'client_is_minor' not in send.guards
            (activate,) = [t for t in workflow.transitions if t.id == 'activate']
            assert 'all_required_guardians_signed' in activate.guards


def test_an_older_database_gets_the_guard_by_an_evolve_step(app, clinic, demo):
    from minorconsent.agreements.evolve import SENDING_STEPS, use_send_guard
    from minorconsent.workflow.definition import loads
    from minorconsent.workflow.migrate import publish_with_migration, run_batch
    with clinic() as c:
        # The clinic as it was: the sending steps named client_is_minor.
        for wid in SENDING_STEPS:
            record = c['workflows'][wid]
            old = record.versions[record.current].replace('"consenting_party_may_consent"',
                                                          '"client_is_minor"')
            publish_with_migration(record, old, loads(old), {}, 'system')
            while run_batch(record):
                pass
        use_send_guard(c, app.registry)
        for wid, step in SENDING_STEPS.items():
            record = c['workflows'][wid]
            (send,) = [t for t in record.definition().transitions if t.id == step]
            assert send.guards == ('consenting_party_may_consent',)
            assert record.migration.finished
        consent = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        assert consent.workflow_version == c['workflows']['consent-to-treatment'].current
        assert consent.state == 'active'
        # Run again: nothing left to change.
        versions = {wid: c['workflows'][wid].current for wid in SENDING_STEPS}
        use_send_guard(c, app.registry)
        assert versions == {wid: c['workflows'][wid].current for wid in SENDING_STEPS}
