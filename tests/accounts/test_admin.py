"""Clinic admin: accounts and clinic settings."""
from support import ROLE_EMAILS, csrf_of, new_browser, sign_in


def add_account(admin, email, name, role_index, password='long enough password', **extra):
    form = admin.get('/users/add').forms['form']
    form['email'], form['display_name'], form['password'] = email, name, password
    form.get('checkbox', index=role_index).checked = True
    for key, value in extra.items():
        form[key] = value
    return form.submit(expect_errors=True)


def test_admin_creates_a_therapist_who_can_sign_in(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    res = add_account(admin, 'new.t@demo.test', 'New Therapist', 1)
    assert res.status_int == 302
    assert 'New Therapist' in admin.get('/users/').text
    assert sign_in(app, 'new.t@demo.test', 'long enough password').get('/clients/').status_int == 200


def test_account_form_errors_are_next_to_fields(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    res = add_account(admin, 'not-an-email', 'X', 1, password='short')
    assert res.status_int == 400
    assert 'Invalid email address' in res.text and 'at least 12' in res.text
    res = add_account(admin, ROLE_EMAILS['therapist'], 'Dup', 1)
    assert res.status_int == 400 and 'already exists' in res.text
    form = admin.get('/users/add').forms['form']
    form['email'], form['display_name'], form['password'] = 'x@demo.test', 'X', 'long enough password'
    assert 'Choose at least one role' in form.submit(status=400).text
    with clinic() as c:
        assert c['users'].find_by_email('x@demo.test') is None


def test_disabling_an_account_signs_it_out_and_keeps_it_out(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/%s/edit' % demo.user_ids['therapist']).forms['form']
    form['active'] = False
    assert form.submit().status_int == 302
    assert therapist.get('/clients/').location.endswith('/login')
    form = new_browser(app).get('/login').forms['form']
    form['email'], form['password'] = ROLE_EMAILS['therapist'], 'demo-password-1'
    assert 'Sign-in failed' in form.submit().text


def test_admin_assigns_a_supervisor(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/%s/edit' % demo.user_ids['therapist_other']).forms['form']
    form['supervisor_id'] = demo.user_ids['supervisor']
    form.submit()
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    assert 'Novak' in supervisor.get('/supervision').text


def test_admin_cannot_lock_themselves_out(app, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/%s/edit' % demo.user_ids['admin']).forms['form']
    form['active'] = False
    assert 'cannot disable your own' in form.submit(status=400).text


def test_accounts_list_pages_without_addresses_in_urls(app, clinic):
    from minorconsent.accounts import User
    with clinic() as c:
        for n in range(60):
            c['users'].add_user(User('zz%02d@demo.test' % n, 'Z %d' % n, ['guardian']))
    admin = sign_in(app, ROLE_EMAILS['admin'])
    first = admin.get('/users/')
    assert 'zz59@demo.test' not in first.text
    link = first.html.find('a', string='Next page')['href']
    assert '@' not in link
    assert 'zz59@demo.test' in admin.get(link).text


def test_settings_validate_and_save(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    form['self_consent_age'] = '20'
    form['age_of_majority'] = '18'
    res = form.submit(status=400)
    assert 'Cannot be above the age of majority' in res.text
    form = res.forms['form']
    form['self_consent_age'] = 'twelve'
    assert '"twelve" is not a number' in form.submit(status=400).text
    form = admin.get('/settings').forms['form']
    form['self_consent_age'] = '12'
    form['jurisdiction'] = 'US-CA'
    form['idle_timeout_minutes'] = '10'
    form.submit()
    with clinic() as c:
        assert c.settings.self_consent_age == 12 and c.settings.idle_timeout_minutes == 10


def test_supervisor_must_be_a_supervisor_account(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/%s/edit' % demo.user_ids['therapist']).forms['form']
    form['supervisor_id'].force_value(demo.user_ids['guardian_other'])
    assert form.submit(status=400).status_int == 400
    form['supervisor_id'].force_value(demo.user_ids['admin'])
    form.submit(status=400)
    with clinic() as c:
        therapist = c['users'][demo.user_ids['therapist']]
        assert therapist.supervisor_id == demo.user_ids['supervisor']
    # Nobody supervises themselves.
    form = admin.get('/users/%s/edit' % demo.user_ids['supervisor']).forms['form']
    form['supervisor_id'].force_value(demo.user_ids['supervisor'])
    form.submit(status=400)


def test_admin_accounts_hold_no_clinical_role(app, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/%s/edit' % demo.user_ids['admin']).forms['form']
    form.get('checkbox', index=2).checked = True   # supervisor
    res = form.submit(status=400)
    assert 'Use a separate account for clinic administration.' in res.text
    form = admin.get('/users/add').forms['form']
    form['email'], form['display_name'], form['password'] = 'both@demo.test', 'B', 'long enough password'
    form.get('checkbox', index=0).checked = True
    form.get('checkbox', index=1).checked = True
    assert 'separate account' in form.submit(status=400).text


def test_self_consent_ages_by_jurisdiction(app, clinic, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    assert 'US-CA = 12' in form['self_consent_ages'].value
    form['self_consent_ages'] = 'US-CA = 12\nUS-XX = nine\nUS-WA = 13\nUS-WA = 14'
    res = form.submit(status=400)
    assert 'Line 2: write it like' in res.text and 'US-WA is listed twice' in res.text
    form = admin.get('/settings').forms['form']
    form['jurisdiction'] = 'US-PA'
    form.submit()
    with clinic() as c:
        assert c.settings.effective_self_consent_age() == 14
        mateo = c['clients'][demo.mateo]
        assert mateo.may_self_consent(c.settings) == (mateo.age() >= 14)
    form = admin.get('/settings').forms['form']
    form['jurisdiction'] = 'NZ'
    form['self_consent_ages'] = 'US-PA = 14'
    form.submit()
    with clinic() as c:
        assert c.settings.effective_self_consent_age() == 18   # not in the table: default


def made_up_id(clinic, like):
    """An account id of the same length and alphabet that nobody has."""
    import secrets
    import string
    alphabet = string.ascii_letters + string.digits
    with clinic() as c:
        while True:
            uid = ''.join(secrets.choice(alphabet) for _ in like)
            if uid not in c['users']:
                return uid


def test_an_account_url_answers_like_a_made_up_one_to_everyone_but_the_admin(app, clinic, demo):
    """``/users/<id>`` must not tell a signed-out visitor, a family member
    or a therapist whether an account id exists: the same status, headers
    and body, byte for byte, for a real id (theirs, a therapist's, the
    admin's) and a made-up one, on every view of an account, GET and POST."""
    from support import ROLES
    real_ids = [demo.user_ids['therapist'], demo.user_ids['admin'], demo.user_ids['guardian']]
    fake = made_up_id(clinic, real_ids[0])
    for role in ROLES:
        if role == 'admin':
            continue
        browser = new_browser(app) if role == 'anonymous' else sign_in(app, ROLE_EMAILS[role])
        csrf = csrf_of(browser.get('/login' if role == 'anonymous' else '/password'))
        ids = real_ids + ([demo.user_ids[role]] if role in demo.user_ids else [])
        for suffix in ('', '/', '/edit', '/reset-two-factor', '/edit?page=2'):
            for method in ('GET', 'POST'):
                def call(uid):
                    path = '/users/%s%s' % (uid, suffix)
                    if method == 'POST':
                        return browser.post(path, {'csrf_token': csrf}, expect_errors=True)
                    return browser.get(path, expect_errors=True)
                nowhere = call(fake)
                assert nowhere.status_int == 404, (role, suffix, method)
                for uid in ids:
                    res = call(uid)
                    where = (role, method, suffix, uid)
                    assert res.status == nowhere.status, where
                    assert sorted(res.headerlist) == sorted(nowhere.headerlist), where
                    assert res.body == nowhere.body, where
