"""Server-side sign-in sessions stored in ZODB.

The browser holds only a random token; the database holds its SHA-256, so a
copy of the database opens no live session.  Sessions are indexed by user,
so disabling an account, changing a password or removing a role or guardian
link ends every session of that user in the same transaction.

Idle timeout without a commit per page view: ``last_seen`` is written only
when it is older than ``touch_interval`` (a minute, or a quarter of the idle
timeout if shorter).  A page view therefore costs at most one small commit
per session per minute, and the idle timeout is enforced to within that
interval (docs/SECURITY.md).  Two requests touching the same session at once
do not conflict: ``Session._p_resolveConflict`` keeps the later time.

Sign-out marks its session ended instead of taking it out of the two
BTrees: removing keys from small, busy BTrees changes their structure
(emptied or split buckets), which ZODB cannot merge with a concurrent
sign-in, and under load (bench/soak.py, 50 users) a sign-out lost its three
retries and answered 500.  An ended session is refused like a missing one,
and the user's next sign-in removes it (``prune_for``), as it does expired
ones.
"""
import functools
import secrets
from datetime import timedelta

from BTrees.OOBTree import OOBTree
from persistent import Persistent
from ZODB.POSException import ConflictError

from minorconsent.site import multimap
from minorconsent.site.clock import utcnow

from .tokens import token_hash


#: How a person proved who they are when a session began (recorded on
#: each electronic signature's certificate).
SIGN_IN_METHODS = ('password', 'password+second-factor', 'single-use-link')


class Session(Persistent):
    """One signed-in browser."""

    ended = False      # signed out; removed at the user's next sign-in
    #: One of ``SIGN_IN_METHODS``; None for a session begun before the
    #: method was recorded (a class default: those sessions keep working).
    auth_method = None

    def __init__(self, user_id, created, csrf_token, auth_method=None):
        self.user_id = user_id
        self.created = created
        self.last_seen = created
        self.csrf_token = csrf_token
        if auth_method is not None:
            if auth_method not in SIGN_IN_METHODS:
                raise ValueError('unknown sign-in method %r' % auth_method)
            self.auth_method = auth_method

    def _p_resolveConflict(self, old, committed, new):
        """Concurrent touches of one session: keep the latest ``last_seen``.

        A sign-out during a touch stays a sign-out.  Any other concurrent
        change (there is none today) is a real conflict.
        """
        for key in set(committed) | set(new):
            if key in ('last_seen', 'ended'):
                continue
            if committed.get(key) != new.get(key):
                raise ConflictError('unresolvable session conflict')
        merged = dict(new)
        merged['last_seen'] = max(committed['last_seen'], new['last_seen'])
        if committed.get('ended') or new.get('ended'):
            merged['ended'] = True
        return merged


class SessionStore(Persistent):
    """All sessions of the clinic, by token hash and by user."""

    def __init__(self):
        self._by_key = OOBTree()
        self._by_user = OOBTree()

    def __len__(self):
        return len(self._by_key)

    def create(self, user_id, now=None, auth_method=None):
        """Start a session; return ``(token, session)``.

        The token is shown to the browser once and never stored.
        ``auth_method``: how the person signed in (``SIGN_IN_METHODS``).
        """
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        key = token_hash(token)
        session = Session(user_id, now, secrets.token_urlsafe(32), auth_method)
        self._by_key[key] = session
        multimap.add(self._by_user, user_id, key)
        return token, session

    def lookup(self, token, idle, lifetime, touch_interval, now=None):
        """The live session for ``token``, or None.

        An expired session is removed on sight.  ``idle``, ``lifetime`` and
        ``touch_interval`` are ``timedelta``s.
        """
        if not token:
            return None
        key = token_hash(token)
        session = self._by_key.get(key)
        if session is None or session.ended:
            return None
        now = now or utcnow()
        idle_for = now - session.last_seen
        if idle_for > idle or now - session.created > lifetime:
            self._discard(key, session.user_id)
            return None
        if idle_for >= touch_interval:
            session.last_seen = now
        return session

    def end(self, token):
        """End one session (sign-out): it is refused from now on, and
        removed at its user's next sign-in (see the module docstring)."""
        session = self._by_key.get(token_hash(token))
        if session is not None and not session.ended:
            session.ended = True

    def end_all_for(self, user_id, except_token=None):
        """End every session of ``user_id``; return how many ended."""
        keep = token_hash(except_token) if except_token else None
        keys = self._by_user.get(user_id)
        if not keys:
            return 0
        ended = 0
        for key in list(keys):
            if key != keep:
                session = self._by_key.get(key)
                ended += bool(session is not None and not session.ended)
                self._discard(key, user_id)
        return ended

    def count_for(self, user_id):
        keys = self._by_user.get(user_id)
        return sum(1 for key in keys or () if not self._by_key[key].ended)

    def prune_for(self, user_id, idle, lifetime, now=None):
        """Drop ``user_id``'s expired sessions (run at each sign-in)."""
        now = now or utcnow()
        keys = self._by_user.get(user_id)
        for key in list(keys or ()):
            session = self._by_key.get(key)
            if session is None or session.ended or (now - session.created > lifetime
                                                    or now - session.last_seen > idle):
                self._discard(key, user_id)

    def _discard(self, key, user_id):
        self._by_key.pop(key, None)
        keys = self._by_user.get(user_id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_user[user_id]


def session_timing(settings):
    """``(idle, lifetime, touch_interval)`` from the clinic settings.

    Asked on every signed-in request: the three ``timedelta``s are
    remembered per pair of settings (``_timing``), not built each time."""
    return _timing(settings.idle_timeout_minutes, settings.session_lifetime_hours)


@functools.lru_cache(maxsize=32)
def _timing(idle_minutes, lifetime_hours):
    idle = timedelta(minutes=idle_minutes)
    lifetime = timedelta(hours=lifetime_hours)
    touch = min(timedelta(minutes=1), idle / 4)
    return idle, lifetime, touch
