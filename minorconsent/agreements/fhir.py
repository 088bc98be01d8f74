"""An agreement as an HL7 FHIR R4 Consent resource (JSON-ready dict).

Consent to treatment has scope ``treatment``; the confidentiality agreement
``patient-privacy``, with a nested provision denying guardians access to
session content.  The guardians are performers (RelatedPerson, role GUARD);
the signed PDF is the source attachment.  References use opaque ids only.
"""
import base64
import hashlib

#: Workflow state -> FHIR Consent.status
STATUS = {
    'draft': 'draft', 'sent': 'proposed', 'proposed': 'proposed', 'active': 'active',
    'declined': 'rejected', 'revoked': 'inactive', 'expired': 'inactive',
    'superseded': 'inactive', 'ended': 'inactive',
}
SCOPE = {'consent': 'treatment', 'confidentiality': 'patient-privacy'}
SCOPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentscope'
ACTION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentaction'
ROLE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode'
ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode'


def _when(moment):
    return moment.isoformat(timespec='seconds').replace('+00:00', 'Z')


def _guard(gid):
    return {'role': {'coding': [{'system': ROLE_SYSTEM, 'code': 'GUARD',
                                 'display': 'guardian'}]},
            'reference': {'reference': 'RelatedPerson/%s' % gid}}


def consent_resource(agreement, clinic):
    client = agreement.workflow_client()
    signed = [s for s in agreement.signatures.values() if s.role == 'guardian']
    performers = [{'reference': 'RelatedPerson/%s' % s.signer_id} for s in signed]
    if agreement.minor_consents:
        performers.append({'reference': 'Patient/%s' % client.__name__})
    activated = [e.time for e in agreement.event_list() if e.kind == 'activated']
    resource = {
        'resourceType': 'Consent',
        'id': agreement.__name__,
        'status': STATUS.get(agreement.state, 'inactive'),
        'scope': {'coding': [{'system': SCOPE_SYSTEM, 'code': SCOPE[agreement.kind]}]},
        'category': [{'coding': [{'system': 'http://loinc.org', 'code': '59284-0',
                                  'display': 'Patient Consent'}]}],
        'patient': {'reference': 'Patient/%s' % client.__name__},
        'dateTime': _when(activated[-1] if activated else agreement.created),
        'organization': [{'display': clinic.settings.name}],
        'policy': [{'uri': 'urn:sha256:%s' % agreement.text_sha256}],
        'provision': {
            'type': 'permit',
            'actor': [_guard(gid) for gid in agreement.required_guardians],
            'action': [{'coding': [{'system': ACTION_SYSTEM, 'code': 'access'}]}],
        },
    }
    if activated:
        resource['provision']['period'] = {'start': _when(activated[-1])}
    if performers:
        resource['performer'] = performers
    if agreement.kind == 'confidentiality':
        # Guardians are denied the content of sessions: only goals and
        # progress reach them.
        resource['provision']['provision'] = [{
            'type': 'deny',
            'actor': [_guard(gid) for gid in agreement.required_guardians],
            'action': [{'coding': [{'system': ACTION_SYSTEM, 'code': 'access'}]}],
            'class': [{'system': 'http://loinc.org', 'code': '34109-9',
                       'display': 'Note'}],
        }]
    if agreement.pdf is not None:
        with agreement.pdf.open('r') as f:
            data = f.read()
        resource['sourceAttachment'] = {
            'contentType': 'application/pdf', 'title': agreement.title,
            'data': base64.b64encode(data).decode('ascii'), 'size': len(data),
            'hash': base64.b64encode(hashlib.sha1(data).digest()).decode('ascii')}
    return resource
