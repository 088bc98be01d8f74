"""Goal descriptions and parent notes reach guardians through published
summaries only; a withdrawn summary is corrected by a new one."""
import io
import pickle
import time
from datetime import date

from pypdf import PdfReader

from minorconsent.summaries import add_progress, write_summary
from minorconsent.summaries.model import GoalLine
from support import MARKER, ROLE_EMAILS, csrf_of, sign_in

DESCRIPTION = 'Getting ready for school without a fight.'
NOTE = 'Three calm mornings in a row.'


def pdf_words(res):
    return ' '.join(''.join(p.extract_text() for p in PdfReader(io.BytesIO(res.body)).pages)
                    .split())


def test_old_goal_lines_without_the_new_fields_still_load():
    """A line pickled before ``description`` and ``note`` existed reads the
    class defaults."""
    old = GoalLine.__new__(GoalLine)
    old.__dict__.update(goal_id='g1', title='Sleep', rating='improving')
    line = pickle.loads(pickle.dumps(old))
    assert (line.title, line.rating, line.description, line.note) == ('Sleep', 'improving', '',
                                                                      '')


def test_a_summary_freezes_description_and_the_notes_since_the_last_one(app, clinic, demo):
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        therapist = demo.user_ids['therapist']
        goal = mateo['goals'][demo.mateo_goal]
        goal.parent_description = DESCRIPTION
        add_progress(goal, date.today(), 'improving', 'An older note.', therapist)
        add_progress(goal, date.today(), 'improving', NOTE, therapist)
        add_progress(goal, date.today(), 'improving', '', therapist)   # no note: keeps NOTE
        summary = write_summary(c, mateo, 'Now', 'Text.', therapist)
        (line,) = [l for l in summary.goal_lines if l.goal_id == demo.mateo_goal]
        assert (line.description, line.note) == (DESCRIPTION, NOTE)
        assert goal.clinical_text not in repr(summary.goal_lines)
        # Frozen: a later edit of the goal changes no line already written.
        goal.parent_description = 'Changed later.'
        assert line.description == DESCRIPTION
        # A note given before the previous published summary is not repeated.
        other = [l for l in summary.goal_lines if l.goal_id != demo.mateo_goal]
        assert all(l.note == '' for l in other)   # seeded 'Steady steps.' were in earlier ones


def publish_new_summary(app, clinic, demo, text='A good winter.'):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    with clinic() as c:
        c['clients'][demo.mateo]['goals'][demo.mateo_goal].parent_description = DESCRIPTION
    form = therapist.get('/clients/%s/goals/%s/progress' % (demo.mateo, demo.mateo_goal)) \
        .forms['form']
    form['day'], form['rating'], form['parent_note'] = date.today().isoformat(), 'achieved', NOTE
    form.submit(status=302)
    form = therapist.get('/clients/%s/add-summary' % demo.mateo).forms['form']
    form['period'], form['parent_text'] = 'Winter', text
    page = form.submit().follow()
    therapist.post(page.request.path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'},
                   status=302)
    return page.request.path


def test_guardians_read_description_and_note_everywhere_the_summary_is(app, clinic, demo):
    path = publish_new_summary(app, clinic, demo)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    child = mother.get('/clients/%s/family' % demo.mateo)
    trend = [s for s in child.html.select('section.goal-trend') if DESCRIPTION in s.text]
    assert trend and NOTE in trend[0].text                  # the chart card
    card = child.html.select_one('article.summary')         # the newest summary
    assert DESCRIPTION in card.text and NOTE in card.text
    page = mother.get(path + 'family')                      # printable page
    assert DESCRIPTION in page.text and NOTE in page.text
    words = pdf_words(mother.get(path + 'summary.pdf'))
    assert DESCRIPTION in words and NOTE in words and 'Note from the therapist' in words
    assert MARKER not in words and MARKER not in child.text


def test_goal_details_in_spanish_labels(app, clinic, demo):
    path = publish_new_summary(app, clinic, demo)
    with clinic() as c:
        c['users'][demo.user_ids['guardian']].language = 'es'
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    child = mother.get('/clients/%s/family' % demo.mateo)
    assert 'Nota del terapeuta:' in child.text and NOTE in child.text   # as written
    words = pdf_words(mother.get(path + 'summary.pdf'))
    assert 'Nota del terapeuta:' in words


