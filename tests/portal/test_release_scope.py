"""Where the client consents alone, a guardian's portal holds only what the
client's release authorizes: with nothing released, no page at all
(answered like a child who is not a client), unless a safety notice is
addressed to that guardian (the clinic's legal duty), which is then all
they see.  Driven through HTTP, the release-to-guardian form included."""
from datetime import date, timedelta

from minorconsent.agreements import sign, start_agreement
from minorconsent.security.policy import principals_for
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire
from support import ROLE_EMAILS, csrf_of, radio, sign_in, tick

TODAY = date.today()
SUMMARY_TEXT = 'Mateo keeps working on his goals'
NOTICE_TEXT = 'should not be alone this weekend'


def consents_alone(clinic, app, demo):
    """Mateo (15) consents alone where the age is 14: his own consent
    supersedes his mother's."""
    with clinic() as c:
        c.settings.jurisdiction = 'XX'
        c.settings.self_consent_age = 14
        mateo = c['clients'][demo.mateo]
        therapist, teen = c['users'][demo.user_ids['therapist']], \
            c['users'][demo.user_ids['adolescent']]
        own = start_agreement(c, mateo, 'consent', therapist.__name__, minor_consents=True)
        fire(own, 'send', Actor(therapist.__name__, principals_for(therapist)),
             workflow_guards(app.registry))
        sign(c, app.registry, own, teen, principals_for(teen), 'Mateo Alvarez', True, True,
             own.text_sha256, '192.0.2.50', 'test')
        assert own.state == 'active'


def without_notices(clinic, demo):
    """Take the seeded safety notice away from the mother (as if it had
    been addressed to someone else)."""
    with clinic() as c:
        for disclosure in c['clients'][demo.mateo]['disclosures'].values():
            if disclosure.guardian_id == demo.user_ids['guardian']:
                disclosure.guardian_id = demo.user_ids['guardian_restricted']


def summary_refs(clinic, demo):
    with clinic() as c:
        return [s.__name__ for s in c['clients'][demo.mateo]['summaries'].values()
                if s.state == 'published']


def test_nothing_released_and_no_notice_is_no_page_at_all(app, clinic, demo):
    consents_alone(clinic, app, demo)
    without_notices(clinic, demo)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    family = mother.get('/family')
    assert 'Mateo' not in family.text and 'Lucia' in family.text
    nowhere = mother.get('/clients/doesnotexist/family', status=404)
    for name in ('family', 'access'):
        res = mother.get('/clients/%s/%s' % (demo.mateo, name), status=404)
        assert res.body == nowhere.body
        assert sorted(res.headers.items()) == sorted(nowhere.headers.items())
    for ref in summary_refs(clinic, demo):
        for name in ('family', 'summary.pdf'):
            mother.get('/clients/%s/summaries/%s/%s' % (demo.mateo, ref, name), status=404)


def test_a_safety_notice_is_shown_alone(app, clinic, demo):
    consents_alone(clinic, app, demo)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    assert 'Mateo' in mother.get('/family').text
    page = mother.get('/clients/%s/family' % demo.mateo)
    assert NOTICE_TEXT in page.text
    assert not page.html.select('section[aria-labelledby=docs-h]')     # no agreements
    assert 'Confidentiality' not in page.text and 'Consent to treatment' not in page.text
    assert SUMMARY_TEXT not in page.text and 'goal-trend' not in page.text


def test_the_release_to_guardian_form_opens_exactly_what_it_names(app, clinic, demo):
    consents_alone(clinic, app, demo)
    without_notices(clinic, demo)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-release' % demo.mateo).forms['form']
    form[radio(form)] = 'guardian'
    form['guardian_id'] = demo.user_ids['guardian']
    tick(form, 'goals', 'diagnosis')               # a guardian may be shown goals, summaries
    form['purpose'] = 'So Mom can follow my goals'
    form['expires_on'] = (TODAY + timedelta(days=60)).isoformat()
    res = form.submit(status=400)
    assert 'A guardian can be shown goals and progress' in res.text
    form = res.forms['form']
    tick(form, 'goals')
    release = form.submit(status=302).follow()
    with clinic() as c:
        (ref,) = [a.__name__ for a in c['clients'][demo.mateo]['agreements'].values()
                  if a.kind == 'release' and a.terms.recipient_kind == 'guardian']
    step = release.request.path + 'step'
    therapist.post(step, {'csrf_token': csrf_of(release), 'step': 'send'}, status=302)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    mother.get('/clients/%s/family' % demo.mateo, status=404)      # not signed yet
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    page = teen.get('/clients/%s/agreements/%s/family' % (demo.mateo, ref))
    form = page.forms['sign']
    form['consented_to_electronic'] = True
    form['intent_to_sign'] = True
    form['typed_name'] = 'Mateo Alvarez'
    form.submit(status=302)
    page = mother.get('/clients/%s/family' % demo.mateo)
    assert 'goal-trend' in page.text                     # the goals he released
    assert SUMMARY_TEXT not in page.text                 # not the summaries
    assert not page.html.select('section[aria-labelledby=docs-h]')
    assert 'Confidentiality' not in page.text
    for ref_ in summary_refs(clinic, demo):
        mother.get('/clients/%s/summaries/%s/family' % (demo.mateo, ref_), status=404)
    # He takes it back: the page is gone again.
    page = teen.get('/clients/%s/agreements/%s/family' % (demo.mateo, ref))
    form = page.forms['revoke']
    form['comment'] = 'I changed my mind.'
    form.submit(status=302)
    mother.get('/clients/%s/family' % demo.mateo, status=404)


def test_under_her_own_consent_the_mother_sees_everything_published(app, clinic, demo):
    """The rule applies only where the client consents alone."""
    page = sign_in(app, ROLE_EMAILS['guardian']).get('/clients/%s/family' % demo.mateo)
    assert page.html.select('section[aria-labelledby=docs-h]')
    assert SUMMARY_TEXT in page.text and 'goal-trend' in page.text and NOTICE_TEXT in page.text
