"""The FHIR API as an EHR uses it (issue 19 items 2 and 3): a registered
client with a real token matches a minor by the clinic's own client id and
reads the consents, published goals, signed PDFs and guardians; every
resource validates with the R4B models, its codes come from the required
value sets, and every reference inside resolves through the API."""
import base64
import hashlib

import pytest

from test_fhir_support import EHR, SYSTEM, give_clinic_ids, validate

CONSENT_STATES = {'draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'}
GOAL_LIFECYCLE = {'proposed', 'planned', 'accepted', 'active', 'on-hold', 'completed',
                  'cancelled', 'entered-in-error', 'rejected'}
ACHIEVEMENT = {'in-progress', 'improving', 'worsening', 'no-change', 'achieved',
               'sustaining', 'not-achieved', 'no-progress', 'not-attainable'}
SCOPES = {'adr', 'research', 'patient-privacy', 'treatment'}
DOC_STATUS = {'current', 'superseded', 'entered-in-error'}


@pytest.fixture
def ids(clinic):
    with clinic() as c:
        return give_clinic_ids(c)


@pytest.fixture
def ehr(app, ids):
    return EHR(app)


def test_metadata_is_public_and_says_what_is_implemented(app):
    from api_support import api_browser
    res = api_browser(app).get('/fhir/metadata', headers={'Host': 'evil.example'})
    statement = validate(res.json)
    rest = statement['rest'][0]
    types = {r['type']: r for r in rest['resource']}
    assert set(types) == {'Patient', 'Consent', 'Goal', 'DocumentReference',
                          'RelatedPerson', 'Binary'}
    assert [i['code'] for i in types['Consent']['interaction']] == ['read', 'search-type']
    assert {p['name'] for p in types['Consent']['searchParam']} == {
        'patient', '_id', 'status', 'category', '_lastUpdated'}
    token = rest['security']['extension'][0]['extension'][0]['valueUri']
    # From the configured address, not the request's Host.
    assert token == 'http://localhost/auth/token'
    assert 'evil' not in res.text


def test_patient_by_the_clinics_own_id(ehr, ids, demo):
    for value in ('%s|%s' % (SYSTEM, ids[demo.mateo]), ids[demo.mateo]):
        bundle = validate(ehr.get('/fhir/Patient', {'identifier': value}).json)
        assert bundle['total'] == 1
        patient = bundle['entry'][0]['resource']
        assert patient['id'] == demo.mateo
        # Identifier, name and birth date only: nothing else of the record.
        assert set(patient) == {'resourceType', 'id', 'identifier', 'name', 'birthDate'}
        assert patient['identifier'] == [{'use': 'usual', 'system': SYSTEM,
                                          'value': ids[demo.mateo]}]
    assert ehr.get('/fhir/Patient/' + demo.mateo).json == patient


def test_unknown_identifier_and_foreign_system_are_empty(ehr, ids, demo):
    for value in ('MRN-9999', 'http://other.example/ids|%s' % ids[demo.mateo]):
        bundle = validate(ehr.get('/fhir/Patient', {'identifier': value}).json)
        assert bundle['total'] == 0 and 'entry' not in bundle
        bundle = validate(ehr.get('/fhir/Consent', {'patient.identifier': value}).json)
        assert bundle['total'] == 0 and 'entry' not in bundle


def _references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'reference' and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def test_a_minors_consents_by_the_clinics_own_id(ehr, ids, demo):
    for name in ('patient.identifier', 'patient:identifier'):
        consents, _ = ehr.crawl('/fhir/Consent', {name: '%s|%s' % (SYSTEM, ids[demo.mateo])})
        assert '%s.%s' % (demo.mateo, demo.mateo_consent) in {c['id'] for c in consents}
        for consent in consents:
            assert consent['patient'] == {'reference': 'Patient/' + demo.mateo}
            assert consent['status'] in CONSENT_STATES and consent['status'] != 'draft'
            assert consent['scope']['coding'][0]['code'] in SCOPES
            # Every reference resolves through the API, to its own id.
            for reference in _references(consent):
                kind, _, rid = reference.partition('/')
                assert validate(ehr.get('/fhir/%s/%s' % (kind, rid)).json)['id'] == rid
    by_ref, _ = ehr.crawl('/fhir/Consent', {'patient': 'Patient/' + demo.mateo})
    assert by_ref == consents
    active = [c for c in consents if c['status'] == 'active']
    assert active, 'Mateo has an active consent in the seed'
    only, _ = ehr.crawl('/fhir/Consent', {'patient': demo.mateo, 'status': 'active'})
    assert only == active


