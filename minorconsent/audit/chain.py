"""The audit log: append-only, hash-chained, in its own ZODB database.

Each sealed entry carries the SHA-256 of the entry before it, so changing,
removing or reordering any entry breaks every hash after it, and
``verify`` names the first entry that no longer fits.  The log lives in the
``audit`` database of a ZODB multi-database: undoing a transaction of the
clinic database (or restoring an old copy of it) cannot touch it.

Two ways in, one way to the chain:

* ``inbox``: entries written inside the transaction of the write they
  describe (a signature, a transition, an admin change), so they commit or
  vanish with it.  The inbox is a ``zc.queue.Queue``: concurrent writers'
  puts and the sealer's pulls of other items merge in its conflict
  resolution, so a write never conflicts with a seal (a BTree would: a
  seal that empties a bucket cannot be merged with an insert into it).
* the recorder's memory buffer of read entries (page views), group-committed.

Only ``seal`` appends to the chain: it moves inbox entries and buffered
reads, ordered by time, onto the end.  Two processes sealing at once
conflict on the head and one retries, so the chain stays a single line.
"""
import hashlib
import json

from BTrees.LOBTree import LOBTree
from BTrees.LOBTree import LOTreeSet, intersection, multiunion
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from zc.queue import Queue

ROOT_KEY = 'minorconsent-audit'

#: The fields of an entry, in the order they are stored and hashed.
FIELDS = ('seq', 'at', 'actor', 'role', 'action', 'record', 'target',
          'detail', 'ip', 'outcome', 'prev')

GENESIS = '0' * 64


def entry_hash(values):
    """SHA-256 of an entry's fields (``prev`` included) as canonical JSON."""
    data = json.dumps(list(values), ensure_ascii=False, separators=(',', ':'))
    return hashlib.sha256(data.encode('utf-8')).hexdigest()


def as_dict(stored):
    """A stored entry (fields + hash) as a dict with ``hash``."""
    entry = dict(zip(FIELDS, stored))
    entry['hash'] = stored[len(FIELDS)]
    return entry


class AuditLog(Persistent):
    """The chain, its pending inbox and the indexes the viewer filters on."""

    def __init__(self):
        self.entries = LOBTree()        # seq -> (*FIELDS, hash)
        self.inbox = Queue()            # inbox items (see ``inbox_item``)
        self.head_seq = 0
        self.head_hash = GENESIS
        self.by_record = OOBTree()      # client id -> LOTreeSet(seq)
        self.by_actor = OOBTree()
        self.by_action = OOBTree()
        self.by_day = OOBTree()         # 'YYYY-MM-DD' -> LOTreeSet(seq)

    # --- writing ----------------------------------------------------------

    def seal(self, entries):
        """Append ``entries`` (dicts without seq/prev/hash) to the chain."""
        for entry in entries:
            seq = self.head_seq + 1
            values = [seq] + [str(entry.get(name) or '') for name in FIELDS[1:-1]]
            values.append(self.head_hash)
            digest = entry_hash(values)
            self.entries[seq] = tuple(values) + (digest,)
            self.head_seq, self.head_hash = seq, digest
            self._index(seq, values)

    INDEXES = (('by_record', 'record'), ('by_actor', 'actor'), ('by_action', 'action'),
               ('by_day', 'at'))

    @staticmethod
    def index_key(field, entry):
        return entry['at'][:10] if field == 'at' else entry[field]

    def _index(self, seq, values):
        entry = dict(zip(FIELDS, values))
        for name, field in self.INDEXES:
            index, key = getattr(self, name), self.index_key(field, entry)
            if not key:
                continue
            bucket = index.get(key)
            if bucket is None:
                bucket = index[key] = LOTreeSet()
            bucket.add(seq)

    # --- reading ----------------------------------------------------------

    def __len__(self):
        return self.head_seq

    def get(self, seq):
        stored = self.entries.get(seq)
        return as_dict(stored) if stored is not None else None

    def by_actors(self, actors):
        """The seqs of the entries made by any of ``actors`` (a BTree set)."""
        found = [self.by_actor[actor] for actor in actors if actor in self.by_actor]
        return multiunion(found) if found else LOTreeSet()

    def select(self, record=None, actor=None, action=None, first_day=None,
               last_day=None, within=None):
        """The seqs matching every given filter, oldest first (a BTree set,
        so a filter never loads entries it does not return).  ``within``
        (a set of seqs) narrows to what the reader may see."""
        sets = [] if within is None else [within]
        for index, key in ((self.by_record, record), (self.by_actor, actor),
                           (self.by_action, action)):
            if key:
                found = index.get(key)
                if found is None:
                    return LOTreeSet()
                sets.append(found)
        if first_day or last_day:
            days = list(self.by_day.values(min=first_day or None,
                                           max=last_day or None))
            sets.append(multiunion(days) if days else LOTreeSet())
        if not sets:
            return None   # everything: iterate self.entries instead
        result = sets[0]
        for other in sets[1:]:
            result = intersection(result, other)
        return result

    def newest(self, seqs=None, start=0, count=50):
        """Entries newest first, ``count`` of them after skipping ``start``."""
        if seqs is None:
            keys = self.entries.keys()
            total = len(self)
        else:
            keys = seqs.keys() if hasattr(seqs, 'keys') else seqs
            total = len(seqs)
        found = []
        for index in range(total - 1 - start, max(total - 1 - start - count, -1), -1):
            found.append(self.get(keys[index]))
        return found, total


