"""The family sees an agreement's period in plain words (issue 17 item 3),
and nothing of the clinic's record of it: the expire step's comment, the
renewal's events and their details stay with staff, wherever the
guardian or the teen looks."""
from datetime import date, timedelta

from minorconsent.agreements.periods import EXPIRED_BECAUSE
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire
from support import ROLE_EMAILS, sign_in

from test_parent_view_promise import crawl, readable

SECRET = 'SECRET-PERIOD-zq81'


def test_the_family_page_says_until_when_the_consent_is_in_force(app, clinic, demo):
    with clinic() as c:
        consent = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        consent.valid_from, consent.valid_until = date(2026, 7, 1), date(2027, 6, 30)
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    child = ' '.join(guardian.get('/clients/%s/family' % demo.mateo).html.get_text().split())
    assert 'In force until June 30, 2027.' in child
    one = guardian.get('/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent))
    assert 'In force from July 1, 2026 until June 30, 2027.' in ' '.join(
        one.html.get_text().split())


def test_the_clinics_record_of_a_period_never_reaches_the_family(app, clinic, demo):
    with clinic() as c:
        consent = c['clients'][demo.mateo]['agreements'][demo.mateo_consent]
        until = date.today() - timedelta(days=3)
        consent.valid_from, consent.valid_until = until - timedelta(days=364), until
        # The clinic's words around it: events' details and the step's comment.
        consent.add_event('renewal not sent', 'system', SECRET)
        fire(consent, 'expire', Actor.system(), workflow_guards(app.registry),
             comment=EXPIRED_BECAUSE + ' ' + SECRET, registry=app.registry, announce=False)
        assert consent.state == 'expired'
    for role in ('guardian', 'adolescent'):
        browser = sign_in(app, ROLE_EMAILS[role])
        pages = crawl(browser, '/')
        pages['agreement'] = browser.get(
            '/clients/%s/agreements/%s/family' % (demo.mateo, demo.mateo_consent))
        for path, res in pages.items():
            assert SECRET not in readable(res), (role, path)
            assert EXPIRED_BECAUSE not in readable(res), (role, path)
    # The staff page has it (the test is not blind).
    staff = sign_in(app, ROLE_EMAILS['therapist'])
    assert SECRET in staff.get('/clients/%s/agreements/%s/' % (demo.mateo,
                                                               demo.mateo_consent)).text
