"""The minimal signed-in Pyramid + ZODB page: bench/pages.py's fair reference.

A bare "Hello" (bench/pages.py's ``hello``) is the ceiling: no database, no
session, no permission, no audit, no template.  No app that keeps its
promises can reach it.  This app is the other reference: the least any
Pyramid + ZODB app must pay per page view to offer the guarantees a
signed-in, confidential page needs, and nothing more:

* **storage**: FileStorage through pyramid_zodbconn, one connection per
  request, under pyramid_tm (explicit manager) and pyramid_retry, as any
  ZODB app with concurrent writers must run;
* **session**: server-side, in ZODB: the browser holds a random token, the
  database holds its SHA-256 (an OOBTree lookup); every request checks the
  idle time and the lifetime, and writes ``last_seen`` at most once a
  minute (a commit per page view would cap the page at the fsync rate);
  the account is looked up and must still be active;
* **permission**: one ACL computed on the context object from its current
  guardian links on every request (so a removed link takes effect at
  once) and walked by Pyramid's ``ACLHelper``; a refused or missing record
  answers the same 404, a request without a live session goes to sign-in;
* **audit**: one entry per view (who, role, what, which record, from where,
  the outcome, a UTC timestamp), recorded outside the permission check so
  refusals are on it too.  The entry is *buffered in memory* and a thread
  seals the buffer once a second in one ZODB transaction, each batch
  chained to the previous one by SHA-256 (group commit): the app does the
  same (minorconsent/audit/recorder.py), because a commit and fsync per
  page view would bound every page at about 40 a second.  A crash loses at
  most the last second's read entries, never a write's;
* **template**: a Chameleon page template of about 1 KB (escaped values, a
  loop of rows) through pyramid_chameleon, with ``Cache-Control: no-store``
  and a few fixed security headers (a confidential page must not be
  cached or framed).

Not included, because the bench never measures it: a real password hash
cost, CSRF on the sign-in form, translations.  tests/bench/
test_reference_app.py keeps it honest: the idle check and the ACL must
really refuse, and the audit entries must really reach the database.
"""
import collections
import hashlib
import os
import secrets
import threading
import time
from datetime import datetime, timezone

import transaction
from BTrees.IOBTree import IOBTree
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.mapping import PersistentMapping
from pyramid.authorization import DENY_ALL, ACLHelper, Allow, Authenticated, Everyone
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.response import Response
from pyramid.security import remember
from pyramid.viewderivers import INGRESS
from pyramid_zodbconn import get_connection
from ZODB.POSException import ConflictError

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, 'reference_record.pt')
COOKIE = 'ref_session'
PASSWORD = 'reference-password-1'
#: The two demo accounts and their records (each guardian sees one child).
USERS = (('guardian-a@demo.test', 'u1', 'r1'), ('guardian-b@demo.test', 'u2', 'r2'))
HEADERS = (('Cache-Control', 'no-store'), ('X-Content-Type-Options', 'nosniff'),
           ('X-Frame-Options', 'DENY'), ('Referrer-Policy', 'no-referrer'),
           ('Content-Security-Policy', "default-src 'self'; frame-ancestors 'none'"))


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def password_hash(password, salt):
    return hashlib.pbkdf2_hmac('sha256', password.encode(), salt, 1000)


class User(Persistent):
    active = True

    def __init__(self, user_id, email, password):
        self.user_id = user_id
        self.email = email
        self.salt = secrets.token_bytes(16)
        self.hashed = password_hash(password, self.salt)
        self.roles = ('guardian',)


class Session(Persistent):
    """One signed-in browser; times are seconds since the epoch."""

    def __init__(self, user_id, now):
        self.user_id = user_id
        self.created = self.last_seen = now

    def _p_resolveConflict(self, old, committed, new):
        """Two requests touching one session at once: keep the later time."""
        merged = dict(new)
        merged['last_seen'] = max(committed['last_seen'], new['last_seen'])
        return merged


