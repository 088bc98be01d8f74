"""A guardian sees who at the clinic read their child's summaries."""
from support import ROLE_EMAILS, sign_in


def test_staff_reads_of_summaries_are_listed_for_the_guardian(app, demo, clinic):
    with clinic() as c:
        published = [s for s in c['clients'][demo.mateo]['summaries'].values()
                     if s.state == 'published'][0].__name__
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    therapist.get('/clients/%s/summaries/%s/' % (demo.mateo, published))
    therapist.get('/clients/%s/summaries/%s/preview' % (demo.mateo, published))
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    mother.get('/clients/%s/family' % demo.mateo)
    sign_in(app, ROLE_EMAILS['guardian_other']).get(
        '/clients/%s/summaries/%s/' % (demo.mateo, published), status=404)
    app.registry.audit_recorder.flush()
    page = mother.get('/clients/%s/access' % demo.mateo)
    rows = [row.text for row in page.html.select('table.list tbody tr')]
    assert any('Read a progress summary' in r and 'Dr. Robin Reyes' in r for r in rows)
    assert any('Previewed a progress summary' in r for r in rows)
    assert all('Therapist' in r or 'supervisor' in r for r in rows)
    listed = ' '.join(rows)
    assert 'Chris Novak' not in listed and 'Elena Alvarez' not in listed
    # What left under the release she signed; never the safety report.
    assert 'Dr. Demo Pediatrician' in page.text and 'Dates of attendance' in page.text
    assert 'protective services' not in page.text.lower()


def test_another_family_cannot_see_the_accounting(app, demo):
    other = sign_in(app, ROLE_EMAILS['guardian_other'])
    nowhere = other.get('/clients/doesnotexist/access', status=404)
    res = other.get('/clients/%s/access' % demo.mateo, status=404)
    assert res.body == nowhere.body


def test_reads_of_unpublished_summaries_are_not_the_guardians_to_know(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    therapist.get('/clients/%s/summaries/%s/' % (demo.mateo, demo.mateo_review_summary))
    app.registry.audit_recorder.flush()
    page = sign_in(app, ROLE_EMAILS['guardian']).get('/clients/%s/access' % demo.mateo)
    assert 'Nobody at the clinic has opened a summary yet.' in page.text
