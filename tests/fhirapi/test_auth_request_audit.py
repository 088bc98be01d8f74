"""Every use of an API token is on the audit trail with its API client
(issue 19 review, finding 2): an empty search, a 404 read, a 403 and a 400
each leave one ``api.request`` entry attributed to ``api:<client id>``
(role api-client) with the resource type, the interaction, the number
returned and the status; a search that returns records has that entry as
well as one per record; a request without a live token has none."""
import pytest

from api_support import api_browser, bearer, register_client, token_for
from support import audit_entries


def requests_since(app, before):
    return [e for e in audit_entries(app)[before:] if e['action'] == 'api.request']


@pytest.fixture
def ehr(app):
    client_id, key = register_client(app, scopes=('system/Consent.rs', 'system/Patient.rs'))
    return client_id, token_for(app, client_id, key,
                                scopes=('system/Consent.rs', 'system/Patient.rs'))


@pytest.mark.parametrize('path,status,what', [
    ('/fhir/Patient?identifier=urn:x|NOPE', 200, 'Patient search, 0 returned'),
    ('/fhir/Consent/NoSuchConsent', 404, 'Consent read, 0 returned'),
    ('/fhir/Goal?patient=Patient/x', 403, 'Goal search, 0 returned'),
    ('/fhir/Patient', 400, 'Patient search, 0 returned'),
    ('/fhir/Nonsense/x/y', 404, 'unknown unknown, 0 returned'),
])
def test_a_use_that_returns_nothing_is_on_the_trail_with_its_client(app, demo, ehr, path,
                                                                    status, what):
    client_id, token = ehr
    before = len(audit_entries(app))
    res = api_browser(app).get(path, headers=bearer(token), expect_errors=True)
    assert res.status_int == status
    entry, = requests_since(app, before)
    assert entry['actor'] == 'api:' + client_id and entry['role'] == 'api-client'
    assert entry['detail'] == 'api client %s: %s' % (client_id, what)
    assert entry['outcome'] == str(status)
    assert entry['record'] == '' and 'x/y' not in entry['detail']


def test_a_search_that_returns_records_has_its_request_entry_too(app, demo, ehr):
    client_id, token = ehr
    before = len(audit_entries(app))
    bundle = api_browser(app).get('/fhir/Consent?_count=3', headers=bearer(token)).json
    returned = len([e for e in bundle.get('entry', ())
                    if e['search']['mode'] == 'match'])
    assert returned > 0
    entry, = requests_since(app, before)
    assert entry['detail'] == 'api client %s: Consent search, %d returned' % (client_id,
                                                                              returned)
    assert entry['outcome'] == '200'
    records = [e for e in audit_entries(app)[before:] if e['action'] == 'fhir.search']
    assert len(records) == returned


def test_a_post_with_a_token_is_on_the_trail_and_no_token_notes_no_request(app, demo, ehr):
    client_id, token = ehr
    before = len(audit_entries(app))
    api = api_browser(app)
    api.post('/fhir/Consent', {'x': '1'}, headers=bearer(token), status=405)
    entry, = requests_since(app, before)
    assert entry['actor'] == 'api:' + client_id and entry['outcome'] == '405'
    before = len(audit_entries(app))
    api.get('/fhir/Consent', headers={'Authorization': 'Bearer wrong'}, status=401)
    api.get('/fhir/metadata')
    assert requests_since(app, before) == []
