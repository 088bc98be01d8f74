"""Where "forgot your password" keeps its requests and links, so that
concurrent requests merge instead of conflicting.

Eight anonymous requests for one address sent together used to answer
some 500s: each rewrote the address's request record (and, for an
account, its newest link) in one BTree, and the concurrent transactions
conflicted past pyramid_retry's attempts.  As in the sign-in throttle
(``throttle.AddressThrottle``), everything a request writes is in plain
dicts inside a fixed set of persistent shards made once, and a shard's
``_p_resolveConflict`` merges two writers key by key (a key one side
changed takes that side's value; a key both changed is merged by the
shard's rule).

The documented rules hold under concurrency:

* *Mails per address are capped* (``MAILS_PER_ADDRESS`` an hour).  Each
  request is recorded with whether it mailed; a merge that would put more
  mailing requests in one hour than the cap is refused (``ConflictError``),
  so the extra transaction is retried, now sees the cap reached, and
  commits without a mail.  A burst therefore sends exactly as many mails
  as one request after the other would.
* *A newer link cancels the older.*  The newest link of each person
  (latest creation time, ties broken by its hash) is the only valid one;
  the older ones are cancelled by being older, not by a write to them.
  Two links issued at the same moment are both mailed (each within the
  cap), and only the newer of them works: at most one valid link per
  person, always.
* Links work once (``ResetLink.used``) and expire; a change of address or
  disabling cancels (``SingleUseLink.account_status``).
"""
import secrets
from datetime import timedelta

from persistent import Persistent
from ZODB.POSException import ConflictError

from .throttle import address_key

SHARDS = 32
LINK_KEPT = timedelta(days=1)       # a link is forgotten a day past expiry


def _merge(old, ours, theirs, same, both_changed):
    """A three-way merge of dicts: each key takes the side that changed it;
    a removal (pruning) gives way to a change on the other side; a key both
    sides changed takes ``both_changed``."""
    merged = {}
    for key in set(old) | set(ours) | set(theirs):
        a, b = ours.get(key), theirs.get(key)
        if key not in old:
            value = b if a is None else a if b is None else both_changed((), a, b)
        else:
            o = old[key]
            if a is None or b is None:
                other = b if a is None else a
                value = None if other is None or same(other, o) else other
            elif same(a, o):
                value = b
            elif same(b, o):
                value = a
            else:
                value = both_changed(o, a, b)
        if value is not None:
            merged[key] = value
    return merged


class Shard(Persistent):
    """One slice of a store: ``records`` and the earliest time in it
    (``oldest``, so pruning reads only shards with something stale).
    A value's time is its first item."""

    def __init__(self):
        self.records = {}
        self.oldest = None

    def put(self, key, value):
        if value is None:
            self.records.pop(key, None)
        else:
            self.records[key] = value
        self._p_changed = True
        self.oldest = min((self.time_of(v) for v in self.records.values()), default=None)

    @staticmethod
    def time_of(value):
        return value[0]

    @staticmethod
    def same(a, b):
        return a == b

    def both_changed(self, old, ours, theirs):
        raise ConflictError('both changed')

    def check(self, state):
        """A merged state that breaks a rule raises ``ConflictError``."""

    def _p_resolveConflict(self, old, committed, new):
        # ``self`` is a bare instance here: what the rules need is in the states.
        before = (old or {}).get('records') or {}
        records = _merge(before, committed.get('records') or {},
                         new.get('records') or {}, self.same, self.both_changed)
        state = dict(committed, records=records,
                     oldest=min((self.time_of(v) for v in records.values()), default=None))
        self.check(state)
        return state


class RequestShard(Shard):
    """``records[address key] = ((time, nonce, mailed), ...)``: the
    requests of the last hour.  Both sides' requests are kept (the nonce
    tells two at the same microsecond apart); a merge that would put more
    mails in an hour than the cap is refused."""

    def __init__(self, cap, window):
        super().__init__()
        self.cap, self.window = cap, window

    @staticmethod
    def time_of(value):
        return min(t for t, _n, _m in value)

    def both_changed(self, old, ours, theirs):
        gone = (set(old) - set(ours)) | (set(old) - set(theirs))
        return tuple(sorted((set(ours) | set(theirs)) - gone)) or None

    def check(self, state):
        for entries in state['records'].values():
            latest = max(t for t, _n, _m in entries)
            mailed = [1 for t, _n, m in entries if m and latest - t < state['window']]
            if len(mailed) > state['cap']:
                raise ConflictError('password reset: mail cap')


