"""The Pyramid security policy: session cookie -> user -> principals.

Principals are ``user:<id>`` and ``role:<role>`` for each global role.
Nothing client-specific is computed here: each client's ``__acl__`` grants
its permissions to the ``user:`` principals of the people linked to it
(assigned therapists, supervisor, entitled guardians, the adolescent), so a
revoked guardian link or reassigned therapist takes effect on the next
request without any sweep.  A document under a workflow (agreement,
summary, disclosure) is asked the same question from the roles the person
holds on it, without building its ACL (``permits``).
"""
from dataclasses import dataclass

from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.security import Allowed, Denied

from minorconsent.workflow.engine import Workflowed, permissions_for

from .sessions import session_timing

COOKIE_NAME = 'mc_session'


def session_cookie_name(secure):
    """With Secure cookies, the ``__Host-`` prefix: the browser then refuses
    the cookie from plain http:// and from any other host or path, so a
    network attacker cannot plant one."""
    return '__Host-' + COOKIE_NAME if secure else COOKIE_NAME


def principals_for(user):
    """The principals of a signed-in ``user`` (also used outside requests,
    e.g. by the seed script acting for demo people)."""
    return (Everyone, Authenticated, 'user:' + user.__name__) + \
        tuple('role:' + role for role in user.roles)


@dataclass
class Identity:
    user: object
    session: object
    token: str

    @property
    def userid(self):
        return self.user.__name__


class ClinicSecurityPolicy:
    """Server-side sessions in ZODB; ACL authorization on the tree."""

    def __init__(self, secure_cookies=False):
        self.secure_cookies = secure_cookies
        self.cookie_name = session_cookie_name(secure_cookies)
        self.acl = ACLHelper()

    # --- identity ---------------------------------------------------------

    def identity(self, request):
        cached = request.__dict__.get('_mc_identity', _MISSING)
        if cached is not _MISSING:
            return cached
        identity = self._load_identity(request)
        request.__dict__['_mc_identity'] = identity
        return identity

    def _load_identity(self, request):
        token = request.cookies.get(self.cookie_name)
        if not token:
            return None
        clinic = request.clinic
        idle, lifetime, touch = session_timing(clinic.settings)
        session = clinic.sessions.lookup(token, idle, lifetime, touch)
        if session is None:
            return None
        user = clinic['users'].get(session.user_id)
        if user is None or not user.active:
            clinic.sessions.end(token)
            return None
        return Identity(user, session, token)

    def authenticated_userid(self, request):
        identity = self.identity(request)
        return identity.userid if identity is not None else None

    def effective_principals(self, request):
        identity = self.identity(request)
        if identity is None:
            return [Everyone]
        return list(principals_for(identity.user))

    def permits(self, request, context, permission):
        """A document under a workflow answers from the roles the person
        holds on it (``workflow.engine.permissions_for``); everything else
        from its ACL.  Both give the same answer on every document."""
        principals = self.effective_principals(request)
        # Only where the ACL is the engine's, computed from the state: a
        # placeholder (``site.hidden``) keeps the DENY_ALL it declares.
        if getattr(type(context), '__acl__', None) is _WORKFLOW_ACL:
            if permission in permissions_for(context, principals):
                return Allowed('%r hold a role granting %r on %r in its state',
                               principals, permission, context)
            return Denied('%r hold no role granting %r on %r in its state',
                          principals, permission, context)
        return self.acl.permits(context, principals, permission)

    # --- sign in / out ----------------------------------------------------

    def remember(self, request, userid, **kw):
        """Start a fresh session for ``userid`` and return its cookie.

        Any session the browser already had is ended first, so a session
        token planted before sign-in is worthless after it.  ``method``
        (keyword): how the person signed in, kept on the session for the
        certificate of what they sign (``sessions.SIGN_IN_METHODS``).
        """
        clinic = request.clinic
        old = request.cookies.get(self.cookie_name)
        if old:
            clinic.sessions.end(old)
        idle, lifetime, _ = session_timing(clinic.settings)
        clinic.sessions.prune_for(userid, idle, lifetime)
        token, session = clinic.sessions.create(userid, auth_method=kw.get('method'))
        user = clinic['users'][userid]
        request.__dict__['_mc_identity'] = Identity(user, session, token)
        return [('Set-Cookie', self._cookie(token))]

    def forget(self, request, **kw):
        token = request.cookies.get(self.cookie_name)
        if token:
            request.clinic.sessions.end(token)
        request.__dict__['_mc_identity'] = None
        return [('Set-Cookie', self._cookie('', expire=True))]

    def _cookie(self, value, expire=False):
        # No Max-Age: the cookie dies with the browser, which matters on a
        # family's shared computer.  The server enforces the real limits.
        parts = ['%s=%s' % (self.cookie_name, value), 'Path=/', 'HttpOnly',
                 'SameSite=Lax']
        if self.secure_cookies:
            parts.append('Secure')
        if expire:
            parts.append('Max-Age=0')
            parts.append('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
        return '; '.join(parts)


_MISSING = object()
_WORKFLOW_ACL = Workflowed.__acl__      # the property itself, on the class
