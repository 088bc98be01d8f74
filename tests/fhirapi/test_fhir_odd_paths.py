"""The URL fuzzer's odd paths under /fhir/, sent by an EHR holding a real
token with every scope (issue 19, "Bad input": the URL fuzzer covers
/fhir/).  The session roles' fuzzer (tests/fuzz/test_urls.py) reaches
/fhir/ too, from the authorization matrix, and gets 401 there.

What must hold: never a 500; nothing written to the clinic database; a
path naming real records answers exactly as the same path with made-up
ids (status and body: an odd path never tells a real id from none); an
error is a FHIR OperationOutcome, or the app's plain 400 for bytes that
are not UTF-8, never a page of the clinic.
"""
import json
import sys
from pathlib import Path
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings, strategies as st
from webob import Request

from test_fhir_support import EHR, give_clinic_ids

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'fuzz'))
from test_urls import QUERIES, SEGMENTS, UNICODE  # noqa: E402

TYPES = ('Patient', 'Consent', 'Goal', 'DocumentReference', 'RelatedPerson', 'Binary')


def raw(app, token, path):
    """Straight to the WSGI app (WebTest decodes the path as UTF-8 and
    fails on ``%ff`` before the app sees it; waitress does not)."""
    req = Request.blank(path, environ={'HTTP_HOST': 'localhost', 'REMOTE_ADDR': '192.0.2.77',
                                       'HTTP_AUTHORIZATION': 'Bearer ' + token,
                                       'HTTP_ACCEPT': 'application/fhir+json'})
    return req.get_response(app)


@st.composite
def fhir_path(draw, ids):
    segments = ['', 'fhir', draw(st.sampled_from(TYPES + ('metadata', '')))]
    if draw(st.booleans()):
        segments.append(draw(st.sampled_from(ids)))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(['append', 'insert', 'unicode', 'many', 'slash']))
        at = draw(st.integers(2, len(segments)))
        if how == 'append':
            segments.append(draw(st.sampled_from(SEGMENTS)))
        elif how == 'insert':
            segments.insert(at, draw(st.sampled_from(SEGMENTS)))
        elif how == 'unicode':
            segments.insert(at, quote(draw(UNICODE), safe=''))
        elif how == 'many':
            segments.extend(['a'] * draw(st.integers(50, 400)))
        else:
            segments.insert(at, '')
    return '/'.join(segments) + draw(st.sampled_from(QUERIES))


def test_odd_fhir_paths_with_a_token_never_fail_and_every_404_is_one(app, clinic, demo):
    with clinic() as c:
        give_clinic_ids(c)
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        ids = [demo.mateo, demo.ava, '%s.%s' % (demo.mateo, demo.mateo_consent),
               '%s.%s' % (demo.mateo, demo.mateo_goal), agreement.__name__, 'Z' * 12]
    real_ids = sorted(set(ids[:-1]) | {demo.mateo_consent, demo.mateo_goal}, key=len,
                      reverse=True)
    ehr = EHR(app)
    nothing = raw(app, ehr.token, '/fhir/Consent/doesnotexist')
    assert nothing.status_int == 404
    assert json.loads(nothing.body)['resourceType'] == 'OperationOutcome'
    db = app.registry._zodb_databases['']

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(path=fhir_path(ids))
    def run(path):
        before = db.lastTransaction()
        res = raw(app, ehr.token, path)
        assert res.status_int < 500, (path[:300], res.status)
        assert db.lastTransaction() == before, path[:300]
        if res.status_int >= 400 and res.content_type != 'text/html':
            assert json.loads(res.body)['resourceType'] == 'OperationOutcome', path[:300]
        made_up = path
        for real in real_ids:
            made_up = made_up.replace(real, 'Z' * len(real))
        if made_up != path and res.status_int != 200:
            none = raw(app, ehr.token, made_up)
            assert (res.status_int, res.body) == (none.status_int, none.body), path[:300]
    run()
