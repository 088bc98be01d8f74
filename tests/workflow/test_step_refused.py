"""The shared refusal page of the one step view names the kind of document
it leads back to (it said "Back to the agreement" on summaries and
disclosures too)."""
from support import ROLE_EMAILS, csrf_of, sign_in

from minorconsent.workflow.views import STEP_NOUNS_KEY


def first_of(clinic, client_id, folder):
    with clinic() as c:
        return sorted(c['clients'][client_id][folder].keys())[0]


def refused(app, path, step='no-such-step'):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page = therapist.get(path)
    res = therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': step},
                         status=400)
    back = res.html.find('a', string=lambda text: text and text.startswith('Back to the'))
    return res, back


def test_a_refused_step_on_a_summary_leads_back_to_the_summary(app, clinic, demo):
    path = '/clients/%s/summaries/%s/' % (demo.mateo, first_of(clinic, demo.mateo,
                                                                'summaries'))
    res, back = refused(app, path)
    assert back.get_text() == 'Back to the summary'
    assert back['href'].endswith(path.rstrip('/')) or back['href'].endswith(path)
    assert 'agreement' not in res.html.find('main').get_text().lower()


def test_a_refused_step_on_an_agreement_leads_back_to_the_agreement(app, demo):
    path = '/clients/%s/agreements/%s/' % (demo.mateo, demo.mateo_consent)
    res, back = refused(app, path, 'revoke')
    assert back.get_text() == 'Back to the agreement'
    assert 'You may not' in res.text


def test_a_refused_step_on_a_disclosure_leads_back_to_the_disclosure(app, clinic, demo):
    with clinic() as c:
        found = [(cid, ref) for cid, client in c['clients'].items()
                 if 'disclosures' in client for ref in client['disclosures'].keys()]
    assert found
    client_id, ref = sorted(found)[0]
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    path = '/clients/%s/disclosures/%s/' % (client_id, ref)
    page = supervisor.get(path)
    res = supervisor.post(path + 'step', {'csrf_token': csrf_of(page),
                                          'step': 'no-such-step'}, status=400)
    back = res.html.find('a', string=lambda text: text and text.startswith('Back to the'))
    assert back.get_text() == 'Back to the disclosure'


def test_every_step_view_is_registered_with_its_noun(app):
    nouns = {kind.__name__: noun for kind, noun in app.registry[STEP_NOUNS_KEY].items()}
    assert nouns == {'Agreement': 'agreement', 'Summary': 'summary',
                     'Disclosure': 'disclosure'}
