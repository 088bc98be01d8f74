"""Markup typed into any text field renders inert on every page that shows it."""
from support import ROLE_EMAILS, sign_in

PAYLOAD = '<script>alert(1)</script><img src=x onerror=alert(2)>'


def fill(browser, path, fields):
    form = browser.get(path).forms['form']
    for key, value in fields.items():
        form[key] = value
    res = form.submit()
    assert res.status_int == 302, res.text[:2000]
    return res


def assert_inert(res):
    assert PAYLOAD not in res.text
    assert '<script>alert(1)' not in res.text
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in res.text


def test_markup_in_client_goal_note_guardian_and_contact_fields_is_escaped(app, demo):
    browser = sign_in(app, ROLE_EMAILS['therapist'])
    client = '/clients/%s/' % demo.mateo
    fill(browser, client + 'edit', {'first_name': PAYLOAD, 'last_name': PAYLOAD,
                                    'preferred_name': PAYLOAD, 'diagnosis': PAYLOAD})
    fill(browser, client + 'add-goal', {'parent_title': PAYLOAD, 'parent_description': PAYLOAD,
                                        'clinical_text': PAYLOAD})
    fill(browser, client + 'add-note', {'text': PAYLOAD})
    fill(browser, client + 'contact', {'instructions': PAYLOAD})
    fill(browser, client + 'add-guardian', {'email': 'new.parent@demo.test',
                                            'display_name': PAYLOAD,
                                            'restriction_note': PAYLOAD})
    assert_inert(browser.get(client))
    assert_inert(browser.get('/clients/'))
    # The guardian's pages show the (preferred) name.
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    assert_inert(guardian.get('/family'))
    assert_inert(guardian.get(client + 'family'))
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    assert_inert(teen.get(client + 'mine'))


def test_markup_in_account_and_settings_fields_is_escaped(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/add').forms['form']
    form['display_name'] = PAYLOAD
    form['email'] = 'markup@demo.test'
    form['password'] = 'long enough password'
    form.get('checkbox', index=1).checked = True  # therapist
    assert form.submit().status_int == 302
    assert_inert(admin.get('/users/'))
    fill(admin, '/settings', {'name': PAYLOAD, 'portal_name': 'Portal ' + PAYLOAD[:40]})
    res = admin.get('/settings')
    assert '<script>alert(1)' not in res.text
