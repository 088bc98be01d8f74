"""Agreements over HTTP: a therapist starts and sends, a family signs."""
from support import ROLE_EMAILS, csrf_of, radio, sign_in


def start(browser, client_path, kind='consent', **fields):
    form = browser.get(client_path + 'add-agreement').forms['form']
    form[radio(form)] = kind
    for key, value in fields.items():
        form[key] = value
    return form.submit()


def agreement_of(clinic, client_id, kind, state):
    with clinic() as c:
        return [a.__name__ for a in c['clients'][client_id]['agreements'].values()
                if a.kind == kind and a.state == state]


def test_therapist_starts_sends_and_the_guardian_signs(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % demo.lucia
    page = start(therapist, client).follow()
    assert 'Consent to treatment' in page.text and 'Draft' in page.text
    (ref,) = agreement_of(clinic, demo.lucia, 'consent', 'draft')
    agreement = client + 'agreements/%s/' % ref
    therapist.post(agreement + 'step', {'csrf_token': csrf_of(page), 'step': 'send'})

    mother = sign_in(app, ROLE_EMAILS['guardian'])
    child = mother.get(client + 'family')
    assert 'Waiting for your signature' in child.text
    page = mother.get(agreement + 'family')
    assert 'risk of serious harm' in page.text and '192.0.2' not in page.text
    form = page.forms['sign']
    form['typed_name'] = 'Elena Alvarez'
    form['intent_to_sign'] = True
    res = form.submit(status=400)          # no consent to sign electronically
    assert 'Please agree to sign electronically.' in res.text
    form = res.forms['sign']
    form['consented_to_electronic'] = True
    form['intent_to_sign'] = True
    res = form.submit(headers={'User-Agent': 'PhoneBrowser/1.0'},
                      extra_environ={'REMOTE_ADDR': '198.51.100.4'}).follow()
    assert 'Your signature is recorded' in res.text and 'You have signed' in res.text
    assert ref in agreement_of(clinic, demo.lucia, 'consent', 'active')
    with clinic() as c:
        a = c['clients'][demo.lucia]['agreements'][ref]
        kinds = [e.kind for e in a.event_list()]
        assert kinds == ['started', 'sent', 'invited', 'viewed', 'signed', 'activated']
        signature = a.signatures[demo.user_ids['guardian']]
        assert (signature.ip, signature.user_agent) == ('198.51.100.4', 'PhoneBrowser/1.0')
        assert signature.text_sha256 == a.text_sha256 and signature.time.tzinfo is not None


def test_an_old_text_cannot_be_signed(app, clinic, demo):
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % demo.lucia
    page = start(therapist, client).follow()
    (ref,) = agreement_of(clinic, demo.lucia, 'consent', 'draft')
    therapist.post(client + 'agreements/%s/step' % ref, {'csrf_token': csrf_of(page),
                                                        'step': 'send'})
    form = mother.get(client + 'agreements/%s/family' % ref).forms['sign']
    form['typed_name'] = 'Elena Alvarez'
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    form['text_sha256'] = 'f' * 64          # the text the browser showed was another
    assert 'The text changed since you opened it' in form.submit(status=400).text
    assert agreement_of(clinic, demo.lucia, 'consent', 'sent') == [ref]


def test_start_form_refuses_what_the_rules_refuse(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-agreement' % demo.lucia).forms['form']
    for box in form.fields['checkbox']:
        box.checked = False
    res = form.submit(status=400)
    assert 'No guardian with legal authority can sign' in res.html.select_one('.item-guardians').text
    form = therapist.get('/clients/%s/add-agreement' % demo.lucia).forms['form']
    form['minor_consents'] = True
    res = form.submit(status=400)
    # Next to the box it is about, not under "Guardians who sign" (issue 16, item 6).
    assert 'cannot yet consent on their own' in res.html.select_one('.item-minor_consents').text
    assert 'cannot yet consent' not in res.html.select_one('.item-guardians').text
    form = therapist.get('/clients/%s/add-agreement' % demo.lucia).forms['form']
    form[radio(form)].force_value('contract')
    form.submit(status=400)
    with clinic() as c:
        assert len(c['clients'][demo.lucia]['agreements']) == 1     # the seeded one


def test_steps_that_may_not_happen_are_refused_with_a_message(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)
    page = therapist.get(path)
    res = therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'revoke'},
                         status=400)
    assert 'You may not' in res.text
    res = therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'supersede'})
    assert res.status_int == 302
    assert agreement_of(clinic, demo.mateo, 'consent', 'superseded') == [demo.mateo_consent]