class Record(Persistent):
    """A child's record: who may see it is computed from its links."""

    def __init__(self, record_id, name, guardians, goals):
        self.record_id = record_id
        self.name = name
        self.guardians = guardians            # user ids
        self.goals = goals                    # (goal, last update, rating)

    @property
    def __acl__(self):
        return [(Allow, 'user:' + user_id, 'view') for user_id in self.guardians] + \
            [DENY_ALL]


def reference_root(request):
    return get_connection(request).root()['reference']


def seed(db):
    """Two guardians, each linked to one child's record with four goals."""
    tm = transaction.TransactionManager(explicit=True)
    conn = db.open(transaction_manager=tm)
    try:
        with tm:
            _seed(conn.root())
    finally:
        conn.close()


def _seed(root):
    if 'reference' not in root:
        users, emails, records = OOBTree(), OOBTree(), OOBTree()
        goals = tuple(('Goal %d: a sentence about the goal' % n,
                       '2026-11-%02d' % (n + 10), ('steady', 'improving')[n % 2])
                      for n in range(4))
        for email, user_id, record_id in USERS:
            users[user_id] = User(user_id, email, PASSWORD)
            emails[email] = user_id
            records[record_id] = Record(record_id, 'Child of ' + email.split('@')[0],
                                        [user_id], goals)
        root['reference'] = PersistentMapping(
            users=users, emails=emails, records=records, sessions=OOBTree(),
            audit=IOBTree())


class Policy:
    """Session cookie -> live session -> active user -> principals; ACLs."""

    def __init__(self, idle, lifetime, touch):
        self.idle, self.lifetime, self.touch = idle, lifetime, touch
        self.acl = ACLHelper()

    def identity(self, request):
        if '_ref_identity' not in request.__dict__:
            request.__dict__['_ref_identity'] = self._load(request)
        return request.__dict__['_ref_identity']

    def _load(self, request):
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        root = reference_root(request)
        key = token_hash(token)
        session = root['sessions'].get(key)
        if session is None:
            return None
        now = time.time()
        if now - session.last_seen > self.idle or now - session.created > self.lifetime:
            del root['sessions'][key]
            return None
        if now - session.last_seen >= self.touch:
            session.last_seen = now
        user = root['users'].get(session.user_id)
        if user is None or not user.active:
            return None
        return user

    def authenticated_userid(self, request):
        user = self.identity(request)
        return user.user_id if user is not None else None

    def principals(self, request):
        user = self.identity(request)
        if user is None:
            return [Everyone]
        return [Everyone, Authenticated, 'user:' + user.user_id] + \
            ['role:' + role for role in user.roles]

    def permits(self, request, context, permission):
        return self.acl.permits(context, self.principals(request), permission)

    def remember(self, request, userid, **kw):
        token = secrets.token_urlsafe(32)
        reference_root(request)['sessions'][token_hash(token)] = Session(userid, time.time())
        return [('Set-Cookie', '%s=%s; Path=/; HttpOnly; SameSite=Lax' % (COOKIE, token))]

    def forget(self, request, **kw):
        token = request.cookies.get(COOKIE)
        if token:
            reference_root(request)['sessions'].pop(token_hash(token), None)
        return [('Set-Cookie', '%s=; Path=/; Max-Age=0' % COOKIE)]


class Recorder:
    """The audit buffer, sealed once a second by a thread (group commit)."""

    def __init__(self, registry, interval):
        self.registry = registry
        self.interval = interval
        self.buffer = collections.deque()
        self.lock = threading.Lock()
        self.thread = None

    def add(self, entry):
        self.buffer.append(entry)
        if self.thread is None and self.interval:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(target=self._run, daemon=True,
                                                   name='reference-audit')
                    self.thread.start()

    def _run(self):
        while True:
            time.sleep(self.interval)
            try:
                self.flush()
            except ConflictError:
                pass                      # the entries went back; next time

    def flush(self):
        """Seal what is buffered now, as one chained batch; return how many."""
        with self.lock:
            taken = [self.buffer.popleft() for _ in range(len(self.buffer))]
            if not taken:
                return 0
            tm = transaction.TransactionManager(explicit=True)
            conn = self.registry._zodb_databases[''].open(transaction_manager=tm)
            try:
                with tm:
                    audit = conn.root()['reference']['audit']
                    last = audit.maxKey() if audit else 0
                    previous = audit[last][0] if audit else ''
                    chained = hashlib.sha256(
                        (previous + repr(taken)).encode()).hexdigest()
                    audit[last + 1] = (chained, tuple(taken))
            except BaseException:
                self.buffer.extendleft(reversed(taken))
                raise
            finally:
                conn.close()
            return len(taken)


