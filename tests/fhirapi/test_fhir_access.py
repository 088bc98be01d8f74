"""Who may read the FHIR API (issue 19 item 2): a bearer token alone, its
scopes per type and interaction; a session cookie is nothing here; every
unknown id answers the one 404; each use is on the audit trail, ids only."""
import pytest

from support import audit_entries
from test_fhir_support import EHR, api, give_clinic_ids, grant, validate

PATHS = ('/fhir/Consent', '/fhir/Consent/abc.def', '/fhir/Patient?identifier=MRN-0001',
         '/fhir/Goal', '/fhir/Observation', '/fhir/Binary/abc.def')


@pytest.fixture
def ids(clinic):
    with clinic() as c:
        return give_clinic_ids(c)


def _outcome(res, code):
    body = validate(res.json)
    assert body['resourceType'] == 'OperationOutcome'
    assert body['issue'][0]['code'] == code
    assert res.content_type == 'application/fhir+json'
    return body


@pytest.mark.parametrize('path', PATHS)
def test_no_token_is_401_with_bearer_challenge(app, path):
    from api_support import api_browser
    browser = api_browser(app)
    for headers in ({}, {'Authorization': 'Bearer not-a-token'},
                    {'Authorization': 'Basic YWRtaW46YWRtaW4='}):
        res = browser.get(path, headers=headers, status=401)
        _outcome(res, 'login')
        assert res.headers['WWW-Authenticate'].startswith('Bearer')


@pytest.mark.parametrize('role', ['admin', 'therapist', 'privacy_officer'])
def test_a_staff_session_is_nothing_on_the_api(browser_as, role, demo):
    browser = browser_as(role)
    res = browser.get('/fhir/Patient/' + demo.mateo, status=401)
    _outcome(res, 'login')
    browser.get('/fhir/Consent', status=401)


def test_scopes_per_type(app, ids, demo):
    ehr = EHR(app, scopes=('system/Consent.rs',))
    ehr.get('/fhir/Consent', {'patient': 'Patient/' + demo.mateo})
    for path in ('/fhir/Patient/' + demo.mateo, '/fhir/Goal?patient=' + demo.mateo,
                 '/fhir/DocumentReference?patient=' + demo.mateo,
                 '/fhir/Binary/%s.%s' % (demo.mateo, demo.mateo_consent)):
        _outcome(ehr.get(path, status=403), 'forbidden')


def test_scopes_per_interaction(app, monkeypatch, demo):
    reader = api(app, monkeypatch, grant(scopes={'system/Consent.r'}))
    consent = '/fhir/Consent/%s.%s' % (demo.mateo, demo.mateo_consent)
    assert reader.get(consent).json['resourceType'] == 'Consent'
    _outcome(reader.get('/fhir/Consent?patient=' + demo.mateo, status=403), 'forbidden')
    searcher = api(app, monkeypatch, grant(scopes={'system/Consent.s'}))
    _outcome(searcher.get(consent, status=403), 'forbidden')
    wildcard = api(app, monkeypatch, grant(scopes={'system/*.rs'}))    # never granted
    _outcome(wildcard.get('/fhir/Goal?patient=' + demo.mateo, status=403), 'forbidden')


def test_every_unknown_id_is_the_same_404(app, demo, clinic):
    ehr = EHR(app)
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        draft = [a for a in mateo['agreements'].values() if a.state == 'draft']
        unpublished = [g for g in mateo['goals'].keys()]
    made_up = ['/fhir/Patient/AAAAAAAAAAAA', '/fhir/Patient/%s.x' % demo.mateo,
               '/fhir/Consent/AAAAAAAAAAAA.BBBBBBBBBBBB',
               '/fhir/Consent/%s.BBBBBBBBBBBB' % demo.mateo,
               '/fhir/Consent/%s' % demo.mateo_consent, '/fhir/Consent/%27%20OR%201=1',
               '/fhir/Goal/%s.%s' % (demo.ava, unpublished[0]),
               '/fhir/RelatedPerson/%s.%s' % (demo.mateo, demo.user_ids['guardian_other']),
               '/fhir/DocumentReference/%s.BBBBBBBBBBBB' % demo.ava,
               '/fhir/Binary/nothing']
    made_up += ['/fhir/Consent/%s.%s' % (demo.mateo, a.__name__) for a in draft]
    bodies = {ehr.get(path, status=404).body for path in made_up}
    assert len(bodies) == 1
    assert validate(ehr.get(made_up[0], status=404).json)['issue'][0]['code'] == 'not-found'


def test_each_use_is_audited_ids_only(app, ids, demo):
    ehr = EHR(app)
    before = len(audit_entries(app))
    bundle = ehr.get('/fhir/Consent', {'patient.identifier': ids[demo.mateo]}).json
    ehr.get('/fhir/Patient/' + demo.mateo)
    entries = audit_entries(app)[before:]
    searched = [e for e in entries if e['action'] == 'fhir.search']
    assert len(searched) == bundle['total'] > 0
    for entry in searched:
        assert entry['actor'] == 'api:' + ehr.client_id
        assert entry['role'] == 'api-client'
        assert entry['record'] == demo.mateo
        assert entry['target'].startswith('agreements/')
        assert entry['detail'] == 'api client %s: Consent search, %d returned' % (
            ehr.client_id, bundle['total'])
    read = [e for e in entries if e['action'] == 'fhir.read']
    assert [(e['record'], e['target']) for e in read] == [(demo.mateo, '')]
    # An empty answer reads no record and notes none.
    ehr.get('/fhir/Consent', {'patient.identifier': 'MRN-9999'})
    assert not [e for e in audit_entries(app)[before + len(entries):]
                if e['action'].startswith('fhir.')]


def test_smart_discovery_below_the_fhir_base(app):
    from api_support import api_browser
    res = api_browser(app).get('/fhir/.well-known/smart-configuration',
                               headers={'Host': 'evil.example'})
    assert res.content_type == 'application/json'
    assert res.json['token_endpoint'] == 'http://localhost/auth/token'
    assert res.json == api_browser(app).get('/.well-known/smart-configuration').json


def test_only_get(app, demo):
    ehr = EHR(app)
    auth = {'Authorization': 'Bearer ' + ehr.token}
    res = ehr.browser.post('/fhir/Consent/_search', {'patient': demo.mateo}, headers=auth,
                           status=405)
    _outcome(res, 'not-supported')
    head = ehr.browser.head('/fhir/Consent?patient=' + demo.mateo, headers=auth)
    assert head.status_int == 200 and head.content_type == 'application/fhir+json'
