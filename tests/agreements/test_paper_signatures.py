"""Signatures on paper (issue 16, item 3): staff record one against an
agreement and a signer it waits for, with the scan (PDF, PNG or JPEG by its
first bytes, size-limited), the witness and the day; the agreement then
moves exactly as after an online signature, the certificate and the staff
page say how it was signed, and no family member reaches the scan."""
import io
from datetime import date, timedelta

import pypdf
import pytest
from webtest import Upload

from support import ROLE_EMAILS, audit_entries, csrf_of, radio, sign_in

PNG = b'\x89PNG\r\n\x1a\n' + b'\x00' * 200
PDF = b'%PDF-1.4\n% a scanned page\n' + b'0' * 500
WITNESS = 'Pat Lee'


def fairhavens(clinic):
    """The joint-custody family: their child, the parents' ids (Jamie
    signed the seeded consent online; it waits for Alex) and that
    consent."""
    with clinic() as c:
        users = c['users']
        jamie = users.find_by_email('coparent1@demo.test').__name__
        alex = users.find_by_email('coparent2@demo.test').__name__
        (client_id,) = c['clients'].index.children_of(jamie)
        (consent,) = [a.__name__ for a in c['clients'][client_id]['agreements'].values()
                      if a.state == 'sent']
    return client_id, jamie, alex, consent


