"""The conflict page over HTTP: an edit built from an old version answers
409 with the message, the current version and the author's own text, and
commits nothing; a ZODB ConflictError is retried and ends the same way."""
import pytest

from support import ROLE_EMAILS, audit_entries, csrf_of, sign_in

GOAL_MESSAGE = ('Someone else changed this goal while you were editing. Here is the '
                'current version; your text is below so you can copy it.')


def current_version(res):
    """{label: text} of the conflict page's current-version list."""
    dl = res.html.find('dl', class_='current-version')
    assert dl is not None, 'no current version on the page'
    return {dt.get_text(strip=True): dd.get_text(strip=True)
            for dt, dd in zip(dl.find_all('dt'), dl.find_all('dd'))}


def goal_path(demo):
    return '/clients/%s/goals/%s/' % (demo.mateo, demo.mateo_goal)


def edits(app, clinic, demo, action):
    return [e for e in audit_entries(app) if e['action'] == action]


def test_a_stale_goal_edit_gets_the_conflict_page_and_changes_nothing(app, clinic, demo):
    first = sign_in(app, ROLE_EMAILS['therapist'])
    second = sign_in(app, ROLE_EMAILS['therapist'])
    form_a = first.get(goal_path(demo) + 'edit').forms['form']
    form_b = second.get(goal_path(demo) + 'edit').forms['form']
    assert form_a['revision'].value == form_b['revision'].value == '0'
    form_a['parent_title'] = 'Title from A'
    form_a['clinical_text'] = 'Clinical from A'
    assert form_a.submit().status_int == 302
    form_b['parent_title'] = 'Title from B'
    form_b['parent_description'] = 'Long careful description by B'
    res = form_b.submit(status=409)
    assert GOAL_MESSAGE in res.text
    assert res.html.find(role='alert').get_text(strip=True) == GOAL_MESSAGE
    shown = current_version(res)
    assert shown['Title for guardians'] == 'Title from A'
    assert shown['Clinical wording (stays in the clinic)'] == 'Clinical from A'
    # B's own words are still in the form, now carrying the current revision.
    again = res.forms['form']
    assert again['parent_title'].value == 'Title from B'
    assert again['parent_description'].value == 'Long careful description by B'
    assert again['revision'].value == '1'
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        assert (goal.parent_title, goal.clinical_text, goal.revision) == \
            ('Title from A', 'Clinical from A', 1)
        assert goal.parent_description != 'Long careful description by B'
    # Only A's edit is on the trail as an edit; B's attempt is there as a 409.
    assert len(edits(app, clinic, demo, 'goal.edit')) == 1
    posts = [e for e in audit_entries(app) if e['action'] == 'POST Goal.edit']
    assert sorted(e['outcome'] for e in posts) == ['302', '409 not-committed']
    # Having seen A's version, B saves deliberately: it lands.
    assert again.submit().status_int == 302
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        assert (goal.parent_title, goal.revision) == ('Title from B', 2)


