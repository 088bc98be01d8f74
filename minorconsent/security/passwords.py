"""Password hashing with argon2id (argon2-cffi).

A wrong address and a wrong password must cost the same time, or timing
would reveal which addresses have accounts: ``verify`` checks unknown
addresses against a dummy hash made with the same parameters.
"""
import argon2
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST

MIN_LENGTH = 10

_hashers = {
    # RFC 9106 low-memory profile; argon2-cffi's default.
    'default': argon2.PasswordHasher(),
    # Tests and demo seeding only: a fraction of a millisecond per hash.
    'cheapest': argon2.PasswordHasher.from_parameters(CHEAPEST),
}
_dummy = {}


class Passwords:
    """Hash and verify passwords with a configured argon2 profile."""

    def __init__(self, profile='default'):
        self.hasher = _hashers[profile]
        if profile not in _dummy:
            _dummy[profile] = self.hasher.hash('not a password of anyone')
        self._dummy = _dummy[profile]

    def hash(self, password):
        return self.hasher.hash(password)

    def verify(self, password_hash, password):
        """True if ``password`` matches; a None hash costs the same time."""
        try:
            return self.hasher.verify(password_hash or self._dummy, password) \
                and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash):
        return self.hasher.check_needs_rehash(password_hash)


def password_problem(password):
    """A message explaining why ``password`` is too weak, or None."""
    from minorconsent.site.i18n import _
    if len(password) < MIN_LENGTH:
        return _('Use at least ${count} characters.', mapping={'count': MIN_LENGTH})
    if password.strip() != password:
        return _('Do not start or end with a space.')
    if len(set(password)) < 4:
        return _('Use more different characters.')
    return None


def get_passwords(registry):
    return registry.passwords
