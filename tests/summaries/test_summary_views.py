"""Summaries over HTTP: write, preview, teen review, publish, read."""
import re

from minorconsent.summaries.model import latest_rating
from support import MARKER, ROLE_EMAILS, csrf_of, sign_in


def summary_article(html):
    match = re.search(r'<article class="card summary">.*?</article>', html, re.S)
    return match.group(0) if match else None


def new_summary(clinic, demo, therapist):
    client = '/clients/%s/' % demo.mateo
    form = therapist.get(client + 'add-summary').forms['form']
    form['period'] = 'Winter'
    form['parent_text'] = 'Mateo is practising his plan at school.'
    page = form.submit().follow()
    with clinic() as c:
        (ref,) = [s.__name__ for s in c['clients'][demo.mateo]['summaries'].values()
                  if s.period == 'Winter' and s.state == 'draft']
    return page, client + 'summaries/%s/' % ref


def test_progress_is_rated_on_the_fhir_scale_and_bad_input_is_refused(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/goals/%s/progress' % (demo.mateo, demo.mateo_goal)
    form = therapist.get(path).forms['form']
    form['day'] = '2026-11-20'
    form['rating'] = 'achieved'
    form['parent_note'] = 'Done!'
    form.submit()
    form = therapist.get(path).forms['form']
    form['day'] = 'yesterday'
    form['rating'].force_value('great')
    res = form.submit(status=400)
    assert 'Invalid date' in res.text
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        assert latest_rating(goal).rating == 'achieved'


def test_preview_matches_the_published_page_and_review_comments_stay_with_staff(app, clinic,
                                                                                demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page, path = new_summary(clinic, demo, therapist)
    preview = therapist.get(path + 'preview')
    assert 'Preview: this is what guardians will see' in preview.text
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    child = '/clients/%s/family' % demo.mateo
    assert 'practising his plan' not in mother.get(child).text          # still a draft
    assert mother.get(path, expect_errors=True).status_int == 404

    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'ask_client_review'})
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    review = teen.get(path + 'review')
    assert 'practising his plan' in review.text
    form = review.forms['changes']
    form['comment'] = 'Please say "school days", not "school".'
    form.submit()
    assert 'practising his plan' not in mother.get(child).text          # back to draft
    staff = therapist.get(path)
    assert 'Please say' in staff.text                                   # the teen's words

    page = therapist.get(path)
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'})
    published = mother.get(child)
    assert 'practising his plan' in published.text
    assert 'Please say' not in published.text
    # What the guardian reads is what the therapist previewed.
    def without_date(article):
        return re.sub(r'<span class="muted"> · shared [0-9-]+</span>', '', article)
    assert without_date(summary_article(published.text)) == \
        without_date(summary_article(therapist.get(path + 'preview').text))


def test_guardians_see_published_summaries_only(app, clinic, demo):
    with clinic() as c:
        summaries = list(c['clients'][demo.mateo]['summaries'].values())
        shown = [s.parent_text for s in summaries if s.state == 'published']
        hidden = [s.parent_text for s in summaries if s.state != 'published']
    assert len(shown) == 3 and len(hidden) == 3
    page = sign_in(app, ROLE_EMAILS['guardian']).get('/clients/%s/family' % demo.mateo)
    for text in shown:
        assert text in page.text
    for text in hidden + [MARKER]:
        assert text not in page.text
    other = sign_in(app, ROLE_EMAILS['guardian_other'])
    assert other.get('/clients/%s/family' % demo.mateo, expect_errors=True).status_int == 404


def test_guardian_chart_comes_from_published_summaries_only(app, clinic, demo):
    page = sign_in(app, ROLE_EMAILS['guardian']).get('/clients/%s/family' % demo.mateo)
    charts = page.html.select('section.goal-trend')
    assert charts, 'no progress chart'
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        published = sorted((s for s in mateo['summaries'].values() if s.state == 'published'),
                           key=lambda s: s.created)
        titles = {line.title for s in published for line in s.goal_lines if line.rating}
    assert {section.h3.get_text(strip=True) for section in charts} == titles
    for section in charts:
        svg = section.find('svg')
        assert svg['role'] == 'img' and svg.find('title') and svg.find('desc')
        assert len(svg.find_all('circle')) == len(published)   # one point per published summary
        assert len(section.select('details li')) == len(published)


def test_trend_chart_without_ratings_still_describes_itself():
    from minorconsent.portal.chart import trend_svg
    svg = trend_svg('Sleep', [])
    assert '<desc>No ratings yet</desc>' in svg and '<circle' not in svg
    svg = trend_svg('Sleep <b>', [('2026-01-01', 'improving', 'Improving')])
    assert '&lt;b&gt;' in svg and svg.count('<circle') == 1


def test_publishing_tells_guardians_who_accept_email_and_nothing_more(app, clinic, demo):
    import time
    from support import mails_since as mails
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page, path = new_summary(clinic, demo, therapist)
    since = time.time_ns()
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'})
    sent = mails(since)
    assert [m['To'] for m in sent] == [ROLE_EMAILS['guardian']]   # not the barred father
    body = sent[0].get_payload(decode=True).decode('utf-8')
    for word in ('Mateo', 'Alvarez', 'practising', 'summary', 'therap', 'progress'):
        assert word.lower() not in body.lower()
    # A guardian who declined email gets nothing.
    with clinic() as c:
        c['clients'][demo.mateo]['guardians'][demo.user_ids['guardian']].contact.email_ok = False
    page, path = new_summary(clinic, demo, therapist)
    since = time.time_ns()
    res = therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'})
    assert res.status_int == 302                  # it was published ...
    assert mails(since) == []                     # ... and nobody was mailed


def test_after_review_only_the_teens_agreement_lets_the_therapist_publish(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page, path = new_summary(clinic, demo, therapist)
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'ask_client_review'})
    staff = therapist.get(path)
    assert 'Publish (the client agreed)' not in staff.text
    res = therapist.post(path + 'step', {'csrf_token': csrf_of(staff),
                                         'step': 'publish_reviewed'}, status=400)
    assert 'You may not' in res.text
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    review = teen.get(path + 'review')
    teen.post(path + 'review', {'csrf_token': csrf_of(review), 'agree': 'yes'})
    staff = therapist.get(path)
    assert 'Publish (the client agreed)' in staff.text
    therapist.post(path + 'step', {'csrf_token': csrf_of(staff), 'step': 'publish_reviewed'})
    with clinic() as c:
        (summary,) = [s for s in c['clients'][demo.mateo]['summaries'].values()
                      if s.period == 'Winter']
        assert summary.state == 'published'
