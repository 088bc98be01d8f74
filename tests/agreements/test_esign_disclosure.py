"""Before a person's first electronic signature: the disclosure about
electronic documents (paper copies, withdrawing, what is needed, contact
details), agreed once and recorded on the audit trail; and the certificate
says how each signer had signed in."""
import io
import time
from datetime import datetime, timezone

import pypdf
import pytest

from minorconsent.agreements import SigningError, esign, sign
from minorconsent.security.policy import principals_for
from support import audit_entries, csrf_of, sign_in

DISCLOSURE = {
    'en': ('Before you sign electronically', 'Paper copies', 'Withdrawing your consent',
           'What you need', 'PDF reader', 'Your contact details', '555-0100',
           'office@demo.test'),
    'es': ('Antes de firmar electrónicamente', 'Copias en papel', 'Retirar su consentimiento',
           'Lo que necesita', 'lector de PDF', 'Sus datos de contacto', '555-0100',
           'office@demo.test'),
}


def joint_consent(clinic):
    with clinic() as c:
        co2 = c['users'].find_by_email('coparent2@demo.test')
        (client_id,) = c['clients'].index.children_of(co2.__name__)
        (agreement,) = [a for a in c['clients'][client_id]['agreements'].values()
                        if a.state == 'sent']
        return '/clients/%s/agreements/%s/' % (client_id, agreement.__name__), co2.__name__


def words(body):
    return ' '.join(''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages)
                    .split())


@pytest.mark.parametrize('language', ['en', 'es'])
def test_the_first_signature_waits_for_the_disclosure(app, clinic, language):
    path, co2 = joint_consent(clinic)
    with clinic() as c:
        c['users'][co2].language = language
        assert not esign.has_agreed(c['users'][co2])
    parent = sign_in(app, 'coparent2@demo.test')
    page = parent.get(path + 'family')
    for words_ in DISCLOSURE[language]:
        assert words_ in page.text, words_
    if language == 'es':
        assert 'Paper copies' not in page.text
    assert 'sign' not in page.forms and 'electronic-records' in page.forms
    # A signature posted anyway: 400, the reason next to the box, nothing signed.
    res = parent.post(path + 'family', {
        'csrf_token': csrf_of(page), '__formid__': 'sign', 'typed_name': 'Alex Fairhaven',
        'consented_to_electronic': 'true', 'intent_to_sign': 'true', 'sign': 'sign'},
        status=400)
    assert res.html.find(class_='invalid-feedback') is not None
    # The box left unticked: 400, nothing recorded.
    res = res.forms['electronic-records'].submit('agree', status=400)
    with clinic() as c:
        assert not esign.has_agreed(c['users'][co2])
        client_id, ref = path.split('/')[2], path.split('/')[4]
        assert co2 not in c['clients'][client_id]['agreements'][ref].signatures
    form = res.forms['electronic-records']
    form['agreed'] = True
    page = form.submit('agree').follow()
    with clinic() as c:
        found = esign.consent_of(c['users'][co2])
        assert found.version == esign.DISCLOSURE_VERSION and found.language == language
        assert (datetime.now(timezone.utc) - found.time).total_seconds() < 60
    (entry,) = [e for e in audit_entries(app) if e['action'] == 'esign.disclosure_agreed'
                and e['actor'] == co2]
    assert language in entry['detail']
    # Now the signature form, and the disclosure is not asked again.
    assert 'electronic-records' not in page.forms
    form = page.forms['sign']
    form['typed_name'] = 'Alex Fairhaven'
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    form.submit(status=302)


def test_sign_refuses_a_person_who_has_not_agreed(app, clinic):
    path, co2 = joint_consent(clinic)
    with clinic() as c:
        user = c['users'][co2]
        client_id, ref = path.split('/')[2], path.split('/')[4]
        agreement = c['clients'][client_id]['agreements'][ref]
        with pytest.raises(SigningError, match='disclosure about electronic documents'):
            sign(c, app.registry, agreement, user, principals_for(user), 'Alex Fairhaven',
                 True, True, agreement.text_sha256)
        assert co2 not in agreement.signatures


