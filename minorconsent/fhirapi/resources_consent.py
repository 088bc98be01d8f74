"""Consent and DocumentReference as the API serves them.

A Consent is the therapist's download (``agreements/fhir.py``
``consent_resource``), so the two never disagree, with what an API needs
on top: its id and every reference it holds resolve through this API.
The download names a guardian ``RelatedPerson/<account id>``; here a
RelatedPerson is one guardian *link* (one account may be linked to
several children), so the reference becomes ``RelatedPerson/<client
id>.<account id>``.  Staff (``Practitioner/…``) are not on the API
(minimum necessary), so their references are left out rather than left
dangling.  The signed PDF is not inlined in every Consent of a search
(fifty PDFs in one page): ``sourceReference`` points at its
DocumentReference, whose attachment URL is ``/fhir/Binary/<id>``.

Agreements still in *draft* are the clinic's work in progress and not on
the API.
"""
import base64
import hashlib

from minorconsent.agreements.fhir import (PATIENT_CONSENT, RELEASE_CONSENT, SCOPE,
                                          consent_resource, kind_system)

from .identifiers import api_url, compound

#: Workflow states never served (the clinic's work in progress).
UNSERVED_STATES = ('draft',)
#: DocumentReference.type of the built-in kinds; a clinic's own kind is a
#: consent as well (its own code system is the Consent's category).
DOC_TYPE = {'release': RELEASE_CONSENT}


class _WithoutPdf:
    """An agreement seen without its PDF, so ``consent_resource`` does not
    read and inline the blob of each Consent of a search page."""

    pdf = None

    def __init__(self, agreement):
        self.__dict__['_agreement'] = agreement

    def __getattr__(self, name):
        return getattr(self.__dict__['_agreement'], name)


def served(agreement):
    return agreement.state not in UNSERVED_STATES


def last_updated(agreement):
    """When the agreement last changed as the API sees it: its newest
    event (a signature, a step), else its creation."""
    events = agreement.events
    if len(events):
        return events[events.maxKey()].time
    return agreement.created


def instant(moment):
    return moment.isoformat(timespec='seconds').replace('+00:00', 'Z')


def category_coding(agreement, registry):
    """``(system, code)`` of the Consent's category, without building the
    resource (the category search asks it of every candidate)."""
    if agreement.kind in SCOPE:
        concept = RELEASE_CONSENT if agreement.kind == 'release' else PATIENT_CONSENT
        return concept['system'], concept['code']
    return kind_system(registry), agreement.kind


def _rewrite(reference, client_id):
    """A reference of the download, as this API resolves it (None: not on
    the API)."""
    target = reference.get('reference', '')
    if target.startswith('RelatedPerson/'):
        return dict(reference, reference='RelatedPerson/%s' % compound(
            client_id, target[len('RelatedPerson/'):]))
    if target.startswith('Practitioner/'):
        return None
    return reference


def _rewrite_actors(provision, client_id):
    for actor in provision.get('actor', ()):
        actor['reference'] = _rewrite(actor['reference'], client_id) or {'display': 'Clinic staff'}
    for nested in provision.get('provision', ()):
        _rewrite_actors(nested, client_id)


def api_consent(agreement, clinic, registry):
    """The Consent of ``agreement`` with API ids and references."""
    client_id = agreement.workflow_client().__name__
    resource = consent_resource(_WithoutPdf(agreement), clinic, registry)
    resource['id'] = compound(client_id, agreement.__name__)
    resource['meta'] = {'lastUpdated': instant(last_updated(agreement))}
    performers = [p for p in (_rewrite(p, client_id) for p in resource.pop('performer', ()))
                  if p is not None]
    if performers:
        resource['performer'] = performers
    _rewrite_actors(resource['provision'], client_id)
    if agreement.pdf is not None:
        resource['sourceReference'] = {
            'reference': 'DocumentReference/%s' % resource['id']}
    return resource


def pdf_bytes(agreement):
    with agreement.pdf.open('r') as f:
        return f.read()


def document_reference(agreement, registry):
    """The signed PDF of ``agreement`` (which has one) as a
    DocumentReference whose attachment is fetched from ``/fhir/Binary``."""
    client_id = agreement.workflow_client().__name__
    fhir_id = compound(client_id, agreement.__name__)
    data = pdf_bytes(agreement)
    doc_type = DOC_TYPE.get(agreement.kind, PATIENT_CONSENT)
    return {
        'resourceType': 'DocumentReference',
        'id': fhir_id,
        'meta': {'lastUpdated': instant(last_updated(agreement))},
        'status': 'superseded' if agreement.state == 'superseded' else 'current',
        'docStatus': 'final',
        'type': {'coding': [dict(doc_type)]},
        'subject': {'reference': 'Patient/%s' % client_id},
        'date': instant(last_updated(agreement)),
        'description': agreement.title,
        'content': [{'attachment': {
            'contentType': 'application/pdf',
            'url': api_url(registry, 'Binary', fhir_id),
            'size': len(data),
            'hash': base64.b64encode(hashlib.sha1(data).digest()).decode('ascii'),
            'title': agreement.title,
        }}],
        'context': {'related': [{'reference': 'Consent/%s' % fhir_id}]},
    }


def has_document(agreement):
    return served(agreement) and agreement.pdf is not None


def binary_resource(agreement):
    """The PDF as a FHIR Binary (for a client asking for FHIR JSON)."""
    return {'resourceType': 'Binary', 'id': compound(
        agreement.workflow_client().__name__, agreement.__name__),
        'contentType': 'application/pdf',
        'data': base64.b64encode(pdf_bytes(agreement)).decode('ascii')}
