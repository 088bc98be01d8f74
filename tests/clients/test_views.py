"""Therapist work over HTTP: lists, search, the client page and its forms."""
import re

from support import MARKER, ROLE_EMAILS, csrf_of, sign_in


def test_therapist_list_shows_only_their_clients_sorted(app, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    res = browser.get('/clients/')
    assert 'Alvarez, Lucia' in res.text and 'Alvarez, Mateo' in res.text
    assert 'Novak' not in res.text
    names = re.findall(r'<a href="[^"]*/clients/\w+/">([^<]+)</a>', res.text)
    assert names == sorted(names, key=str.casefold)


def test_search_is_posted_and_keeps_names_out_of_urls(app):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    page = browser.get('/clients/')
    res = browser.post('/clients/', {'csrf_token': csrf_of(page), 'q': 'mat'})
    assert 'Mateo' in res.text and 'Lucia' not in res.text
    assert 'mat' not in res.request.url
    # A search in the URL is ignored, so a link cannot plant one.
    assert 'Lucia' in browser.get('/clients/?q=mat').text


def test_paging_through_a_long_list(app, clinic, demo):
    from datetime import date
    from minorconsent.clients import Client
    with clinic() as c:
        for n in range(30):
            c['clients'].add_client(Client('Kid%02d' % n, 'Zed', date(2015, 1, 1),
                                           [demo.user_ids['therapist']]))
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    first = browser.get('/clients/')
    assert 'Next page' in first.text and first.text.count('/clients/') > 25
    second = browser.post('/clients/', {'csrf_token': csrf_of(first), 'page': '2', 'q': ''})
    assert 'Kid29' in second.text and 'Alvarez' not in second.text


def test_supervisor_sees_the_supervised_therapists_clients_only(app):
    browser = sign_in(app, ROLE_EMAILS['supervisor'])
    res = browser.get('/supervision')
    assert 'Mateo' in res.text and 'Novak' not in res.text


def test_client_page_shows_contact_preferences_first(app, demo):
    res = sign_in(app, ROLE_EMAILS['therapist']).get('/clients/%s/' % demo.mateo)
    text = res.text
    assert text.index('Before contacting the client') < text.index('Treatment goals')
    assert 'Do not leave voicemail' in text
    assert MARKER in text   # staff see the private fields
    assert '<title>Client record' in text and 'Mateo' not in text.split('</title>')[0]


def test_add_client_then_find_it(app, clinic):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    form = browser.get('/clients/add').forms['form']
    form['first_name'], form['last_name'] = 'Juniper', 'Quill'
    form['date_of_birth'] = '2013-04-02'
    res = form.submit().follow()
    assert 'Juniper Quill' in res.text
    assert 'Juniper' not in res.request.url


def test_invalid_client_input_is_explained_and_changes_nothing(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    with clinic() as c:
        before = len(c['clients'])
    form = browser.get('/clients/add').forms['form']
    form['first_name'] = ''
    form['last_name'] = 'Quill'
    form['date_of_birth'] = '2999-01-01'
    res = form.submit(status=400)
    assert 'Required' in res.text
    assert 'cannot be in the future' in res.text
    form = res.forms['form']
    form['first_name'] = 'Ok'
    form['date_of_birth'] = 'not a date'
    res = form.submit(status=400)
    assert 'Invalid date' in res.text
    with clinic() as c:
        assert len(c['clients']) == before


def test_goal_add_and_edit(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    base = '/clients/%s/' % demo.mateo
    form = browser.get(base + 'add-goal').forms['form']
    form['parent_title'] = 'Try a new club'
    form['clinical_text'] = 'Behavioural activation'
    form.submit().follow()
    with clinic() as c:
        goals = c['clients'][demo.mateo]['goals']
        gid = [k for k, g in goals.items() if g.parent_title == 'Try a new club'][0]
    form = browser.get(base + 'goals/%s/edit' % gid).forms['form']
    form['status'] = 'completed'
    form.submit()
    with clinic() as c:
        assert c['clients'][demo.mateo]['goals'][gid].status == 'completed'
    form = browser.get(base + 'goals/%s/edit' % gid).forms['form']
    form['status'].force_value('made-up')
    form['parent_title'] = ''
    res = form.submit(status=400)
    assert 'Required' in res.text
    with clinic() as c:
        assert c['clients'][demo.mateo]['goals'][gid].parent_title == 'Try a new club'


def test_link_a_new_guardian_and_restrict_them(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    base = '/clients/%s/' % demo.lucia
    form = browser.get(base + 'add-guardian').forms['form']
    form['email'] = 'aunt@demo.test'
    form['display_name'] = 'Aunt Demo'
    form['relationship'] = 'legal-guardian'
    form['legal_authority'] = True
    form.submit()
    with clinic() as c:
        aunt = c['users'].find_by_email('aunt@demo.test')
        assert 'guardian' in aunt.roles and aunt.password_hash is None
        assert demo.lucia in c['clients'].index.children_of(aunt.__name__)
    form = browser.get(base + 'guardians/%s/edit' % aunt.__name__).forms['form']
    form['restricted'] = True
    form['voicemail_ok'] = True
    form.submit()
    with clinic() as c:
        link = c['clients'][demo.lucia]['guardians'][aunt.__name__]
        assert link.restricted and link.contact.voicemail_ok
    # The same address twice, and a staff address, are refused by the field.
    form = browser.get(base + 'add-guardian').forms['form']
    form['email'], form['display_name'] = 'aunt@demo.test', 'Again'
    assert 'already linked' in form.submit(status=400).text
    form['email'] = ROLE_EMAILS['therapist_other']
    assert 'staff account' in form.submit(status=400).text


def test_remove_guardian_link(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    page = browser.get('/clients/%s/' % demo.mateo)
    path = '/clients/%s/guardians/%s/remove' % (demo.mateo, demo.stepparent)
    browser.post(path, {'csrf_token': csrf_of(page)})
    with clinic() as c:
        assert demo.stepparent not in c['clients'][demo.mateo]['guardians']


def test_therapist_can_hand_the_client_to_a_colleague(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    form = browser.get('/clients/%s/edit' % demo.lucia).forms['form']
    checks = form.fields['checkbox']
    for box in checks:
        box.checked = box._value == demo.user_ids['therapist_other']
    res = form.submit()
    assert res.location.endswith('/clients/')   # no longer ours to see
    assert browser.get('/clients/%s/' % demo.lucia, expect_errors=True).status_int == 404
    other = sign_in(app, ROLE_EMAILS['therapist_other'])
    assert 'Lucia' in other.get('/clients/').text


def test_client_needs_at_least_one_therapist(app, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    form = browser.get('/clients/%s/edit' % demo.lucia).forms['form']
    for box in form.fields['checkbox']:
        box.checked = False
    assert 'at least one therapist' in form.submit(status=400).text


def test_field_errors_are_part_of_the_field_label(app, demo):
    """Screen readers announce the error when the field gets focus."""
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    res = browser.get('/clients/%s/add-goal' % demo.mateo).forms['form'].submit(status=400)
    labels = {lab['for']: lab.get_text(' ', strip=True) for lab in res.html.find_all('label')}
    assert any(text.startswith('Title for guardians') and 'Required' in text
               for text in labels.values()), labels


def test_client_accounts_cannot_be_linked_as_guardians(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    form = browser.get('/clients/%s/add-guardian' % demo.mateo).forms['form']
    form['email'], form['display_name'] = 'TEEN@demo.test', 'Himself'
    assert "client&#39;s own account" in form.submit(status=400).text \
        or "client's own account" in form.submit(status=400).text
    with clinic() as c:
        teen = c['users'][demo.user_ids['adolescent']]
        assert teen.roles == ('adolescent',)
        assert teen.__name__ not in c['clients'][demo.mateo]['guardians']


def test_nonsense_page_numbers_are_page_one_or_the_last_possible(app):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    page = browser.get('/clients/')
    for value in ('10000000000000000000', '-5', 'x', ''):
        res = browser.post('/clients/', {'csrf_token': csrf_of(page), 'page': value, 'q': ''})
        assert res.status_int == 200
    assert browser.get('/supervision', expect_errors=True).status_int == 404
    assert browser.get('/clients/?page=99999999999999999999').status_int == 200


def test_a_supervisor_named_on_the_client_finds_it_in_the_list(app, clinic, demo):
    from minorconsent.clients import assign_therapists
    with clinic() as c:
        ava = c['clients'][demo.ava]
        assign_therapists(c, ava, ava.therapist_ids, demo.user_ids['supervisor'])
    res = sign_in(app, ROLE_EMAILS['supervisor']).get('/supervision')
    assert 'Novak, Ava' in res.text and 'Alvarez, Mateo' in res.text


def test_control_characters_and_odd_session_dates_are_refused(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    form = browser.get('/clients/%s/edit' % demo.mateo).forms['form']
    form['first_name'] = 'Ma\x00teo'
    assert 'invisible control characters' in form.submit(status=400).text
    form = browser.get('/clients/%s/add-note' % demo.mateo).forms['form']
    form['text'] = 'A note'
    for day, message in (('0001-01-01', 'Check the year'), ('9999-12-31', 'in the future')):
        form['session_date'] = day
        assert message in form.submit(status=400).text
    with clinic() as c:
        assert c['clients'][demo.mateo].first_name == 'Mateo'
        assert len(c['clients'][demo.mateo]['notes']) == 2


def test_guardianship_changes_are_recorded(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    page = browser.get('/clients/%s/' % demo.mateo)
    browser.post('/clients/%s/guardians/%s/remove' % (demo.mateo, demo.stepparent),
                 {'csrf_token': csrf_of(page)})
    with clinic() as c:
        events = c['clients'][demo.mateo].guardianship_events()
        kinds = [(e.guardian_id, e.kind) for e in events]
        assert (demo.stepparent, 'linked') in kinds
        assert kinds[-1] == (demo.stepparent, 'ended')
        assert events[-1].actor_id == demo.user_ids['therapist']
    assert 'Guardianship history' in browser.get('/clients/%s/' % demo.mateo).text
