"""Sign-in by password: the one check every way in goes through.

The second factor, where a person has one, is asked next
(``twofactor.next_step``); this only says whose password it is.
"""
from minorconsent.site.clock import utcnow

from .twofactor import is_enrolled


def authenticate(clinic, passwords, email, password, now=None):
    """The user for ``email``/``password``, or None.

    Unknown address, wrong password, disabled account and paused sign-in
    all return None after the same argon2 work and the same throttle write,
    so neither the answer nor its cost tells whether an address has an
    account.
    """
    now = now or utcnow()
    throttle = clinic.sign_in_throttle
    user = clinic['users'].find_by_email(email)
    ok = passwords.verify(user.password_hash if user else None, password)
    if throttle.is_locked(email, now):
        return None
    if not ok or user is None or not user.active:
        throttle.record_failure(email, now)
        return None
    if not is_enrolled(user):
        # With a second factor the count is cleared only once the code is
        # right too, so wrong codes add up across fresh password sign-ins.
        throttle.record_success(email)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    return user