def test_guardian_revokes_consent_from_their_page(app, clinic, demo):
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    path = '/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent)
    form = mother.get(path).forms['revoke']
    assert 'Required' in form.submit(status=400).text
    form = mother.get(path).forms['revoke']
    form['comment'] = 'We are changing practices.'
    res = form.submit().follow()
    assert 'Your consent is withdrawn' in res.text
    assert agreement_of(clinic, demo.mateo, 'consent', 'revoked') == [demo.mateo_consent]


def test_the_teen_sees_their_agreements_and_the_restricted_father_nothing(app, demo):
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    page = teen.get('/clients/%s/mine' % demo.mateo)
    assert 'Confidentiality agreement' in page.text and 'Active' in page.text
    father = sign_in(app, ROLE_EMAILS['guardian_restricted'])
    path = '/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent)
    assert father.get(path, expect_errors=True).status_int == 404


def test_admin_edits_a_text_as_a_new_version_and_started_agreements_keep_theirs(app, clinic,
                                                                               demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/agreement-templates/consent/').forms['form']
    assert 'already' in form.submit(status=400).text          # unchanged text
    form['text'] = 'too short'
    assert 'Shorter than minimum length 50' in form.submit(status=400).text
    form = admin.get('/agreement-templates/consent/').forms['form']
    form['text'] = form['text'].value + '\nA new closing line for everyone to read.'
    form.submit()
    with clinic() as c:
        template = c['agreement-templates']['consent']
        assert template.current.number == 2
        assert 'new closing line' in template.current.text
        seeded = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        assert seeded.template_version == 1 and 'new closing line' not in seeded.text


def test_revoking_tells_the_therapist_without_saying_anything(app, clinic, demo):
    import email
    import os
    import time
    from support import MAIL_DIR
    since = time.time_ns()
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    form = mother.get('/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent)
                      ).forms['revoke']
    form['comment'] = 'Changing practices.'
    form.submit()
    bodies = []
    for name in sorted(os.listdir(MAIL_DIR)):
        if int(name.split('-')[0]) >= since:
            with open(os.path.join(MAIL_DIR, name), 'rb') as f:
                message = email.message_from_bytes(f.read())
            if ROLE_EMAILS['therapist'] in message['To']:
                bodies.append(message.get_payload(decode=True).decode('utf-8'))
    assert len(bodies) == 1
    for word in ('Mateo', 'Alvarez', 'revok', 'consent', 'Changing'):
        assert word not in bodies[0]


def test_a_guardian_can_decline_and_the_therapist_sets_the_custody_rule(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/edit' % demo.lucia).forms['form']
    form['custody_policy'] = 'one'
    form.submit()
    with clinic() as c:
        assert c['clients'][demo.lucia].custody_policy == 'one'
    page = start(therapist, '/clients/%s/' % demo.lucia).follow()
    (ref,) = agreement_of(clinic, demo.lucia, 'consent', 'draft')
    path = '/clients/%s/agreements/%s/' % (demo.lucia, ref)
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'send'})
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get(path + 'family')
    res = mother.post(path + 'family', {'csrf_token': csrf_of(page), 'decline': 'yes'}).follow()
    assert 'You declined' in res.text
    assert agreement_of(clinic, demo.lucia, 'consent', 'declined') == [ref]
    with clinic() as c:
        assert c['clients'][demo.lucia]['agreements'][ref].event_list()[-1].kind == 'declined'


def test_signing_what_is_not_waiting_answers_400_and_changes_nothing(app, clinic, demo):
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    path = '/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent)
    page = mother.get(path)
    for data in ({'__formid__': 'sign', 'typed_name': 'Elena Alvarez',
                  'consented_to_electronic': 'true', 'intent_to_sign': 'true'},
                 {'decline': 'yes'}):
        res = mother.post(path, dict(data, csrf_token=csrf_of(page)), status=400)
        assert 'not waiting for you' in res.text
    assert agreement_of(clinic, demo.mateo, 'consent', 'active') == [demo.mateo_consent]
