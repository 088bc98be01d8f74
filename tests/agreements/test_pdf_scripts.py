"""Names in Chinese, Japanese and Korean script reach the signed PDF (and a
summary PDF) as text; a character no embedded font can draw is written as
its code point, never dropped."""
import io

import pypdf
import pytest

from minorconsent.agreements import pdf
from minorconsent.agreements.agreement_record import AgreementRecord, SignatureLine
from support import ROLE_EMAILS, sign_in

from test_signing_page import fill, sent_consent

NAMES = {'Chinese': '王小明', 'Japanese': '山田 花子', 'Korean': '김민준'}


def words(body):
    return ''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)


@pytest.mark.parametrize('script', sorted(NAMES))
def test_a_guardian_named_in_cjk_script_is_on_the_signed_pdf(app, clinic, demo, script):
    name = NAMES[script]
    with clinic() as c:
        c['users'][demo.user_ids['guardian']].display_name = name
    path, ref = sent_consent(app, clinic, demo.lucia)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    fill(mother.get(path + 'family').forms['sign'], name).submit().follow()
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'active'
        with agreement.pdf.open('r') as f:
            stored = f.read()
    clinic_copy = sign_in(app, ROLE_EMAILS['therapist']).get(path + 'agreement.pdf').body
    own_copy = mother.get(path + 'signed.pdf').body
    for body in (stored, clinic_copy, own_copy):
        text = words(body)
        # The typed name in the signature block, the account's name in the
        # certificate and the event trail.
        assert text.count(name) >= 2, (script, text)


def record(name, client_name='Rowan 山田'):
    return AgreementRecord(
        title='Consent to treatment', client_name=client_name, client_birth_date='2014-01-01',
        practice='Demo Practice', text='The text.\n', text_sha256='0' * 64,
        template_version=1, workflow_version=1, state_title='Active',
        signatures=(SignatureLine('u1', name, 'Legal authority to consent (mother)',
                                  '2025-01-01 10:00:00 UTC', '', ''),),
        events=())


def test_a_character_no_font_draws_is_written_as_its_code_point():
    # U+20BB7 (a variant of 吉, in Japanese family names) is outside the
    # embedded subset: it must not vanish from the name.
    text = words(pdf.render(record('𠮷野 花子')))
    assert '[U+20BB7]野 花子' in text, text
    assert 'Rowan 山田' in text


def test_latin_only_documents_do_not_embed_the_cjk_font():
    """The CJK font is several megabytes to load: only documents that need
    it pay for it (and embed its subset)."""
    body = pdf.render(record('Elena Álvarez', 'Rowan Fairhaven'))
    assert b'NotoSansCJK' not in body and 'Elena Álvarez' in words(body)
    assert b'NotoSansCJK' in pdf.render(record('王小明', 'Rowan Fairhaven'))


def test_a_summary_pdf_prints_a_childs_name_in_cjk_script(app, clinic, demo):
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        mateo.preferred_name = '小明'
        summaries = [s for s in mateo['summaries'].values() if s.state == 'published']
        ref = summaries[-1].__name__
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    body = mother.get('/clients/%s/summaries/%s/summary.pdf' % (demo.mateo, ref)).body
    assert '小明' in words(body)
