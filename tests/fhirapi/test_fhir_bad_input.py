"""Bad input on the FHIR API (issue 19, "Bad input"): unknown parameters
are ignored and named in the Bundle (or refused under ``Prefer:
handling=strict``); huge, repeated, SQL-looking or malformed query strings
are a 400 OperationOutcome, never a 500, and write nothing."""
import string
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from test_fhir_support import EHR, give_clinic_ids, validate

SEARCHABLE = ('Patient', 'Consent', 'Goal', 'DocumentReference', 'RelatedPerson')


@pytest.fixture
def ehr(app, clinic):
    with clinic() as c:
        give_clinic_ids(c)
    return EHR(app)


def _last_transaction(app):
    return app.db.lastTransaction()


def _refused(ehr, url, headers=None):
    res = ehr.get(url, status=400, headers=headers)
    body = validate(res.json)
    assert body['resourceType'] == 'OperationOutcome'
    return body['issue'][0]


def test_unknown_parameters_are_ignored_and_named(ehr, demo):
    plain = ehr.get('/fhir/Consent', {'patient': demo.mateo}).json
    res = ehr.get('/fhir/Consent?patient=%s&colour=blue&status:not=active&<b>x</b>=1'
                  % demo.mateo)
    bundle = validate(res.json)
    matches = [e for e in bundle['entry'] if e['search']['mode'] == 'match']
    assert matches == plain['entry']
    outcomes = [e for e in bundle['entry'] if e['search']['mode'] == 'outcome']
    assert len(outcomes) == 1
    diagnostics = outcomes[0]['resource']['issue'][0]['diagnostics']
    assert 'colour' in diagnostics and 'status:not' in diagnostics
    assert '<' not in res.text and 'blue' not in res.text
    # The self link says what was searched: the ignored parameters are not in it.
    assert bundle['link'][0]['url'] == \
        'http://localhost/fhir/Consent?patient=%s&_count=50' % demo.mateo


def test_strict_handling_refuses_unknown_parameters(ehr, demo):
    issue = _refused(ehr, '/fhir/Consent?patient=%s&colour=blue' % demo.mateo,
                     headers={'Prefer': 'handling=strict'})
    assert issue['code'] == 'invalid'
    ehr.get('/fhir/Consent?patient=%s' % demo.mateo, headers={'Prefer': 'handling=strict'})
    lenient = ehr.get('/fhir/Consent?colour=blue', headers={'Prefer': 'handling=lenient'})
    assert lenient.json['type'] == 'searchset'


@pytest.mark.parametrize('query', [
    'identifier=' + 'A' * 5000,                                   # huge
    '&'.join(['status=active'] * 10000),                          # repeated 10,000 times
    '&'.join('p%d=1' % i for i in range(100)),                    # too many parameters
    'status=active&status=inactive',                              # a repeat
    "patient.identifier=%27%20OR%201%3D1%20--",                   # SQL-looking
    "patient.identifier=%7B%22%24gt%22%3A%22%22%7D",              # NoSQL-looking
    "patient=Patient%2F1%3BDROP%20TABLE%20clients",
    'status=active%27--', 'status=', 'category=' + ','.join(['a'] * 50),
    '_count=-1', '_count=ten', '_count=99999999999', '_cursor=../../etc',
    '_lastUpdated=yesterday', '_lastUpdated=gt2026-13-45', '_lastUpdated=sa2026-01-01',
    '_lastUpdated=gt2026-01-01T10:00:00',                        # no time zone
    '_lastUpdated=gt2026&_lastUpdated=lt2027&_lastUpdated=eq2026',
    'patient.identifier=a%00b', 'patient=Observation/abc',
])
def test_bad_queries_are_a_clean_400_writing_nothing(ehr, app, query):
    ehr.get('/fhir/metadata')
    before = _last_transaction(app)
    _refused(ehr, '/fhir/Consent?' + query)
    assert _last_transaction(app) == before


@pytest.mark.parametrize('resource_type', ['Patient', 'Goal', 'DocumentReference',
                                           'RelatedPerson'])
def test_searches_that_would_walk_every_client_are_refused(ehr, resource_type):
    assert _refused(ehr, '/fhir/' + resource_type)['code'] == 'too-costly'
    assert _refused(ehr, '/fhir/%s?colour=blue' % resource_type)['code'] == 'too-costly'


NAMES = st.sampled_from(['patient', 'patient.identifier', 'patient:identifier', 'identifier',
                         'status', 'category', '_lastUpdated', '_count', '_cursor', '_id',
                         'subject', '_format', 'patient.name', ''])
VALUES = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=string.printable, max_size=300),
    st.sampled_from(["' OR '1'='1", '"; DROP TABLE x;--', '{"$ne": null}', 'gt2026-01-01',
                     'Patient/', 'http://localhost/fhir/NamingSystem/client-id|MRN-0001',
                     '|MRN-0002', 'MRN-0003', 'active,inactive', '0', '200', '../..', '%00']))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(resource_type=st.sampled_from(SEARCHABLE),
       params=st.lists(st.tuples(NAMES, VALUES), max_size=6),
       strict=st.booleans())
def test_fuzzed_queries_never_500(ehr, resource_type, params, strict):
    query = urlencode(params, quote_via=quote)
    headers = {'Prefer': 'handling=strict'} if strict else {}
    res = ehr.browser.get('/fhir/%s?%s' % (resource_type, query), headers=dict(
        headers, Authorization='Bearer ' + ehr.token), expect_errors=True)
    assert res.status_int in (200, 400), (res.status, query)
    body = validate(res.json)
    assert body['resourceType'] == ('Bundle' if res.status_int == 200 else 'OperationOutcome')
