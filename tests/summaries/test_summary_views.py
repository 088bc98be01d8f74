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


def main_of(html):
    """The page's <main> element, with the publish date (the only thing
    that differs between a preview and the published page) normalised."""
    match = re.search(r'<main id="main".*?</main>', html, re.S)
    assert match, 'no <main>'
    return re.sub(r' · shared [0-9]{4}-[0-9]{2}-[0-9]{2}', ' · shared DATE', match.group(0))


def test_review_comments_stay_with_staff_and_a_teens_objection_cannot_be_overruled(
        app, clinic, demo):
    import time
    from support import mails_since
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page, path = new_summary(clinic, demo, therapist)
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
    asked = form.submit().follow()
    # The teen is told what happens next, not that something was "saved".
    assert 'Your therapist will see what you asked to change.' in asked.text
    assert 'Your changes are saved' not in asked.text
    assert 'practising his plan' not in mother.get(child).text          # back to draft
    staff = therapist.get(path)
    assert 'Please say' in staff.text                                   # the teen's words
    # The teen asked for changes: publishing straight from the draft would
    # overrule them.  The step is not offered, and posting it is refused.
    assert 'Publish to guardians' not in staff.text
    since = time.time_ns()
    res = therapist.post(path + 'step', {'csrf_token': csrf_of(staff), 'step': 'publish'},
                         status=400)
    assert 'You may not' in res.text
    assert mails_since(since) == []
    with clinic() as c:
        (summary,) = [s for s in c['clients'][demo.mateo]['summaries'].values()
                      if s.period == 'Winter']
        assert summary.state == 'draft'
    # Another round: the teen agrees, then it is published.
    therapist.post(path + 'step', {'csrf_token': csrf_of(staff), 'step': 'ask_client_review'})
    review = teen.get(path + 'review')
    agreed = teen.post(path + 'review', {'csrf_token': csrf_of(review), 'agree': 'yes'}).follow()
    assert 'Your therapist may now share it with your guardians.' in agreed.text
    staff = therapist.get(path)
    therapist.post(path + 'step', {'csrf_token': csrf_of(staff), 'step': 'publish_reviewed'},
                   status=302)
    published = mother.get(child)
    assert 'practising his plan' in published.text
    assert 'Please say' not in published.text


def test_an_agreement_then_an_edit_needs_a_new_review(app, clinic, demo):
    """Agreeing covers the text the teen read: back in draft, an edit
    makes publishing need another round; without an edit it may go."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page, path = new_summary(clinic, demo, therapist)
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'ask_client_review'})
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    review = teen.get(path + 'review')
    teen.post(path + 'review', {'csrf_token': csrf_of(review), 'agree': 'yes'})
    staff = therapist.get(path)
    therapist.post(path + 'step', {'csrf_token': csrf_of(staff), 'step': 'return_to_draft',
                                   'comment': 'One more look.'}, status=302)
    staff = therapist.get(path)
    assert 'Publish to guardians' in staff.text          # the very text they agreed to
    form = therapist.get(path + 'edit').forms['form']
    form['parent_text'] = 'Mateo is practising his plan at school, every day.'
    form.submit(status=302)
    staff = therapist.get(path)
    assert 'Publish to guardians' not in staff.text
    therapist.post(path + 'step', {'csrf_token': csrf_of(staff), 'step': 'publish'},
                   status=400)


def test_a_summary_never_reviewed_publishes_from_draft(app, clinic, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page, path = new_summary(clinic, demo, therapist)
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'}, status=302)
    with clinic() as c:
        (summary,) = [s for s in c['clients'][demo.mateo]['summaries'].values()
                      if s.period == 'Winter']
        assert summary.state == 'published'


def test_preview_is_the_guardians_whole_page_as_it_will_be(app, clinic, demo):
    """"Preview as guardian" renders the guardian's child page through the
    parent view, with this summary as if published: after publishing, the
    guardian's <main> is exactly the preview's."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        goal.parent_description = 'Getting ready for school calmly.'
    from datetime import date
    path_progress = '/clients/%s/goals/%s/progress' % (demo.mateo, demo.mateo_goal)
    form = therapist.get(path_progress).forms['form']
    form['day'], form['rating'] = date.today().isoformat(), 'achieved'
    form['parent_note'] = 'Mornings are calm now.'
    form.submit(status=302)
    page, path = new_summary(clinic, demo, therapist)
    preview = therapist.get(path + 'preview')
    assert 'Preview: this is what guardians will see' in preview.text
    assert 'Preview: this is what' not in main_of(preview.text)      # outside the page
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    before = mother.get('/clients/%s/family' % demo.mateo)
    assert 'practising his plan' not in before.text
    assert main_of(before.text) != main_of(preview.text)
    # The whole page: documents, charts, earlier summaries, contact details.
    preview_main = main_of(preview.text)
    for part in ('docs-h', 'goal-trend', 'Mateo keeps working on his goals', 'contact-h',
                 'practising his plan', 'Getting ready for school calmly.',
                 'Mornings are calm now.'):
        assert part in preview_main, part
    assert MARKER not in preview.text
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'}, status=302)
    after = mother.get('/clients/%s/family' % demo.mateo)
    assert main_of(after.text) == preview_main
    # A guardian never reaches the preview, published or not.
    mother.get(path + 'preview', status=404)


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
        # One point per progress entry a published summary carried, at the
        # day its rating was recorded (issue 16: not one per summary).
        carried = {}
        for s in published:
            for line in s.goal_lines:
                if line.rating:
                    carried.setdefault(line.title, {}).update(
                        {number: day for number, day, _ in line.entries})
    assert {section.h3.get_text(strip=True) for section in charts} == titles
    for section in charts:
        svg = section.find('svg')
        assert svg['role'] == 'img' and svg.find('title') and svg.find('desc')
        days = sorted(carried[section.h3.get_text(strip=True)].values())
        assert len(days) > len(published)          # the seed rates monthly, publishes less
        assert [c['data-day'] for c in svg.find_all('circle')] == days
        assert len(section.select('details li')) == len(days)


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


def test_the_preview_is_in_the_guardians_language(app, clinic, demo):
    """A guardian who reads Spanish: the preview is their page in Spanish,
    <main> for <main> with what they read once it is published."""
    with clinic() as c:
        c['users'][demo.user_ids['guardian']].language = 'es'
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page, path = new_summary(clinic, demo, therapist)
    preview = therapist.get(path + 'preview')
    preview_main = main_of(preview.text)
    assert 'lang="es"' in preview.text
    assert 'practising his plan' in preview_main          # the therapist's words as written
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'}, status=302)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    after = mother.get('/clients/%s/family' % demo.mateo)
    assert 'lang="es"' in after.text
    assert main_of(after.text) == preview_main
    # The therapist's own pages stay in their language.
    assert 'lang="en"' in therapist.get(path).text
