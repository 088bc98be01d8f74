"""A signed agreement's PDF tells its present state: after a revocation the
clinic's copy and the signer's copy say so and list the revoke event;
the copy stored at activation stays as signed."""
import hashlib
import io

import pypdf

from support import ROLE_EMAILS, sign_in


def words(res):
    assert res.content_type == 'application/pdf'
    return ' '.join(''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(res.body)).pages)
                    .split())


def test_after_a_revocation_both_copies_say_revoked(app, clinic, demo):
    path = '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    before = words(therapist.get(path + 'agreement.pdf'))
    assert 'Status: Active' in before and 'revoked' not in before
    with clinic() as c:
        stored = c['clients'][demo.mateo]['agreements'][demo.mateo_consent].pdf_sha256
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    form = mother.get(path + 'family').forms['revoke']
    form['comment'] = 'We are moving.'
    form.submit(status=302)
    clinic_copy = words(therapist.get(path + 'agreement.pdf'))
    assert 'Status: Revoked' in clinic_copy and 'Status: Active' not in clinic_copy
    assert 'revoked by Elena Alvarez' in clinic_copy
    assert '192.0.2.10' in clinic_copy and '192.0.2.11' in clinic_copy   # every IP
    own = words(mother.get(path + 'signed.pdf'))
    assert 'Status: Revoked' in own and 'revoked by Elena Alvarez' in own
    with clinic() as c:
        agreement = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        assert agreement.pdf_sha256 == stored            # the document as signed
        with agreement.pdf.open('r') as f:
            assert hashlib.sha256(f.read()).hexdigest() == stored


def test_an_active_agreement_downloads_the_stored_signed_document(app, demo, clinic):
    """Byte for byte the document the FHIR export carries."""
    import base64
    import json
    path = '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    body = therapist.get(path + 'agreement.pdf').body
    with clinic() as c:
        stored = c['clients'][demo.mateo]['agreements'][demo.mateo_consent].pdf_sha256
    assert hashlib.sha256(body).hexdigest() == stored
    fhir = json.loads(therapist.get(path + 'consent.fhir.json').text)
    assert base64.b64decode(fhir['sourceAttachment']['data']) == body
