from hypothesis import given, settings, strategies as st

from minorconsent.security.passwords import Passwords, password_problem

passwords = Passwords('cheapest')


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_only_the_same_password_verifies(a, b):
    hashed = passwords.hash(a)
    assert passwords.verify(hashed, a)
    assert passwords.verify(hashed, b) == (a == b)


def test_hashes_are_salted_argon2id():
    one, two = passwords.hash('same words here'), passwords.hash('same words here')
    assert one != two and one.startswith('$argon2id$')


def test_missing_or_garbage_hash_never_verifies():
    assert not passwords.verify(None, 'not a password of anyone')
    assert not passwords.verify('not-a-hash', 'anything')


def test_weak_passwords_are_explained():
    assert 'at least 12' in password_problem('short').interpolate()
    assert password_problem('aaaaaaaaaaaa')
    assert password_problem(' padded password ')
    assert password_problem('correct horse battery') is None


def test_common_passwords_and_their_padded_variants_are_refused():
    for weak in ('password1234', 'qwertyuiop123', 'Summer2024!!!!', '!!monkey123456',
                 'iloveyou12345'):
        problem = password_problem(weak)
        assert problem is not None and 'too common' in problem.interpolate(), weak
    assert password_problem('demo-password-1') is None     # the documented demo password


def test_the_email_local_part_is_refused_and_the_clinic_may_ask_for_more():
    problem = password_problem('xRobin.Reyes-2024x', 'robin.reyes@demo.test')
    assert 'email address' in problem.interpolate()
    assert password_problem('correct horse battery', 'robin.reyes@demo.test') is None
    assert 'at least 24' in password_problem('correct horse battery', None, 24).interpolate()
    assert password_problem('correct horse battery', None, 4) is None   # never below 12
    assert password_problem('eleven char', None, 4) is not None


def test_the_list_ships_in_the_package():
    from minorconsent.security.passwords import common_passwords
    assert len(common_passwords()) >= 4000 and 'password' in common_passwords()


def test_admin_set_and_changed_passwords_follow_the_policy(app, clinic):
    from support import ROLE_EMAILS, sign_in
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/users/add').forms['form']
    form['email'], form['display_name'] = 'jordan.new@demo.test', 'Jordan New'
    form['password'] = 'jordan.new is here'
    form.get('checkbox', index=1).checked = True
    res = form.submit(expect_errors=True)
    assert res.status_int == 400 and 'Do not use your email address' in res.text
    with clinic() as c:
        assert c['users'].find_by_email('jordan.new@demo.test') is None
        c.settings.update(password_min_length=20)
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    page = guardian.get('/password')
    assert 'At least 20 characters' in page.text         # the hint next to the field
    form = page.forms['form']
    form['current'] = 'demo-password-1'
    form['new'] = form['confirm'] = 'nineteen characters'
    res = form.submit(expect_errors=True)
    assert res.status_int == 400 and 'Use at least 20 characters.' in res.text
    with clinic() as c:
        user = c['users'].find_by_email(ROLE_EMAILS['guardian'])
        assert app.registry.passwords.verify(user.password_hash, 'demo-password-1')
