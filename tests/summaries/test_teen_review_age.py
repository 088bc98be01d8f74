"""The clinic's ``teen_review_age`` (issue 16, item 1): from that age, every
summary of a client with their own sign-in goes to the client before the
guardians; empty, it is the therapist's choice per summary, as before."""
from datetime import date

import pytest

from minorconsent.summaries.audience import review_required
from minorconsent.summaries.guards import minor_agreed_if_reviewed
from minorconsent.workflow.guards import GuardContext
from support import ROLE_EMAILS, csrf_of, sign_in

REASON = 'reviewed by the client first'


def set_review_age(clinic, age):
    with clinic() as c:
        c.settings.update(teen_review_age=age)


def draft(app, demo, client_id=None):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-summary' % (client_id or demo.mateo)).forms['form']
    form['period'], form['parent_text'] = 'Winter', 'Practising the plan.'
    page = form.submit().follow()
    return therapist, page, page.request.path


def step(browser, page, path, name, **expect):
    return browser.post(path + 'step', {'csrf_token': csrf_of(page), 'step': name}, **expect)


def state_of(clinic, demo, path, client_id=None):
    with clinic() as c:
        return c['clients'][client_id or demo.mateo]['summaries'][
            path.rstrip('/').rsplit('/', 1)[1]].state


def test_without_the_setting_the_therapist_still_publishes_straight_away(app, clinic, demo):
    therapist, page, path = draft(app, demo)            # Mateo, 15, own sign-in
    assert REASON not in page.text
    assert 'value="publish"' in page.text
    step(therapist, page, path, 'publish', status=302)
    assert state_of(clinic, demo, path) == 'published'


@pytest.mark.parametrize('age', [12, 15])
def test_from_the_age_set_the_client_must_agree_before_publishing(app, clinic, demo, age):
    set_review_age(clinic, age)                         # Mateo is 15: at or over it
    therapist, page, path = draft(app, demo)
    note = ' '.join(page.html.select_one('#review-first').get_text().split())
    assert REASON in note and 'aged %d or over' % age in note
    assert 'value="publish"' not in page.text           # no Publish button ...
    res = step(therapist, page, path, 'publish', status=400)   # ... nor a way round it
    assert 'You may not' in res.text
    assert state_of(clinic, demo, path) == 'draft'
    step(therapist, page, path, 'ask_client_review', status=302)
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    review = teen.get(path + 'review')
    teen.post(path + 'review', {'csrf_token': csrf_of(review), 'agree': 'yes'})
    staff = therapist.get(path)
    assert staff.html.select_one('#review-first') is None      # agreed: nothing to explain
    step(therapist, staff, path, 'publish_reviewed', status=302)
    assert state_of(clinic, demo, path) == 'published'


def test_a_client_under_the_age_set_is_the_therapists_choice(app, clinic, demo):
    set_review_age(clinic, 16)                          # Mateo is 15
    therapist, page, path = draft(app, demo)
    assert REASON not in page.text
    step(therapist, page, path, 'publish', status=302)
    assert state_of(clinic, demo, path) == 'published'


def test_a_client_without_their_own_sign_in_is_not_held_back(app, clinic, demo):
    set_review_age(clinic, 8)                           # Lucia is 9, no own sign-in
    therapist, page, path = draft(app, demo, demo.lucia)
    assert REASON not in page.text
    step(therapist, page, path, 'publish', status=302)
    assert state_of(clinic, demo, path, demo.lucia) == 'published'


def test_an_own_sign_in_counts_only_while_active_and_holding_the_adolescent_role(
        app, clinic, demo):
    set_review_age(clinic, 12)
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        account = c['users'][mateo.self_account_id]
        assert review_required(mateo, c.settings)
        account.active = False
        assert not review_required(mateo, c.settings)
        account.active = True
        mateo.self_account_id = None
        assert not review_required(mateo, c.settings)


class Draft:
    """A summary as the guard sees it."""
    review_agreed = False
    reviewed = False

    def was_reviewed(self):
        return self.reviewed

    def review_agreed_now(self):
        return self.review_agreed


def test_the_guard_itself(app, clinic, demo):
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        summary = Draft()

        def allowed(age):
            c.settings.teen_review_age = age
            return minor_agreed_if_reviewed(GuardContext(summary, mateo, c.settings,
                                                         'someone', date.today()))
        assert allowed(None) and allowed(16)
        assert not allowed(15) and not allowed(8)
        summary.reviewed, summary.review_agreed = True, True
        assert allowed(15)
        summary.review_agreed = False
        assert not allowed(None) and not allowed(15)


def test_the_teen_reviews_every_dated_entry_the_guardians_will_read(app, clinic, demo):
    """Found in review: the teen agreed to "Improving", and the guardians
    then read a dated history ("Harder lately" twice) the review page never
    showed.  The review page lists each entry the summary carries, as the
    guardian's page will."""
    from datetime import date, timedelta
    from minorconsent.site.dates import reader_date
    from minorconsent.summaries import add_progress
    from support import csrf_of, sign_in as enter
    today = date.today()
    days = (today - timedelta(days=20), today - timedelta(days=13), today - timedelta(days=6))
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        for day, code in zip(days, ('worsening', 'worsening', 'improving')):
            add_progress(goal, day, code, '', demo.user_ids['therapist'])
        written = [reader_date(c.settings, 'en', d) for d in days]
    therapist = enter(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-summary' % demo.mateo).forms['form']
    form['period'], form['parent_text'] = 'Winter', 'Practising the plan.'
    page = form.submit().follow()
    path = page.request.path
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'ask_client_review'},
                   status=302)
    teen = enter(app, ROLE_EMAILS['adolescent'])
    review = ' '.join(teen.get(path + 'review').html.select_one('article').get_text().split())
    for day in written:
        assert day in review
    assert review.count('Harder lately') == 2 and 'Improving' in review
