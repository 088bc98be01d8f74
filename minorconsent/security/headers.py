"""A tween that puts the security headers on every response and refuses
request bodies over the configured limit (413) before anything reads them.
"""
from pyramid.httpexceptions import HTTPRequestEntityTooLarge
from pyramid.settings import asbool

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


def security_tween_factory(handler, registry):
    settings = registry.settings
    limit = int(settings.get('minorconsent.max_body_bytes', 1024 * 1024))
    headers = dict(BASE_HEADERS)
    if asbool(settings.get('minorconsent.hsts', False)):
        headers['Strict-Transport-Security'] = 'max-age=31536000'

    def security_tween(request):
        if too_large(request, limit):
            response = HTTPRequestEntityTooLarge(
                body='The request is too large.\n',
                content_type='text/plain')
        else:
            response = handler(request)
        response.headers.update(headers)
        if response.cache_control.max_age is None:
            # Dynamic pages are never cached: a shared family computer's
            # back button must not show a signed-in page after sign-out.
            response.headers['Cache-Control'] = 'no-store'
            response.headers['Pragma'] = 'no-cache'
        return response

    return security_tween