def audited(view, info):
    """View deriver, outside the permission check: one entry per call."""
    if info.exception_only:
        return view

    def wrapper(context, request):
        user = request.identity
        entry = {'at': datetime.now(timezone.utc).isoformat(timespec='microseconds'),
                 'actor': user.user_id if user is not None else 'anonymous',
                 'role': ' '.join(user.roles) if user is not None else '',
                 'action': '%s %s' % (request.method, type(context).__name__),
                 'record': getattr(context, 'record_id', ''),
                 'ip': request.client_addr or '', 'outcome': 'denied'}
        try:
            response = view(context, request)
        except HTTPForbidden:
            raise
        except Exception as exc:
            entry['outcome'] = type(exc).__name__
            raise
        else:
            entry['outcome'] = str(response.status_int)
            return response
        finally:
            request.registry.reference_audit.add(entry)
    return wrapper


def record_factory(request):
    record = reference_root(request)['records'].get(request.matchdict['record'])
    if record is None:
        raise HTTPNotFound()
    return record


def record_view(context, request):
    request.response.headerlist.extend(HEADERS)
    return {'record': context, 'user': request.identity}


def login_view(request):
    if request.method != 'POST':
        return Response('<form method="post"><input name="email"><input name="password" '
                        'type="password"><button>Sign in</button></form>')
    root = reference_root(request)
    user = root['users'].get(root['emails'].get(request.POST.get('email', '')))
    password = request.POST.get('password', '')
    if user is None or password_hash(password, user.salt) != user.hashed:
        return Response('Unknown email or password', status=400)
    return HTTPFound('/records/' + dict((u, r) for _, u, r in USERS)[user.user_id],
                     headers=remember(request, user.user_id))


def refused(request):
    """No live session: go and sign in.  Signed in but not allowed: the
    same 404 as a record that does not exist (a URL reveals nothing)."""
    if request.identity is None:
        return HTTPFound('/login')
    return HTTPNotFound()


def make_app(directory, idle_seconds=20 * 60, lifetime_seconds=12 * 3600,
             touch_seconds=60, audit_interval=1.0):
    """The WSGI app over ``directory``/Data.fs (created and seeded if new).
    ``audit_interval`` 0: no sealing thread (tests call ``flush``)."""
    settings = {
        # Bounded in objects and bytes, as the app's (bench/pages.py CACHE): each
        # second's audit batch is one large record the cache would keep.
        'zodbconn.uri': ('file://%s/Data.fs?connection_cache_size=20000'
                         '&connection_cache_size_bytes=40mb' % directory),
        'tm.manager_hook': 'pyramid_tm.explicit_manager',
        'tm.commit_veto': 'pyramid_tm.default_commit_veto',
        'retry.attempts': '3',
    }
    with Configurator(settings=settings) as config:
        config.include('pyramid_chameleon')
        config.include('pyramid_retry')
        config.include('pyramid_tm')
        config.include('pyramid_zodbconn')
        policy = Policy(idle_seconds, lifetime_seconds, touch_seconds)
        config.set_security_policy(policy)
        config.registry.reference_audit = Recorder(config.registry, audit_interval)
        config.add_view_deriver(audited, under=INGRESS, over='secured_view')
        config.add_route('login', '/login')
        config.add_route('record', '/records/{record}', factory=record_factory)
        config.add_view(login_view, route_name='login')
        config.add_view(record_view, route_name='record', permission='view',
                        renderer=TEMPLATE)
        config.add_forbidden_view(refused)
    app = config.make_wsgi_app()
    for db in app.registry._zodb_databases.values():
        # Its per-connection history, kept an hour, grows memory with load
        # (minorconsent drops it too: minorconsent/__init__.py).
        db.setActivityMonitor(None)
    seed(app.registry._zodb_databases[''])
    return app
