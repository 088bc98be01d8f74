"""The chain holds each signed document's SHA-256, not only the clinic
database: an entry saying "consent v1" proves nothing about which PDF was
signed, and the hash stored beside the PDF can be changed with it."""
import hashlib

from support import audit_entries


def test_each_signature_and_stored_signed_pdf_has_its_hash_on_the_chain(app, demo, clinic):
    with clinic() as c:
        consent = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        with consent.pdf.open('r') as data:
            pdf_sha256 = hashlib.sha256(data.read()).hexdigest()
        text_sha256 = consent.text_sha256
        signed_by = set(consent.signatures)
    entries = [e for e in audit_entries(app) if e['record'] == demo.mateo
               and e['target'] == 'agreements/' + demo.mateo_consent]
    signed = [e for e in entries if e['action'] == 'agreement.signed']
    assert {e['actor'] for e in signed} == signed_by
    assert all('text sha256 ' + text_sha256 in e['detail'] for e in signed)
    stored = [e for e in entries if e['action'] == 'agreement.document_stored']
    assert len(stored) == 1
    assert 'pdf sha256 ' + pdf_sha256 in stored[0]['detail']
    assert 'text sha256 ' + text_sha256 in stored[0]['detail']
    assert stored[0]['actor'] == 'system'
