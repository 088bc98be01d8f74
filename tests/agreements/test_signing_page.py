"""The signing page: the typed name must be the account holder's, and a
Spanish reader gets the signing errors and authority lines in Spanish."""
import io

import pypdf
import pytest

from minorconsent.agreements.typed_name import typed_name_matches
from support import ROLE_EMAILS, csrf_of, radio, sign_in

WRONG_NAME = 'Type your full name as it appears on your account: Elena Alvarez'


@pytest.mark.parametrize('typed, expected', [
    ('Elena Alvarez', True),
    ('elena alvárez', True),          # accents and case do not matter
    ('ALVAREZ, Elena', True),         # nor order and punctuation
    ('Elena M. Alvarez', True),       # a middle initial
    ('Elena Maria Alvarez', True),    # a middle name
    ('Álvarez Elena', True),          # family name first
    ('E. Alvarez', False),            # the given name in full: an initial is anyone's
    ('Victor Alvarez', False),        # the other parent (issue 14, item 10)
    ('Lucia Alvarez', False),         # a child
    ('Mickey Mouse', False),
    ('Alvarez', False),               # the full name, not only the family name
    ('Elena', False),                 # the family name is required
    ('Elena Alvarezz', False),
])
def test_the_typed_name_rule(typed, expected):
    assert typed_name_matches(typed, 'Elena Álvarez') is expected
    assert typed_name_matches(typed, 'Elena Alvarez') is expected


def test_a_one_word_account_name_and_no_name():
    assert typed_name_matches('Cher', 'Cher') and not typed_name_matches('Madonna', 'Cher')
    assert typed_name_matches('Anyone Here', '')


@pytest.mark.parametrize('typed, account, expected', [
    # The account's middle names may be left out; its given and family
    # names may not.
    ('Elena Alvarez', 'Elena María Alvarez', True),
    ('María Alvarez', 'Elena María Alvarez', False),
    # Hyphens and apostrophes are punctuation.
    ('anne marie o neill', "Anne-Marie O'Neill", True),
    ('Marie ONeill', "Anne-Marie O'Neill", False),
    # Names written without spaces (Chinese, Japanese, Korean) match with
    # or without them, in either order.
    ('王小明', '王小明', True),
    ('王 小明', '王小明', True),
    ('山田花子', '山田 花子', True),
    ('花子 山田', '山田 花子', True),
    ('山田太郎', '山田 花子', False),
    ('김민준', '김 민준', True),
    ('김서연', '김 민준', False),
])
def test_the_typed_name_rule_for_other_names(typed, account, expected):
    assert typed_name_matches(typed, account) is expected


@pytest.mark.parametrize('typed, account', [
    # Another person's full name before, after or around one's own (the
    # review after issue 14): the typed name is the account's name and
    # nothing else, so no one else's name reaches the certificate.
    ('Jamie Fairhaven Alex', 'Alex Fairhaven'),        # the other parent's, then his
    ('Victor Alvarez Elena', 'Elena Alvarez'),
    ('Victor Alvarez, Elena', 'Elena Alvarez'),
    ('Elena Alvarez for Victor Alvarez', 'Elena Alvarez'),
    ('Elena for Victor Alvarez', 'Elena Alvarez'),
    ('Victor Alvarez (Elena Alvarez)', 'Elena Alvarez'),
    ('Elena Alvarez (Victor Alvarez)', 'Elena Alvarez'),
    ('Elena Alvarez Victor', 'Elena Alvarez'),
    ('Elena Alvarez Alvarez', 'Elena Alvarez'),
    ('Anyone Else NG', 'Ng'),
    ('Ng Anyone', 'Ng'),
    ('王小明的丈夫李四', '王小明'),
    ('李四王小明', '王小明'),
    ('王小明 李四', '王小明'),
    ('山田花子さん', '山田 花子'),
    ('山田太郎花子', '山田 花子'),
])
def test_the_typed_name_is_the_account_name_and_nothing_else(typed, account):
    assert typed_name_matches(typed, account) is False


@pytest.mark.parametrize('typed, account', [
    ('Alex Fairhaven', 'Alex Fairhaven'),
    ('Fairhaven, Alex', 'Alex Fairhaven'),
    ('Fairhaven Alex', 'Alex Fairhaven'),
    ('Alvarez, Elena M.', 'Elena Alvarez'),
    ('Alvarez, Elena María', 'Elena María Alvarez'),
    ('Elena M Alvarez', 'Elena María Alvarez'),
    ('Elena M. J. Alvarez', 'Elena Alvarez'),           # initials
    ('García López, Elena', 'Elena García López'),      # a two-word family name first
    ('Elena García López', 'Elena García López'),
    ('van Beethoven, Ludwig', 'Ludwig van Beethoven'),
    ('Beethoven, Ludwig van', 'Ludwig van Beethoven'),
    ('Ng', 'Ng'),
    ('NG.', 'Ng'),
    ('王小明', '王小明'),
    ('王 小明', '王小明'),
    ('花子山田', '山田 花子'),
    ('Anne-Marie O\'Neill', "Anne-Marie O'Neill"),
    ('ONeill, Anne Marie', "Anne-Marie O'Neill"),
])
def test_legitimate_forms_of_the_account_name(typed, account):
    assert typed_name_matches(typed, account) is True