def new_consent(app, clinic, client_id):
    """A consent the therapist starts and sends now (both parents sign)."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % client_id
    form = therapist.get(client + 'add-agreement').forms['form']
    form[radio(form)] = 'consent'
    page = form.submit().follow()
    with clinic() as c:
        (ref,) = [a.__name__ for a in c['clients'][client_id]['agreements'].values()
                  if a.state == 'draft']
    therapist.post(client + 'agreements/%s/step' % ref,
                   {'csrf_token': csrf_of(page), 'step': 'send'})
    return therapist, client + 'agreements/%s/' % ref, ref


def record(browser, path, signer, data=PNG, name='scan.png', declared='image/png',
           witness=WITNESS, signed_on=None, status=302):
    form = browser.get(path + 'paper-signature').forms['form']
    form['signer'] = signer
    form['upload'] = Upload(name, data, declared)
    form['witness'] = witness
    form['signed_on'] = (signed_on or date.today()).isoformat()
    return form.submit('record_signature', status=status)


def agreement(c, client_id, ref):
    return c['clients'][client_id]['agreements'][ref]


def pdf_words(body):
    return ' '.join(''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
                    .split())


def test_two_paper_signatures_activate_a_joint_custody_consent(app, clinic, demo):
    client_id, jamie, alex, _ = fairhavens(clinic)
    therapist, path, ref = new_consent(app, clinic, client_id)
    today = date.today().isoformat()
    page = therapist.get(path)
    assert 'Record a signature on paper' in page.text
    record(therapist, path, jamie)
    with clinic() as c:
        a = agreement(c, client_id, ref)
        assert a.state == 'sent' and list(a.signatures) == [jamie]
        signature = a.signatures[jamie]
        assert (signature.paper_signed_on, signature.witness, signature.recorded_by) == (
            today, WITNESS, demo.user_ids['therapist'])
        assert signature.authority.startswith('Legal authority to consent')
    # The supervisor of the client's therapist may record the second one.
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    record(supervisor, path, alex, data=PDF, name='alex.pdf', declared='application/pdf')
    with clinic() as c:
        a = agreement(c, client_id, ref)
        assert a.state == 'active' and a.pdf is not None
        kinds = [e.kind for e in a.event_list()]
        assert kinds[-3:] == ['signed', 'signed', 'activated']
        assert a.paper_scans[alex].content_type == 'application/pdf'
        assert a.paper_scans[alex].read() == PDF
        supervisor_name = c['users'][demo.user_ids['supervisor']].display_name
        therapist_name = c['users'][demo.user_ids['therapist']].display_name
        with a.pdf.open('r') as f:
            stored = pdf_words(f.read())
    # The staff page, the certificate stored at activation and the clinic's copy.
    page = therapist.get(path)
    assert ('signed on paper on %s, witnessed by %s, recorded by %s' % (
        today, WITNESS, therapist_name)) in ' '.join(page.text.split())
    assert 'Record a signature on paper' not in page.text
    clinic_copy = pdf_words(therapist.get(path + 'agreement.pdf').body)
    for text in (stored, clinic_copy):
        assert ('Signed on paper on %s, witnessed by %s, recorded by %s' % (
            today, WITNESS, supervisor_name)) in text, text
        assert 'on paper on %s, witnessed by %s, recorded by %s at' % (
            today, WITNESS, therapist_name) in text
    # On the audit trail, committed with the write: who recorded it.
    entries = [e for e in audit_entries(app) if e['action'] == 'agreement.paper_signature']
    assert [e['actor'] for e in entries] == [demo.user_ids['therapist'],
                                             demo.user_ids['supervisor']]
    assert all(WITNESS not in e['detail'] for e in entries)
    # The signer's own copy says so too.
    own = sign_in(app, 'coparent1@demo.test').get(path + 'signed.pdf')
    assert 'Signed on paper on %s' % today in pdf_words(own.body)


def test_one_paper_and_one_online_signature(app, clinic, demo):
    client_id, jamie, alex, ref = fairhavens(clinic)
    path = '/clients/%s/agreements/%s/' % (client_id, ref)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get(path + 'paper-signature').forms['form']
    # Only the signer the agreement still waits for can be chosen.
    options = [value for value, _, _ in form['signer'].options if value]
    assert options == [alex]
    record(therapist, path, alex, data=b'\xff\xd8\xff\xe0' + b'\x00' * 100, name='a.jpg',
           declared='image/jpeg')
    with clinic() as c:
        a = agreement(c, client_id, ref)
        assert a.state == 'active' and a.pdf is not None
        assert not a.signatures[jamie].on_paper and a.signatures[alex].on_paper
        assert a.paper_scans[alex].content_type == 'image/jpeg'
        # The invitations stop as they do after an online signature.
        assert all(i.status() != 'valid' for i in c.invitations.for_agreement(a))
    # Nothing left to record.
    res = therapist.get(path + 'paper-signature', status=400)
    assert 'not waiting for a signature' in res.text


def refused(app, clinic, field, message, **kw):
    client_id, jamie, alex, ref = fairhavens(clinic)
    path = '/clients/%s/agreements/%s/' % (client_id, ref)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    before = len(audit_entries(app))
    res = record(therapist, path, alex, status=400, **kw)
    error = res.html.find(id='error-%s' % res.html.find(attrs={'name': field})['id']) \
        if field != 'upload' else res.html.find(class_='invalid-feedback')
    errors = ' '.join(e.text for e in res.html.find_all(class_='invalid-feedback'))
    assert message in errors, errors
    assert error is not None
    with clinic() as c:
        a = agreement(c, client_id, ref)
        assert a.state == 'sent' and list(a.signatures) == [jamie]
        assert a.paper_scans is None
        assert a.event_list()[-1].kind != 'signed'
    assert not [e for e in audit_entries(app)[before:]
                if e['action'] in ('agreement.paper_signature', 'agreement.signed')]
    return res


@pytest.mark.parametrize('data, name, declared', [
    (b'<html><script>alert(1)</script></html>', 'scan.pdf', 'application/pdf'),
    (b'MZ\x90\x00' + b'\x00' * 100, 'scan.png', 'image/png'),
    (b'GIF89a' + b'\x00' * 50, 'scan.jpg', 'image/jpeg'),
])
def test_a_file_of_another_type_is_refused_whatever_its_name(app, clinic, data, name,
                                                              declared):
    refused(app, clinic, 'upload', 'This file is not a PDF, PNG or JPEG image',
            data=data, name=name, declared=declared)


def test_a_scan_too_big_or_empty_is_refused(app, clinic):
    from minorconsent.agreements.paper import MAX_SCAN_BYTES, scan_limit
    from minorconsent.security.headers import upload_limit
    limit = scan_limit(upload_limit(app.registry.settings))
    assert limit == MAX_SCAN_BYTES          # 10 MB scans fit under the upload limit
    refused(app, clinic, 'upload', 'The file is too big: a scan may be at most',
            data=b'%PDF-' + b'0' * limit)
    refused(app, clinic, 'upload', 'The file is empty', data=b'')


def test_a_day_in_the_future_or_before_sending_is_refused(app, clinic):
    refused(app, clinic, 'signed_on', 'The day signed cannot be in the future.',
            signed_on=date.today() + timedelta(days=2))
    refused(app, clinic, 'signed_on', 'The day signed cannot be before the agreement was sent',
            signed_on=date.today() - timedelta(days=400))
    refused(app, clinic, 'witness', 'Name the person who witnessed the signature.', witness=' ')


def test_no_family_member_reaches_the_scan(app, clinic, demo):
    """Mateo's new confidentiality agreement, his mother's signature on
    paper: the scan's address answers every family member like an address
    that does not exist."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % demo.mateo
    form = therapist.get(client + 'add-agreement').forms['form']
    form[radio(form)] = 'confidentiality'
    page = form.submit().follow()
    with clinic() as c:
        (ref,) = [a.__name__ for a in c['clients'][demo.mateo]['agreements'].values()
                  if a.state == 'draft']
    path = client + 'agreements/%s/' % ref
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'propose'})
    mother = demo.user_ids['guardian']
    record(therapist, path, mother)
    scan = path + 'paper-scan/' + mother
    res = therapist.get(scan)
    assert res.body == PNG and res.content_type == 'image/png'
    assert res.headers['Content-Disposition'] == 'attachment; filename="paper-signature.png"'
    assert res.headers['X-Content-Type-Options'] == 'nosniff'
    assert sign_in(app, ROLE_EMAILS['supervisor']).get(scan).body == PNG
    fake = scan.replace(demo.mateo, 'Z' * len(demo.mateo))
    for role in ('guardian', 'adolescent', 'guardian_other', 'guardian_restricted',
                 'therapist_other', 'admin'):
        browser = sign_in(app, ROLE_EMAILS[role])
        real = browser.get(scan, expect_errors=True)
        none = browser.get(fake, expect_errors=True)
        assert real.status_int == none.status_int == 404, role
        assert real.body == none.body
        drop = ('Date',)
        assert ([h for h in real.headerlist if h[0] not in drop]
                == [h for h in none.headerlist if h[0] not in drop]), role
        # Nor the form that records one.
        assert browser.get(path + 'paper-signature', expect_errors=True).status_int == 404
    # The family's own page shows the signature, never the scan.
    page = sign_in(app, ROLE_EMAILS['guardian']).get(path + 'family')
    assert 'Elena Alvarez' in page.text and 'paper-scan' not in page.text
    # Staff: a signer with no scan, or no signer, is not found either.
    for wrong in (path + 'paper-scan/' + demo.user_ids['adolescent'], path + 'paper-scan',
                  scan + '/more'):
        assert therapist.get(wrong, expect_errors=True).status_int == 404


