"""Agreement kinds defined by the clinic (issue 16, item 2): the admin adds
one with its text in English and Spanish, who signs, its workflow and
whether it is required; therapists start, send and get it signed like the
built-in kinds; the built-in kinds stay as the code needs them."""
import json
from datetime import date

import pytest
from fhir.resources.R4B.consent import Consent
from webtest import Upload

from minorconsent.agreements import act, start_agreement
from minorconsent.agreements.evolve import add_kinds
from minorconsent.agreements.fhir import consent_resource
from minorconsent.agreements.kinds import KindRefused, add_kind, missing_required
from minorconsent.agreements.signing import sign_as_therapist
from minorconsent.portal.parentview import agreement_links
from minorconsent.security.policy import principals_for
from minorconsent.site.evolve import all_steps
from minorconsent.workflow.engine import Actor
from support import ROLE_EMAILS, csrf_of, radio, sign_in

TEXT = ('We may hold some sessions by secure video. You choose a private room, '
        'and you may ask for an in-person session at any time.')
TEXT_ES = ('Algunas sesiones pueden ser por video seguro. Usted elige un lugar privado '
           'y puede pedir una sesión en persona en cualquier momento.')


def add_by_form(admin, **fields):
    form = admin.get('/agreement-templates/add-kind').forms['form']
    values = {'title': 'Telehealth consent', 'title_es': 'Consentimiento de telesalud',
              'text': TEXT, 'text_es': TEXT_ES}
    values.update(fields)
    for key, value in values.items():
        form[key] = value
    return form


def telehealth(c, signers='guardians', workflow='confidentiality-agreement', required=False,
               title='Telehealth consent'):
    return add_kind(c, 'admin', title, 'Consentimiento de telesalud', TEXT, TEXT_ES,
                    signers, workflow, required)


def therapist_actor(c, demo):
    tid = demo.user_ids['therapist']
    return Actor(tid, ('user:' + tid,))


