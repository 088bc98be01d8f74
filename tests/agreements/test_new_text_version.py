"""After an agreement text gets a new version (issue 16, item 2): the client
page says which agreements in force are on an old version, and the
therapist asks the family to sign the new one; the old agreement stays in
force until the new one activates and supersedes it."""
import time

from minorconsent.agreements import start_agreement
from minorconsent.agreements.kinds import add_kind
from minorconsent.agreements.renewal import ask_to_sign_new_version
from minorconsent.workflow.engine import Actor
from support import ROLE_EMAILS, csrf_of, mail_text, mails_since, sign_in

NEW_TEXT = ('Consent to treatment, second version. ' * 3).strip()


def new_consent_version(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/agreement-templates/consent').forms['form']
    form['text'] = NEW_TEXT
    form.submit().follow()


def test_the_client_page_names_an_agreement_on_an_old_version(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s' % demo.mateo
    assert 'of its text' not in therapist.get(client).text
    new_consent_version(app)
    assert 'On version 1 of 2 of its text.' in therapist.get(client).text


def test_asking_to_sign_the_new_version(app, clinic, demo):
    new_consent_version(app)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)
    page = therapist.get(path)
    assert 'version 1 of 2' in page.text and 'Ask to sign the new version' in page.text
    # Only the client's therapist asks (others: as if there were no such page).
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    supervisor.post(path + 'new-version', {'csrf_token': csrf_of(supervisor.get(path))},
                    status=404)
    sign_in(app, ROLE_EMAILS['therapist_other']).post(
        path + 'new-version', {'csrf_token': 'x'}, status=404)
    since = time.time_ns()
    res = therapist.post(path + 'new-version', {'csrf_token': csrf_of(page)}).follow()
    assert 'Sent for signature' in res.text
    with clinic() as c:
        agreements = c['clients'][demo.mateo]['agreements']
        old = agreements[demo.mateo_consent]
        (new,) = [a for a in agreements.values()
                  if a.kind == 'consent' and a.created > old.created]
        assert (old.state, new.state, new.template_version) == ('active', 'sent', 2)
        assert new.text == NEW_TEXT + '\n'
        assert (new.required_guardians, new.assent_required) == (old.required_guardians, True)
        new_ref = new.__name__
        users = c['users']
        signers = [users[demo.user_ids['guardian']], users[demo.user_ids['adolescent']]]
        names = [u.display_name for u in signers]
        invited = sorted(u.email for u in signers)
    # Those who must sign are invited, by a mail that names nobody.
    mails = mails_since(since)
    assert sorted(m['To'] for m in mails) == invited
    assert not any(name.split()[0] in mail_text(m) for m in mails for name in names)
    # The note says the new version waits; asking again is refused.
    assert 'the new version waits for signatures' in therapist.get(
        '/clients/%s' % demo.mateo).text
    page = therapist.get(path)
    assert 'Ask to sign the new version' not in page.text
    res = therapist.post(path + 'new-version', {'csrf_token': csrf_of(page)}, status=400)
    assert 'waits for signatures' in res.text
    # The old one is in force until the new one is; then it is superseded.
    for role, name in zip(('guardian', 'adolescent'), names):
        with clinic() as c:
            assert c['clients'][demo.mateo]['agreements'][demo.mateo_consent].state == 'active'
        browser = sign_in(app, ROLE_EMAILS[role])
        form = browser.get('/clients/%s/agreements/%s/family' % (demo.mateo, new_ref)
                           ).forms['sign']
        form['typed_name'] = name
        form['consented_to_electronic'] = form['intent_to_sign'] = True
        form.submit().follow()
    with clinic() as c:
        agreements = c['clients'][demo.mateo]['agreements']
        assert agreements[new_ref].state == 'active'
        assert agreements[demo.mateo_consent].state == 'superseded'
    assert 'of its text' not in therapist.get('/clients/%s' % demo.mateo).text


def test_an_agreement_on_the_newest_text_is_not_renewed(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)
    page = therapist.get(path)
    assert 'Ask to sign the new version' not in page.text
    res = therapist.post(path + 'new-version', {'csrf_token': csrf_of(page)}, status=400)
    assert 'old version of its text' in res.text
    with clinic() as c:
        assert [a.state for a in c['clients'][demo.mateo]['agreements'].values()
                if a.kind == 'consent'].count('sent') == 0


def test_a_clinic_kind_is_renewed_on_its_own_workflow(app, clinic, demo):
    with clinic() as c:
        tid = demo.user_ids['therapist']
        actor = Actor(tid, ('user:' + tid,))
        add_kind(c, 'admin', 'School communication', 'Comunicación con la escuela',
                 'We talk with the school only about attendance and schedules.',
                 'Hablamos con la escuela solo de asistencia y horarios.',
                 'guardians', 'confidentiality-agreement')
        mateo = c['clients'][demo.mateo]
        old = start_agreement(c, mateo, 'school-communication', tid)
        old.state = 'active'
        c['agreement-templates']['school-communication'].add_version(
            'We talk with the school about attendance, schedules and homework.', 'admin',
            'Hablamos con la escuela de asistencia, horarios y tareas.')
        new = ask_to_sign_new_version(c, app.registry, old, actor)
        assert (new.kind, new.state, new.template_version) == ('school-communication',
                                                               'proposed', 2)
        assert new.workflow_id == 'confidentiality-agreement'
