"""Minimum necessary (issue 19 items 2 and 3): the seed plants a private
marker in every field no one outside the clinic's staff may read (clinical
goal wording, session notes, diagnoses, restriction notes, drafts ...).
A token holding every scope crawls every search and every read the API
has, for every client, and the marker is in none of the answers; a
property test does it again over freshly seeded clinics with generated
markers."""
import base64
import tempfile

from hypothesis import HealthCheck, given, settings, strategies as st
from ZODB.blob import BlobStorage
from ZODB.MappingStorage import MappingStorage

from minorconsent.scripts.demo_families import marker_code
from support import MARKER, clinic_of, multi_database, seed
from test_fhir_support import EHR, give_clinic_ids

TYPES = ('Consent', 'Goal', 'DocumentReference', 'RelatedPerson')


def crawl_everything(app):
    """Every answer the API gives a full-scope token over the clinic: the
    bodies (PDFs decoded), and how many resources were read."""
    with clinic_of(app.db, app.registry) as clinic:
        ids = give_clinic_ids(clinic)
    ehr = EHR(app)
    bodies, count = [ehr.browser.get('/fhir/metadata').body], 0

    def keep(res):
        bodies.append(res.body)
        return res

    for cid, mrn in sorted(ids.items()):
        keep(ehr.get('/fhir/Patient/' + cid))
        keep(ehr.get('/fhir/Patient', {'identifier': mrn}))
        for resource_type in TYPES:
            found, bundles = ehr.crawl('/fhir/' + resource_type, {'patient.identifier': mrn})
            bodies.extend(str(b).encode() for b in bundles)
            for resource in found:
                count += 1
                keep(ehr.get('/fhir/%s/%s' % (resource_type, resource['id'])))
                if resource_type == 'DocumentReference':
                    binary = keep(ehr.get('/fhir/Binary/' + resource['id']))
                    bodies.append(base64.b64decode(binary.json['data']))
    for status in ('proposed', 'active', 'rejected', 'inactive', 'draft', None):
        found, bundles = ehr.crawl('/fhir/Consent', {'status': status} if status else {})
        bodies.extend(str(b).encode() for b in bundles)
        count += len(found)
    return bodies, count


def assert_marker_absent(bodies, marker):
    for needle in (marker, marker_code(marker)):
        for body in bodies:
            assert needle.encode() not in body


def test_the_private_marker_is_in_no_answer(app, clinic, demo):
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        assert MARKER in goal.clinical_text        # planted: the test can fail
    bodies, count = crawl_everything(app)
    assert count > 20
    assert_marker_absent(bodies, MARKER)


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(marker=st.text(alphabet='ABCDEFGHJKLMNPQRSTUVWXYZ23456789', min_size=10, max_size=16))
def test_no_marker_over_seeded_clinics(app, marker):
    marker = 'MK-' + marker
    db, databases = multi_database(
        BlobStorage(tempfile.mkdtemp(prefix='fhir-marker-'), MappingStorage()),
        MappingStorage())
    planted = seed(db, app.registry, marker=marker)
    with clinic_of(db, app.registry) as clinic:
        mateo = clinic['clients'][planted.mateo]
        assert marker in mateo['goals'][planted.mateo_goal].clinical_text
    saved = app.registry._zodb_databases, app.db
    app.registry._zodb_databases, app.db = databases, db
    try:
        bodies, count = crawl_everything(app)
    finally:
        app.registry._zodb_databases, app.db = saved
        app.registry.audit_recorder.buffer.clear()
        for each in databases.values():
            each.close()
    assert count > 20
    assert_marker_absent(bodies, marker)
