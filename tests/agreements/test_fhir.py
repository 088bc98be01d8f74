"""FHIR R4 Consent export: structure by fhir.resources (R4B models), code
values by the FHIR value sets (which that package does not check)."""
import base64
import hashlib
import json

import pytest
from fhir.resources.R4B.consent import Consent

from minorconsent.agreements import act, start_agreement
from minorconsent.agreements.fhir import consent_resource
from minorconsent.workflow.engine import Actor
from support import ROLE_EMAILS, sign_in

#: The value sets (FHIR R4).
CONSENT_STATUS = {'draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'}
CONSENT_SCOPE = {'adr', 'research', 'patient-privacy', 'treatment'}
PROVISION_TYPE = {'deny', 'permit'}
CONSENT_ACTION = {'collect', 'access', 'use', 'disclose', 'correct'}


def check_codes(resource):
    assert resource['status'] in CONSENT_STATUS
    (scope,) = resource['scope']['coding']
    assert scope['system'] == 'http://terminology.hl7.org/CodeSystem/consentscope'
    assert scope['code'] in CONSENT_SCOPE
    provisions = [resource['provision']] + resource['provision'].get('provision', [])
    for provision in provisions:
        assert provision['type'] in PROVISION_TYPE
        for action in provision.get('action', []):
            for coding in action['coding']:
                assert coding['code'] in CONSENT_ACTION
        for actor in provision.get('actor', []):
            (role,) = actor['role']['coding']
            assert (role['system'], role['code']) == (
                'http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'GUARD')


def test_the_seeded_active_consent_exports_valid_fhir(app, clinic, demo):
    path = '/clients/%s/agreements/%s/consent.fhir.json' % (demo.mateo, demo.mateo_consent)
    res = sign_in(app, ROLE_EMAILS['therapist']).get(path)
    assert res.content_type == 'application/fhir+json'
    resource = json.loads(res.text)
    Consent.model_validate(resource)
    check_codes(resource)
    assert (resource['status'], resource['scope']['coding'][0]['code']) == ('active', 'treatment')
    assert resource['performer'][0]['reference'] == 'RelatedPerson/%s' % demo.user_ids['guardian']
    assert 'Mateo' not in json.dumps(resource['patient'])
    with clinic() as c:
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        with agreement.pdf.open('r') as f:
            pdf = f.read()
    attachment = resource['sourceAttachment']
    assert base64.b64decode(attachment['data']) == pdf
    assert attachment['hash'] == base64.b64encode(hashlib.sha1(pdf).digest()).decode()


@pytest.mark.parametrize('kind, step, scope', [('consent', 'send', 'treatment'),
                                               ('confidentiality', 'propose', 'patient-privacy')])
def test_every_state_maps_to_a_valid_status(app, clinic, demo, kind, step, scope):
    with clinic() as c:
        therapist = c['users'][demo.user_ids['therapist']]
        actor = Actor(therapist.__name__, ('user:' + therapist.__name__,))
        agreement = start_agreement(c, c['clients'][demo.lucia], kind, therapist.__name__)
        seen = []
        for next_step in (None, step):
            if next_step:
                act(agreement, app.registry, next_step, actor)
            resource = consent_resource(agreement, c)
            Consent.model_validate(resource)
            check_codes(resource)
            seen.append(resource['status'])
        assert seen == ['draft', 'proposed']
        assert resource['scope']['coding'][0]['code'] == scope
        if kind == 'confidentiality':
            assert resource['provision']['provision'][0]['type'] == 'deny'


#: FHIR R4 value sets used by a release's provision.
PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType'
PURPOSE_OF_USE = {'TREAT', 'ETREAT', 'HPAYMT', 'HOPERAT', 'CAREMGT', 'PATRQT', 'FAMRQT',
                  'PWATRNY', 'SUPNWK', 'HRESCH', 'PUBHLTH', 'HLEGAL'}


def check_release_codes(resource):
    assert resource['status'] in CONSENT_STATUS
    assert resource['scope']['coding'] == [{
        'system': 'http://terminology.hl7.org/CodeSystem/consentscope',
        'code': 'patient-privacy'}]
    assert resource['category'][0]['coding'][0] == {
        'system': 'http://loinc.org', 'code': '64292-6',
        'display': 'Release of information consent'}
    provision = resource['provision']
    assert provision['type'] in PROVISION_TYPE and provision['type'] == 'permit'
    for action in provision['action']:
        for coding in action['coding']:
            assert coding['code'] in CONSENT_ACTION
    (actor,) = provision['actor']
    (role,) = actor['role']['coding']
    assert (role['system'], role['code']) == (PARTICIPATION, 'IRCP')
    (purpose,) = provision['purpose']
    assert purpose['system'] == 'http://terminology.hl7.org/CodeSystem/v3-ActReason'
    assert purpose['code'] in PURPOSE_OF_USE
    return provision


def seeded_release(clinic, demo):
    with clinic() as c:
        (release,) = [a for a in c['clients'][demo.mateo]['agreements'].values()
                      if a.kind == 'release']
        return release.__name__, release.terms


def test_the_seeded_release_exports_valid_fhir(app, clinic, demo):
    ref, terms = seeded_release(clinic, demo)
    path = '/clients/%s/agreements/%s/consent.fhir.json' % (demo.mateo, ref)
    res = sign_in(app, ROLE_EMAILS['therapist']).get(path)
    assert res.status_int == 200 and res.content_type == 'application/fhir+json'
    resource = json.loads(res.text)
    Consent.model_validate(resource)
    provision = check_release_codes(resource)
    assert resource['status'] == 'active'
    assert provision['actor'][0]['reference'] == {'display': 'Dr. Demo Pediatrician, family doctor'}
    assert provision['period']['end'] == terms.expires_on.isoformat()
    assert 'start' in provision['period']
    assert provision['purpose'][0]['code'] == 'FAMRQT'
    assert provision['purpose'][0]['display'] == 'Coordinating care with the family doctor'
    # The mother signed it: a performer by id; no name of the family anywhere.
    assert resource['performer'] == [{'reference': 'RelatedPerson/%s' % demo.user_ids['guardian']}]
    assert 'Alvarez' not in json.dumps({k: v for k, v in resource.items()
                                        if k != 'sourceAttachment'})


@pytest.mark.parametrize('ending, status', [('decline', 'rejected'), ('revoke', 'inactive'),
                                            ('expire', 'inactive')])
def test_a_release_that_ended_exports_its_status(app, clinic, demo, ending, status):
    from datetime import date, timedelta
    from minorconsent.agreements import sign
    from minorconsent.disclosures.releases import ReleaseTerms, start_release
    from minorconsent.security.policy import principals_for
    with clinic() as c:
        users = c['users']
        therapist, mother = users[demo.user_ids['therapist']], users[demo.user_ids['guardian']]
        staff = Actor(therapist.__name__, principals_for(therapist))
        family = Actor(mother.__name__, principals_for(mother))
        release = start_release(c, c['clients'][demo.lucia], therapist.__name__, ReleaseTerms(
            'Northside School counselor', 'third_party', ('attendance',),
            'Planning school support', date.today() + timedelta(days=30)))
        resource = consent_resource(release, c)
        Consent.model_validate(resource)
        assert check_release_codes(resource)['period'] == {
            'end': (date.today() + timedelta(days=30)).isoformat()}
        assert resource['status'] == 'draft'
        act(release, app.registry, 'send', staff)
        if ending == 'decline':
            act(release, app.registry, 'decline', family)
        else:
            sign(c, app.registry, release, mother, principals_for(mother), mother.display_name,
                 True, True, release.text_sha256)
            assert release.state == 'active'
            act(release, app.registry, ending, family if ending == 'revoke' else staff,
                'no longer needed')
        resource = consent_resource(release, c)
        Consent.model_validate(resource)
        check_release_codes(resource)
        assert resource['status'] == status
