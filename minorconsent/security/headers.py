"""A tween that puts the security headers on every response and refuses
request bodies over the configured limit (413) before anything reads them.

Every request is held to ``minorconsent.max_body_bytes`` (1 MB): no form
needs more.  A view that takes a file (a scanned paper signature) is
named by its room with ``config.allow_uploads_to(view_name)``; a POST to
it is held to ``minorconsent.max_upload_bytes`` (11 MB) instead.  waitress's
``max_request_body_size`` must admit the larger one (the ini files set it
so); it is what bounds a chunked body, which declares no length.

The 413 is plain text, or the answer of the room's refusal renderer
where one is registered for the path (``config.add_refusal_renderer``:
the FHIR API's OperationOutcome, the token endpoint's OAuth error).
"""
from pyramid.httpexceptions import HTTPRequestEntityTooLarge
from pyramid.settings import asbool

from minorconsent.site.views import refusal_renderer

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "object-src 'none'")

BASE_HEADERS = {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
}


def too_large(request, limit):
    """True when the declared body is over ``limit`` bytes.

    Chunked bodies have no declared length; waitress's
    ``max_request_body_size`` (set to the same limit in the ini files)
    answers those with 413 before the app sees them.
    """
    length = request.content_length
    return length is not None and length > limit


#: Registry key of the view names that take uploads.
UPLOAD_VIEWS = 'minorconsent.upload_views'
DEFAULT_BODY_LIMIT = 1024 * 1024
DEFAULT_UPLOAD_LIMIT = 11 * 1024 * 1024


#: Registry key of the clinic-level view names that take uploads (the
#: admin's caseload file).
CLINIC_UPLOAD_VIEWS = 'minorconsent.clinic_upload_views'


def allow_uploads_to(config, view_name, on='document'):
    """Directive: POSTs to views named ``view_name`` may carry a file, up
    to ``minorconsent.max_upload_bytes``.  ``on='document'``: a client
    document's view (``clients/<id>/<container>/<id>/<view>``);
    ``on='clinic'``: a view of the clinic itself (the path ends in it)."""
    key = {'document': UPLOAD_VIEWS, 'clinic': CLINIC_UPLOAD_VIEWS}[on]

    def register():
        config.registry.setdefault(key, set()).add(view_name)
    config.action(('minorconsent.upload_view', on, view_name), register)


def upload_limit(settings):
    return int(settings.get('minorconsent.max_upload_bytes', DEFAULT_UPLOAD_LIMIT))


def _limit_for(request, registry, limit, uploads):
    """The body limit of this request.  Reads the raw PATH_INFO: a path
    that is not UTF-8 must reach the app's own 400, not fail here."""
    if request.method != 'POST':
        return limit
    parts = request.environ.get('PATH_INFO', '').strip('/').split('/')
    # [<a host app's prefix>/]clients/<id>/<container>/<id>/<view>: a
    # document's view, not any path that ends in the name.
    if (len(parts) >= 5 and parts[-5] == 'clients'
            and parts[-1] in registry.get(UPLOAD_VIEWS, ())):
        return uploads
    if parts[-1] in registry.get(CLINIC_UPLOAD_VIEWS, ()):
        return uploads
    return limit


class SecurityHeaders:
    """The headers every response gets, worked out once per app.

    ``apply(response)`` leaves a response exactly as
    ``response.headers.update(headers)`` followed by the no-store pair
    (when the response names no ``max-age``) did, in one pass over the
    header list instead of one pass per header, and without parsing a
    Cache-Control header that is not there (a dynamic page has none).
    """

    def __init__(self, headers):
        self.items = list(headers.items())
        self.names = frozenset(name.lower() for name in headers)
        self.replaced = self.names | {'cache-control', 'pragma'}

    def apply(self, response):
        headerlist = response.headerlist
        names = self.names
        if not any(name.lower() == 'cache-control' for name, _ in headerlist):
            # No Cache-Control at all, so no max-age: never cached.
            replaced = self.replaced
            kept = [item for item in headerlist if item[0].lower() not in replaced]
            kept.extend(self.items)
            kept.append(('Cache-Control', 'no-store'))
            kept.append(('Pragma', 'no-cache'))
            self._set(response, headerlist, kept)
            return response
        kept = [item for item in headerlist if item[0].lower() not in names]
        kept.extend(self.items)
        self._set(response, headerlist, kept)
        if response.cache_control.max_age is None:
            # Dynamic pages are never cached: a shared family computer's
            # back button must not show a signed-in page after sign-out.
            response.headers['Cache-Control'] = 'no-store'
            response.headers['Pragma'] = 'no-cache'
        return response

    @staticmethod
    def _set(response, headerlist, kept):
        if isinstance(headerlist, list):
            headerlist[:] = kept          # in place, as ResponseHeaders does
        else:
            response.headerlist = kept


def security_headers(settings):
    """The constant headers of this app's responses (HSTS when configured)."""
    headers = dict(BASE_HEADERS)
    if asbool(settings.get('minorconsent.hsts', False)):
        headers['Strict-Transport-Security'] = 'max-age=31536000'
    return SecurityHeaders(headers)


def security_tween_factory(handler, registry):
    settings = registry.settings
    limit = int(settings.get('minorconsent.max_body_bytes', DEFAULT_BODY_LIMIT))
    uploads = upload_limit(settings)
    headers = security_headers(settings)

    def security_tween(request):
        if too_large(request, _limit_for(request, registry, limit, uploads)):
            render = refusal_renderer(registry, request.environ)
            if render is not None:
                response = render(request, 413, 'too-large', ())
            else:
                response = HTTPRequestEntityTooLarge(
                    body='The request is too large.\n',
                    content_type='text/plain')
        else:
            response = handler(request)
        return headers.apply(response)

    return security_tween
