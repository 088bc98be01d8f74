"""An agreement as an HL7 FHIR R4 Consent resource (JSON-ready dict).

Consent to treatment has scope ``treatment``; the confidentiality agreement
``patient-privacy``, with a nested provision denying guardians access to
session content.  The guardians are performers (RelatedPerson, role GUARD);
the signed PDF is the source attachment.  References use opaque ids only.

A kind of the clinic's own (``kinds``) has the scope of the workflow it
follows (a consent's ``treatment``, a confidentiality agreement's
``patient-privacy``) and the clinic's own category: a code system under
the clinic's public address (``KIND_SYSTEM_PATH``), the kind's id as the
code and its title as the display.

A release of information has scope ``patient-privacy``, category LOINC
64292-6 (release of information consent) and a permit provision whose one
actor is the recipient (role ``IRCP``, information recipient), for the
release's period and purpose.  A recipient outside the clinic (a doctor, a
school) has no record here to reference, so it is named by ``display``, as
the signed text names it; a guardian recipient is referenced by id only.
"""
import base64
import hashlib

from pyramid.threadlocal import get_current_registry

from minorconsent.site.canonical import public_url
from minorconsent.workflow.engine import definition_of

from .kinds import kind_of
from .validity import has_period

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
#: Where the clinic's own code system of agreement kinds lives, below its
#: public address.
KIND_SYSTEM_PATH = ('fhir', 'CodeSystem', 'agreement-kinds')
#: A clinic kind's scope, by its workflow's content type.
SCOPE_OF_CONTENT = {'consent': 'treatment', 'confidentiality': 'patient-privacy'}
RELEASE_CONSENT = {'system': 'http://loinc.org', 'code': '64292-6',
                   'display': 'Release of information consent'}


def _when(moment):
    return moment.isoformat(timespec='seconds').replace('+00:00', 'Z')


def _guard(gid):
    return {'role': {'coding': [{'system': ROLE_SYSTEM, 'code': 'GUARD',
                                 'display': 'guardian'}]},
            'reference': {'reference': 'RelatedPerson/%s' % gid}}


def kind_system(registry=None):
    """The URI of the clinic's code system of agreement kinds."""
    return public_url(registry or get_current_registry(), *KIND_SYSTEM_PATH)


def _scope_and_category(agreement, registry):
    if agreement.kind in SCOPE:
        return SCOPE[agreement.kind], (RELEASE_CONSENT if agreement.kind == 'release'
                                       else PATIENT_CONSENT)
    kind = kind_of(agreement)
    title = kind.title if kind is not None else agreement.title
    content_type = definition_of(agreement).content_type
    return SCOPE_OF_CONTENT.get(content_type, 'treatment'), {
        'system': kind_system(registry), 'code': agreement.kind, 'display': title}


def consent_resource(agreement, clinic, registry=None):
    """``registry``: for the clinic's public address (the current one by
    default)."""
    client = agreement.workflow_client()
    scope, category = _scope_and_category(agreement, registry)
    signed = [s for s in agreement.signatures.values() if s.role == 'guardian']
    performers = [{'reference': 'RelatedPerson/%s' % s.signer_id} for s in signed]
    if agreement.minor_consents or (not agreement.required_guardians
                                    and client.self_account_id in agreement.signatures):
        # The client consents alone, or signs alone a clinic kind only
        # they sign.
        performers.append({'reference': 'Patient/%s' % client.__name__})
    if agreement.therapist_signer in agreement.signatures:
        performers.append({'reference': 'Practitioner/%s' % agreement.therapist_signer})
    activated = [e.time for e in agreement.event_list() if e.kind == 'activated']
    resource = {
        'resourceType': 'Consent',
        'id': agreement.__name__,
        'status': STATUS.get(agreement.state, 'inactive'),
        'scope': {'coding': [{'system': SCOPE_SYSTEM, 'code': scope}]},
        'category': [{'coding': [category]}],
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
    if not resource['provision']['actor']:
        # FHIR has no empty lists: a kind no guardian signs names no actor.
        del resource['provision']['actor']
    if activated:
        resource['provision']['period'] = {'start': _when(activated[-1])}
    if has_period(agreement) and agreement.valid_until is not None:
        # The last day in force, as a date: a FHIR period's end at day
        # precision includes that whole day, as ``validity`` reads it.
        resource['provision'].setdefault('period', {})['end'] = \
            agreement.valid_until.isoformat()
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
