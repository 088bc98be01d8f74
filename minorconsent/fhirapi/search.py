"""Searches and reads, on indexes only: what the ``/fhir/`` views ask.

A patient is found by the clinic's own id through the import's id index
(``caseload.store.find_client``), or by its app id; a patient's consents,
goals, documents and guardians are below its record.  A Consent search
across the clinic (``status``, ``category``, ``_lastUpdated``) reads the
workflow records' index of agreements by state (``WorkflowRecord.by_state``,
keys sorted by ``workflow_key``): the states a ``status`` names are picked
from the index's keys, their key sets merged in order, and at most
``MAX_EXAMINED`` agreements are loaded per page whatever the clinic's size.
A page's ``next`` cursor is the last key returned (for a patient's lists,
the last resource id), so a next page starts where this one ended with a
key range, never by counting past the pages before.

``total`` is given whenever it is known without a walk: a patient's lists
(a handful), a clinic-wide search filtered by status alone (the index
keeps a count per state), or any search whose single page held every
match.  A clinic-wide search filtered on fields the index does not hold
(``category``, ``_lastUpdated``) over more than one page leaves it out
(FHIR allows it: ``Bundle.total`` is optional), rather than load every
agreement of a 50,000-client clinic to count.

Each result is ``(resource, record)``: the record is what the audit entry
is noted on (``views``).
"""
import heapq
from dataclasses import dataclass

from minorconsent.agreements.fhir import STATUS
from minorconsent.caseload.store import find_client

from .identifiers import compound, identifier_system, split_compound
from .resources import (patient_resource, published_goal, published_goals,
                        related_person_resource)
from .resources_consent import (UNSERVED_STATES, api_consent, category_coding,
                                document_reference, has_document, last_updated, served)

#: Agreements loaded at most per page of a clinic-wide search.
MAX_EXAMINED = 2000
#: The workflows whose documents are Consents.
CONSENT_CONTENT_TYPES = ('consent', 'confidentiality', 'release')


@dataclass
class Page:
    results: list             # [(resource dict, record noted on)]
    total: int = None         # None: not known without a walk
    next_cursor: str = None   # None: no further page


def _client(clinic, client_id):
    return clinic['clients'].get(client_id) if client_id else None


def patients_of(clinic, registry, query):
    """The clients a query's patient parameters name (all must agree): a
    list of zero or one.  Each unknown, foreign-system or disagreeing
    parameter makes it empty: no difference between "no such client" and
    "not this one"."""
    found = None
    system = identifier_system(registry)
    for client_id in query.patient_ids:
        client = _client(clinic, client_id)
        if client is None or (found is not None and client is not found):
            return []
        found = client
    for wanted_system, value in query.identifiers:
        if wanted_system not in (None, system):
            return []
        client = find_client(clinic, value)
        if client is None or (found is not None and client is not found):
            return []
        found = client
    return [found] if found is not None else []


def _page(items, query, total=None):
    """One page of ``[(id, resource, record)]`` sorted by id, after the
    cursor."""
    items = sorted(items, key=lambda item: item[0])
    after = [item for item in items if query.cursor is None or item[0] > query.cursor]
    shown = after[:query.count]
    more = len(after) > len(shown)
    return Page([(resource, record) for _, resource, record in shown],
                total=len(items) if total is None else total,
                next_cursor=shown[-1][0] if more and shown else None)


def _wanted_id(query, fhir_id):
    return query.ids is None or fhir_id in query.ids


def search_patients(clinic, registry, query):
    clients = patients_of(clinic, registry, query)
    if query.ids is not None and not query.identifiers:
        clients = [c for c in (_client(clinic, i) for i in query.ids) if c is not None]
    items = [(c.__name__, patient_resource(c, registry), c) for c in clients
             if _wanted_id(query, c.__name__)]
    return _page(items, query)


def search_related(clinic, registry, query):
    items = []
    users = clinic['users']
    for client in patients_of(clinic, registry, query):
        for gid, link in client['guardians'].items():
            resource = related_person_resource(client, link, users)
            items.append((resource['id'], resource, link))
    return _page(items, query)


def search_goals(clinic, registry, query):
    items = []
    for client in patients_of(clinic, registry, query):
        for resource in published_goals(client):
            goal = client['goals'][split_compound(resource['id'])[1]]
            items.append((resource['id'], resource, goal))
    return _page(items, query)


def search_documents(clinic, registry, query):
    items = []
    for client in patients_of(clinic, registry, query):
        for agreement in _agreements(client):
            if has_document(agreement):
                fhir_id = compound(client.__name__, agreement.__name__)
                items.append((fhir_id, agreement, agreement))
    page = _page(items, query)
    page.results = [(document_reference(a, registry), a) for a, _ in page.results]
    return page


def _agreements(client):
    return client['agreements'].values() if 'agreements' in client else ()


