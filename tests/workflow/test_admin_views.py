"""The workflow admin over HTTP, bad input included."""
import tomllib

from support import ROLE_EMAILS, audit_entries, csrf_of, sign_in

BASE = '/workflows/parent-summary/'
CONSENT = '/workflows/consent-to-treatment/'


def edit_draft(browser, change, status=302, base=BASE):
    form = browser.get(base + 'draft').forms['form']
    form['source'] = change(form['source'].value)
    return form.submit(status=status)


def test_workflow_page_shows_diagram_matrix_and_counts(app):
    res = sign_in(app, ROLE_EMAILS['admin']).get(BASE)
    assert '<svg' in res.text and 'data-state="minor_review"' in res.text
    assert '<script' not in res.text
    matrix = res.html.find('table', class_='matrix')
    cells = {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all('td')]
             for row in matrix.tbody.find_all('tr')}
    # columns: therapist, supervisor, guardian, adolescent
    assert cells['Published'][2] == 'view-published'
    assert cells['Draft'][2] == '—'


def test_export_is_the_exact_source_of_a_version(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    res = admin.get(BASE + 'export')
    assert tomllib.loads(res.text)['id'] == 'parent-summary'
    assert admin.get(BASE + 'export?version=9', status=404)
    assert admin.get(BASE + 'export?version=x', status=404)


def test_invalid_drafts_are_explained_and_not_saved(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    res = edit_draft(admin, lambda s: s.replace('to = "published"', 'to = "publishd"'), 400)
    assert 'Transition &#34;publish&#34; goes to &#34;publishd&#34;' in res.text \
        or 'Transition "publish" goes to "publishd"' in res.text
    res = edit_draft(admin, lambda s: s + '\n[states.x\n', 400)
    assert 'not valid TOML' in res.text
    res = edit_draft(admin, lambda s: s.replace('permissions.guardian = ["view-published"]',
                                                'permissions.guardian = ["view-published", "edit"]'), 400)
    assert 'a guardian may only be given' in res.text
    res = edit_draft(admin, lambda s: s.replace('id = "parent-summary"', 'id = "other"'), 400)
    assert 'The id must stay' in res.text
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_deeply_nested_toml_is_explained_not_a_server_error(app, clinic):
    """Found by tests/fuzz: tomllib recurses on nested arrays and raised
    RecursionError (a 500) for a draft or an upload of "x = [[[[..."."""
    admin = sign_in(app, ROLE_EMAILS['admin'])
    res = edit_draft(admin, lambda s: s + '\nx = ' + '[' * 5000 + '\n', 400)
    assert 'nested too deeply' in res.text
    form = admin.get(BASE + 'import').forms['form']
    form['upload'] = ('deep.toml', b'x = ' + b'[' * 5000)
    res = form.submit(status=400)
    assert 'nested too deeply' in res.text
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_publish_a_new_version_with_a_review_state(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])

    def add_supervisor_review(source):
        return source.replace('''[[transitions]]
id = "publish"''', '''[[transitions]]
id = "send_to_supervisor"
title = "Send to supervisor"
from = ["draft"]
to = "supervisor_review"
roles = ["therapist"]

[[transitions]]
id = "publish"''').replace('from = ["draft"]\nto = "published"',
                           'from = ["supervisor_review"]\nto = "published"'
                           ).replace('roles = ["therapist"]\n\n[[transitions]]\nid = "withdraw"',
                                     'roles = ["therapist", "supervisor"]\n\n[[transitions]]\nid = "withdraw"'
                                     ) + '''
[states.supervisor_review]
title = "Supervisor review"
description = "A supervisor reads it before it is published."
permissions.therapist = ["view"]
permissions.supervisor = ["view", "edit"]
'''
    res = edit_draft(admin, add_supervisor_review).follow()
    assert 'Added the state &#34;Supervisor review&#34;' in res.text \
        or 'Added the state "Supervisor review"' in res.text
    assert 'data-state="supervisor_review"' in res.text
    res = admin.post(BASE + 'publish', {'csrf_token': csrf_of(res)})
    assert res.status_int == 302
    with clinic() as c:
        record = c['workflows']['parent-summary']
        assert record.current == 2 and record.draft is None
        assert record.definition().has_state('supervisor_review')
        assert not record.definition(1).has_state('supervisor_review')
    assert 'version 2' in admin.get(BASE).text


def test_publish_maps_removed_states_and_moves_objects(app, clinic):
    from minorconsent.site.folder import Folder
    from minorconsent.workflow.engine import start
    from wfsupport import Doc
    with clinic() as c:
        seeded_drafts = c['workflows']['consent-to-treatment'].population().get((1, 'draft'), 0)
        client = next(iter(c['clients'].values()))
        client.add(Folder(), 'docs')
        for _ in range(3):
            doc = Doc()
            client['docs'].add(doc)
            start(doc, 'consent-to-treatment')
    admin = sign_in(app, ROLE_EMAILS['admin'])

    def rename_draft(source):
        return (source.replace('[states.draft]', '[states.writing]')
                .replace('initial_state = "draft"', 'initial_state = "writing"')
                .replace('"draft"', '"writing"'))
    # A summary's "draft" is the state the code lets staff edit in: it stays.
    refused = edit_draft(admin, rename_draft, 400)
    assert 'The state "draft" is needed by the app: a summary can be edited only ' \
        'in this state.' in refused.text
    # A consent's draft is only a name: renaming it maps its objects.
    res = edit_draft(admin, rename_draft, base=CONSENT).follow()
    # The dry run: 3 objects in "draft", no target chosen yet.
    select = res.html.find('select', id='map-draft')
    assert select is not None and select.find('option', selected=True) is None
    cells = [td.get_text(strip=True) for td in select.find_parent('tr').find_all('td')]
    assert cells[:2] == ['draft', str(seeded_drafts + 3)]
    # Publishing without a choice is refused and changes nothing.
    refused = admin.post(CONSENT + 'publish', {'csrf_token': csrf_of(res)}, status=400)
    assert 'Choose a new state for the objects in: draft.' in refused.text
    with clinic() as c:
        assert c['workflows']['consent-to-treatment'].current == 1
    admin.post(CONSENT + 'publish', {'csrf_token': csrf_of(res), 'map.draft': 'writing',
                                  'comment': 'Renamed draft'})
    with clinic() as c:
        record = c['workflows']['consent-to-treatment']
        assert record.current == 2 and record.migration.finished
        population = record.population()
        assert population[(2, 'writing')] == seeded_drafts + 3
        assert not [place for place in population if place[0] == 1]
        doc = [record.members[k] for k in record.keys_in(2, 'writing')
               if isinstance(record.members[k], Doc)][0]
        entry = doc.history.latest()
        assert (entry.transition, entry.from_state, entry.to_state, entry.version) == \
            ('migrate', 'draft', 'writing', 2)
        assert entry.actor == c['users'].find_by_email(ROLE_EMAILS['admin']).__name__
        assert entry.comment == 'Renamed draft'
        admin_id = entry.actor
    # The publication and the move are on the audit trail, attributed to the admin.
    trail = [e for e in audit_entries(app) if e['actor'] == admin_id]
    published = [e for e in trail if e['action'] == 'admin.workflow_publish']
    assert len(published) == 1
    assert published[0]['detail'].startswith('consent-to-treatment: version 1 -> 2;')
    assert 'draft->writing' in published[0]['detail']
    moved = [e for e in trail if e['action'] == 'workflow.migrate']
    assert moved and 'moved to version 2' in moved[0]['detail']


def test_import_a_file_as_draft_and_discard_it(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    source = admin.get(BASE + 'export').text.replace('title = "Withdrawn"', 'title = "Taken back"')
    form = admin.get(BASE + 'import').forms['form']
    form['upload'] = ('summary.toml', source.encode('utf-8'))
    res = form.submit().follow()
    assert 'Renamed the state' in res.text
    form = admin.get(BASE + 'import').forms['form']
    form['upload'] = ('bad.toml', b'\xff\xfe not text')
    assert 'not UTF-8' in form.submit(status=400).text
    admin.post(BASE + 'discard', {'csrf_token': csrf_of(res)})
    with clinic() as c:
        assert c['workflows']['parent-summary'].draft is None


def test_import_without_a_file_and_an_empty_draft_are_field_errors(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    assert 'Required' in admin.get(BASE + 'import').forms['form'].submit(status=400).text
    form = admin.get(BASE + 'draft').forms['form']
    form['source'] = ''
    assert 'Required' in form.submit(status=400).text
