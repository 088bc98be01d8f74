"""A guardian's accounting shows when the clinic's record system read
their child's agreements and goals through the FHIR API (issue 19 item 1:
"your child's clinic's record system read the agreement"), without naming
the system, and only for what that guardian may read."""
from minorconsent.audit.accounting import record_system_reads
from minorconsent.audit.chain import log_of

from support import audit_entries, sign_in
from test_fhir_support import EHR, give_clinic_ids

SECTION = "Read by the clinic's record system"


def section_of(page):
    text = page.text
    start = text.index(SECTION)
    return text[start:text.index('</section>', start)]


def test_the_mother_sees_the_record_system_read_the_agreement_and_goals(app, clinic, demo):
    with clinic() as c:
        give_clinic_ids(c)
    mother = sign_in(app, 'guardian@demo.test')
    before = section_of(mother.get('/clients/%s/access' % demo.mateo))
    assert 'It has read nothing about' in before
    ehr = EHR(app)
    ehr.get('/fhir/Consent/%s.%s' % (demo.mateo, demo.mateo_consent))
    ehr.get('/fhir/Goal', {'patient': 'Patient/%s' % demo.mateo})
    audit_entries(app)      # seal the buffered read entries
    after = section_of(mother.get('/clients/%s/access' % demo.mateo))
    assert 'Read an agreement' in after and "Read your child's goals" in after
    # Never which system: neither its id nor its name.
    page = mother.get('/clients/%s/access' % demo.mateo).text
    assert ehr.client_id not in page and 'api:' not in page
    # Lucia's page: nothing of hers was read.
    assert 'It has read nothing about' in section_of(
        mother.get('/clients/%s/access' % demo.lucia))


def test_reads_of_what_the_guardian_may_not_read_are_not_listed(app, clinic, demo):
    with clinic() as c:
        give_clinic_ids(c)
    ehr = EHR(app)
    ehr.get('/fhir/Patient/%s' % demo.mateo)
    ehr.get('/fhir/RelatedPerson', {'patient': 'Patient/%s' % demo.mateo})
    ehr.get('/fhir/Consent/%s.%s' % (demo.mateo, demo.mateo_consent))
    audit_entries(app)
    conn = app.registry._zodb_databases['audit'].open()
    try:
        log = log_of(conn.root(), create=False)
        # Only the identifier and the links were read, or an agreement the
        # guardian may not read: nothing to tell.
        assert record_system_reads(log, demo.mateo, {'another'}, False) == ()
        (line,) = record_system_reads(log, demo.mateo, {demo.mateo_consent}, False)
        assert line.what == 'Read an agreement'
    finally:
        conn.close()
