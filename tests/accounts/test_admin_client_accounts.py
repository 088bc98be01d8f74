"""The admin manages accounts but sees no client record: a client's own
account (an adolescent's) is shown to the admin by an opaque label, never
by the teen's name or address, on every page the admin can open."""
from support import ROLE_EMAILS, sign_in

NAME = 'Zephyrina Quarantotto'
ADDRESS = 'zephyrina.quarantotto@demo.test'
ADMIN_PAGES = ('/users/', '/users/?page=2', '/audit', '/audit.csv', '/settings', '/')


def plant(clinic, user_id):
    """The teen's account carries a name (and an address made of it) that
    appears nowhere else in the demo data."""
    with clinic() as c:
        users = c['users']
        teen = users[user_id]
        teen.display_name = NAME
        users.set_email(teen, ADDRESS)


def test_no_admin_page_names_a_client_account(app, clinic, demo):
    teen_id = demo.user_ids['adolescent']
    plant(clinic, teen_id)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    # Something about the teen on the trail (their own sign-in).
    sign_in(app, ADDRESS)
    pages = [admin.get(url, expect_errors=True) for url in ADMIN_PAGES]
    pages.append(admin.get('/users/%s/edit' % teen_id))
    for page in pages:
        text = page.text.lower()
        for word in ('zephyrina', 'quarantotto'):
            assert word not in text, (page.request.url, word)
    listing = pages[0].text
    assert 'Client account %s' % teen_id[:8] in listing
    assert 'Adolescent client' in listing               # that it is one, not which
    # Other accounts keep their names.
    assert 'Demo Therapist' in listing or 'Therapist' in listing


def test_the_admin_manages_a_client_account_without_seeing_its_name(app, clinic, demo):
    teen_id = demo.user_ids['adolescent']
    plant(clinic, teen_id)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/%s/edit' % teen_id).forms['form']
    assert 'display_name' not in form.fields
    assert form['email'].value == ''
    form['active'] = False
    assert form.submit().status_int == 302
    with clinic() as c:
        teen = c['users'][teen_id]
        assert (teen.display_name, teen.email, teen.active) == (NAME, ADDRESS, False)
    # A new address can still be set (with the admin's password), unseen.
    form = admin.get('/users/%s/edit' % teen_id).forms['form']
    form['email'], form['current'], form['active'] = 'new.teen@demo.test', 'demo-password-1', True
    assert form.submit().status_int == 302
    with clinic() as c:
        assert c['users'][teen_id].email == 'new.teen@demo.test'
        assert c['users'][teen_id].display_name == NAME