class LinkShard(Shard):
    """``records[token hash] = (expires, ResetLink)``.  A link is never
    replaced, so a merge keeps every link either side has (a removal is
    pruning); the link objects are not compared (in a merge they are bare
    references)."""

    @staticmethod
    def same(a, b):
        return True


class NewestShard(Shard):
    """``records[user id] = (created, token hash)`` of the person's newest
    link; two new links at once: the later (then the greater hash) wins."""

    def both_changed(self, old, ours, theirs):
        return max(ours, theirs)


class ShardedResets(Persistent):
    """``clinic.password_resets`` (since evolve step 0026): requests by
    address, links by token hash, the newest link by person.  Itself never
    written after it is made."""

    def __init__(self, cap, window):
        self.cap, self.window = cap, window
        self.requests = tuple(RequestShard(cap, window) for _ in range(SHARDS))
        self.links = tuple(LinkShard() for _ in range(SHARDS))
        self.newest = tuple(NewestShard() for _ in range(SHARDS))

    @staticmethod
    def _of(shards, key):
        return shards[int(key[:8], 16) % len(shards)]

    @staticmethod
    def _user_key(user_id):
        return address_key(user_id)

    # --- requests ---------------------------------------------------------------

    def _recent(self, email, now):
        key = address_key(email)
        shard = self._of(self.requests, key)
        recent = tuple(e for e in shard.records.get(key, ()) if now - e[0] < self.window)
        return key, shard, recent

    def under_cap(self, email, now):
        return len(self._recent(email, now)[2]) < self.cap

    def note_request(self, email, now, mailed=False):
        key, shard, recent = self._recent(email, now)
        shard.put(key, recent + ((now, secrets.randbits(32), bool(mailed)),))

    # --- links ------------------------------------------------------------------

    def add_link(self, key, link):
        link.key = key
        self._of(self.links, key).put(key, (link.expires, link))
        uid = self._user_key(link.user_id)
        shard = self._of(self.newest, uid)
        current = shard.records.get(link.user_id)
        mine = (link.created, key)
        if current is None or mine > current:
            shard.put(link.user_id, mine)

    def get(self, key):
        found = self._of(self.links, key).records.get(key)
        return found[1] if found is not None else None

    def newest_key(self, user_id):
        found = self._of(self.newest, self._user_key(user_id)).records.get(user_id)
        return found[1] if found is not None else None

    def is_newest(self, link):
        return self.newest_key(link.user_id) == getattr(link, 'key', None)

    # --- pruning ----------------------------------------------------------------

    def prune(self, now, limit=4):
        """Forget stale requests and links a day past expiry, in up to
        ``limit`` shards of each kind."""
        for shards, stale, is_stale in (
                (self.requests, now - self.window,
                 lambda v: all(now - t >= self.window for t, _n, _m in v)),
                (self.links, now - LINK_KEPT, lambda v: v[0] <= now - LINK_KEPT)):
            budget = limit
            for shard in shards:
                if budget <= 0:
                    break
                if shard.oldest is not None and shard.oldest <= stale:
                    budget -= 1
                    for key, value in list(shard.records.items()):
                        if is_stale(value):
                            shard.put(key, None)
                            if shards is self.links:
                                self._forget_newest(value[1])

    def _forget_newest(self, link):
        shard = self._of(self.newest, self._user_key(link.user_id))
        if shard.records.get(link.user_id, (None, None))[1] == link.key:
            shard.put(link.user_id, None)

    # --- read-only views (tests, the admin's cancel) -----------------------------

    @property
    def by_hash(self):
        return {k: v[1] for shard in self.links for k, v in shard.records.items()}

    @property
    def by_user(self):
        return {k: v[1] for shard in self.newest for k, v in shard.records.items()}