def test_published_goals_carry_the_guardian_facing_text_only(ehr, ids, demo, clinic):
    goals, _ = ehr.crawl('/fhir/Goal', {'patient.identifier': ids[demo.mateo]})
    assert goals
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        clinical = {g.clinical_text for g in mateo['goals'].values()}
        titles = {g.parent_title for g in mateo['goals'].values()}
    for goal in goals:
        assert set(goal) <= {'resourceType', 'id', 'lifecycleStatus', 'description',
                             'subject', 'achievementStatus', 'note'}
        assert goal['lifecycleStatus'] in GOAL_LIFECYCLE
        assert goal['subject'] == {'reference': 'Patient/' + demo.mateo}
        assert goal['description']['text'] in titles
        assert goal['description']['text'] not in clinical
        if 'achievementStatus' in goal:
            coding = goal['achievementStatus']['coding'][0]
            assert coding['system'] == 'http://terminology.hl7.org/CodeSystem/goal-achievement'
            assert coding['code'] in ACHIEVEMENT
        assert ehr.get('/fhir/Goal/' + goal['id']).json == goal


def test_unpublished_goal_is_not_on_the_api(ehr, demo, clinic):
    from minorconsent.clients.model import Goal
    with clinic() as c:
        c['clients'][demo.mateo]['goals'].add(Goal('clinical', 'parent title'), 'newgoalXXXXX')
    goals, _ = ehr.crawl('/fhir/Goal', {'patient': 'Patient/' + demo.mateo})
    assert goals and all(not g['id'].endswith('.newgoalXXXXX') for g in goals)
    ehr.get('/fhir/Goal/%s.newgoalXXXXX' % demo.mateo, status=404)


def test_signed_pdfs_as_document_references(ehr, ids, demo, clinic):
    docs, _ = ehr.crawl('/fhir/DocumentReference', {'patient.identifier': ids[demo.mateo]})
    assert docs
    with clinic() as c:
        signed = {'%s.%s' % (demo.mateo, a.__name__)
                  for a in c['clients'][demo.mateo]['agreements'].values()
                  if a.pdf is not None and a.state != 'draft'}
    assert {d['id'] for d in docs} == signed
    for doc in docs:
        assert doc['status'] in DOC_STATUS
        assert doc['subject'] == {'reference': 'Patient/' + demo.mateo}
        attachment = doc['content'][0]['attachment']
        assert attachment['contentType'] == 'application/pdf'
        assert attachment['url'] == 'http://localhost/fhir/Binary/' + doc['id']
        pdf = ehr.browser.get('/fhir/Binary/' + doc['id'], headers={
            'Authorization': 'Bearer ' + ehr.token, 'Accept': 'application/pdf'})
        assert pdf.content_type == 'application/pdf' and pdf.body.startswith(b'%PDF')
        assert len(pdf.body) == attachment['size']
        assert base64.b64encode(hashlib.sha1(pdf.body).digest()).decode() == attachment['hash']
        binary = validate(ehr.get('/fhir/Binary/' + doc['id']).json)
        assert base64.b64decode(binary['data']) == pdf.body
        consent = ehr.get('/fhir/Consent/' + doc['id']).json
        assert consent['sourceReference'] == {'reference': 'DocumentReference/' + doc['id']}


def test_guardians_as_related_people(ehr, demo, clinic):
    people, _ = ehr.crawl('/fhir/RelatedPerson', {'patient': 'Patient/' + demo.mateo})
    with clinic() as c:
        links = c['clients'][demo.mateo]['guardians']
        assert {p['id'] for p in people} == {'%s.%s' % (demo.mateo, g) for g in links.keys()}
    for person in people:
        assert set(person) <= {'resourceType', 'id', 'patient', 'relationship', 'name'}
        assert person['patient'] == {'reference': 'Patient/' + demo.mateo}
        assert person['relationship'][0]['coding'][0]['system'] == \
            'http://terminology.hl7.org/CodeSystem/v3-RoleCode'