#: An inbox item: a tuple (hashable, as zc.queue's conflict resolution
#: needs), unique by its nonce.
INBOX_FIELDS = ('nonce', 'at', 'actor', 'role', 'action', 'record', 'target', 'detail',
                'ip', 'outcome')


def inbox_item(entry, nonce):
    return (nonce,) + tuple(str(entry.get(name) or '') for name in INBOX_FIELDS[1:])


def inbox_entry(item):
    return dict(zip(INBOX_FIELDS[1:], item[1:]))


def log_of(audit_root, create=True):
    """The audit log in the audit database's root, made on first use."""
    log = audit_root.get(ROOT_KEY)
    if log is None and create:
        log = audit_root[ROOT_KEY] = AuditLog()
    return log


class Broken(Exception):
    def __init__(self, seq, reason):
        super().__init__('entry %s: %s' % (seq, reason))
        self.seq = seq
        self.reason = reason


def verify(log, progress=None):
    """Recompute the whole chain; return the number of entries checked.

    Raises ``Broken`` naming the first entry whose stored hash, link to its
    predecessor or sequence number does not hold, or that the indexes (what
    the viewer and the guardian's accounting read) hide or misplace.
    """
    prev = GENESIS
    expected = 1
    wanted = {name: {} for name, _ in AuditLog.INDEXES}
    for seq, stored in log.entries.items():
        if seq != expected:
            raise Broken(expected, 'missing (the next entry is %s)' % seq)
        values = list(stored[:len(FIELDS)])
        if len(stored) != len(FIELDS) + 1 or values[0] != seq:
            raise Broken(seq, 'malformed')
        if values[-1] != prev:
            raise Broken(seq, 'does not follow the entry before it')
        digest = entry_hash(values)
        if digest != stored[-1]:
            raise Broken(seq, 'altered (its hash does not match its content)')
        prev = digest
        entry = dict(zip(FIELDS, values))
        for name, field in AuditLog.INDEXES:
            key = AuditLog.index_key(field, entry)
            if key:
                wanted[name].setdefault(key, []).append(seq)
        expected += 1
        if progress is not None and seq % 10000 == 0:
            progress(seq)
    if expected - 1 != log.head_seq or prev != log.head_hash:
        raise Broken(expected, 'the chain ends before its recorded head %s'
                     % log.head_seq)
    _verify_indexes(log, wanted)
    return expected - 1


def _verify_indexes(log, wanted):
    for name, _ in AuditLog.INDEXES:
        index = getattr(log, name)
        keys = set(index.keys()) | set(wanted[name])
        for key in sorted(keys):
            stored = list(index[key]) if key in index else []
            if stored != wanted[name].get(key, []):
                differ = sorted(set(stored) ^ set(wanted[name].get(key, [])))
                raise Broken(differ[0] if differ else 0,
                             'the %s index does not match the chain' % name[3:])
