"""The clinic's own address, as families reach it: ``minorconsent.public_url``.

Every link the app mails (password reset, invitation to sign, email-change
confirmation, notifications) is built here from that setting, never from
the request: a request's ``Host`` (or an ``X-Forwarded-Host`` a proxy let
through) is whatever the sender typed, and a reset link mailed to
``http://evil.example/reset-password/<token>`` hands the token to whoever
runs evil.example.

``minorconsent.enforce_host`` (on in production.ini) also refuses, with
400, any request whose host is not the configured one
(``minorconsent.security.gate``), so no page, redirect or cache ever
carries a forged host either.

The setting is required when the clinic is served over HTTPS
(``minorconsent.secure_cookies``) or enforces its host: the app refuses to
start without it.  Elsewhere (development, tests) it defaults to the
development server's address.
"""
from urllib.parse import urlsplit

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool
from pyramid.traversal import PATH_SEGMENT_SAFE, quote_path_segment

#: Where ``pserve development.ini`` listens (README).
DEVELOPMENT_URL = 'http://127.0.0.1:6543'

DEFAULT_PORTS = {'http': 80, 'https': 443}


class PublicSite:
    """The configured address: the links it builds and the hosts it accepts."""

    def __init__(self, url, enforce_host=False):
        parts = _parse(url)
        self.scheme = parts.scheme
        self.hostname = parts.hostname
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        netloc = self.hostname if parts.port is None else '%s:%d' % (self.hostname, parts.port)
        #: The clinic's root without a trailing slash, e.g.
        #: ``https://portal.clinic.example`` or ``https://example.org/portal``
        #: when a host app mounts the clinic under a prefix.
        self.url = '%s://%s%s' % (self.scheme, netloc, parts.path.rstrip('/'))
        self.enforce_host = enforce_host

    def link(self, *elements):
        """The URL of ``elements`` below the clinic's root, each quoted as
        one path segment (a token can hold no ``/`` or ``?`` that would
        change where it leads)."""
        return '/'.join([self.url] + [quote_path_segment(str(e), safe=PATH_SEGMENT_SAFE)
                                      for e in elements])

    def accepts_host(self, host):
        """Is ``host`` (a ``Host`` header value) this site?  Its name must
        be the configured one (case aside), and its port (given, or the
        configured scheme's default) the configured one."""
        name, sep, port = (host or '').strip().lower().rpartition(':')
        if not sep or not port.isdigit():
            name, port = (host or '').strip().lower(), ''
        if name.startswith('[') and name.endswith(']'):      # an IPv6 literal
            name = name[1:-1]
        if name.endswith('.'):
            name = name[:-1]
        if name != self.hostname:
            return False
        return (int(port) if port else DEFAULT_PORTS[self.scheme]) == self.port


def _parse(url):
    url = (url or '').strip()
    problem = None
    try:
        parts = urlsplit(url)
        parts.port                  # a port that is not a number raises here
    except ValueError:
        parts, problem = None, 'it is not a URL'
    if problem is None:
        if parts.scheme not in DEFAULT_PORTS:
            problem = 'it must start with https:// (or http:// in development)'
        elif not parts.hostname:
            problem = 'it names no host'
        elif parts.username is not None or parts.password is not None:
            problem = 'it must not hold a user name or password'
        elif parts.query or parts.fragment or url.endswith(('?', '#')):
            problem = 'it must not hold a query or a fragment'
    if problem is not None:
        raise ConfigurationError(
            'minorconsent.public_url = %r: %s.  Set it to the address families '
            'use to reach the clinic, e.g. https://portal.clinic.example' % (url, problem))
    return parts


def public_site_from_settings(settings):
    """The ``PublicSite`` the settings describe; ``ConfigurationError`` with
    a sentence for the operator when production lacks it."""
    url = (settings.get('minorconsent.public_url') or '').strip()
    enforce = asbool(settings.get('minorconsent.enforce_host', False))
    if not url:
        if enforce or asbool(settings.get('minorconsent.secure_cookies', False)):
            raise ConfigurationError(
                'minorconsent.public_url is not set.  In production every link the '
                'clinic mails is built from it (never from the request\'s Host header): '
                'set it in the [app:main] section to the address families use, e.g. '
                'minorconsent.public_url = https://portal.clinic.example')
        url = DEVELOPMENT_URL
    return PublicSite(url, enforce_host=enforce)


def public_url(request_or_registry, *elements):
    """The link to ``elements`` below the clinic's root, for a mail: from
    the configured address, whatever host the request came to."""
    registry = getattr(request_or_registry, 'registry', request_or_registry)
    return registry.public_site.link(*elements)


def includeme(config):
    config.registry.public_site = public_site_from_settings(config.registry.settings)