def consent_matches(agreement, query, registry):
    """Does a served agreement meet the query's filters?"""
    if not served(agreement):
        return False
    if query.statuses is not None and STATUS.get(agreement.state, 'inactive') \
            not in query.statuses:
        return False
    if query.categories is not None:
        system, code = category_coding(agreement, registry)
        if not any(c == code and s in (None, '', system) for s, c in query.categories):
            return False
    if query.updated:
        moment = last_updated(agreement)
        for prefix, low, high in query.updated:
            if not _within(prefix, moment, low, high):
                return False
    if query.ids is not None:
        fhir_id = compound(agreement.workflow_client().__name__, agreement.__name__)
        if fhir_id not in query.ids:
            return False
    return True


def _within(prefix, moment, low, high):
    return {'eq': low <= moment < high, 'gt': moment >= high, 'ge': moment >= low,
            'lt': moment < low, 'le': moment < high}[prefix]


def search_consents(clinic, registry, query):
    if query.has_patient:
        items = []
        for client in patients_of(clinic, registry, query):
            for agreement in _agreements(client):
                if consent_matches(agreement, query, registry):
                    items.append((compound(client.__name__, agreement.__name__),
                                  agreement, agreement))
        page = _page(items, query)
    else:
        page = _clinic_consents(clinic, registry, query)
    page.results = [(api_consent(a, clinic, registry), a) for a, _ in page.results]
    return page


def consent_records(clinic):
    return [record for _, record in sorted(clinic['workflows'].items())
            if record.definition().content_type in CONSENT_CONTENT_TYPES]


def _places(record, query):
    """The (version, state) keys of the index a query's status names."""
    return [place for place in record.by_state.keys()
            if place[1] not in UNSERVED_STATES
            and (query.statuses is None or STATUS.get(place[1], 'inactive') in query.statuses)]


def _tagged(keys, number):
    """``(key, record number)`` pairs (a generator expression in the loop
    would see only the last record's number)."""
    for key in keys:
        yield key, number


def _clinic_consents(clinic, registry, query):
    """A page of Consents across the clinic, read from the state index in
    ``workflow_key`` order, after the cursor (the last key shown)."""
    records = consent_records(clinic)
    streams, total = [], 0
    for number, record in enumerate(records):
        for place in _places(record, query):
            keys = record.by_state[place]
            total += record.counts[place]()
            found = keys.keys(min=query.cursor, excludemin=True) if query.cursor else keys.keys()
            streams.append(_tagged(found, number))
    filtered = query.categories is not None or query.updated or query.ids is not None
    matches, examined, last_key, exhausted = [], 0, None, True
    if query.count == 0 and not filtered:
        # ``_count=0``: the total alone (FHIR), from the index's counts.
        return Page([], total=total)
    for key, number in heapq.merge(*streams):
        if examined >= MAX_EXAMINED or len(matches) > query.count:
            exhausted = False
            break
        examined += 1
        agreement = records[number].members.get(key)
        if agreement is not None and consent_matches(agreement, query, registry):
            matches.append((key, agreement))
        last_key = key
    if len(matches) > query.count:
        shown = matches[:query.count]
        next_cursor = shown[-1][0] if shown else None
    else:
        shown = matches
        next_cursor = None if exhausted else last_key
    if filtered:
        total = len(matches) if exhausted and query.cursor is None else None
    return Page([(a, a) for _, a in shown], total=total, next_cursor=next_cursor)


# --- reads by id -------------------------------------------------------------

def read(clinic, registry, resource_type, fhir_id):
    """``(resource, record)`` of one id, or None: the same None for an id
    of the wrong shape, an unknown client, an unknown record below it, and
    a record the API does not serve (a draft, an unpublished goal)."""
    if resource_type == 'Patient':
        client = _client(clinic, fhir_id if '.' not in fhir_id else None)
        return (patient_resource(client, registry), client) if client is not None else None
    parts = split_compound(fhir_id)
    client = _client(clinic, parts[0]) if parts else None
    if client is None:
        return None
    own = parts[1]
    if resource_type == 'RelatedPerson':
        link = client['guardians'].get(own)
        return (related_person_resource(client, link, clinic['users']), link) \
            if link is not None else None
    if resource_type == 'Goal':
        resource = published_goal(client, own)
        return (resource, client['goals'][own]) if resource is not None else None
    agreement = client['agreements'].get(own) if 'agreements' in client else None
    if agreement is None or not served(agreement):
        return None
    if resource_type == 'Consent':
        return api_consent(agreement, clinic, registry), agreement
    if resource_type in ('DocumentReference', 'Binary') and has_document(agreement):
        return (document_reference(agreement, registry) if resource_type == 'DocumentReference'
                else agreement), agreement
    return None


SEARCHES = {
    'Patient': search_patients,
    'Consent': search_consents,
    'Goal': search_goals,
    'DocumentReference': search_documents,
    'RelatedPerson': search_related,
}
