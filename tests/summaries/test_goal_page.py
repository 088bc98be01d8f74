"""A goal's staff page with its progress entries, and the correction of an
entry that keeps the original in its history (issue 16, item 6)."""
import pickle
from datetime import date, timedelta

import pytest

from minorconsent.summaries import add_progress, write_summary
from minorconsent.summaries.model import ProgressEntry, progress_entries, progress_log
from minorconsent.summaries.progress import NotCorrected, correct_progress, entry_records
from support import ROLE_EMAILS, audit_entries, sign_in


def goal_path(demo):
    return '/clients/%s/goals/%s/' % (demo.mateo, demo.mateo_goal)


def error_next_to(res, name):
    """The error shown with the field named ``name`` ('' when none)."""
    oid = res.html.find(attrs={'name': name})['id']
    found = res.html.select_one('#error-%s' % oid)
    return found.get_text(' ', strip=True) if found else ''


def record(clinic, demo, day, rating, note=''):
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        add_progress(goal, day, rating, note, demo.user_ids['therapist'])
        return len(progress_log(goal))


def test_the_goal_page_lists_every_entry_with_date_value_and_who(app, clinic, demo):
    day = date.today() - timedelta(days=3)
    number = record(clinic, demo, day, 'worsening', 'A hard week at school.')
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    # Reached from the client record, not only by its URL.
    client_page = therapist.get('/clients/%s/' % demo.mateo)
    page = client_page.click(href=goal_path(demo).rstrip('/') + '/?$')
    row = page.html.select_one('#entry-%d' % number)
    cells = [td.get_text(' ', strip=True) for td in row.find_all('td')]
    assert cells[0] == day.isoformat()
    assert cells[1] == 'Harder lately'
    assert cells[2] == 'A hard week at school.'
    with clinic() as c:
        name = c['users'][demo.user_ids['therapist']].display_name
        count = len(progress_entries(c['clients'][demo.mateo]['goals'][demo.mateo_goal]))
    assert name in cells[3]
    assert len(page.html.select('table.progress-entries tbody tr')) == count
    # The seed's monthly entries are there too, newest recorded first.
    assert page.html.select('table.progress-entries tbody tr')[0]['id'] == 'entry-%d' % number
    # A supervisor reads it; only the therapist is offered a correction.
    boss = sign_in(app, ROLE_EMAILS['supervisor']).get(goal_path(demo))
    assert boss.html.select_one('#entry-%d' % number) is not None
    assert 'correct-progress' not in boss.text and 'correct-progress' in page.text
    # Recording progress now lands on this page.
    form = therapist.get(goal_path(demo) + 'progress').forms['form']
    form['day'], form['rating'] = date.today().isoformat(), 'improving'
    res = form.submit(status=302)
    assert res.location.endswith(goal_path(demo))


@pytest.mark.parametrize('role', ['guardian', 'adolescent', 'guardian_other',
                                  'therapist_other', 'guardian_restricted'])
def test_the_family_and_other_staff_get_the_answer_of_a_page_that_does_not_exist(
        app, demo, role):
    browser = sign_in(app, ROLE_EMAILS[role])
    nowhere = browser.get('/clients/doesnotexist/', expect_errors=True)
    for path in (goal_path(demo), goal_path(demo) + 'correct-progress?entry=1'):
        res = browser.get(path, expect_errors=True)
        assert res.status_int == 404 and res.body == nowhere.body, path


def test_a_correction_keeps_the_original_in_the_history_and_on_the_trail(app, clinic, demo):
    day = date.today() - timedelta(days=5)
    number = record(clinic, demo, day, 'achieved', 'Calm mornings.')
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        before = write_summary(c, mateo, 'Before', 'Text.', demo.user_ids['therapist'])
        before_id = before.__name__
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get(goal_path(demo) + 'correct-progress?entry=%d' % number).forms['form']
    assert (form['day'].value, form['rating'].value, form['parent_note'].value) == (
        day.isoformat(), 'achieved', 'Calm mornings.')
    form['rating'] = 'improving'
    form['day'] = (day - timedelta(days=1)).isoformat()
    form['reason'] = 'Entered on the wrong goal line.'
    res = form.submit(status=302)
    assert res.location.endswith(goal_path(demo))
    page = therapist.get(goal_path(demo))
    row = page.html.select_one('#entry-%d' % number)
    text = ' '.join(row.get_text(' ', strip=True).split())
    assert row.find('td').get_text(strip=True) == (day - timedelta(days=1)).isoformat()
    assert row.find_all('td')[1].get_text(strip=True) == 'Improving'
    # The original, who corrected it and why.
    assert 'Recorded first as: %s, Achieved' % day.isoformat() in text
    assert 'Entered on the wrong goal line.' in text
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        assert progress_log(goal)[number - 1] == ProgressEntry(
            day, 'achieved', 'Calm mornings.', demo.user_ids['therapist'],
            progress_log(goal)[number - 1].recorded)
        current = [e for e in progress_entries(goal)
                   if e.recorded == progress_log(goal)[number - 1].recorded]
        assert [(e.day, e.rating) for e in current] == [(day - timedelta(days=1), 'improving')]
        # A summary written before keeps what it copied; one written now
        # carries the corrected entry.
        mateo = c['clients'][demo.mateo]
        old_line = [l for l in mateo['summaries'][before_id].goal_lines
                    if l.goal_id == demo.mateo_goal][0]
        assert (number, day.isoformat(), 'achieved') in old_line.entries
        after = write_summary(c, mateo, 'After', 'Text.', demo.user_ids['therapist'])
        new_line = [l for l in after.goal_lines if l.goal_id == demo.mateo_goal][0]
        assert (number, (day - timedelta(days=1)).isoformat(), 'improving') in new_line.entries
        assert (number, day.isoformat(), 'achieved') not in new_line.entries
    corrections = [e for e in audit_entries(app) if e['action'] == 'progress.correct']
    assert len(corrections) == 1
    assert corrections[0]['actor'] == demo.user_ids['therapist']
    assert corrections[0]['detail'] == 'entry %d: day, rating' % number
    assert 'wrong goal line' not in str(corrections[0])      # the reason stays on the page