def test_withdrawing_asks_again_at_the_next_signature(app, clinic):
    path, co2 = joint_consent(clinic)
    parent = sign_in(app, 'coparent2@demo.test')
    page = parent.get('/electronic-records')
    assert 'You have not agreed' in page.text and 'Paper copies' in page.text
    form = page.forms['electronic-records']
    form['agreed'] = True
    page = form.submit('agree').follow()
    assert 'You agreed to receive and sign documents electronically on' in page.text
    page = page.forms['withdraw'].submit('withdraw').follow()
    assert 'You have not agreed' in page.text
    with clinic() as c:
        assert not esign.has_agreed(c['users'][co2])
    assert any(e['action'] == 'esign.consent_withdrawn' and e['actor'] == co2
               for e in audit_entries(app))
    assert 'electronic-records' in parent.get(path + 'family').forms


def test_the_certificate_says_how_each_signer_signed_in(app, clinic):
    path, co2 = joint_consent(clinic)
    with clinic() as c:
        esign.agree(c['users'][co2])
    parent = sign_in(app, 'coparent2@demo.test')
    form = parent.get(path + 'family').forms['sign']
    form['typed_name'] = 'Alex Fairhaven'
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    form.submit(status=302)
    with clinic() as c:
        client_id, ref = path.split('/')[2], path.split('/')[4]
        agreement = c['clients'][client_id]['agreements'][ref]
        assert agreement.signatures[co2].authenticated_by == 'password'
        with agreement.pdf.open('r') as f:
            stored = words(f.read())
    clinic_copy = words(sign_in(app, 'therapist@demo.test').get(path + 'agreement.pdf').body)
    own = words(parent.get(path + 'signed.pdf').body)
    for text in (stored, clinic_copy, own):
        assert 'Signed by Alex Fairhaven' in text
        assert 'Signed in with a password.' in text
        # The first parent's signature came from the seed, not a sign-in.
        assert 'How the signer signed in was not recorded.' in text


def test_a_session_remembers_how_it_began_and_old_sessions_still_work(clinic):
    from minorconsent.security.sessions import Session, SessionStore
    store = SessionStore()
    _, session = store.create('u1', auth_method='password+second-factor')
    assert session.auth_method == 'password+second-factor'
    old = Session.__new__(Session)
    old.__setstate__({'user_id': 'u1', 'created': None, 'last_seen': None,
                      'csrf_token': 'x'})
    assert old.auth_method is None                 # stored before the field existed
    with pytest.raises(ValueError):
        store.create('u1', auth_method='telepathy')


def test_second_factor_sign_in_is_on_the_certificate(app, clinic, demo):
    """Sign-in with password and code: the session says so."""
    import pyotp
    from minorconsent.accounts.twofactor import TwoFactor
    with clinic() as c:
        user = c['users'].find_by_email('coparent2@demo.test')
        factor = user.two_factor = TwoFactor()
        secret = factor.start()
        factor.confirm(pyotp.TOTP(secret).now())
        esign.agree(user)
    from support import new_browser
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'] = 'coparent2@demo.test'
    form['password'] = 'demo-password-1'
    res = form.submit()
    assert res.location.endswith('/login-code')
    form = browser.get('/login-code').forms['form']
    form['code'] = pyotp.TOTP(secret).at(time.time() + 30)   # the next code: one is used
    form.submit(status=302)
    path, co2 = joint_consent(clinic)
    form = browser.get(path + 'family').forms['sign']
    form['typed_name'] = 'Alex Fairhaven'
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    form.submit(status=302)
    text = words(sign_in(app, 'therapist@demo.test').get(path + 'agreement.pdf').body)
    assert 'Signed in with a password and a second factor.' in text
