"""CSRF tokens: bound to the server-side session once signed in.

Before sign-in (the sign-in form itself) the token lives in an HttpOnly
cookie (double submit), which stops login CSRF.  After sign-in it lives in
the session, so a token cannot outlive or be shared across sessions.
"""
import secrets

from pyramid.csrf import CookieCSRFStoragePolicy
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.util import strings_differ
from zope.interface import implementer


@implementer(ICSRFStoragePolicy)
class SessionBoundCSRF:
    def __init__(self, secure_cookies=False):
        self.anonymous = CookieCSRFStoragePolicy(
            cookie_name='__Host-mc_csrf' if secure_cookies else 'mc_csrf',
            secure=secure_cookies, httponly=True, samesite='Lax', path='/')

    def _session(self, request):
        identity = request.identity
        return identity.session if identity is not None else None

    def new_csrf_token(self, request):
        session = self._session(request)
        if session is None:
            return self.anonymous.new_csrf_token(request)
        session.csrf_token = secrets.token_urlsafe(32)
        return session.csrf_token

    def get_csrf_token(self, request):
        session = self._session(request)
        if session is None:
            return self.anonymous.get_csrf_token(request)
        return session.csrf_token

    def check_csrf_token(self, request, supplied_token):
        expected = self.get_csrf_token(request)
        return not strings_differ(expected.encode('utf-8'),
                                  (supplied_token or '').encode('utf-8'))