def test_only_a_signer_the_agreement_waits_for_and_markup_stays_text(app, clinic, demo):
    from minorconsent.agreements.paper import (PaperSignatureError, record_paper_signature,
                                               sniff)
    assert [sniff(d) for d in (PNG, PDF, b'\xff\xd8\xff\xdb', b'<svg', b'PK\x03\x04', b'')] \
        == ['image/png', 'application/pdf', 'image/jpeg', None, None, None]
    client_id, jamie, alex, ref = fairhavens(clinic)
    with clinic() as c:
        a = agreement(c, client_id, ref)
        staff = demo.user_ids['therapist']
        for who in (jamie, demo.stepparent, demo.user_ids['guardian_restricted'],
                    demo.user_ids['guardian']):
            # Signed already, no authority, restricted, not this child's parent.
            with pytest.raises(PaperSignatureError) as refused_:
                record_paper_signature(a, app.registry, c['users'][who], staff,
                                       io.BytesIO(PNG), WITNESS, date.today())
            assert refused_.value.field == 'signer'
        assert a.paper_scans is None and list(a.signatures) == [jamie]
    # A forged choice on the form is refused like any value not offered.
    path = '/clients/%s/agreements/%s/' % (client_id, ref)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get(path + 'paper-signature').forms['form']
    form['signer'].force_value(demo.stepparent)
    form['upload'] = Upload('scan.png', PNG, 'image/png')
    form['witness'] = WITNESS
    form['signed_on'] = date.today().isoformat()
    form.submit('record_signature', status=400)
    # The witness's name is shown as text.
    record(therapist, path, alex, witness='<b onmouseover=x>Pat</b>')
    page = therapist.get(path)
    assert '<b onmouseover' not in page.text and '&lt;b onmouseover=x&gt;Pat' in page.text
