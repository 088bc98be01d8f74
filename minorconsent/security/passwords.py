"""Password hashing with argon2id (argon2-cffi).

A wrong address and a wrong password must cost the same time, or timing
would reveal which addresses have accounts: ``verify`` checks unknown
addresses against a dummy hash made with the same parameters.
"""
import functools
import string
import threading
from importlib.resources import files

import argon2
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST

from minorconsent.site.i18n import _

_hashers = {
    # RFC 9106 low-memory profile; argon2-cffi's default.
    'default': argon2.PasswordHasher(),
    # Tests and demo seeding only: a fraction of a millisecond per hash.
    'cheapest': argon2.PasswordHasher.from_parameters(CHEAPEST),
}
_dummy = {}


class Passwords:
    """Hash and verify passwords with a configured argon2 profile.

    argon2id is memory-hard on purpose: the default profile takes 64 MiB
    for each hash.  With every waitress thread hashing at once (a crowd of
    parents signing in after a summary email) that would be 64 MiB times
    the thread count, so at most ``concurrency`` hashes run at a time and
    the other sign-ins wait their turn (they would be waiting for the CPU
    anyway).  Memory for passwords stays at ``concurrency`` x 64 MiB.
    """

    def __init__(self, profile='default', concurrency=2):
        self.hasher = _hashers[profile]
        self._slots = threading.BoundedSemaphore(max(1, int(concurrency)))
        if profile not in _dummy:
            _dummy[profile] = self.hasher.hash('not a password of anyone')
        self._dummy = _dummy[profile]

    def hash(self, password):
        with self._slots:
            return self.hasher.hash(password)

    def verify(self, password_hash, password):
        """True if ``password`` matches; a None hash costs the same time."""
        try:
            with self._slots:
                return self.hasher.verify(password_hash or self._dummy, password) \
                    and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash):
        return self.hasher.check_needs_rehash(password_hash)


#: The shortest password the policy accepts; a clinic may ask for more
#: (``ClinicSettings.password_min_length``), never for less.
MIN_LENGTH = 12


@functools.lru_cache(maxsize=1)
def common_passwords():
    """The shipped list of common passwords (lower case), read once.

    A password on it falls to the first minutes of any guessing attack, so
    length alone does not make it safe ('password1234' is 12 characters).
    """
    text = (files('minorconsent') / 'security' / 'common-passwords.txt').read_text('utf-8')
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith('#'))


def _is_common(password):
    """On the list, or a listed word padded with digits and punctuation
    ('Summer2024!', '!!monkey123456'): attackers try those variants first."""
    lowered = password.lower()
    common = common_passwords()
    if lowered in common:
        return True
    core = lowered.strip(string.digits + string.punctuation + ' ')
    return len(core) >= 4 and core in common


def password_problem(password, email=None, min_length=MIN_LENGTH):
    """A message explaining why ``password`` is too weak, or None.

    The one password policy: account creation through an invitation, a
    password change, a reset and a password the admin sets all call it.
    ``email`` is the account's address; a password containing its local
    part ('robin.reyes' in 'robin.reyes2024!') is the first guess anyone
    who knows the address makes.
    """
    min_length = max(MIN_LENGTH, min_length or 0)
    if len(password) < min_length:
        return _('Use at least ${count} characters.', mapping={'count': min_length})
    if password.strip() != password:
        return _('Do not start or end with a space.')
    if len(set(password)) < 4:
        return _('Use more different characters.')
    if _is_common(password):
        return _('This password is too common. Choose something less predictable.')
    local = (email or '').strip().lower().partition('@')[0]
    if len(local) >= 3 and local in password.lower():
        return _('Do not use your email address in your password.')
    return None


def get_passwords(registry):
    return registry.passwords
