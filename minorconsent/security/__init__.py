"""Security baseline: who the user is, what they may do, and the headers,
CSRF and body limits that apply to every request.
"""
from pyramid.settings import asbool

from .csrf import SessionBoundCSRF
from .passwords import Passwords
from .policy import ClinicSecurityPolicy


def includeme(config):
    settings = config.registry.settings
    secure = asbool(settings.get('minorconsent.secure_cookies', False))
    config.set_security_policy(ClinicSecurityPolicy(secure_cookies=secure))
    config.set_csrf_storage_policy(SessionBoundCSRF(secure_cookies=secure))
    config.set_default_csrf_options(require_csrf=True)
    config.registry.passwords = Passwords(
        settings.get('minorconsent.password_profile', 'default'))
    config.add_tween('minorconsent.security.headers.security_tween_factory')
    config.add_evolve_step('0001-security-sessions', _add_session_store)


def _add_session_store(root, registry):
    from .sessions import SessionStore
    root.sessions = SessionStore()
