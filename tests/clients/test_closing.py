"""Closing a case (issue 16, item 4): it leaves the working lists; the
family keeps reading what was published for the clinic's period, then
loses access exactly as a stranger has none; reopening restores it; the
retention date follows the clinic's rule."""
from datetime import date, timedelta

from minorconsent.clients.closing import retained_until
from support import ROLE_EMAILS, csrf_of, new_browser, sign_in

THERAPIST = ROLE_EMAILS['therapist']


def close(therapist, client_id, last_service, reason='Goals met', status=302):
    form = therapist.get('/clients/%s/close' % client_id).forms['form']
    form['last_service'] = last_service.isoformat()
    form['reason'] = reason
    return form.submit(status=status)


def listed(therapist, client_id):
    return '/clients/%s/' % client_id in therapist.get('/clients/').text


def test_a_closed_case_leaves_the_list_and_the_family_reads_for_the_period(app, clinic, demo):
    therapist = sign_in(app, THERAPIST)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    child = '/clients/%s/family' % demo.lucia
    assert listed(therapist, demo.lucia) and mother.get(child).status_int == 200
    page = close(therapist, demo.lucia, date.today()).follow()
    assert 'The case is closed.' in page.text and 'Case closed' in page.text
    assert not listed(therapist, demo.lucia)
    assert '/clients/%s/' % demo.lucia in therapist.get('/clients/closed').text
    assert mother.get(child).status_int == 200          # within the period
    # The period has run out: the same answer as a page that does not exist.
    with clinic() as c:
        c.settings.closed_case_access_days = 0
        closure = c['clients'][demo.lucia].closure
        c['clients'][demo.lucia].closure = closure.__class__(
            date.today() - timedelta(days=1), closure.reason, closure.actor_id,
            closure.recorded)
    gone = mother.get(child, expect_errors=True)
    made_up = mother.get('/clients/%s/family' % ('x' * len(demo.lucia)), expect_errors=True)
    assert gone.status_int == made_up.status_int == 404
    assert gone.body == made_up.body
    assert '/clients/%s/' % demo.lucia not in mother.get('/family').text
    # Reopened, everything is as it was.
    page = therapist.get('/clients/%s/' % demo.lucia)
    therapist.post('/clients/%s/reopen' % demo.lucia, {'csrf_token': csrf_of(page)},
                   status=302)
    assert listed(therapist, demo.lucia)
    assert mother.get(child).status_int == 200


def test_the_teen_loses_their_page_with_the_family(app, clinic, demo):
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    mine = '/clients/%s/mine' % demo.mateo
    close(sign_in(app, THERAPIST), demo.mateo, date.today() - timedelta(days=10))
    assert teen.get(mine).status_int == 200
    with clinic() as c:
        c.settings.closed_case_access_days = 5
    assert teen.get(mine, expect_errors=True).status_int == 404


def test_bad_closing_input_is_explained_and_changes_nothing(app, clinic, demo):
    therapist = sign_in(app, THERAPIST)
    res = close(therapist, demo.lucia, date.today() + timedelta(days=1), status=400)
    assert 'cannot be in the future' in res.html.select_one('.item-last_service').text
    res = close(therapist, demo.lucia, date.today(), reason='', status=400)
    assert 'Required' in res.html.select_one('.item-reason').text
    with clinic() as c:
        assert c['clients'][demo.lucia].closure is None
    assert listed(therapist, demo.lucia)
    # Only the client's therapist closes; others get the nonexistent answer.
    other = sign_in(app, ROLE_EMAILS['therapist_other'])
    assert other.get('/clients/%s/close' % demo.lucia, expect_errors=True).status_int == 404


def test_retention_is_the_later_of_years_after_service_and_the_age(app, clinic, demo):
    therapist = sign_in(app, THERAPIST)
    close(therapist, demo.lucia, date.today())
    with clinic() as c:
        lucia, settings = c['clients'][demo.lucia], c.settings
        born = lucia.date_of_birth
        # A minor of 9: until 25 (16 years on), later than 7 years after.
        assert retained_until(lucia, settings) == born.replace(year=born.year + 25)
        settings.retention_years = 20
        twenty = date.today().replace(year=date.today().year + 20)
        assert retained_until(lucia, settings) == twenty       # now the later one
    page = therapist.get('/clients/%s/' % demo.lucia)
    assert 'the records are kept until %s' % twenty.isoformat() in ' '.join(page.text.split())


def test_the_jurisdictions_line_of_the_retention_table_wins(app, clinic, demo):
    close(sign_in(app, THERAPIST), demo.lucia, date.today())
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    form['retention_table'] = 'US-FL = 7 years'
    res = form.submit(status=400)
    assert 'write it like "US-FL = 7, 25"' in res.html.select_one('.item-retention_table').text
    with clinic() as c:
        assert c.settings.retention_table is None
    form = res.forms['form']
    form['jurisdiction'] = 'US-FL'
    form['retention_table'] = 'US-FL = 30, 19\nUS-GA = 6, 23'
    form.submit(status=302)
    with clinic() as c:
        assert c.settings.retention_rule() == (30, 19)
        expected = date.today().replace(year=date.today().year + 30)
        assert retained_until(c['clients'][demo.lucia], c.settings) == expected
    assert 'US-GA = 6, 23' in admin.get('/settings').text


def test_erasure_takes_an_own_sign_in_that_was_ended_before(app, clinic, demo):
    """Found in review: ending the client's sign-in at closure (as a
    therapist would) left their account, named and addressed as them,
    through erasure."""
    from minorconsent.clients.closing import close_case
    from minorconsent.clients.own_account import end_own_account
    from minorconsent.clients.retention import due_for_erasure, erase
    teen_id = demo.user_ids['adolescent']
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        end_own_account(c, mateo, demo.user_ids['therapist'])
        close_case(c, mateo, date(2020, 1, 2), 'Moved away', demo.user_ids['therapist'])
    with clinic() as c:
        (due,) = [d for d in due_for_erasure(c, date(2090, 1, 1)) if d.client_id == demo.mateo]
        erase(c, c['clients'][demo.mateo])
    with clinic() as c:
        assert teen_id not in c['users']
        assert c['users'].find_by_email(ROLE_EMAILS['adolescent']) is None
