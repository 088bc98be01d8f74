"""The family's signing page (issue 16, item 6): it opens at the top (no
field autofocused below the document), the document names the child, the
therapist and the practice on the page and in its PDF, and a guardian may
decline the confidentiality agreement as they may the consent."""
import io
import re
import time

import pypdf

from support import ROLE_EMAILS, csrf_of, mail_text, mails_since, radio, sign_in


def start_and_send(app, clinic, client_id, kind='consent', step='send'):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % client_id
    form = therapist.get(client + 'add-agreement').forms['form']
    form[radio(form)] = kind
    page = form.submit().follow()
    with clinic() as c:
        (ref,) = [a.__name__ for a in c['clients'][client_id]['agreements'].values()
                  if a.state == 'draft']
    therapist.post(client + 'agreements/%s/step' % ref,
                   {'csrf_token': csrf_of(page), 'step': step})
    return client + 'agreements/%s/' % ref, ref


def pdf_words(res):
    assert res.content_type == 'application/pdf'
    return ' '.join(''.join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(res.body)).pages)
                    .split())


def test_the_signing_page_opens_at_the_top(app, clinic, demo):
    path, _ = start_and_send(app, clinic, demo.lucia)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get(path + 'family')
    assert 'sign' in page.forms
    assert 'autofocus' not in page.text
    # After a refused signature the page comes back without it too.
    form = page.forms['sign']
    form['typed_name'] = 'Elena Alvarez'
    res = form.submit(status=400)
    assert 'autofocus' not in res.text
    # Nor on the page with the form to withdraw consent.
    active = mother.get('/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent))
    assert 'revoke' in active.forms and 'autofocus' not in active.text


def test_the_disclosure_before_a_first_signature_is_not_autofocused(app, clinic):
    with clinic() as c:
        co2 = c['users'].find_by_email('coparent2@demo.test')
        (client_id,) = c['clients'].index.children_of(co2.__name__)
        (agreement,) = [a for a in c['clients'][client_id]['agreements'].values()
                        if a.state == 'sent']
        path = '/clients/%s/agreements/%s/family' % (client_id, agreement.__name__)
    page = sign_in(app, 'coparent2@demo.test').get(path)
    assert 'electronic-records' in page.forms and 'autofocus' not in page.text


def test_the_document_names_the_child_the_therapist_and_the_practice(app, clinic, demo):
    with clinic() as c:
        c['clients'][demo.lucia].preferred_name = 'Lulu'
    path, ref = start_and_send(app, clinic, demo.lucia)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get(path + 'family')
    parties = page.html.find('dl', class_='parties')
    assert parties is not None
    text = ' '.join(parties.get_text(' ').split())
    for expected in ('Child Lulu Alvarez', 'Therapist Dr. Robin Reyes',
                     'Practice Demo Family Counseling'):
        assert expected in text, text
    # Above the text of the document, which speaks of "the child named".
    assert page.text.index('Lulu Alvarez') < page.text.index('the child named in this')
    form = page.forms['sign']
    form['typed_name'] = 'Elena Alvarez'
    form['consented_to_electronic'] = True
    form['intent_to_sign'] = True
    form.submit().follow()
    with clinic() as c:
        assert c['clients'][demo.lucia]['agreements'][ref].state == 'active'
    own = pdf_words(mother.get(path + 'signed.pdf'))
    clinic_copy = pdf_words(sign_in(app, ROLE_EMAILS['therapist']).get(path + 'agreement.pdf'))
    for text in (own, clinic_copy):
        for expected in ('Client: Lucia Alvarez', 'Known as: Lulu Alvarez',
                         'Therapist: Dr. Robin Reyes', 'Demo Family Counseling'):
            assert expected in text, (expected, text)


def test_a_guardian_declines_the_confidentiality_agreement(app, clinic, demo):
    path, ref = start_and_send(app, clinic, demo.lucia, 'confidentiality', 'propose')
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get(path + 'family')
    assert 'Decline to sign' in page.text
    since = time.time_ns()
    res = mother.post(path + 'family', {'csrf_token': csrf_of(page), 'decline': 'yes'})
    assert 'You declined' in res.follow().text
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'declined'
        event = agreement.event_list()[-1]
        assert (event.kind, event.actor_id) == ('declined', demo.user_ids['guardian'])
    # The therapist is told that something needs attention, and nothing else.
    notes = [m for m in mails_since(since) if ROLE_EMAILS['therapist'] in m['To']]
    assert len(notes) == 1
    body = mail_text(notes[0])
    for word in ('Lucia', 'Alvarez', 'Elena', 'declin', 'onfidential', 'agreement'):
        assert word not in body, word
    # The guardian still reads what they declined; nothing to decline twice.
    page = mother.get(path + 'family')
    assert 'Declined' in page.text and 'Decline to sign' not in page.text
    res = mother.post(path + 'family', {'csrf_token': csrf_of(page), 'decline': 'yes'},
                      status=400)
    assert 'not waiting for you' in res.text


def test_the_teen_cannot_decline_for_the_guardians(app, clinic, demo):
    path, _ = start_and_send(app, clinic, demo.mateo, 'confidentiality', 'propose')
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    page = teen.get(path + 'family')
    assert 'Decline to sign' not in page.text
    assert re.search(r'name="decline"', page.text) is None


def test_a_client_signing_their_own_consent_is_named_as_the_client(app, clinic, demo):
    from datetime import date
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        today = date.today()
        mateo.date_of_birth = date(today.year - 19, 1, 1)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % demo.mateo
    form = therapist.get(client + 'add-agreement').forms['form']
    form[radio(form)] = 'consent'
    form['minor_consents'] = True
    page = form.submit().follow()
    with clinic() as c:
        (ref,) = [a.__name__ for a in c['clients'][demo.mateo]['agreements'].values()
                  if a.state == 'draft']
    path = client + 'agreements/%s/' % ref
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'send'})
    page = sign_in(app, ROLE_EMAILS['adolescent']).get(path + 'family')
    parties = ' '.join(page.html.find('dl', class_='parties').get_text(' ').split())
    assert parties.startswith('Client Mateo Alvarez') and 'Child' not in parties
