"""An agreement as an HL7 FHIR R4 Consent resource (JSON-ready dict).

Consent to treatment has scope ``treatment``; the confidentiality agreement
``patient-privacy``, with a nested provision denying guardians access to
session content.  The guardians are performers (RelatedPerson, role GUARD);
the signed PDF is the source attachment.  References use opaque ids only.

A release of information has scope ``patient-privacy``, category LOINC
64292-6 (release of information consent) and a permit provision whose one
actor is the recipient (role ``IRCP``, information recipient), for the
release's period and purpose.  A recipient outside the clinic (a doctor, a
school) has no record here to reference, so it is named by ``display``, as
the signed text names it; a guardian recipient is referenced by id only.
"""
import base64
import hashlib

#: Workflow state -> FHIR Consent.status
STATUS = {
    'draft': 'draft', 'sent': 'proposed', 'proposed': 'proposed', 'active': 'active',
    'declined': 'rejected', 'revoked': 'inactive', 'expired': 'inactive',
    'superseded': 'inactive', 'ended': 'inactive',
}
SCOPE = {'consent': 'treatment', 'confidentiality': 'patient-privacy',
         'release': 'patient-privacy'}
SCOPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentscope'
ACTION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/consentaction'
ROLE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode'
ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode'
PARTICIPATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType'
PURPOSE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason'
PATIENT_CONSENT = {'system': 'http://loinc.org', 'code': '59284-0', 'display': 'Patient Consent'}
RELEASE_CONSENT = {'system': 'http://loinc.org', 'code': '64292-6',
                   'display': 'Release of information consent'}


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
        'category': [{'coding': [RELEASE_CONSENT if agreement.kind == 'release'
                                 else PATIENT_CONSENT]}],
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
    terms = getattr(agreement, 'terms', None)
    if agreement.kind == 'release' and terms is not None:
        _release_provision(resource['provision'], agreement, terms)
    if agreement.pdf is not None:
        with agreement.pdf.open('r') as f:
            data = f.read()
        resource['sourceAttachment'] = {
            'contentType': 'application/pdf', 'title': agreement.title,
            'data': base64.b64encode(data).decode('ascii'), 'size': len(data),
            'hash': base64.b64encode(hashlib.sha1(data).digest()).decode('ascii')}
    return resource


def _release_provision(provision, agreement, terms):
    """The recipient may receive what the release names, for its purpose,
    until its end date: the guardians are the consenting party
    (performers), not actors of the permission."""
    if terms.recipient_kind == 'guardian' and terms.guardian_id:
        recipient = {'reference': 'RelatedPerson/%s' % terms.guardian_id}
    else:
        recipient = {'display': terms.recipient}
    provision['actor'] = [{'role': {'coding': [{'system': PARTICIPATION_SYSTEM, 'code': 'IRCP',
                                                'display': 'information recipient'}]},
                           'reference': recipient}]
    provision['action'] = [{'coding': [{'system': ACTION_SYSTEM, 'code': 'disclose'}]}]
    period = provision.setdefault('period', {})
    period['end'] = terms.expires_on.isoformat()
    # Asked for by the patient where they consent alone, else by the family
    # (the guardians with authority); the words are the release's own.
    provision['purpose'] = [{'system': PURPOSE_SYSTEM,
                             'code': 'PATRQT' if agreement.minor_consents else 'FAMRQT',
                             'display': terms.purpose}]
