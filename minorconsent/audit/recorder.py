"""Getting entries onto the chain: transactional notes and group-committed reads.

*Writes* (``note``): an entry describing a write is put in the audit
database's inbox by a before-commit hook of that write's own transaction.
Both databases commit together (ZODB two-phase commit across the
multi-database), so an acknowledged write always has its entry and an
aborted one never does.  Model code calls ``note(obj, ...)`` with any
object of the clinic; it needs no request.  Who and from where come from
the context the request layer ``bind``s to the transaction (or "system").

*Reads* (page views): a page view must not cost a commit and fsync of its
own, so its entry goes to an in-memory buffer that a background thread
seals every ``minorconsent.audit.flush_seconds`` (default 1 s) in one
transaction together with whatever the inbox holds.  A crash can lose the
reads of the last flush window, never a write's entry (docs/SECURITY.md).
"""
import atexit
import collections
import logging
import os
import secrets
import signal
import threading
import weakref
from datetime import datetime, timezone

import transaction
from pyramid.location import lineage
from ZODB.POSException import ConflictError

from .chain import inbox_entry, inbox_item, log_of

log = logging.getLogger(__name__)

#: The transaction-data key (``Transaction.data`` keys by identity).
_PENDING = object()


def utc_now():
    """The time an entry is made at, kept as it is until it is written down
    (``utc_stamp``)."""
    return datetime.now(timezone.utc)


def utc_stamp(now=None):
    """Entry time: ISO 8601 UTC with microseconds (sorts as text), e.g.
    ``2026-11-30T08:16:38.123456Z``.  Every page view makes one, so it is
    built with ``isoformat`` (a fifth of ``strftime``'s cost).  The trail
    sits below ``site``, so it reads the clock itself, not ``site.clock``."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return now.replace(tzinfo=None).isoformat(timespec='microseconds') + 'Z'


def make_entry(action, actor='', role='', record='', target='', detail='',
               ip='', outcome='', at=None):
    return {'at': at or utc_stamp(), 'actor': actor or '', 'role': role or '',
            'action': action, 'record': record or '', 'target': target or '',
            'detail': detail or '', 'ip': ip or '', 'outcome': outcome or ''}


def role_text(roles):
    """A person's global roles as an entry names them: sorted, one space
    between."""
    return ' '.join(sorted(roles))


def view_item(at, action, actor, roles, record, target, ip, outcome):
    """A page view's entry as the request leaves it for the sealer: plain
    values only (``at`` an aware datetime from ``utc_now``, ``roles`` a
    tuple of strings), never a persistent object, since the sealer reads
    it in another thread.  Formatting the time and sorting the roles wait
    for the sealer (``view_entry``), off the request's path."""
    return (at, action, actor, roles, record, target, ip, outcome)


def view_entry(item):
    """The entry of a ``view_item``: what ``make_entry`` would have made of
    the same values in the request."""
    at, action, actor, roles, record, target, ip, outcome = item
    return make_entry(action, actor=actor, role=role_text(roles), record=record,
                      target=target, ip=ip, outcome=outcome, at=utc_stamp(at))


def entry_of(read):
    """A buffered read as an entry: an entry already, or a ``view_item``."""
    return read if isinstance(read, dict) else view_entry(read)


# --- transactional entries ------------------------------------------------

class _Pending:
    """Entries waiting for their transaction's commit.

    Made at the first entry of a transaction, with its commit hooks: most
    requests (page views) write nothing."""

    def __init__(self, jar):
        self.jar = jar
        self.entries = []
        self.written = False
        self.hooked = False


#: The transaction-data key of who acts (``bind``).
_ACTING = object()


#: The clinic's folder of client files (``clients``, ``/clients/<id>/...``):
#: the trail names an entry's record by the id below it.  Read from the
#: path, so the trail, at the bottom, knows no class of the rooms above.
CLIENTS = 'clients'


def describe(obj):
    """(client id, path below it) for any object in the clinic tree: for
    ``/clients/<id>/goals/<gid>`` ``('<id>', 'goals/<gid>')``, for
    anything else ``('', its path)``.  A placeholder standing in for a
    record (``site/hidden.py``) has the path the record would have."""
    names = [node.__name__ for node in lineage(obj) if getattr(node, '__name__', None)]
    names.reverse()
    if len(names) > 1 and names[0] == CLIENTS:
        return names[1], '/'.join(names[2:])
    return '', '/'.join(names)


def _jar_of(obj):
    """The database connection of ``obj``, or of its nearest stored
    ancestor (a new object is in no connection until its commit)."""
    for node in lineage(obj):
        jar = getattr(node, '_p_jar', None)
        if jar is not None:
            return jar
    return None


def _pending_of(jar):
    txn = jar.transaction_manager.get()
    try:
        return txn, txn.data(_PENDING)
    except KeyError:
        pending = _Pending(jar)
        txn.set_data(_PENDING, pending)
        return txn, pending


def pending_for(jar):
    """The pending entries of ``jar``'s current transaction, with its
    commit hooks (added once)."""
    txn, pending = _pending_of(jar)
    if not pending.hooked:
        pending.hooked = True
        txn.addBeforeCommitHook(_write_inbox, (pending,))
        txn.addAfterCommitHook(_after_commit, (pending,))
    return pending