def test_the_teen_cannot_assent_under_a_sisters_name():
    assert not typed_name_matches('Lucia Alvarez', 'Mateo Alvarez')
    assert typed_name_matches('mateo alvarez', 'Mateo Alvarez')


def sent_consent(app, clinic, client_id):
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
    return client + 'agreements/%s/' % ref, ref


def fill(form, name, consent=True):
    form['typed_name'] = name
    form['consented_to_electronic'] = consent
    form['intent_to_sign'] = True
    return form


def test_a_name_that_is_not_the_account_holders_is_refused(app, clinic, demo):
    path, ref = sent_consent(app, clinic, demo.lucia)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    res = fill(mother.get(path + 'family').forms['sign'], 'Mickey Mouse').submit(status=400)
    # Next to the field.
    field = res.html.find(id='error-deformField2') or res.html.find(class_='invalid-feedback')
    assert WRONG_NAME in field.text
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'sent' and len(agreement.signatures) == 0
        assert 'signed' not in [e.kind for e in agreement.event_list()]
    res = fill(res.forms['sign'], 'elena ALVÁREZ').submit().follow()
    assert 'You have signed' in res.text
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'active'
        assert agreement.signatures[demo.user_ids['guardian']].typed_name == 'elena ALVÁREZ'
    # The certificate shows the name as typed and the account's name.
    pdf = sign_in(app, ROLE_EMAILS['therapist']).get(path + 'agreement.pdf')
    text = ''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.body)).pages)
    assert 'elena ALVÁREZ' in text, text
    assert 'by Elena Alvarez' in text.replace('\n', ' ')


def test_a_guardian_cannot_sign_under_the_other_parents_name(app, clinic, demo):
    """The mother typed the court-barred father's name: refused next to
    the field, 400, nothing signed; her own name with accents, another case
    and a middle name signs."""
    path, ref = sent_consent(app, clinic, demo.lucia)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    res = fill(mother.get(path + 'family').forms['sign'], 'Victor Alvarez').submit(status=400)
    field = res.html.find(class_='invalid-feedback') or res.html.find(id='error-deformField2')
    assert WRONG_NAME in field.text
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'sent' and len(agreement.signatures) == 0
    res = fill(res.forms['sign'], 'ÉLENA maría álvarez').submit().follow()
    assert 'You have signed' in res.text
    with clinic() as c:
        signature = c['clients'][demo.lucia]['agreements'][ref].signatures[
            demo.user_ids['guardian']]
        assert signature.typed_name == 'ÉLENA maría álvarez'


def test_the_spanish_signing_page(app, clinic, demo):
    with clinic() as c:
        c['users'][demo.user_ids['guardian']].language = 'es'
    path, ref = sent_consent(app, clinic, demo.lucia)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get(path + 'family')
    res = fill(page.forms['sign'], 'Elena Alvarez', consent=False).submit(status=400)
    assert 'Por favor, acepte firmar electrónicamente.' in res.text
    assert 'Please agree' not in res.text
    res = fill(res.forms['sign'], 'Mickey Mouse').submit(status=400)
    assert ('Escriba su nombre completo tal como aparece en su cuenta: Elena Alvarez'
            in res.text)
    res = fill(res.forms['sign'], 'Elena Alvarez').submit().follow()
    assert 'Autoridad legal para consentir (madre)' in res.text
    assert 'Legal authority' not in res.text
    # A second signature on a document no longer waiting: a Spanish answer.
    res = mother.post(path + 'family', {'csrf_token': csrf_of(page), '__formid__': 'sign',
                                        'typed_name': 'Elena Alvarez'}, status=400)
    assert 'Este documento no le está esperando' in res.text
    assert 'No se cambió nada.' in res.text
    # The record keeps the English words for the clinic's certificate.
    with clinic() as c:
        signature = c['clients'][demo.lucia]['agreements'][ref].signatures[
            demo.user_ids['guardian']]
        assert signature.authority == 'Legal authority to consent (mother)'


def test_the_clients_own_signature_line_in_spanish(app, clinic, demo):
    with clinic() as c:
        c['users'][demo.user_ids['adolescent']].language = 'es'
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    page = teen.get('/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent))
    assert 'El asentimiento del cliente' in page.text
    assert 'Autoridad legal para consentir (madre)' in page.text


@pytest.mark.parametrize('unticked, message', [
    ('intent_to_sign', 'Please confirm that you intend to sign.'),
    ('consented_to_electronic', 'Please agree to sign electronically.'),
])
def test_a_missing_tick_is_named_next_to_its_checkbox(app, clinic, demo, unticked, message):
    """Not under the name field (issue 16, item 6): the reader looks for
    the error where the mistake is."""
    path, ref = sent_consent(app, clinic, demo.lucia)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    form = fill(mother.get(path + 'family').forms['sign'], 'Elena Alvarez')
    form[unticked] = False
    res = form.submit(status=400)
    sign = res.html.find('form', id='sign')
    assert message in sign.select_one('.item-' + unticked).text
    assert message not in sign.select_one('.item-typed_name').text
    with clinic() as c:
        assert len(c['clients'][demo.lucia]['agreements'][ref].signatures) == 0
