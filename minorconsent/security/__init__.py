"""Security baseline: who the user is, what they may do, and the headers,
CSRF and body limits that apply to every request.
"""
from pyramid.settings import asbool

from . import evolve
from .csrf import SessionBoundCSRF
from .passwords import Passwords
from .policy import ClinicSecurityPolicy
from .ratelimit import ProbeBudget, RateLimiter


def includeme(config):
    settings = config.registry.settings
    secure = asbool(settings.get('minorconsent.secure_cookies', False))
    config.set_security_policy(ClinicSecurityPolicy(secure_cookies=secure))
    config.set_csrf_storage_policy(SessionBoundCSRF(secure_cookies=secure))
    # Referrer-Policy: no-referrer makes browsers send "Origin: null" on
    # form posts, so Pyramid's origin check would refuse every HTTPS post.
    # The token is what protects us: bound to the server-side session once
    # signed in, and in a __Host- cookie (unplantable from http:// or a
    # subdomain) before; see docs/SECURITY.md.
    config.set_default_csrf_options(require_csrf=True, check_origin=False)
    config.registry.passwords = Passwords(
        settings.get('minorconsent.password_profile', 'default'),
        settings.get('minorconsent.password_concurrency', 2))
    # Per process, in memory: see ratelimit.py and docs/SECURITY.md.
    config.registry.rate_limiter = RateLimiter(
        enabled=asbool(settings.get('minorconsent.rate_limits', True)))
    config.set_probe_budget(ProbeBudget())
    config.add_tween('minorconsent.security.headers.security_tween_factory')
    config.add_directive('allow_uploads_to', 'minorconsent.security.headers:allow_uploads_to')
    config.add_directive('add_refusal_renderer',
                         'minorconsent.security.gate:add_refusal_renderer')
    config.include('.gate')
    config.add_evolve_step('0001-security-sessions', evolve.add_session_store)