def test_a_double_clicked_save_is_not_a_conflict(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    form = browser.get(goal_path(demo) + 'edit').forms['form']
    form['parent_title'] = 'Same twice'
    assert form.submit().status_int == 302
    assert form.submit().status_int == 302
    with clinic() as c:
        assert c['clients'][demo.mateo]['goals'][demo.mateo_goal].revision == 1


def test_a_tampered_revision_gets_the_conflict_page_not_an_error(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    page = browser.get(goal_path(demo) + 'edit')
    for token in ('', 'x' * 5000, '-3', '1e9'):
        res = browser.post(goal_path(demo) + 'edit', {
            'csrf_token': csrf_of(page), 'parent_title': 'Tampered', 'parent_description': '',
            'clinical_text': 'c', 'status': 'active', 'revision': token}, status=409)
        assert 'Someone else changed this goal' in res.text
    with clinic() as c:
        assert c['clients'][demo.mateo]['goals'][demo.mateo_goal].parent_title != 'Tampered'


def test_invalid_input_on_a_stale_form_is_explained_first(app, clinic, demo):
    """A field error is the author's to fix; it is reported (400) before
    the version is compared, and nothing changes either way."""
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    form = browser.get(goal_path(demo) + 'edit').forms['form']
    form['revision'].force_value('7')
    form['parent_title'] = ''
    assert 'Required' in form.submit(status=400).text


def test_a_conflict_error_is_retried_and_the_retry_gets_the_conflict_page(app, clinic, demo,
                                                                          monkeypatch):
    """Another request commits an edit of the same goal after this request
    read it: this request's commit raises ConflictError, pyramid_retry runs
    it again from scratch, and with its old revision it now gets the 409
    page instead of overwriting the other edit (and never a 500)."""
    from minorconsent.clients.model import Goal
    original = Goal.edit
    calls = []

    def edit_with_a_concurrent_commit(goal, revision, values, actor_id=None):
        calls.append(revision)
        if len(calls) == 1:
            with clinic() as c:      # another connection, another transaction
                other = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
                original(other, '0', dict(values, parent_title='The other edit'))
        return original(goal, revision, values, actor_id)
    monkeypatch.setattr(Goal, 'edit', edit_with_a_concurrent_commit)

    browser = sign_in(app, ROLE_EMAILS['therapist'])
    form = browser.get(goal_path(demo) + 'edit').forms['form']
    form['parent_title'] = 'This request'
    res = form.submit(status=409)
    assert calls == ['0', '0'], 'the request was not retried'
    assert 'Someone else changed this goal' in res.text
    assert current_version(res)['Title for guardians'] == 'The other edit'
    assert res.forms['form']['parent_title'].value == 'This request'
    with clinic() as c:
        goal = c['clients'][demo.mateo]['goals'][demo.mateo_goal]
        assert (goal.parent_title, goal.revision) == ('The other edit', 1)


# --- summary drafts --------------------------------------------------------

def summary_in(clinic, demo, state):
    with clinic() as c:
        return [s.__name__ for s in c['clients'][demo.mateo]['summaries'].values()
                if s.state == state][0]


def test_a_stale_summary_draft_edit_gets_the_conflict_page(app, clinic, demo):
    ref = summary_in(clinic, demo, 'draft')
    path = '/clients/%s/summaries/%s/' % (demo.mateo, ref)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    assert 'Edit the draft' in therapist.get(path).text
    form_a = therapist.get(path + 'edit').forms['form']
    form_b = therapist.get(path + 'edit').forms['form']
    rating = [name for name in form_a.fields if name.startswith('rating_')][0]
    form_a['parent_text'] = 'Text from A'
    form_a[rating] = 'achieved'
    assert form_a.submit().status_int == 302
    form_b['parent_text'] = 'Text from B, written with care'
    form_b[rating] = 'worsening'
    res = form_b.submit(status=409)
    assert ('Someone else changed this summary while you were editing. Here is the '
            'current version; your text is below so you can copy it.') in res.text
    shown = current_version(res)
    assert shown['What guardians will read'] == 'Text from A'
    assert 'Achieved' in shown.values()
    assert res.forms['form']['parent_text'].value == 'Text from B, written with care'
    assert res.forms['form'][rating].value == 'worsening'
    with clinic() as c:
        summary = c['clients'][demo.mateo]['summaries'][ref]
        assert summary.parent_text == 'Text from A' and summary.revision == 1
        assert 'achieved' in summary.ratings().values()
    assert len(edits(app, clinic, demo, 'summary.edit')) == 1


def test_a_draft_sent_for_review_while_editing_keeps_the_authors_text(app, clinic, demo):
    ref = summary_in(clinic, demo, 'draft')
    path = '/clients/%s/summaries/%s/' % (demo.mateo, ref)
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get(path + 'edit').forms['form']
    page = therapist.get(path)
    therapist.post(path + 'step', {'csrf_token': csrf_of(page), 'step': 'ask_client_review'})
    form['parent_text'] = 'Typed while the teen was asked to review'
    res = form.submit(status=409)
    assert 'no longer a draft' in res.text and 'Client review' in res.text
    assert res.forms['form']['parent_text'].value == 'Typed while the teen was asked to review'
    with clinic() as c:
        assert c['clients'][demo.mateo]['summaries'][ref].parent_text != \
            'Typed while the teen was asked to review'
    # The edit page of a summary in review says why there is no form.
    res = therapist.get(path + 'edit')
    assert 'only a draft can be changed' in res.text and 'form' not in res.forms
    assert 'Edit the draft' not in therapist.get(path).text


def test_a_supervisor_cannot_edit_a_draft(app, clinic, demo):
    ref = summary_in(clinic, demo, 'draft')
    path = '/clients/%s/summaries/%s/edit' % (demo.mateo, ref)
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    assert supervisor.get(path, expect_errors=True).status_int == 404


# --- the other edit forms of shared records --------------------------------

@pytest.mark.parametrize('form_path,field,value,other,label', [
    ('/clients/{mateo}/edit', 'preferred_name', 'Teo', 'Matty', 'Preferred name'),
    ('/clients/{mateo}/contact', 'instructions', 'Evenings only', 'Mornings only',
     'Contact instructions (internal)'),
    ('/clients/{mateo}/guardians/{mother}/edit', 'instructions', 'Evenings only',
     'Mornings only', 'Contact instructions (internal)'),
])
def test_other_shared_records_are_checked_too(app, demo, form_path, field, value, other, label):
    path = form_path.format(mateo=demo.mateo, mother=demo.user_ids['guardian'])
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form_a = therapist.get(path).forms['form']
    form_b = therapist.get(path).forms['form']
    form_a[field] = value
    assert form_a.submit().status_int == 302
    form_b[field] = other
    res = form_b.submit(status=409)
    assert 'while you were editing' in res.text
    assert current_version(res)[label] == value
    assert res.forms['form'][field].value == other
    assert therapist.get(path).forms['form'][field].value == value
