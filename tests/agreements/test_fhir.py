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
