"""Sign-in throttling by address, for addresses with and without accounts.

Failures are counted per SHA-256 of the normalised address, whether or not
an account exists, so a failed sign-in does the same work (and the same
write) either way and guessing at unknown addresses is throttled too.
After ``FREE_ATTEMPTS`` failures sign-in pauses for a minute, doubling with
each further failure up to ``MAX_LOCK``.  Stale records are pruned as new
failures arrive, so the store stays small.

Concurrent failures for one address must never conflict: a scanner's
burst of wrong passwords used to rewrite one record from several
transactions at once, and some lost all three of pyramid_retry's attempts
(500).  The counts therefore live in ``ThrottleShard``s, plain dicts in a
fixed set of persistent objects made once (no BTree bucket is ever split
or emptied by a sign-in), and a shard's ``_p_resolveConflict`` merges two
concurrent writers: each one's change of a count is added to the other's
(``tests/accounts/test_sign_in_burst.py``).
"""
import hashlib
from datetime import timedelta

from BTrees.OOBTree import OOBTree, OOTreeSet
from persistent import Persistent

FREE_ATTEMPTS = 5
MAX_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(hours=24)
SHARDS = 64


def address_key(email):
    return hashlib.sha256(email.strip().lower().encode('utf-8')).hexdigest()


def pause_end(failures, last):
    """When sign-in resumes after ``failures`` failures, the latest at
    ``last`` (None: it is not paused)."""
    excess = failures - FREE_ATTEMPTS
    if excess < 0 or last is None:
        return None
    return last + min(timedelta(minutes=2 ** min(excess, 10)), MAX_LOCK)


class ThrottleShard(Persistent):
    """The counts of the addresses whose key falls in this shard:
    ``records[key] = (failures, time of the latest failure)``."""

    def __init__(self):
        self.records = {}
        self.oldest = None          # the earliest ``last`` here (None: empty)

    def set(self, key, failures, last):
        if failures > 0:
            self.records[key] = (failures, last)
        else:
            self.records.pop(key, None)
        self._p_changed = True
        self.oldest = min((r[1] for r in self.records.values()), default=None)

    def _p_resolveConflict(self, old, committed, new):
        """Two transactions changed this shard at once: keep both changes.

        For each address the count becomes ``committed + new - old`` (each
        writer's failures are added; a right password, which removes the
        record, or pruning subtracts what it removed), and the latest
        failure time is the later of the two.  Nothing is refused, so a
        burst of failures costs no retry.
        """
        before = (old or {}).get('records') or {}
        ours, theirs = committed.get('records') or {}, new.get('records') or {}
        merged = {}
        for key in set(before) | set(ours) | set(theirs):
            a, b = ours.get(key, (0, None)), theirs.get(key, (0, None))
            failures = a[0] + b[0] - before.get(key, (0, None))[0]
            if failures > 0:
                merged[key] = (failures, max(t for t in (a[1], b[1]) if t is not None))
        return {'records': merged,
                'oldest': min((r[1] for r in merged.values()), default=None)}


class AddressThrottle(Persistent):
    """``clinic.sign_in_throttle`` (since evolve step 0025).  Itself never
    written after it is made: every count is in one of its shards."""

    def __init__(self):
        self.shards = tuple(ThrottleShard() for _ in range(SHARDS))

    def _shard(self, key):
        return self.shards[int(key[:8], 16) % len(self.shards)]

    def _record(self, email):
        key = address_key(email)
        return key, self._shard(key), self._shard(key).records.get(key)

    def is_locked(self, email, now):
        _key, _shard, record = self._record(email)
        until = pause_end(*record) if record else None
        return bool(until and now < until)

    def failures(self, email):
        _key, _shard, record = self._record(email)
        return record[0] if record else 0

    def record_failure(self, email, now):
        key, shard, record = self._record(email)
        shard.set(key, (record[0] if record else 0) + 1, now)
        self.prune(now)

    def record_success(self, email):
        key, shard, record = self._record(email)
        if record is not None:
            shard.set(key, 0, None)

    def prune(self, now, limit=8):
        """Forget the records idle for ``FORGET_AFTER``, in up to ``limit``
        shards (a shard says when its oldest record is from, so the
        others are not read through)."""
        stale = now - FORGET_AFTER
        for shard in self.shards:
            if limit <= 0:
                break
            if shard.oldest is not None and shard.oldest <= stale:
                limit -= 1
                for key, (_failures, last) in list(shard.records.items()):
                    if last <= stale:
                        shard.set(key, 0, None)

    def __len__(self):
        return sum(len(shard.records) for shard in self.shards)


def conflict_free(old):
    """An ``AddressThrottle`` holding the counts of ``old`` (the store
    before evolve step 0025)."""
    new = AddressThrottle()
    for key, record in old._by_key.items():
        if record.failures > 0 and record.last is not None:
            new._shard(key).set(key, record.failures, record.last)
    return new


# --- the store before evolve step 0025 --------------------------------------
# Kept so an old database works until ``minorconsent-evolve`` replaces it.

class Attempts(Persistent):
    def __init__(self):
        self.failures = 0
        self.locked_until = None
        self.last = None


class SignInThrottle(Persistent):
    """Counts in a BTree of ``Attempts`` (concurrent failures conflict)."""

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
