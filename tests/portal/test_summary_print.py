"""A published summary on its own page, printable, and as a PDF."""
import io

from pypdf import PdfReader

from support import MARKER, ROLE_EMAILS, sign_in


def published_and_other(clinic, demo):
    with clinic() as c:
        summaries = c['clients'][demo.mateo]['summaries'].values()
        published = [s for s in summaries if s.state == 'published']
        others = [s for s in summaries if s.state != 'published']
        return published[-1].__name__, published[-1].parent_text, [s.__name__ for s in others]


def test_guardian_prints_and_downloads_a_published_summary(app, demo, clinic):
    ref, text, others = published_and_other(clinic, demo)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    child = mother.get('/clients/%s/family' % demo.mateo)
    page = child.click(href='/summaries/%s/family$' % ref)
    assert text in page.text
    assert 'Contact' not in page.text or 'office@demo.test' in page.text
    pdf = page.click(href='summary.pdf')
    assert pdf.content_type == 'application/pdf'
    assert 'filename="summary.pdf"' in pdf.headers['Content-Disposition']
    words = ''.join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body)).pages)
    assert text in ' '.join(words.split()) and 'Mateo' in words
    assert '555-0100' in words and MARKER not in words
    assert 'Alvarez' not in words            # first name only


def test_unpublished_summaries_and_other_families_get_the_nonexistent_answer(app, demo, clinic):
    ref, _, others = published_and_other(clinic, demo)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    nowhere = mother.get('/clients/%s/summaries/nothing/family' % demo.mateo, status=404)
    for other in others:
        for name in ('family', 'summary.pdf'):
            res = mother.get('/clients/%s/summaries/%s/%s' % (demo.mateo, other, name),
                             status=404)
            assert res.body == nowhere.body
    stranger = sign_in(app, ROLE_EMAILS['guardian_other'])
    for name in ('family', 'summary.pdf'):
        stranger.get('/clients/%s/summaries/%s/%s' % (demo.mateo, ref, name), status=404)


def test_the_clinic_contact_details_are_on_the_childs_page(app, demo, clinic):
    with clinic() as c:
        c.settings.contact_phone = '555-0199'
    page = sign_in(app, ROLE_EMAILS['guardian']).get('/clients/%s/family' % demo.mateo)
    section = page.html.select_one('section[aria-labelledby=contact-h]')
    assert '555-0199' in section.text and 'office@demo.test' in section.text
    assert '988' in section.text
