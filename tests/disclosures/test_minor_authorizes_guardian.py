"""Where the client consents alone, a guardian sees what the client authorizes."""
from datetime import date, timedelta

import pytest

from minorconsent.agreements import sign, start_agreement
from minorconsent.disclosures import DisclosureRefused, record_disclosure
from minorconsent.disclosures.releases import ReleaseTerms, start_release
from minorconsent.security.policy import principals_for
from minorconsent.summaries.model import guardian_scope
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire
from support import ROLE_EMAILS, sign_in

TODAY = date.today()


def as_actor(user):
    return Actor(user.__name__, principals_for(user))


def signed_by(c, app, agreement, user):
    sign(c, app.registry, agreement, user, principals_for(user), user.display_name, True,
         True, agreement.text_sha256, '192.0.2.50', 'test')


def mateo_consents_alone(c, app, demo):
    """Mateo (15) may consent alone where the age is 14; he signs his own
    consent, which supersedes his mother's."""
    c.settings.jurisdiction = 'XX'
    c.settings.self_consent_age = 14
    mateo = c['clients'][demo.mateo]
    therapist, teen = c['users'][demo.user_ids['therapist']], c['users'][demo.user_ids['adolescent']]
    own = start_agreement(c, mateo, 'consent', therapist.__name__, minor_consents=True)
    fire(own, 'send', as_actor(therapist), workflow_guards(app.registry))
    signed_by(c, app, own, teen)
    assert own.state == 'active'
    return mateo, therapist, teen


def test_guardian_sees_only_what_the_client_releases_to_them(app, demo, clinic):
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    summary_text = 'Mateo keeps working on his goals'
    assert summary_text in mother.get('/clients/%s/family' % demo.mateo).text
    with clinic() as c:
        mateo, therapist, teen = mateo_consents_alone(c, app, demo)
        assert guardian_scope(mateo, demo.user_ids['guardian']) == frozenset()
    page = mother.get('/clients/%s/family' % demo.mateo)
    assert summary_text not in page.text and 'goal-trend' not in page.text
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        therapist = c['users'][demo.user_ids['therapist']]
        release = start_release(c, mateo, therapist.__name__, ReleaseTerms(
            'Elena Alvarez', 'guardian', ('goals',), 'So Mom can follow my goals',
            TODAY + timedelta(days=60), guardian_id=demo.user_ids['guardian']))
        assert release.minor_consents and release.required_guardians == ()
        fire(release, 'send', as_actor(therapist), workflow_guards(app.registry))
        signed_by(c, app, release, c['users'][demo.user_ids['adolescent']])
        assert release.state == 'active'
        assert guardian_scope(mateo, demo.user_ids['guardian']) == frozenset({'goals'})
        assert guardian_scope(mateo, demo.user_ids['guardian_restricted']) == frozenset()
        # Nothing can be disclosed to a third party under it.
        with pytest.raises(DisclosureRefused):
            record_disclosure(c, mateo, app.registry, therapist.__name__, 'authorized',
                              'third_party', 'Goals.', TODAY, release=release,
                              items=('goals',))
        ref = release.__name__
    page = mother.get('/clients/%s/family' % demo.mateo)
    assert 'goal-trend' in page.text            # the goals he released
    assert summary_text not in page.text         # not the summaries
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    page = teen.get('/clients/%s/agreements/%s/family' % (demo.mateo, ref))
    form = page.forms['revoke']
    form['comment'] = 'I changed my mind.'
    form.submit(status=302)
    page = mother.get('/clients/%s/family' % demo.mateo)
    assert 'goal-trend' not in page.text


def test_a_release_to_a_guardian_is_only_for_a_client_who_consents_alone(app, demo, clinic):
    with clinic() as c:
        with pytest.raises(DisclosureRefused) as refused:
            start_release(c, c['clients'][demo.mateo], demo.user_ids['therapist'], ReleaseTerms(
                'Elena Alvarez', 'guardian', ('goals',), 'x', TODAY + timedelta(days=5),
                guardian_id=demo.user_ids['guardian']))
        assert refused.value.field == 'recipient_kind'
        mateo_consents_alone(c, app, demo)
        with pytest.raises(DisclosureRefused) as refused:
            start_release(c, c['clients'][demo.mateo], demo.user_ids['therapist'], ReleaseTerms(
                'Elena Alvarez', 'guardian', ('goals', 'diagnosis'), 'x',
                TODAY + timedelta(days=5), guardian_id=demo.user_ids['guardian']))
        assert refused.value.field == 'items'


def test_goals_only_means_no_summary_page_or_pdf(app, demo, clinic):
    with clinic() as c:
        mateo, therapist, teen = mateo_consents_alone(c, app, demo)
        published = [s.__name__ for s in mateo['summaries'].values() if s.state == 'published']
        release = start_release(c, mateo, therapist.__name__, ReleaseTerms(
            'Elena Alvarez', 'guardian', ('goals',), 'Goals only',
            TODAY + timedelta(days=60), guardian_id=demo.user_ids['guardian']))
        fire(release, 'send', as_actor(therapist), workflow_guards(app.registry))
        signed_by(c, app, release, teen)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    for ref in published:
        for name in ('family', 'summary.pdf'):
            mother.get('/clients/%s/summaries/%s/%s' % (demo.mateo, ref, name), status=404)