def bind(jar, actor='', roles=(), ip=''):
    """Say who acts (``roles``: their global roles, as held) and from where
    for the entries of this transaction.  Every request binds; the roles
    are written out only if an entry is noted (``note``)."""
    jar.transaction_manager.get().set_data(_ACTING, (actor, roles, ip))


def _acting(jar):
    """``(actor, role, ip)`` bound to ``jar``'s transaction, or empty."""
    try:
        actor, roles, ip = jar.transaction_manager.get().data(_ACTING)
    except KeyError:
        return '', '', ''
    return actor, role_text(roles), ip


def note(obj, action, detail='', record=None, target=None, actor=None,
         role=None, outcome=''):
    """Record ``action`` on ``obj`` as part of the current transaction.

    ``record`` defaults to the client whose file holds ``obj``; ``target``
    to ``obj``'s path below that client (opaque ids only).
    """
    jar = _jar_of(obj)
    if jar is None:
        # An object in no database (a unit test of the model) has no
        # transaction and no trail to write to.
        return None
    pending = pending_for(jar)
    found_record, found_target = describe(obj)
    bound_actor, bound_role, bound_ip = _acting(jar)
    entry = make_entry(
        action,
        actor=actor if actor is not None else bound_actor or 'system',
        role=role if role is not None else bound_role,
        record=found_record if record is None else record,
        target=found_target if target is None else target,
        detail=detail, ip=bound_ip, outcome=outcome)
    pending.entries.append(entry)
    return entry


def add_pending_entry(jar, entry):
    pending = pending_for(jar)
    pending.entries.append(entry)
    return pending


def _write_inbox(pending):
    if not pending.entries:
        return
    audit_log = log_of(pending.jar.get_connection('audit').root())
    for entry in pending.entries:
        audit_log.inbox.put(inbox_item(entry, secrets.token_hex(8)))
    pending.written = True


def _after_commit(ok, pending):
    pending.written = bool(ok) and pending.written


# --- group-committed reads ------------------------------------------------

#: Recorders with a sealer thread, sealed on SIGTERM (see ``seal_on_sigterm``).
_RUNNING = weakref.WeakSet()


def seal_on_sigterm():
    """On SIGTERM (how systemd and most supervisors stop a server), seal
    every buffered read before the process ends: Python runs no atexit
    hooks when SIGTERM kills it.  Installed only from the main thread and
    only where nobody else handles SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return False

    def handler(signum, frame):
        for recorder in list(_RUNNING):
            recorder.stop()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
    signal.signal(signal.SIGTERM, handler)
    return True

class Recorder:
    """One per app: the read buffer and the sealer that empties it."""

    def __init__(self, registry, interval=1.0, background=True,
                 max_buffer=2000):
        self.registry = registry
        self.interval = interval
        self.background = background
        self.max_buffer = max_buffer
        self.buffer = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None
        self._stopped = False

    def database(self):
        return self.registry._zodb_databases['audit']

    def add(self, entry):
        """Buffer a read entry (or a page view's ``view_item``); the sealer
        commits it within one interval."""
        self.buffer.append(entry)
        if self._stopped:
            self.flush()          # a request finishing during shutdown
            return
        if self.background and self._thread is None:
            self._start()
        if len(self.buffer) >= self.max_buffer:
            self._wake.set()

    def _start(self):
        with self._lock:
            if self._thread is not None or self._stopped:
                return
            self._thread = threading.Thread(
                target=self._run, name='minorconsent-audit', daemon=True)
            self._thread.start()
            atexit.register(self.stop)
            _RUNNING.add(self)

    def _run(self):
        while not self._stopped:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:   # keep sealing; the entries stay buffered
                log.exception('audit flush failed; will retry')

    def stop(self):
        """Seal what is buffered and stop the thread (at exit)."""
        self._stopped = True
        self._wake.set()
        try:
            self.flush()
        except Exception:  # pragma: no cover - shutting down anyway
            log.exception('final audit flush failed')

    def flush(self, attempts=5):
        """Seal the buffered reads and the inbox now; return entries sealed."""
        with self._lock:
            taken = []
            while self.buffer:
                taken.append(self.buffer.popleft())
            try:
                return self._seal(taken, attempts)
            except BaseException:
                self.buffer.extendleft(reversed(taken))
                raise

    def _seal(self, reads, attempts):
        db = self.database()
        for attempt in range(attempts):
            tm = transaction.TransactionManager(explicit=True)
            tm.begin()
            conn = db.open(transaction_manager=tm)
            try:
                audit_log = log_of(conn.root())
                waiting = list(audit_log.inbox)
                entries = [inbox_entry(item) for item in waiting]
                entries.extend(entry_of(read) for read in reads)
                if not entries:
                    tm.abort()
                    return 0
                entries.sort(key=lambda entry: entry['at'])
                audit_log.seal(entries)
                # Pull exactly what was sealed; puts committed meanwhile
                # merge with these pulls and wait for the next seal.
                for _ in waiting:
                    audit_log.inbox.pull(0)
                tm.commit()
                return len(entries)
            except ConflictError:
                tm.abort()
                if attempt == attempts - 1:
                    raise
            except BaseException:
                tm.abort()
                raise
            finally:
                conn.close()
