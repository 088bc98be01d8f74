"""Sign-in throttling by address, for addresses with and without accounts.

Failures are counted per SHA-256 of the normalised address, whether or not
an account exists, so a failed sign-in does the same work (and the same
write) either way and guessing at unknown addresses is throttled too.
After ``FREE_ATTEMPTS`` failures sign-in pauses for a minute, doubling with
each further failure up to ``MAX_LOCK``.  Stale records are pruned a few at
a time as new failures arrive, so the store stays small.
"""
import hashlib
from datetime import timedelta

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

FREE_ATTEMPTS = 5
MAX_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=24)


def address_key(email):
    return hashlib.sha256(email.strip().lower().encode('utf-8')).hexdigest()


class Attempts(Persistent):
    def __init__(self):
        self.failures = 0
        self.locked_until = None
        self.last = None


class SignInThrottle(Persistent):

    def __init__(self):
        self._by_key = OOBTree()
        self._by_time = OOTreeSet()     # (last failure, key), for pruning

    def is_locked(self, email, now):
        record = self._by_key.get(address_key(email))
        return bool(record and record.locked_until and now < record.locked_until)

    def failures(self, email):
        record = self._by_key.get(address_key(email))
        return record.failures if record else 0

    def record_failure(self, email, now):
        key = address_key(email)
        record = self._by_key.get(key)
        if record is None:
            record = self._by_key[key] = Attempts()
        else:
            self._by_time.discard((record.last, key))
        record.failures += 1
        record.last = now
        self._by_time.add((now, key))
        excess = record.failures - FREE_ATTEMPTS
        if excess >= 0:
            record.locked_until = now + min(timedelta(minutes=2 ** min(excess, 10)), MAX_LOCK)
        self.prune(now)

    def record_success(self, email):
        key = address_key(email)
        record = self._by_key.pop(key, None)
        if record is not None:
            self._by_time.discard((record.last, key))

    def prune(self, now, limit=10):
        """Forget up to ``limit`` records idle for ``FORGET_AFTER``."""
        for last, key in list(self._by_time.keys(max=(now - FORGET_AFTER, '\uffff')))[:limit]:
            self._by_time.discard((last, key))
            self._by_key.pop(key, None)

    def __len__(self):
        return len(self._by_key)