def withdrawn_summary(clinic, demo):
    with clinic() as c:
        (summary,) = [s for s in c['clients'][demo.mateo]['summaries'].values()
                      if s.state == 'withdrawn']
        return '/clients/%s/summaries/%s/' % (demo.mateo, summary.__name__), summary.parent_text


def summaries_of(clinic, demo):
    with clinic() as c:
        return {s.__name__: (s.state, s.supersedes)
                for s in c['clients'][demo.mateo]['summaries'].values()}


def test_a_correction_supersedes_the_withdrawn_summary(app, clinic, demo):
    path, withdrawn_text = withdrawn_summary(clinic, demo)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    staff = therapist.get(path)
    form = staff.forms[[k for k, f in staff.forms.items() if f.action.endswith('/correct')][0]]
    edit = form.submit(status=302).follow()
    assert withdrawn_text in edit.forms['form']['parent_text'].value   # copied for editing
    again = therapist.post(path + 'correct', {'csrf_token': csrf_of(staff)}, status=302)
    assert again.location == edit.request.url                          # a double click
    drafts = [ref for ref, (state, sup) in summaries_of(clinic, demo).items()
              if sup == path.split('/')[-2]]
    assert len(drafts) == 1
    form = edit.forms['form']
    form['parent_text'] = 'Corrected: Mateo is doing well with his morning plan.'
    form.submit(status=302)
    draft_path = '/clients/%s/summaries/%s/' % (demo.mateo, drafts[0])
    page = therapist.get(draft_path)
    assert 'This corrects a withdrawn summary' in page.text
    therapist.post(draft_path + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'},
                   status=302)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    child = mother.get('/clients/%s/family' % demo.mateo)
    card = [a for a in child.html.select('article.summary') if 'Corrected:' in a.text]
    assert card and 'This corrects an earlier update.' in card[0].text
    for res in (child, mother.get(draft_path + 'family')):
        assert withdrawn_text not in res.text and MARKER not in res.text
    words = pdf_words(mother.get(draft_path + 'summary.pdf'))
    assert 'This corrects an earlier update.' in words and MARKER not in words
    mother.get(path + 'family', status=404)                            # still withdrawn
    # Once published, a correction of the same summary is refused.
    res = therapist.post(path + 'correct', {'csrf_token': csrf_of(staff)}, status=400)
    assert 'already published' in res.text


def test_only_a_withdrawn_summary_is_corrected_and_only_by_its_therapist(app, clinic, demo):
    before = summaries_of(clinic, demo)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    with clinic() as c:
        published = [s.__name__ for s in c['clients'][demo.mateo]['summaries'].values()
                     if s.state == 'published'][0]
    path = '/clients/%s/summaries/%s/' % (demo.mateo, published)
    staff = therapist.get(path)
    assert 'Write a correction' not in staff.text
    res = therapist.post(path + 'correct', {'csrf_token': csrf_of(staff)}, status=400)
    assert 'Only a withdrawn summary can be corrected.' in res.text
    withdrawn, _ = withdrawn_summary(clinic, demo)
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    page = supervisor.get(withdrawn)
    assert 'Write a correction' not in page.text
    supervisor.post(withdrawn + 'correct', {'csrf_token': csrf_of(page)}, status=404)
    therapist.post(withdrawn + 'correct', {'csrf_token': 'forged'}, status=400)
    assert summaries_of(clinic, demo) == before


def test_the_correction_notice_in_spanish(app, clinic, demo):
    path, _ = withdrawn_summary(clinic, demo)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    edit = therapist.post(path + 'correct', {'csrf_token': csrf_of(therapist.get(path))}) \
        .follow()
    form = edit.forms['form']
    form['parent_text'] = 'Corregido.'
    form.submit(status=302)
    draft = edit.request.path.rsplit('edit', 1)[0]
    page = therapist.get(draft)
    therapist.post(draft + 'step', {'csrf_token': csrf_of(page), 'step': 'publish'}, status=302)
    with clinic() as c:
        c['users'][demo.user_ids['guardian']].language = 'es'
    child = sign_in(app, ROLE_EMAILS['guardian']).get('/clients/%s/family' % demo.mateo)
    assert 'Esto corrige una novedad anterior.' in child.text
