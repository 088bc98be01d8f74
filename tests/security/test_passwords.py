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
