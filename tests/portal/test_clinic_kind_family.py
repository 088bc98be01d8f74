"""The family's view of an agreement of a kind the clinic defined (issue
16, item 2): it reaches the family as the built-in kinds do, in the
signers' language, and only the people who sign it (and the client, as
for every agreement about them) read it."""
from minorconsent.agreements import act, start_agreement
from minorconsent.agreements.kinds import add_kind
from minorconsent.workflow.engine import Actor
from support import ROLE_EMAILS, sign_in

TEXT = 'Sessions may be held by secure video from a private room of your choosing.'
TEXT_ES = 'Las sesiones pueden ser por video seguro desde un lugar privado que usted elija.'


def sent(app, c, demo, client_id, kind, **start):
    tid = demo.user_ids['therapist']
    agreement = start_agreement(c, c['clients'][client_id], kind, tid, **start)
    act(agreement, app.registry, 'propose', Actor(tid, ('user:' + tid,)))
    return agreement.__name__


def test_a_spanish_reading_guardian_reads_and_signs_the_spanish_text(app, clinic, demo):
    with clinic() as c:
        add_kind(c, 'admin', 'Telehealth consent', 'Consentimiento de telesalud', TEXT,
                 TEXT_ES, 'guardians', 'confidentiality-agreement')
        mother = c['users'][demo.user_ids['guardian']]
        mother.language = 'es'
        ref = sent(app, c, demo, demo.lucia, 'telehealth-consent',
                   required_guardians=[mother.__name__])
        name = mother.display_name
    browser = sign_in(app, ROLE_EMAILS['guardian'])
    child = browser.get('/clients/%s/family' % demo.lucia)
    assert 'Consentimiento de telesalud' in child.text
    page = browser.get('/clients/%s/agreements/%s/family' % (demo.lucia, ref))
    assert TEXT_ES in page.text and TEXT not in page.text
    form = page.forms['sign']
    form['typed_name'] = name
    form['consented_to_electronic'] = form['intent_to_sign'] = True
    form.submit().follow()
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        assert agreement.state == 'active'
        assert agreement.signatures[demo.user_ids['guardian']].text_sha256 == \
            agreement.text_sha256
    assert 'Consentimiento de telesalud' in browser.get('/clients/%s/family' % demo.lucia).text


def test_a_kind_the_client_signs_alone_is_not_on_the_guardians_page(app, clinic, demo):
    with clinic() as c:
        add_kind(c, 'admin', 'Photo and recording consent', 'Consentimiento de fotos',
                 TEXT, TEXT_ES, 'client', 'confidentiality-agreement')
        ref = sent(app, c, demo, demo.mateo, 'photo-and-recording-consent')
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    assert 'Photo and recording consent' not in mother.get('/clients/%s/family'
                                                           % demo.mateo).text
    mother.get('/clients/%s/agreements/%s/family' % (demo.mateo, ref), status=404)
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    page = teen.get('/clients/%s/agreements/%s/family' % (demo.mateo, ref))
    assert TEXT in page.text and 'sign' in page.forms
