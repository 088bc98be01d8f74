"""What a request must be before anything reads it.

Checked at ``NewRequest``, before traversal, the views and the audit
trail's view deriver (``minorconsent.audit.access``), so a refused request
reaches no view, writes nothing and leaves no audit entry:

* **A method the clinic uses**: GET, HEAD and POST.  Anything else
  (``FROB``, ``PROPFIND``, ``PUT``, ``OPTIONS`` ...) answers 405.  The
  views accept any method, and each call's method became part of an audit
  action (``FROB Clinic.login``): 3,000 anonymous made-up methods grew the
  admin's /audit page and its filter from 34 KB to 499 KB, for good.  The
  clinic serves no cross-origin callers, so it needs no ``OPTIONS``
  (a same-origin form post is never preflighted).
* **The clinic's own host**, where ``minorconsent.enforce_host`` is on
  (production.ini): any other ``Host`` (after the trusted proxy's
  ``X-Forwarded-Host``) answers 400 (``minorconsent.site.canonical``).
* **A form body the clinic can read**: UTF-8 (or no charset), and
  multipart with a valid boundary.  WebOb refuses other charsets and
  Python's multipart parser a missing boundary with exceptions the views
  turned into 500s, for anonymous visitors too.  The body is parsed here,
  once (WebOb keeps the result for the view), so any body it cannot read
  is a 400 "this form could not be read", nothing saved.

Each refusal is the clinic's plain error page (``site.views.plain_page``),
which echoes nothing from the request; except where a room registered its
own answer for its part of the clinic with
``config.add_refusal_renderer(segments, fn)`` (the FHIR API under
``/fhir/`` and its token endpoint: an API client reads JSON, never a page;
issue 19).  The same table answers the address that is not UTF-8
(``site.views.bad_url``) and the body over the limit (``headers``).
"""
from pyramid.events import NewRequest

from minorconsent.site.i18n import _
from minorconsent.site.views import REFUSAL_RENDERERS, plain_page, refusal_renderer

#: The methods some view of the clinic answers (HEAD is GET's).
METHODS = ('GET', 'HEAD', 'POST')

#: What WebOb parses as a form (``Request.POST``), an empty type included.
FORM_TYPES = ('', 'application/x-www-form-urlencoded', 'multipart/form-data')


class RefusedRequest(Exception):
    """A request answered with a plain page before any view sees it."""
    status = 400
    title = text = ''
    headers = ()
    #: What a room's refusal renderer is told (``site.views.refusal_renderer``).
    reason = ''

    def prepare(self, request):
        """Adjust ``request`` before its refusal page is drawn."""


class UnknownMethod(RefusedRequest):
    status = 405
    reason = 'method'
    title = _('This request is not accepted')
    text = _('Check the link, or go to the start page.')
    headers = (('Allow', ', '.join(METHODS)),)


class ForeignHost(RefusedRequest):
    reason = 'host'
    title = _('This address is not valid')
    text = _('Check the link, or go to the start page.')

    def prepare(self, request):
        """Draw the page as if the request had come to the clinic's own
        address: its links (stylesheet, start page) then name that host,
        never the one the request claimed."""
        site = request.registry.public_site
        request.scheme = site.scheme
        request.host = '%s:%d' % (site.hostname, site.port)


class UnreadableForm(RefusedRequest):
    reason = 'form'
    title = _('This form could not be read')
    text = _('Nothing was saved. Go back, reload the page and try again.')


def form_is_readable(request):
    """Parse the body as WebOb will for ``request.POST``; False when it
    cannot (a charset other than UTF-8, a multipart body with no valid
    boundary, here or in a nested part)."""
    if request.content_type not in FORM_TYPES or (
            request.method != 'POST' and not request.content_type):
        return True
    try:
        request.POST
    except (ValueError, LookupError, DeprecationWarning):
        # ValueError: a bad multipart boundary (UnicodeError is one too);
        # LookupError: a codec Python does not know; DeprecationWarning:
        # WebOb's refusal of any charset but UTF-8.
        return False
    return True


def check_request(event):
    request = event.request
    if request.method not in METHODS:
        raise UnknownMethod()
    site = getattr(request.registry, 'public_site', None)
    if site is not None and site.enforce_host and not site.accepts_host(request.host):
        raise ForeignHost()
    if not form_is_readable(request):
        raise UnreadableForm()


def refused(exc, request):
    exc.prepare(request)
    render = refusal_renderer(request.registry, request.environ)
    if render is not None:
        return render(request, exc.status, exc.reason, exc.headers)
    response = plain_page(request, exc.status, exc.title, exc.text)
    response.headers.extend(exc.headers)
    return response


def add_refusal_renderer(config, segments, renderer):
    """Directive: refusals made before any view runs (a method the clinic
    does not take, a foreign host, an unreadable form, an address that is
    not UTF-8, a body over the limit) of a path whose segments below the
    clinic's root start with ``segments`` (a name or a tuple of names) are
    answered by ``renderer(request, status, reason, headers)`` instead of
    the clinic's plain page; the longest match wins.  For a room that
    answers machines in its own format (the FHIR API)."""
    if isinstance(segments, str):
        segments = (segments,)
    segments = tuple(segments)
    renderer = config.maybe_dotted(renderer)

    def register():
        config.registry.setdefault(REFUSAL_RENDERERS, {})[segments] = renderer
    config.action(('minorconsent.refusal_renderer', segments), register)


def includeme(config):
    # The configured address is read (and checked) at start-up.
    config.include('minorconsent.site.canonical')
    config.add_subscriber(check_request, NewRequest)
    config.add_exception_view(refused, context=RefusedRequest)
