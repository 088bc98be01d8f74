"""Signed agreements as PDF: stored blob for the clinic, own copy for signers."""
import io

import pypdf

from support import ROLE_EMAILS, sign_in


def text_of(res):
    assert res.content_type == 'application/pdf'
    assert res.headers['Content-Disposition'] == 'attachment; filename="agreement.pdf"'
    return ''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(res.body)).pages)


def test_the_clinic_copy_has_the_text_signatures_and_full_certificate(app, clinic, demo):
    path = '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)
    text = text_of(sign_in(app, ROLE_EMAILS['therapist']).get(path + 'agreement.pdf'))
    with clinic() as c:
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        digest = agreement.text_sha256
        assert agreement.pdf is not None and agreement.pdf_sha256
    for expected in ('Consent to treatment', 'Mateo Alvarez', 'Elena Alvarez',
                     'Legal authority to consent (mother)', digest, 'Certificate',
                     '192.0.2.10', '192.0.2.11', 'activated', 'risk of serious harm'):
        assert expected in text.replace('\n', ' ').replace('  ', ' ') or expected in text, expected


def test_a_signers_copy_hides_the_other_signers_network_details(app, demo):
    path = '/clients/%s/agreements/%s/signed.pdf' % (demo.mateo, demo.mateo_consent)
    mother = text_of(sign_in(app, ROLE_EMAILS['guardian']).get(path))
    assert '192.0.2.11' in mother and '192.0.2.10' not in mother    # teen signed from .10
    teen = text_of(sign_in(app, ROLE_EMAILS['adolescent']).get(path))
    assert '192.0.2.10' in teen and '192.0.2.11' not in teen


def test_no_pdf_before_signing_and_none_for_non_signers(app, demo):
    stepparent = sign_in(app, 'stepparent@demo.test')
    path = '/clients/%s/agreements/%s/signed.pdf' % (demo.mateo, demo.mateo_consent)
    assert stepparent.get(path, expect_errors=True).status_int == 404