def test_paging_across_the_clinic_with_next_links(ehr, clinic):
    everything, _ = ehr.crawl('/fhir/Consent', {'_count': '200'})
    with clinic() as c:
        served = sum(1 for cl in c['clients'].values() if 'agreements' in cl
                     for a in cl['agreements'].values() if a.state != 'draft')
    assert len(everything) == served > 3
    paged, bundles = ehr.crawl('/fhir/Consent', {'_count': '2'})
    assert paged == everything
    assert len(bundles) == (served + 1) // 2
    assert all(b['total'] == served for b in bundles)
    assert all(len(b.get('entry', ())) <= 2 for b in bundles)
    self_link = bundles[0]['link'][0]
    assert self_link == {'relation': 'self', 'url': 'http://localhost/fhir/Consent?_count=2'}


def test_status_category_and_last_updated_across_the_clinic(ehr):
    everything, _ = ehr.crawl('/fhir/Consent', {'_count': '200'})
    for status in ('active', 'proposed', 'inactive', 'rejected'):
        found, bundles = ehr.crawl('/fhir/Consent', {'status': status, '_count': '1'})
        assert found == [c for c in everything if c['status'] == status]
        assert bundles[0]['total'] == len(found)
    loinc = 'http://loinc.org|59284-0'
    found, _ = ehr.crawl('/fhir/Consent', {'status': 'active', 'category': loinc})
    assert found == [c for c in everything if c['status'] == 'active'
                     and c['category'][0]['coding'][0]['code'] == '59284-0']
    stamps = sorted(c['meta']['lastUpdated'] for c in everything)
    middle = stamps[len(stamps) // 2]
    later, _ = ehr.crawl('/fhir/Consent', {'_lastUpdated': 'gt' + middle})
    assert later == [c for c in everything if c['meta']['lastUpdated'] > middle]
    ranged, _ = ehr.crawl('/fhir/Consent', [('_lastUpdated', 'ge' + stamps[0]),
                                           ('_lastUpdated', 'le' + middle)])
    assert ranged == [c for c in everything if c['meta']['lastUpdated'] <= middle]
    assert ehr.crawl('/fhir/Consent', {'_lastUpdated': 'gt2999-01-01'})[0] == []


def test_every_reference_of_every_consent_and_goal_resolves(ehr):
    everything, _ = ehr.crawl('/fhir/Consent', {'_count': '200'})
    patients = {c['patient']['reference'] for c in everything}
    for patient in sorted(patients):
        goals, _ = ehr.crawl('/fhir/Goal', {'patient': patient})
        everything += goals
    seen = set()
    for resource in everything:
        for reference in _references(resource):
            if reference in seen:
                continue
            seen.add(reference)
            kind, _, rid = reference.partition('/')
            assert validate(ehr.get('/fhir/%s/%s' % (kind, rid)).json)['id'] == rid, reference
    assert {r.partition('/')[0] for r in seen} >= {'Patient', 'RelatedPerson',
                                                   'DocumentReference'}


def test_a_disabled_client_is_refused_at_once(app, ehr, demo, clinic):
    ehr.get('/fhir/Patient/' + demo.mateo)
    with clinic() as c:
        c.api_clients.set_enabled(ehr.client_id, False)
    ehr.get('/fhir/Patient/' + demo.mateo, status=401)


def test_the_seeds_own_clinic_ids_find_their_clients(app, clinic):
    """Without any import: the demo seed gives each client the clinic's own
    id, and the EHR finds every client by it."""
    with clinic() as c:
        given = {cl.__name__: cl.external_id for cl in c['clients'].values()
                 if getattr(cl, 'external_id', None)}
    assert given
    ehr = EHR(app)
    for cid, external in given.items():
        bundle = ehr.get('/fhir/Patient', {'identifier': '%s|%s' % (SYSTEM, external)}).json
        assert [e['resource']['id'] for e in bundle['entry']] == [cid]
