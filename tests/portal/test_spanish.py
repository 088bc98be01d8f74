"""A guardian reads the portal, emails and PDFs in Spanish; what the
therapist wrote stays as written."""
import io
import time

from pypdf import PdfReader

from support import ROLE_EMAILS, csrf_of, mail_text, mails_since, new_browser, sign_in

SPANISH = {'Accept-Language': 'es-US,es;q=0.9'}


def spanish_mother(app, clinic, demo):
    with clinic() as c:
        c['users'][demo.user_ids['guardian']].language = 'es'
    return sign_in(app, ROLE_EMAILS['guardian'])


def test_the_child_page_in_spanish(app, clinic, demo):
    mother = spanish_mother(app, clinic, demo)
    page = mother.get('/clients/%s/family' % demo.mateo)
    assert '<html lang="es"' in page.text
    for words in ('Objetivos y progreso', 'Novedades del terapeuta', 'Contactar a la clínica',
                  'Avisos de seguridad del terapeuta', 'Cerrar sesión', 'Documentos'):
        assert words in page.text, words
    assert 'Goals and progress' not in page.text
    assert 'Consentimiento para el tratamiento' in page.text and 'Vigente' in page.text
    # Ratings are words from the FHIR scale, translated; the therapist's
    # own text is not.
    assert 'Se mantiene' in page.text or 'Mejorando' in page.text
    assert 'Mateo keeps working on his goals' in page.text
    chart = page.html.select_one('.goal-trend svg')
    assert 'Más difícil' in str(chart) and 'Harder' not in str(chart)


def test_the_summary_pdf_and_the_email_in_spanish(app, clinic, demo):
    mother = spanish_mother(app, clinic, demo)
    child = mother.get('/clients/%s/family' % demo.mateo)
    pdf = child.click(href='summary.pdf', index=0)
    words = ' '.join(''.join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body)).pages)
                     .split())
    assert 'Objetivos y cómo van' in words and 'En una crisis' in words
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-summary' % demo.mateo).forms['form']
    form['period'], form['parent_text'] = 'Otoño', 'A good autumn.'
    page = form.submit().follow()
    since = time.time_ns()
    therapist.post(page.request.path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'})
    sent = [mail_text(m) for m in mails_since(since) if ROLE_EMAILS['guardian'] in m['To']]
    assert len(sent) == 1
    assert sent[0].startswith('Algo nuevo para usted') and 'Hay algo nuevo' in sent[0]


def test_before_sign_in_the_browser_decides(app, demo):
    browser = new_browser(app)
    page = browser.get('/login', headers=SPANISH)
    assert 'Iniciar sesión en' in page.text and 'Correo electrónico' in page.text
    assert 'Email address' not in page.text
    form = page.forms['form']
    form['email'], form['password'] = ROLE_EMAILS['guardian'], 'wrong password 1'
    res = form.submit(headers=SPANISH)
    assert 'No se pudo iniciar sesión' in res.text
    res = browser.get('/invite/not-a-token', headers=SPANISH, status=404)
    assert 'Este enlace no es válido' in res.text


def test_not_found_is_still_the_same_answer_in_spanish(app, clinic, demo):
    stranger = sign_in(app, ROLE_EMAILS['guardian_other'])
    nowhere = stranger.get('/clients/nothing/family', headers=SPANISH, status=404)
    res = stranger.get('/clients/%s/family' % demo.mateo, headers=SPANISH, status=404)
    assert res.body == nowhere.body and 'Página no encontrada' in res.text


def test_a_signers_pdf_copy_has_spanish_labels_and_the_text_as_signed(app, clinic, demo):
    mother = spanish_mother(app, clinic, demo)
    pdf = mother.get('/clients/%s/agreements/%s/signed.pdf' % (demo.mateo, demo.mateo_consent))
    words = ' '.join(''.join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body)).pages)
                     .split())
    assert 'Consentimiento para el tratamiento' in words and 'Certificado' in words
    assert 'Firmado por Elena Alvarez' in words and 'Eventos (UTC)' in words
    assert 'I consent to my child receiving outpatient counseling' in words   # as signed


def test_the_password_page_and_its_errors_in_spanish(app, clinic, demo):
    mother = spanish_mother(app, clinic, demo)
    page = mother.get('/password')
    assert 'Cambie su contraseña' in page.text and 'Contraseña actual' in page.text
    form = page.forms['form']
    form['current'], form['new'], form['confirm'] = 'wrong', 'short', 'short'
    res = form.submit(status=400)
    assert 'Use al menos 12 caracteres.' in res.text
