"""A client URL the person may not see and one that does not exist are the
same probe: the same road (``clients/hidden.py``), the same entry on the
audit trail, the same budget per address.  (Their timing:
``test_probe_timing.py``.)"""
import pytest

from support import ROLE_EMAILS, audit_entries, new_browser, sign_in
from minorconsent.security.ratelimit import Limit, RateLimiter
from minorconsent.site.folder import new_id

MADE_UP = 'Zq3madeUp9Xy'


def below(demo):
    """Client URLs below an id, every kind of record a path can reach."""
    return ['', 'edit', 'family', 'mine', 'access',
            'goals/%s/edit' % demo.mateo_goal,
            'guardians/%s/edit' % demo.user_ids['guardian'],
            'agreements/%s/signed.pdf' % demo.mateo_consent,
            'summaries/%s/summary.pdf' % demo.mateo_review_summary,
            'disclosures/%s/' % demo.mateo_notice,
            '@@edit']


def probes(app, since, record):
    return [e for e in audit_entries(app)[since:] if e['record'] == record]


@pytest.mark.parametrize('role', ['anonymous', 'guardian_other', 'guardian_restricted',
                                  'therapist_other', 'admin'])
def test_a_made_up_id_is_recorded_as_the_same_denied_probe(app, demo, browser_as, role):
    browser = browser_as(role)
    actor = 'anonymous' if role == 'anonymous' else demo.user_ids[role]
    actions = {}
    for rest in below(demo):
        since = len(audit_entries(app))
        real = browser.get('/clients/%s/%s' % (demo.mateo, rest), status=404)
        none = browser.get('/clients/%s/%s' % (MADE_UP, rest), status=404)
        assert real.body == none.body
        [of_real] = probes(app, since, demo.mateo)
        [of_none] = probes(app, since, MADE_UP)
        assert of_real['outcome'] == of_none['outcome'] == 'denied', rest
        assert of_real['actor'] == of_none['actor'] == actor
        shape = ('action', 'role', 'target', 'detail', 'ip', 'outcome')
        assert {k: of_real[k] for k in shape} == {k: of_none[k] for k in shape}, rest
        actions[rest] = of_none['action']
    # The action names the record and view the URL would reach, as for a real one.
    assert actions['disclosures/%s/' % demo.mateo_notice] == 'GET Disclosure.index'
    assert actions['guardians/%s/edit' % demo.user_ids['guardian']] == 'GET GuardianLink.edit'
    assert actions['@@edit'] == actions['edit'] == 'GET Client.edit'


def test_what_the_trail_records_of_a_probe(app, demo):
    browser = new_browser(app)
    since = len(audit_entries(app))
    browser.get('/clients/%s/summaries/%s/summary.pdf' % (MADE_UP, demo.mateo_review_summary),
                status=404)
    [entry] = probes(app, since, MADE_UP)
    assert entry['action'] == 'GET Summary.summary.pdf'
    assert entry['target'] == 'summaries/%s' % demo.mateo_review_summary
    assert entry['outcome'] == 'denied' and entry['actor'] == 'anonymous'


def test_only_id_shaped_segments_are_probes(app, demo):
    """Anything not shaped like an id cannot be a client: not found from its
    shape alone, and not on the trail as a client's."""
    browser = new_browser(app)
    since = len(audit_entries(app))
    for path in ('/clients/not-an-id/', '/clients/%s/' % ('x' * 13), '/clients/add-/'):
        browser.get(path, status=404)
    assert not [e for e in audit_entries(app)[since:] if e['record']]


def test_people_linked_to_the_client_still_reach_it(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    therapist.get('/clients/%s/' % demo.mateo, status=200)
    therapist.get('/clients/%s/goals/%s/edit' % (demo.mateo, demo.mateo_goal), status=200)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    mother.get('/clients/%s/family' % demo.mateo, status=200)
    # What she may not see of her own child's record is refused the usual way.
    mother.get('/clients/%s/edit' % demo.mateo, status=404)
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    teen.get('/clients/%s/mine' % demo.mateo, status=200)
    teen.get('/clients/%s/mine' % demo.lucia, status=404)


def test_a_placeholder_is_never_handed_to_a_view(app, demo):
    from pyramid.httpexceptions import HTTPForbidden
    from minorconsent.clients import Client
    from minorconsent.clients.hidden import never_served, placeholder

    class Info:
        options = {'route_name': 'minorconsent'}
        exception_only = False
    called = []
    view = never_served(lambda context, request: called.append(context), Info())
    with pytest.raises(HTTPForbidden):
        view(placeholder(Client, MADE_UP, None), None)
    assert not called


@pytest.fixture
def budget(app):
    """Rate limits on, the real budgets, for the length of one test."""
    saved = app.registry.rate_limiter
    app.registry.rate_limiter = RateLimiter()
    yield app.registry.rate_limiter
    app.registry.rate_limiter = saved


def test_past_its_budget_an_address_gets_429_for_real_and_made_up_alike(app, demo, budget):
    from minorconsent.security.ratelimit import LIMITS
    browser = new_browser(app)
    allowed = LIMITS['client-probe'].burst
    for n in range(allowed):
        browser.get('/clients/%s/' % (demo.mateo if n % 2 else new_id()), status=404)
    since = len(audit_entries(app))
    real = browser.get('/clients/%s/' % demo.mateo, status=429)
    none = browser.get('/clients/%s/' % MADE_UP, status=429)
    assert real.body == none.body
    assert real.headers['Retry-After'] == none.headers['Retry-After']
    for _ in range(200):
        browser.get('/clients/%s/edit' % new_id(), status=429)
    # A flood leaves one line a minute, not one per request.
    entries = audit_entries(app)[since:]
    assert [(e['action'], e['detail']) for e in entries] == [
        ('auth.rate_limited', 'client-probe')]
    # The clinic's own pages and other addresses are not affected.
    browser.get('/login', status=200)
    other = new_browser(app)
    other.extra_environ['REMOTE_ADDR'] = '192.0.2.77'
    other.get('/clients/%s/' % demo.mateo, status=404)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    for _ in range(allowed + 5):
        therapist.get('/clients/%s/' % demo.mateo, status=200)


def test_inside_a_client_a_made_up_record_id_is_refused_like_a_hidden_record(app, demo):
    """The mother may enter Mateo's record, not his summary in review: a
    made-up summary id is refused and recorded the same way."""
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    mateo = '/clients/%s/' % demo.mateo
    since = len(audit_entries(app))
    hidden = mother.get(mateo + 'summaries/%s/summary.pdf' % demo.mateo_review_summary,
                        status=404)
    none = mother.get(mateo + 'summaries/%s/summary.pdf' % MADE_UP, status=404)
    assert hidden.body == none.body
    entries = [e for e in audit_entries(app)[since:] if e['record'] == demo.mateo]
    assert [(e['action'], e['outcome']) for e in entries] == [
        ('GET Summary.summary.pdf', 'denied')] * 2
    assert entries[1]['target'] == 'summaries/' + MADE_UP
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    since = len(audit_entries(app))
    therapist.get(mateo + 'goals/%s/progress' % MADE_UP, status=404)
    [entry] = [e for e in audit_entries(app)[since:] if e['record'] == demo.mateo]
    assert (entry['action'], entry['outcome']) == ('GET Goal.progress', 'denied')