def test_the_admin_adds_a_kind_with_its_text_in_two_languages(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = add_by_form(admin)
    form['workflow_id'] = 'confidentiality-agreement'
    form['required_first_session'] = True
    page = form.submit().follow()
    assert 'Telehealth consent' in page.text
    with clinic() as c:
        kind = c.agreement_kinds['telehealth-consent']
        assert (kind.title_es, kind.signers, kind.workflow_id, kind.required_first_session,
                kind.builtin) == ('Consentimiento de telesalud', 'guardians',
                                  'confidentiality-agreement', True, False)
        version = c['agreement-templates']['telehealth-consent'].current
        assert (version.number, version.text, version.text_es) == (1, TEXT + '\n',
                                                                    TEXT_ES + '\n')
    # Its text is versioned like the others: a new version in both languages.
    form = admin.get('/agreement-templates/telehealth-consent').forms['form']
    form['text'] = TEXT + ' Sessions are never recorded.'
    form['text_es'] = ''
    res = form.submit(status=400)
    assert 'Give the text in Spanish' in res.text
    form = res.forms['form']
    form['text_es'] = TEXT_ES + ' Las sesiones nunca se graban.'
    form.submit().follow()
    with clinic() as c:
        template = c['agreement-templates']['telehealth-consent']
        assert template.current.number == 2 and template.versions[1].text == TEXT + '\n'
        assert template.current.text_es.endswith('nunca se graban.\n')


def test_a_kind_without_its_spanish_text_is_refused_next_to_the_field(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    res = add_by_form(admin, text_es='').submit(status=400)
    assert 'Give the text in Spanish.' in res.text
    res = add_by_form(admin, title_es='').submit(status=400)
    assert 'Give the kind a title in Spanish.' in res.text
    with clinic() as c:
        assert [k.id for k in c.agreement_kinds.all() if not k.builtin] == []
        assert 'telehealth-consent' not in c['agreement-templates']


def test_the_built_in_kinds_cannot_be_removed_or_change_workflow(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/agreement-templates/consent/kind').forms['form']
    form['remove'] = True
    res = form.submit(status=400)
    assert 'It cannot be removed.' in res.text
    form = admin.get('/agreement-templates/consent/kind').forms['form']
    form['workflow_id'] = 'confidentiality-agreement'
    res = form.submit(status=400)
    assert 'Its workflow cannot change.' in res.text
    form = admin.get('/agreement-templates/confidentiality/kind').forms['form']
    form[radio(form)] = 'client'
    assert 'Who signs it cannot change.' in form.submit(status=400).text
    with clinic() as c:
        consent = c.agreement_kinds['consent']
        assert (consent.workflow_id, consent.retired) == ('consent-to-treatment', False)
        assert c.agreement_kinds['confidentiality'].signers == 'guardians'
    # What a built-in kind may change: whether it is required.
    form = admin.get('/agreement-templates/consent/kind').forms['form']
    form['required_first_session'] = True
    form.submit().follow()
    with clinic() as c:
        assert c.agreement_kinds['consent'].required_first_session


def test_a_clinic_kind_is_retired_not_deleted(app, clinic, demo):
    with clinic() as c:
        telehealth(c)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/agreement-templates/telehealth-consent/kind').forms['form']
    form['remove'] = True
    form.submit().follow()
    with clinic() as c:
        assert c.agreement_kinds['telehealth-consent'].retired
        assert 'telehealth-consent' in c['agreement-templates']
    form = sign_in(app, ROLE_EMAILS['therapist']).get(
        '/clients/%s/add-agreement' % demo.lucia).forms['form']
    assert 'telehealth-consent' not in [o[0] for o in form.fields[radio(form)][0].options]


def test_a_workflow_that_is_not_an_agreements_is_refused(app, clinic, demo):
    with clinic() as c:
        with pytest.raises(KindRefused) as refused:
            telehealth(c, workflow='parent-summary')
        assert refused.value.field == 'workflow_id'
        with pytest.raises(KindRefused) as refused:
            telehealth(c, workflow='release-of-information')
        assert refused.value.field == 'workflow_id'


def sign_as_family(browser, path, name):
    page = browser.get(path + 'family')
    form = page.forms['sign']
    form['typed_name'] = name
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    return form.submit().follow()


def test_a_clinic_kind_is_started_sent_signed_and_activated(app, clinic, demo):
    with clinic() as c:
        telehealth(c)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % demo.lucia
    form = therapist.get(client + 'add-agreement').forms['form']
    form[radio(form)] = 'telehealth-consent'
    page = form.submit().follow()
    assert 'Telehealth consent' in page.text
    with clinic() as c:
        (agreement,) = [a for a in c['clients'][demo.lucia]['agreements'].values()
                        if a.kind == 'telehealth-consent']
        assert agreement.workflow_id == 'confidentiality-agreement'
        assert agreement.required_guardians and agreement.text == TEXT + '\n'
        ref = agreement.__name__
    path = client + 'agreements/%s/' % ref
    # The workflow's own sending step, as for a confidentiality agreement.
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'propose'})
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    family = mother.get(client + 'family')
    assert 'Telehealth consent' in family.text and 'Waiting for your signature' in family.text
    page = sign_as_family(mother, path, 'Elena Alvarez')
    assert 'Your signature is recorded' in page.text
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'active' and agreement.pdf is not None
        # Not a consent to treatment: guardian access does not come from it.
        assert agreement.kind != 'consent'
    assert 'Telehealth consent' in mother.get(path + 'family').text


def test_a_guardian_never_sees_a_kind_only_the_client_signs(app, clinic, demo):
    with clinic() as c:
        telehealth(c, signers='client', title='Photo and recording consent')
        mateo = c['clients'][demo.mateo]
        agreement = start_agreement(c, mateo, 'photo-and-recording-consent',
                                    demo.user_ids['therapist'])
        assert agreement.required_guardians == () and not agreement.signatures_needed
        act(agreement, app.registry, 'propose', therapist_actor(c, demo))
        ref = agreement.__name__
        users = c['users']
        mother, teen = users[demo.user_ids['guardian']], users[demo.user_ids['adolescent']]
        assert ref not in [a.ref for a in agreement_links(
            mateo, mother.__name__, principals_for(mother))]
        assert ref in [a.ref for a in agreement_links(
            mateo, teen.__name__, principals_for(teen), 'adolescent')]
    path = '/clients/%s/agreements/%s/' % (demo.mateo, ref)
    sign_in(app, ROLE_EMAILS['guardian']).get(path + 'family', status=404)
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    with clinic() as c:
        name = c['users'][demo.user_ids['adolescent']].display_name
    sign_as_family(teen, path, name)
    with clinic() as c:
        assert c['clients'][demo.mateo]['agreements'][ref].state == 'active'


def test_both_means_the_guardians_and_the_clients_signature(app, clinic, demo):
    with clinic() as c:
        telehealth(c, signers='both', workflow='consent-to-treatment')
        agreement = start_agreement(c, c['clients'][demo.mateo], 'telehealth-consent',
                                    demo.user_ids['therapist'], assent_required=False)
        assert agreement.assent_required and agreement.required_guardians
        with pytest.raises(ValueError):       # Lucia has no sign-in of her own
            start_agreement(c, c['clients'][demo.lucia], 'telehealth-consent',
                            demo.user_ids['therapist'])


def test_the_therapist_signs_a_kind_the_therapist_signs(app, clinic, demo):
    with clinic() as c:
        telehealth(c, signers='therapist', title='Financial policy')
        agreement = start_agreement(c, c['clients'][demo.lucia], 'financial-policy',
                                    demo.user_ids['therapist'])
        act(agreement, app.registry, 'propose', therapist_actor(c, demo))
        ref, name = agreement.__name__, c['users'][demo.user_ids['therapist']].display_name
        sha = agreement.text_sha256
    path = '/clients/%s/agreements/%s/' % (demo.lucia, ref)
    sign_in(app, ROLE_EMAILS['guardian']).get(path + 'family', status=404)
    other = sign_in(app, ROLE_EMAILS['supervisor'])
    page = other.get(path)
    assert 'Sign as the therapist' not in page.text
    other.post(path + 'therapist-signature', {'csrf_token': csrf_of(page),
               'typed_name': 'Someone', 'intent_to_sign': 'yes', 'text_sha256': sha},
               status=404)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page = therapist.get(path)
    assert 'Sign as the therapist' in page.text
    res = therapist.post(path + 'therapist-signature', {
        'csrf_token': csrf_of(page), 'typed_name': 'Somebody Else', 'intent_to_sign': 'yes',
        'text_sha256': sha}, status=400)
    assert 'Type your full name' in res.text
    therapist.post(path + 'therapist-signature', {
        'csrf_token': csrf_of(page), 'typed_name': name, 'intent_to_sign': 'yes',
        'text_sha256': sha}).follow()
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'active'
        assert agreement.signatures[demo.user_ids['therapist']].role == 'therapist'


def test_spanish_readers_get_the_spanish_text(app, clinic, demo):
    with clinic() as c:
        telehealth(c)
        users, lucia = c['users'], c['clients'][demo.lucia]
        signers = [users[g] for g in lucia['guardians'].keys() if g in users]
        for user in signers:
            user.language = 'es'
        agreement = start_agreement(c, lucia, 'telehealth-consent', demo.user_ids['therapist'],
                                    required_guardians=[demo.user_ids['guardian']])
        assert agreement.text == TEXT_ES + '\n'
        assert agreement.title == 'Consentimiento de telesalud'
        users[demo.user_ids['guardian']].language = 'en'
        both = start_agreement(c, lucia, 'telehealth-consent', demo.user_ids['therapist'],
                               required_guardians=[demo.user_ids['guardian']])
        # One family, one text: English reads English here.
        assert both.text == TEXT + '\n'


def test_required_kinds_are_missing_until_active(app, clinic, demo):
    with clinic() as c:
        telehealth(c, required=True)
        assert [k.id for k in missing_required(c, c['clients'][demo.lucia])] == \
            ['telehealth-consent']
    page = sign_in(app, ROLE_EMAILS['therapist']).get('/clients/%s/add-agreement' % demo.lucia)
    assert 'Required before the first session and not active yet: Telehealth consent' \
        in page.text
    with clinic() as c:
        lucia = c['clients'][demo.lucia]
        agreement = start_agreement(c, lucia, 'telehealth-consent', demo.user_ids['therapist'])
        act(agreement, app.registry, 'propose', therapist_actor(c, demo))
        assert missing_required(c, lucia)
        agreement.state = 'active'
        assert missing_required(c, lucia) == []


def test_a_clinic_kind_exports_as_fhir_with_the_clinics_category(app, clinic, demo):
    with clinic() as c:
        telehealth(c)
        agreement = start_agreement(c, c['clients'][demo.lucia], 'telehealth-consent',
                                    demo.user_ids['therapist'])
        act(agreement, app.registry, 'propose', therapist_actor(c, demo))
        ref = agreement.__name__
    path = '/clients/%s/agreements/%s/consent.fhir.json' % (demo.lucia, ref)
    resource = json.loads(sign_in(app, ROLE_EMAILS['therapist']).get(path).text)
    Consent.model_validate(resource)
    assert resource['status'] == 'proposed'
    assert resource['scope']['coding'][0]['code'] == 'patient-privacy'
    (category,) = resource['category']
    assert category['coding'] == [{
        'system': app.registry.public_site.url + '/fhir/CodeSystem/agreement-kinds',
        'code': 'telehealth-consent', 'display': 'Telehealth consent'}]
    # Not the confidentiality agreement's denial of session notes.
    assert 'provision' not in resource['provision']
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        again = consent_resource(agreement, c, app.registry)
        assert again['category'] == resource['category']


def test_a_built_in_kinds_title_cannot_change(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/agreement-templates/release/kind').forms['form']
    form['title'] = 'Sharing'
    assert 'Its title cannot change.' in form.submit(status=400).text
    with clinic() as c:
        assert c.agreement_kinds['release'].title == 'Release of information'


def test_the_release_can_be_made_required(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/agreement-templates/release/kind').forms['form']
    form['required_first_session'] = True
    form.submit().follow()
    with clinic() as c:
        assert c.agreement_kinds['release'].required_first_session


def test_a_clinic_kind_signed_on_paper_activates(app, clinic, demo):
    with clinic() as c:
        telehealth(c)
        agreement = start_agreement(c, c['clients'][demo.lucia], 'telehealth-consent',
                                    demo.user_ids['therapist'],
                                    required_guardians=[demo.user_ids['guardian']])
        act(agreement, app.registry, 'propose', therapist_actor(c, demo))
        ref = agreement.__name__
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/agreements/%s/' % (demo.lucia, ref)
    form = therapist.get(path + 'paper-signature').forms['form']
    form['signer'] = demo.user_ids['guardian']
    form['upload'] = Upload('scan.png', b'\x89PNG\r\n\x1a\n' + b'\x00' * 200, 'image/png')
    form['witness'] = 'Pat Lee'
    form['signed_on'] = date.today().isoformat()
    form.submit('record_signature').follow()
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'active' and agreement.pdf is not None
        assert agreement.signatures[demo.user_ids['guardian']].on_paper


def test_an_older_database_gets_the_kinds_by_an_evolve_step(app, clinic, demo):
    names = [name for name, _ in all_steps(app.registry)]
    assert names.index('0030-agreements-clinic-kinds') > names.index(
        '0029-agreements-confidentiality-decline')
    with clinic() as c:
        del c.agreement_kinds
        # Agreements made before the store still read their kind's title.
        mateo = c['clients'][demo.mateo]
        assert mateo['agreements'][demo.mateo_consent].title == 'Consent to treatment'
        add_kinds(c, app.registry)
        assert sorted(k.id for k in c.agreement_kinds.all()) == \
            ['confidentiality', 'consent', 'release']
        assert all(k.builtin and k.signers == 'guardians' for k in c.agreement_kinds.all())
        telehealth(c)
        add_kinds(c, app.registry)                   # a clinic's store is kept
        assert 'telehealth-consent' in c.agreement_kinds


def test_who_signed_a_clinic_kind_is_its_fhir_performer(app, clinic, demo):
    with clinic() as c:
        telehealth(c, signers='therapist', title='Financial policy')
        tid = demo.user_ids['therapist']
        agreement = start_agreement(c, c['clients'][demo.lucia], 'financial-policy', tid)
        act(agreement, app.registry, 'propose', therapist_actor(c, demo))
        sign_as_therapist(app.registry, agreement, c['users'][tid],
                          c['users'][tid].display_name, True, agreement.text_sha256)
        resource = consent_resource(agreement, c, app.registry)
        Consent.model_validate(resource)
        assert resource['status'] == 'active'
        assert resource['performer'] == [{'reference': 'Practitioner/%s' % tid}]
        assert 'actor' not in resource['provision']


def test_the_client_page_names_a_required_kind_until_it_is_active(app, clinic, demo):
    with clinic() as c:
        telehealth(c, required=True)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page = therapist.get('/clients/%s/' % demo.lucia)
    notice = page.html.select_one('#notices').text
    assert 'Required before the first session, not active yet: Telehealth consent.' in notice
    with clinic() as c:
        client = c['clients'][demo.lucia]
        assert [k.title for k in missing_required(c, client)] == ['Telehealth consent']
    # No longer required: the notice goes.
    from minorconsent.agreements.kinds import change_kind
    with clinic() as c:
        kind = c.agreement_kinds.get('telehealth-consent')
        change_kind(c, 'admin', kind.id, kind.title, kind.title_es, kind.signers,
                    kind.workflow_id, False)
    assert therapist.get('/clients/%s/' % demo.lucia).html.select_one('#notices') is None