def test_a_bad_correction_is_refused_next_to_its_field_and_changes_nothing(app, clinic, demo):
    number = record(clinic, demo, date.today(), 'improving', '')
    with clinic() as c:
        size = len(progress_log(c['clients'][demo.mateo]['goals'][demo.mateo_goal]))
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    url = goal_path(demo) + 'correct-progress?entry=%d' % number
    form = therapist.get(url).forms['form']
    form['rating'] = 'achieved'
    res = form.submit(status=400)                        # no reason
    assert error_next_to(res, 'reason') and not error_next_to(res, 'rating')
    form = therapist.get(url).forms['form']
    form['reason'] = 'Nothing really.'
    res = form.submit(status=400)                        # nothing changed
    assert 'nothing to correct' in error_next_to(res, 'rating')
    form = therapist.get(url).forms['form']
    form['reason'], form['rating'] = 'x', 'achieved'
    form['entry'] = '999'
    form.submit(status=404)                              # no such entry
    therapist.get(goal_path(demo) + 'correct-progress', status=404)
    therapist.get(goal_path(demo) + 'correct-progress?entry=abc', status=404)
    # A supervisor reads entries but corrects none.
    sign_in(app, ROLE_EMAILS['supervisor']).get(url, status=404)
    with clinic() as c:
        assert len(progress_log(c['clients'][demo.mateo]['goals'][demo.mateo_goal])) == size
    assert not [e for e in audit_entries(app) if e['action'] == 'progress.correct']


class Goal:
    """A goal as the summaries room sees it: something holding progress."""


def test_corrections_of_corrections_keep_every_version():
    goal = Goal()
    add_progress(goal, date(2026, 1, 5), 'improving', 'n', 'T')
    add_progress(goal, date(2026, 1, 12), 'no-change', '', 'T')
    correct_progress(goal, 1, date(2026, 1, 5), 'achieved', 'n', 'typo', 'T')
    correct_progress(goal, 1, date(2026, 1, 6), 'achieved', 'n', 'wrong day', 'S')
    (second, first) = entry_records(goal)
    assert (first.number, first.current.day, first.current.rating) == (
        1, date(2026, 1, 6), 'achieved')
    assert (first.original.rating, first.original.author_id) == ('improving', 'T')
    assert [(c.reason, c.author_id) for c in first.corrections] == [('typo', 'T'),
                                                                     ('wrong day', 'S')]
    assert second.number == 2 and not second.corrected
    assert [e.rating for e in progress_entries(goal)] == ['achieved', 'no-change']
    with pytest.raises(NotCorrected) as refused:
        correct_progress(goal, 3, date(2026, 1, 6), 'achieved', '', 'x', 'T')   # a correction
    assert refused.value.field == 'entry'
    with pytest.raises(NotCorrected):
        correct_progress(goal, 2, date(2026, 1, 12), 'bogus', '', 'x', 'T')
    assert len(progress_log(goal)) == 4


def test_entries_stored_before_corrections_existed_still_load():
    old = ProgressEntry.__new__(ProgressEntry)
    old.__dict__.update(day=date(2026, 1, 1), rating='improving', parent_note='',
                        author_id='T', recorded=None)
    entry = pickle.loads(pickle.dumps(old))
    assert (entry.corrects, entry.reason) == (None, '')


def test_an_odd_entry_number_is_the_nonexistent_answer_not_a_500(app, clinic, demo):
    """Found in review: '²' passes str.isdigit and int() refuses it; so do
    5,000 digits."""
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    for number in ('%C2%B2', '9' * 5000, '-1', '1.5'):
        res = therapist.get(goal_path(demo) + 'correct-progress?entry=' + number,
                            expect_errors=True)
        assert res.status_int == 404, number
